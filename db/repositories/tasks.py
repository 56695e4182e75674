"""Extraction tasks: noting that an extraction started, and finding those whose worker was lost
or that no worker ever picked up.

A task's start is an `extraction_started` entry in the audit log, so a worker on any machine
leaves a trace in the one place every process shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditEntry, Document
from services.domain.records import DocumentStatus

STARTED = "extraction_started"


@dataclass(frozen=True)
class StartedExtraction:
    document_id: int
    attempts: int
    last_start: datetime


class TaskRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def mark_started(self, document_id: int, *, actor: str, backend: str) -> None:
        self.session.add(AuditEntry(actor=actor[:64], action=STARTED, document_id=document_id, detail=backend))

    def stalled(self, started_before: datetime, limit: int = 500) -> list[StartedExtraction]:
        """Documents still extracting whose last start is older than `started_before`."""
        last_start = func.max(AuditEntry.at)
        rows = self.session.execute(
            select(AuditEntry.document_id, func.count(), last_start)
            .join(Document, Document.id == AuditEntry.document_id)
            .where(Document.status == DocumentStatus.EXTRACTING.value, AuditEntry.action == STARTED)
            .group_by(AuditEntry.document_id)
            .having(last_start < started_before)
            .order_by(AuditEntry.document_id)
            .limit(limit)
        )
        return [StartedExtraction(row[0], int(row[1]), _aware(row[2])) for row in rows]

    def never_started(self, created_before: datetime, limit: int = 500) -> list[int]:
        """Documents still extracting that no worker ever picked up (their task was lost before it
        ran, e.g. the app stopped between storing the upload and queueing it)."""
        started = select(AuditEntry.document_id).where(AuditEntry.action == STARTED,
                                                       AuditEntry.document_id == Document.id)
        return list(self.session.scalars(
            select(Document.id)
            .where(Document.status == DocumentStatus.EXTRACTING.value, Document.created_at < created_before,
                   ~started.exists())
            .order_by(Document.id)
            .limit(limit)
        ))


def _aware(value: datetime | str) -> datetime:
    # func.max() bypasses the column type on SQLite, which hands back a naive UTC value or text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
