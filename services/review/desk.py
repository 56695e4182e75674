"""What the review screen needs beyond `ReviewService`: a reviewer's unsaved edits (a draft),
what another reviewer changed underneath, and saving that survives a database outage.

A draft lives in the UI session, not in the database: it is exactly what must not be lost when a
save is refused (stale version) or fails (database away). The screen keeps it until a save
succeeds, shows it pre-filled, and tries again on the reviewer's next action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Mapping, Optional

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from services.domain.canonical import clean_text
from services.domain.people import Principal
from services.review.workflow import (
    ChecksFailing,
    DocumentView,
    FieldKey,
    InvalidState,
    NotAllowed,
    NotFound,
    ReviewError,
    ReviewService,
    StaleDocument,
)

# Errors that mean "the database cannot be reached right now", not "the request is wrong".
DATABASE_DOWN = (OperationalError, DisconnectionError, PoolTimeout, DBAPIError, ConnectionError)


@dataclass(frozen=True)
class Change:
    side: str
    name: str
    before: str
    after: str


@dataclass
class Draft:
    """A reviewer's edits to one document, relative to the version they loaded."""

    document_id: int
    base_version: int
    edits: dict[FieldKey, str] = field(default_factory=dict)
    # Set when the database failed during a save or approval; the next action tries again.
    pending: Optional[Literal["save", "approve"]] = None
    override_reason: str = ""


def edits_against(view: DocumentView, inputs: Mapping[FieldKey, str]) -> dict[FieldKey, str]:
    """The inputs that differ from the document's current values (derived fields excluded:
    they follow from the field they come from)."""
    edits: dict[FieldKey, str] = {}
    for key, raw in inputs.items():
        f = view.field(*key)
        if f is None or f.derived:
            continue
        if clean_text(raw) != f.current:
            edits[key] = raw
    return edits


def other_changes(base: DocumentView, current: DocumentView) -> list[Change]:
    """Field values that changed between the version a reviewer loaded and the current one."""
    changes: list[Change] = []
    for f in current.fields:
        before = base.field(f.side, f.name)
        if before is not None and before.current != f.current:
            changes.append(Change(f.side, f.name, before.current, f.current))
    return changes


@dataclass(frozen=True)
class Outcome:
    kind: Literal["saved", "approved", "rejected", "stale", "checks", "database", "refused"]
    version: Optional[int] = None
    current: Optional[DocumentView] = None  # for "stale"
    failing: tuple[str, ...] = ()  # "side.name: reason", for "checks"
    fields: tuple[tuple[str, str, str], ...] = ()  # (side, name, reason) of each failing field, for "checks"
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("saved", "approved", "rejected")


class ReviewDesk:
    """Save, approve and reject through the version check, turning every failure into an
    `Outcome` the screen can show; the draft is cleared only by a success."""

    def __init__(self, review: ReviewService) -> None:
        self.review = review

    def save(self, user: Principal, draft: Draft) -> Outcome:
        return self._write(user, draft, "save")

    def approve(self, user: Principal, draft: Draft, override_reason: str = "") -> Outcome:
        draft.override_reason = override_reason
        return self._write(user, draft, "approve")

    def retry_pending(self, user: Principal, draft: Draft) -> Optional[Outcome]:
        """Try again what the database refused last time; None if nothing waits."""
        if draft.pending is None:
            return None
        return self._write(user, draft, draft.pending)

    def reject(self, user: Principal, draft: Draft, reason: str) -> Outcome:
        try:
            version = self.review.reject(user, draft.document_id, draft.base_version, reason)
        except StaleDocument as exc:
            return Outcome("stale", current=exc.current)
        except DATABASE_DOWN as exc:
            return Outcome("database", message=type(exc).__name__)
        except (ReviewError, NotAllowed, InvalidState, NotFound) as exc:
            return Outcome("refused", message=str(exc))
        draft.edits.clear()
        return Outcome("rejected", version=version)

    def _write(self, user: Principal, draft: Draft, action: Literal["save", "approve"]) -> Outcome:
        changes = dict(draft.edits)
        try:
            if action == "approve":
                version = self.review.approve(user, draft.document_id, draft.base_version, changes,
                                              override_reason=draft.override_reason)
            else:
                version = self.review.save(user, draft.document_id, draft.base_version, changes)
        except StaleDocument as exc:
            # Nothing was written; the edits stay in the draft to be re-applied on top.
            draft.pending = None
            return Outcome("stale", current=exc.current)
        except ChecksFailing as exc:
            draft.pending = None
            return Outcome("checks", failing=tuple(f"{f.side}.{f.name}: {f.check_reason}" for f in exc.fields),
                           fields=tuple((f.side, f.name, f.check_reason) for f in exc.fields))
        except DATABASE_DOWN as exc:
            draft.pending = action
            return Outcome("database", message=type(exc).__name__)
        except (ReviewError, NotAllowed, InvalidState, NotFound) as exc:
            draft.pending = None
            return Outcome("refused", message=str(exc))
        draft.pending = None
        draft.edits.clear()
        draft.base_version = version
        return Outcome("approved" if action == "approve" else "saved", version=version)

    @staticmethod
    def rebase(draft: Draft, current: DocumentView) -> list[FieldKey]:
        """Put the draft on top of the current version: keep the reviewer's edits that still
        differ from it; returns those fields."""
        draft.base_version = current.version
        kept = edits_against(current, draft.edits)
        draft.edits = kept
        return sorted(kept)
