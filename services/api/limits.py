"""Size limits on requests, enforced before any route reads them.

A body over the cap gets HTTP 413 as soon as its declared length is seen, or as soon as a
streamed (chunked) body passes the cap; a query string over its cap gets HTTP 414. Both answers
carry the seed wrapper (codes 3 and 2), so clients reading `errorCode` understand them too.
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, MutableMapping

from services.domain.schema import ErrorCode, SeedResponse

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body: int, max_query: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_query = max_query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > self.max_query:
            await _answer(send, 414, ErrorCode.URL_UNAVAILABLE,
                          f"the query string is longer than {self.max_query} bytes")
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _answer(send, 413, ErrorCode.BAD_IMAGE, f"the request body is larger than {self.max_body} bytes")
            return

        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _answer(send, 413, ErrorCode.BAD_IMAGE,
                              f"the request body is larger than {self.max_body} bytes")


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _answer(send: Send, status: int, code: ErrorCode, detail: str) -> None:
    body = json.dumps(SeedResponse.failure(code, detail).model_dump()).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
