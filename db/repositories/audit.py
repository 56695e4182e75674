"""The append-only audit log."""

from __future__ import annotations

from typing import Optional, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditEntry


class AuditLog:
    """Append-only: this repository can add and read entries, nothing else."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        *,
        actor: str,
        action: str,
        user_id: Optional[int] = None,
        document_id: Optional[int] = None,
        field: Optional[str] = None,
        old_value: Optional[str] = None,
        new_value: Optional[str] = None,
        detail: str = "",
    ) -> None:
        self.session.add(
            AuditEntry(
                actor=actor,
                action=action,
                user_id=user_id,
                document_id=document_id,
                field=field,
                old_value=old_value,
                new_value=new_value,
                detail=detail,
            )
        )

    def for_document(self, document_id: int) -> Sequence[AuditEntry]:
        return self.session.scalars(
            select(AuditEntry).where(AuditEntry.document_id == document_id).order_by(AuditEntry.id)
        ).all()

    def recent(self, limit: int = 200) -> Sequence[AuditEntry]:
        return self.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)).all()
