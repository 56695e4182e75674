"""Figures for team leads: throughput, corrections, and whether the thresholds are set well."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Mapping

from db.repositories.figures import ConfidenceBin, DayCount, FieldRate
from db.session import Database, UnitOfWork


@dataclass(frozen=True)
class Window:
    start: date
    end: date  # inclusive

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "Window":
        today = today or datetime.now(timezone.utc).date()
        return cls(today - timedelta(days=days - 1), today)

    def bounds(self) -> tuple[datetime, datetime]:
        return (datetime.combine(self.start, time(), timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time(), timezone.utc))


@dataclass(frozen=True)
class ThresholdAdvice:
    """Fields read above their threshold that reviewers still corrected often: the threshold is
    probably too low (those fields skip the highlight but are wrong)."""

    name: str
    threshold: float
    above_fields: int
    above_corrected: int

    @property
    def rate(self) -> float:
        return self.above_corrected / self.above_fields if self.above_fields else 0.0


class FiguresService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def documents_per_day(self, window: Window) -> list[DayCount]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.figures.documents_per_day(*window.bounds())

    def reviewer_throughput(self, window: Window) -> list[DayCount]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.figures.reviewer_throughput(*window.bounds())

    def correction_rates(self, window: Window) -> list[FieldRate]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.figures.correction_rates(*window.bounds())

    def confidence_bins(self, window: Window, *, per_field: bool = False) -> list[ConfidenceBin]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.figures.confidence_bins(*window.bounds(), per_field=per_field)

    def threshold_advice(self, window: Window, thresholds: Mapping[str, float], default: float,
                         *, min_fields: int = 20, max_rate: float = 0.05) -> list[ThresholdAdvice]:
        """Fields whose values above the threshold were corrected more often than `max_rate`."""
        per_field = self.confidence_bins(window, per_field=True)
        totals: dict[str, list[int]] = {}
        for b in per_field:
            threshold = thresholds.get(b.name or "", default)
            if b.lower + 1e-9 >= threshold:
                total = totals.setdefault(b.name or "", [0, 0])
                total[0] += b.fields
                total[1] += b.corrected
        advice = [
            ThresholdAdvice(name, thresholds.get(name, default), n, c)
            for name, (n, c) in sorted(totals.items())
            if n >= min_fields and c / n > max_rate
        ]
        return sorted(advice, key=lambda a: -a.rate)

    def users(self) -> list[tuple[int, str]]:
        """(id, name) of every user, for the reviewer filters of the export and the figures."""
        with UnitOfWork(self.database, write=False) as uow:
            return uow.figures.user_names()
