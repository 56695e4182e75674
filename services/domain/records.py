"""The vocabulary of stored records: where a document is in its life, what became of a field,
and the filters the queue, the export and the figures share.

Stored as plain strings (not native database enums), so that migrations read the same on SQLite
and PostgreSQL; the storage layer maps these to columns and `DocumentFilter` to SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Optional


class DocumentStatus(str, Enum):
    EXTRACTING = "extracting"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"


class FieldStatus(str, Enum):
    EXTRACTED = "extracted"  # as the engine read it, not yet looked at
    CORRECTED = "corrected"  # a reviewer changed the value
    CONFIRMED = "confirmed"  # approved as read
    OVERRIDDEN = "overridden"  # approved although a check fails, with a reason


@dataclass(frozen=True)
class DocumentFilter:
    """Filters shared by the review queue and the export; an empty filter takes everything."""

    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    province_codes: tuple[str, ...] = ()
    reviewer_ids: tuple[int, ...] = ()
    created_from: Optional[date] = None
    created_to: Optional[date] = None  # inclusive
    batch_id: Optional[int] = None
    reasons: tuple[str, ...] = ()  # why a field needs a look: "invalid", "low_confidence"
    fields: tuple[str, ...] = ()  # which fields need a look
