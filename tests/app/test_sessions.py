"""Browser sessions: a sign-in becomes a session cookie the page cannot read, through a ticket
that works once and briefly; the session outlives a reload and ends with signing out."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from http.cookies import SimpleCookie

from starlette.requests import Request
from starlette.responses import Response

from services.accounts.web_sessions import COOKIE, SESSION_HOURS, TICKET_SECONDS
from services.bootstrap import Services
from services.domain.people import Role
from services.domain.schema import Side
from services.review.intake import ImageInput, Submission
from tests.support.app import user
from tests.support.factories import intake, outcome, plate_checker, png_bytes, side_reading


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


def _document_with_card(svc: Services, picture: bytes) -> tuple[int, int]:
    """A back side waiting for review whose aligned card is `picture`; (document id, image id)."""
    service = intake(svc.database)
    document_id = service.submit(Submission(images=[ImageInput(png_bytes("card"), "back", "card.png")],
                                            source="upload", source_detail="card.png"))
    reading = side_reading(Side.BACK)
    reading.aligned_jpeg = picture
    service.record_outcome(document_id, outcome(reading), checker=plate_checker, thresholds={},
                           default_threshold=0.8)
    return document_id, svc.review.view(document_id).images[0].id


def _card(document_id: int, image_id: int, cookie: str = "") -> Response:
    from pages import _web

    path = f"{_web.CARDS_PATH}/{document_id}/{image_id}"
    request = Request({"type": "http", "method": "GET", "path": path, "query_string": b"",
                       "path_params": {"document_id": document_id, "image_id": image_id},
                       "headers": [(b"cookie", cookie.encode())] if cookie else [],
                       "scheme": "http", "server": ("127.0.0.1", 8501)})
    return asyncio.run(_web.card_picture(request))


def test_the_card_route_serves_an_aligned_card_to_a_signed_in_reviewer_only(svc: Services) -> None:
    picture = png_bytes("aligned card")
    document_id, image_id = _document_with_card(svc, picture)
    assert _card(document_id, image_id).status_code == 401
    assert _card(document_id, image_id, f"{COOKIE}=forged").status_code == 401
    token = svc.web_sessions.redeem(svc.web_sessions.ticket(user(svc, Role.REVIEWER, "rita")))
    response = _card(document_id, image_id, f"{COOKIE}={token}")
    assert response.status_code == 200 and response.body == picture
    assert response.media_type == "image/png"
    # Personal data: never in a shared cache, never sniffed into another type.
    assert response.headers["cache-control"].startswith("private")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert _card(document_id, image_id + 99, f"{COOKIE}={token}").status_code == 404
    assert _card(document_id + 99, image_id, f"{COOKIE}={token}").status_code == 404


def test_the_card_route_serves_only_pictures(svc: Services) -> None:
    document_id, image_id = _document_with_card(svc, b"<script>alert(1)</script>")
    token = svc.web_sessions.redeem(svc.web_sessions.ticket(user(svc, Role.REVIEWER, "rita")))
    assert _card(document_id, image_id, f"{COOKIE}={token}").status_code == 404


def test_pages_put_the_picture_into_the_page_without_the_servers_routes() -> None:
    from pages import _ui

    # Under plain `streamlit run` (and in AppTest) there is no card route to point at.
    assert _ui.card_url(1, 2, "ab" * 20) is None
