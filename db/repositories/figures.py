"""Aggregates for the lead's figures page, computed in the database (never by loading rows).

Days are UTC days. Every query takes a time window so that it reads an index range rather than
the whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import Date, Integer, case, cast, func, select
from sqlalchemy.orm import Session

from db.models import Document, FieldValue, User
from services.domain.records import DocumentStatus, FieldStatus

REVIEWED = (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value)


def _day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        # Stored as ISO text: its first ten characters are the UTC day.
        return func.substr(column, 1, 10)
    return cast(func.timezone("UTC", column), Date)


def _bin_index(session: Session, column: Any, steps: int) -> Any:
    """floor(value * steps), with 1.0 put in the top bin (both databases, same answer)."""
    scaled = column * steps
    if session.get_bind().dialect.name == "sqlite":
        # CAST to INTEGER truncates toward zero in SQLite; min() of two values is scalar there.
        return func.min(cast(scaled, Integer), steps - 1)
    return func.least(cast(func.floor(scaled), Integer), steps - 1)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class DayCount:
    day: date
    key: str
    count: int


@dataclass(frozen=True)
class FieldRate:
    name: str
    reviewed: int
    corrected: int

    @property
    def rate(self) -> float:
        return self.corrected / self.reviewed if self.reviewed else 0.0


@dataclass(frozen=True)
class ConfidenceBin:
    lower: float  # bin [lower, lower + width)
    name: Optional[str]
    fields: int
    corrected: int

    @property
    def rate(self) -> float:
        return self.corrected / self.fields if self.fields else 0.0


class FiguresRepository:
    """Aggregates for the lead's figures page, computed in the database (never by loading rows)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def documents_per_day(self, start: datetime, end: datetime) -> list[DayCount]:
        day = _day(self.session, Document.created_at)
        rows = self.session.execute(
            select(day, Document.status, func.count())
            .where(Document.created_at >= start, Document.created_at < end)
            .group_by(day, Document.status)
            .order_by(day)
        )
        return [DayCount(_as_date(d), status, int(n)) for d, status, n in rows]

    def reviewer_throughput(self, start: datetime, end: datetime) -> list[DayCount]:
        """Documents approved or rejected per reviewer per day (key: the reviewer's name)."""
        day = _day(self.session, Document.reviewed_at)
        rows = self.session.execute(
            select(day, User.username, func.count())
            .join(User, User.id == Document.reviewed_by)
            .where(Document.reviewed_at >= start, Document.reviewed_at < end, Document.status.in_(REVIEWED))
            .group_by(day, User.username)
            .order_by(day)
        )
        return [DayCount(_as_date(d), name, int(n)) for d, name, n in rows]

    def correction_rates(self, start: datetime, end: datetime) -> list[FieldRate]:
        """How often reviewers changed the engine's value, per field, over approved documents."""
        corrected = func.sum(case((FieldValue.status == FieldStatus.CORRECTED.value, 1), else_=0))
        rows = self.session.execute(
            select(FieldValue.name, func.count(), corrected)
            .join(Document, Document.id == FieldValue.document_id)
            .where(Document.status == DocumentStatus.APPROVED.value,
                   Document.reviewed_at >= start, Document.reviewed_at < end,
                   FieldValue.confidence.is_not(None))
            .group_by(FieldValue.name)
            .order_by(FieldValue.name)
        )
        return [FieldRate(name, int(n), int(c or 0)) for name, n, c in rows]

    def confidence_bins(self, start: datetime, end: datetime, *, width: float = 0.05,
                        per_field: bool = False) -> list[ConfidenceBin]:
        """Correction rate by engine confidence: if thresholds are set well, fields above their
        threshold are rarely corrected and those below often are."""
        steps = int(round(1 / width))
        bucket = _bin_index(self.session, FieldValue.confidence, steps)
        corrected = func.sum(case((FieldValue.status == FieldStatus.CORRECTED.value, 1), else_=0))
        columns = [bucket, FieldValue.name] if per_field else [bucket]
        rows = self.session.execute(
            select(*columns, func.count(), corrected)
            .join(Document, Document.id == FieldValue.document_id)
            .where(Document.status == DocumentStatus.APPROVED.value,
                   Document.reviewed_at >= start, Document.reviewed_at < end,
                   FieldValue.confidence.is_not(None))
            .group_by(*columns)
            .order_by(*columns)
        )
        out: list[ConfidenceBin] = []
        for row in rows:
            lower = max(0, int(row[0])) / steps
            if per_field:
                out.append(ConfidenceBin(round(lower, 4), row[1], int(row[2]), int(row[3] or 0)))
            else:
                out.append(ConfidenceBin(round(lower, 4), None, int(row[1]), int(row[2] or 0)))
        return out

    def user_names(self) -> list[tuple[int, str]]:
        """(id, user name) of every user, for reviewer filters."""
        return [(int(i), str(n)) for i, n in self.session.execute(select(User.id, User.username).order_by(User.username))]
