"""The review app as a web server: Streamlit's app (app.py) with the app's own session routes.

`make run` serves this with uvicorn (`uvicorn pages._web:app`). Two routes besides Streamlit's:
- `GET /auth/session?ticket=T`: redeems a sign-in's single-use ticket for a session cookie
  (HttpOnly, SameSite=Strict, Secure over HTTPS) and goes to the app;
- `GET /auth/signout`: ends the cookie's session and removes the cookie.
Both answer with a redirect and never show a token.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from pages import _ui as ui
from services.accounts.web_sessions import COOKIE, SESSION_HOURS

SESSION_PATH = "/auth/session"
SIGN_OUT_PATH = "/auth/signout"


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def begin_session(request: Request) -> RedirectResponse:
    from starlette.concurrency import run_in_threadpool

    response = RedirectResponse("/", status_code=303)
    token = await run_in_threadpool(ui.services().web_sessions.redeem, request.query_params.get("ticket", ""))
    if token:
        response.set_cookie(COOKIE, token, max_age=SESSION_HOURS * 3600, path="/", httponly=True, samesite="strict",
                            secure=_secure(request))
    return response


async def end_session(request: Request) -> RedirectResponse:
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(ui.services().web_sessions.end, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    # Only a running server has these routes: the pages then sign users in through them.
    ui.serve_sessions(SESSION_PATH, SIGN_OUT_PATH)
    yield None


ROUTES = [Route(SESSION_PATH, begin_session, methods=["GET"]), Route(SIGN_OUT_PATH, end_session, methods=["GET"])]
app = st.App(str(ui.APP_SCRIPT), routes=ROUTES, lifespan=lifespan)
