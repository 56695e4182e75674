"""Signed-in browsers and the tickets that sign them in."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import WebSession


class WebSessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, token_hash: str, kind: str, user_id: int, now: datetime, expires_at: datetime) -> None:
        self.session.add(WebSession(token_hash=token_hash, kind=kind, user_id=user_id, created_at=now,
                                    expires_at=expires_at))

    def live(self, token_hash: str, kind: str, now: datetime) -> Optional[WebSession]:
        return self.session.scalar(
            select(WebSession).where(WebSession.token_hash == token_hash, WebSession.kind == kind,
                                     WebSession.ended_at.is_(None), WebSession.expires_at > now)
        )

    def end(self, token_hash: str, now: datetime) -> bool:
        """End one session or ticket; False when it was not live (a ticket used twice, say)."""
        result = self.session.execute(
            update(WebSession).where(WebSession.token_hash == token_hash, WebSession.ended_at.is_(None))
            .values(ended_at=now).execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def end_all_of(self, user_id: int, now: datetime) -> None:
        self.session.execute(
            update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .values(ended_at=now).execution_options(synchronize_session=False)
        )
