"""The review app as a web server: Streamlit's app (app.py) with the app's own session routes.

`make run` serves this with uvicorn (`uvicorn pages._web:app`). Three routes besides Streamlit's:
- `GET /auth/session?ticket=T`: redeems a sign-in's single-use ticket for a session cookie
  (HttpOnly, SameSite=Strict, Secure over HTTPS) and goes to the app;
- `GET /auth/signout`: ends the cookie's session and removes the cookie;
- `GET /review/cards/{document}/{image}`: an aligned card picture, for a signed-in user (the
  session cookie) only. The review screen shows the card and its fields' crops from it, so that
  a page run sends a short address instead of the picture itself (about 0.4 MB a side, every run).
The first two answer with a redirect and never show a token.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager
from typing import AsyncIterator

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from pages import _ui as ui
from services.accounts.web_sessions import COOKIE, SESSION_HOURS
from services.domain.people import Role
from services.review.desk import DATABASE_DOWN

SESSION_PATH = "/auth/session"
SIGN_OUT_PATH = "/auth/signout"
CARDS_PATH = "/review/cards"
# By their first bytes: only pictures are served, and never sniffed into something else.
PICTURE_TYPES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def begin_session(request: Request) -> RedirectResponse:
    response = RedirectResponse("/", status_code=303)
    token = await run_in_threadpool(ui.services().web_sessions.redeem, request.query_params.get("ticket", ""))
    if token:
        response.set_cookie(COOKIE, token, max_age=SESSION_HOURS * 3600, path="/", httponly=True, samesite="strict",
                            secure=_secure(request))
    return response


async def end_session(request: Request) -> RedirectResponse:
    await run_in_threadpool(ui.services().web_sessions.end, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def _card(token: str, document_id: int, image_id: int) -> Response:
    svc = ui.services()
    try:
        principal = svc.web_sessions.principal(token)
        if principal is None or not ui.may_see(principal, Role.REVIEWER):
            return Response("sign in first", status_code=401, media_type="text/plain")
        data = svc.review.image_bytes(document_id, image_id, aligned=True)
    except DATABASE_DOWN:
        return Response("the database is not reachable", status_code=503, media_type="text/plain")
    media_type = next((kind for magic, kind in PICTURE_TYPES if data and data.startswith(magic)), None)
    if media_type is None:
        return Response("no such card", status_code=404, media_type="text/plain")
    # The address carries the picture's digest (pages/review.py), so a cached copy is never stale;
    # private: personal data stays out of shared caches.
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})


async def card_picture(request: Request) -> Response:
    return await run_in_threadpool(_card, request.cookies.get(COOKIE, ""), request.path_params["document_id"],
                                   request.path_params["image_id"])


@asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    # Only a running server has these routes: the pages then sign users in through them.
    ui.serve_sessions(SESSION_PATH, SIGN_OUT_PATH, CARDS_PATH)
    # What the server has loaded by now (Streamlit, SQLAlchemy, pandas ...) stays for its life:
    # kept out of the collector's full passes, which otherwise walk it during page runs.
    gc.freeze()
    yield None


ROUTES = [Route(SESSION_PATH, begin_session, methods=["GET"]), Route(SIGN_OUT_PATH, end_session, methods=["GET"]),
          Route(CARDS_PATH + "/{document_id:int}/{image_id:int}", card_picture, methods=["GET"])]
app = st.App(str(ui.APP_SCRIPT), routes=ROUTES, lifespan=lifespan)
