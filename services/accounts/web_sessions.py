"""Browser sessions of the review app: a reload or a bookmarked page keeps a user signed in.

A sign-in (a checked password) gets a ticket: random, single use, valid for a minute. The browser
takes it to the app's own route, which redeems it for a session token and sets it as a cookie
the page's scripts cannot read (HttpOnly, SameSite=Strict, Secure over HTTPS), valid for
SESSION_HOURS. Only SHA-256 hashes of tickets and tokens are stored. Signing out ends the session
in the database, whatever happens to the cookie; deactivating a user ends theirs too (the app
re-reads the user on every page).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Optional

from db.session import Database, UnitOfWork
from services.domain.people import Principal, Role

TICKET_SECONDS = 60
SESSION_HOURS = 12
COOKIE = "vr_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class WebSessionService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def ticket(self, principal: Principal, *, now: Optional[datetime] = None) -> str:
        """A single-use ticket for this signed-in user, to be redeemed within TICKET_SECONDS."""
        now = now or datetime.now(timezone.utc)
        ticket = secrets.token_urlsafe(32)
        with UnitOfWork(self.database) as uow:
            uow.web_sessions.add(_hash(ticket), "ticket", principal.id, now, now + timedelta(seconds=TICKET_SECONDS))
            uow.commit()
        return ticket

    def redeem(self, ticket: str, *, now: Optional[datetime] = None) -> Optional[str]:
        """A session token for a live ticket (which is used up), or None."""
        now = now or datetime.now(timezone.utc)
        if not ticket or len(ticket) > 128:
            return None
        with UnitOfWork(self.database) as uow:
            found = uow.web_sessions.live(_hash(ticket), "ticket", now)
            if found is None or not uow.web_sessions.end(found.token_hash, now):
                return None
            user = uow.users.get(found.user_id)
            if user is None or not user.active:
                uow.commit()
                return None
            token = secrets.token_urlsafe(32)
            uow.web_sessions.add(_hash(token), "session", user.id, now, now + timedelta(hours=SESSION_HOURS))
            uow.audit.record(actor=user.username, user_id=user.id, action="session_started")
            uow.commit()
            return token

    def principal(self, token: str, *, now: Optional[datetime] = None) -> Optional[Principal]:
        """Who a live session token belongs to (an active user), or None."""
        now = now or datetime.now(timezone.utc)
        if not token or len(token) > 128:
            return None
        with UnitOfWork(self.database, write=False) as uow:
            found = uow.web_sessions.live(_hash(token), "session", now)
            user = uow.users.get(found.user_id) if found is not None else None
            if user is None or not user.active:
                return None
            return Principal(id=user.id, username=user.username, role=Role(user.role), language=user.language)

    def end(self, token: str, *, now: Optional[datetime] = None) -> None:
        now = now or datetime.now(timezone.utc)
        if not token:
            return
        with UnitOfWork(self.database) as uow:
            uow.web_sessions.end(_hash(token), now)
            uow.commit()
