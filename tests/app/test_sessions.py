"""Browser sessions: a sign-in becomes a session cookie the page cannot read, through a ticket
that works once and briefly; the session outlives a reload and ends with signing out."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

from starlette.requests import Request

from services.accounts.web_sessions import COOKIE, SESSION_HOURS, TICKET_SECONDS
from services.bootstrap import Services
from services.domain.people import Role
from tests.support.app import user


def test_a_ticket_turns_into_a_session_once(svc: Services) -> None:
    rita = user(svc, Role.REVIEWER, "rita")
    ticket = svc.web_sessions.ticket(rita)
    token = svc.web_sessions.redeem(ticket)
    assert token and token != ticket
    assert svc.web_sessions.principal(token) == rita
    assert svc.web_sessions.redeem(ticket) is None  # used up


def test_a_ticket_expires_within_a_minute_and_a_session_within_hours(svc: Services) -> None:
    rita = user(svc, Role.REVIEWER, "rita")
    late = datetime.now(timezone.utc) + timedelta(seconds=TICKET_SECONDS + 1)
    assert svc.web_sessions.redeem(svc.web_sessions.ticket(rita), now=late) is None
    token = svc.web_sessions.redeem(svc.web_sessions.ticket(rita))
    much_later = datetime.now(timezone.utc) + timedelta(hours=SESSION_HOURS, minutes=1)
    assert svc.web_sessions.principal(token, now=much_later) is None


def test_signing_out_and_deactivation_end_a_session(svc: Services) -> None:
    admin = user(svc, Role.ADMIN, "ada")
    rita = user(svc, Role.REVIEWER, "rita")
    first = svc.web_sessions.redeem(svc.web_sessions.ticket(rita))
    second = svc.web_sessions.redeem(svc.web_sessions.ticket(rita))
    svc.web_sessions.end(first)
    assert svc.web_sessions.principal(first) is None
    svc.users.update("rita", by=admin, active=False)
    assert svc.web_sessions.principal(second) is None
    assert svc.web_sessions.principal("not a token") is None


def _request(path: str, query: str = "", cookie: str = "") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(),
                    "headers": headers, "scheme": "http", "server": ("127.0.0.1", 8501)})


def test_the_session_route_sets_an_http_only_strict_cookie_and_the_sign_out_route_removes_it(svc: Services) -> None:
    from pages import _web

    rita = user(svc, Role.REVIEWER, "rita")
    ticket = svc.web_sessions.ticket(rita)
    response = asyncio.run(_web.begin_session(_request(_web.SESSION_PATH, f"ticket={ticket}")))
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = SimpleCookie(response.headers["set-cookie"])[COOKIE]
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == SESSION_HOURS * 3600
    token = cookie.value
    assert svc.web_sessions.principal(token) == rita
    # The same ticket again sets nothing.
    again = asyncio.run(_web.begin_session(_request(_web.SESSION_PATH, f"ticket={ticket}")))
    assert "set-cookie" not in again.headers
    out = asyncio.run(_web.end_session(_request(_web.SIGN_OUT_PATH, cookie=f"{COOKIE}={token}")))
    assert out.status_code == 303
    assert 'Max-Age=0' in out.headers["set-cookie"] or "expires=" in out.headers["set-cookie"].lower()
    assert svc.web_sessions.principal(token) is None
