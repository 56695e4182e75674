"""Seed-format answers: every answer of the OCR routes is the seed's wrapper.

Seed-coded errors (bad image, wrong key, ...) go out with HTTP 200, as the seed API does: its
clients read `errorCode`. Conditions of HTTP itself (body too large, query too long, too many
failed logins, server fault) keep their proper status, with the same wrapper as body so that a
client reading `errorCode` still finds one.
"""

from __future__ import annotations

from typing import Mapping, Optional

from fastapi.responses import JSONResponse

from services.domain.schema import ErrorCode, SeedError, SeedResponse


class HttpSeedError(SeedError):
    """A seed error that also has an HTTP status other than 200."""

    def __init__(self, code: ErrorCode, detail: str, status: int,
                 headers: Optional[Mapping[str, str]] = None) -> None:
        super().__init__(code, detail)
        self.status = status
        self.headers = dict(headers or {})


def seed_json(response: SeedResponse, status: int = 200, headers: Optional[Mapping[str, str]] = None
              ) -> JSONResponse:
    # model_dump keeps the schema's key order, which is the seed's field order.
    return JSONResponse(response.model_dump(), status_code=status, headers=dict(headers or {}))


def error_json(error: SeedError) -> JSONResponse:
    status = error.status if isinstance(error, HttpSeedError) else 200
    headers = error.headers if isinstance(error, HttpSeedError) else None
    return seed_json(SeedResponse.failure(error.code, error.detail), status, headers)
