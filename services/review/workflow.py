"""The review workflow: queue, claims, corrections with optimistic locking, approve and reject.

Every operation is one unit of work. A save carries the document version the reviewer loaded;
if someone else saved in between, nothing is written and `StaleDocument` carries the current
state so the reviewer can see the other change and re-apply their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping, Optional, Sequence

from db.models import Document, FieldValue
from db.session import Database, UnitOfWork
from services.domain.canonical import clean_text
from services.domain.checks import check_record
from services.domain.derive import derived_fields
from services.domain.kinds import REVIEW_KINDS, applies
from services.domain.people import Principal, Role
from services.domain.records import DocumentFilter, DocumentStatus, FieldStatus
from services.domain.schema import SPECS_BY_NAME
from services.review.intake import Checker, record_keys, review_summary

# (side, field name, new value) -> derived fields to set on that side, e.g. the address codes.
Deriver = Callable[[str, str, str], dict[str, str]]
FieldKey = tuple[str, str]  # (side, name)

MAX_VALUE_LENGTH = 500
FLAG_FAILED = "failed_check"
FLAG_LOW = "low_confidence"
FLAG_OK = "ok"
FLAG_NOT_APPLICABLE = "not_applicable"  # the card's kind does not carry the field


class ReviewError(Exception):
    pass


class NotFound(ReviewError):
    pass


class NotAllowed(ReviewError):
    pass


class InvalidState(ReviewError):
    pass


@dataclass(frozen=True)
class FieldView:
    id: int
    side: str
    name: str
    value: str  # as extracted
    corrected_value: Optional[str]
    confidence: Optional[float]
    box: Optional[tuple[int, int, int, int]]
    check_ok: bool
    check_reason: str
    note: str
    status: str
    threshold: float
    derived: bool
    applies: bool = True

    @property
    def current(self) -> str:
        return self.value if self.corrected_value is None else self.corrected_value

    @property
    def needs_look(self) -> bool:
        return self.flag in (FLAG_FAILED, FLAG_LOW)

    @property
    def flag(self) -> str:
        if not self.applies:
            return FLAG_NOT_APPLICABLE
        if not self.check_ok:
            return FLAG_FAILED
        if (self.corrected_value is None and self.confidence is not None
                and self.confidence < self.threshold and self.status == FieldStatus.EXTRACTED.value):
            return FLAG_LOW
        return FLAG_OK


@dataclass(frozen=True)
class ImageView:
    id: int
    side: str
    detected_side: Optional[str]
    filename: str
    content_type: str
    size: int
    has_aligned: bool


@dataclass(frozen=True)
class DocumentView:
    id: int
    status: str
    kind: str
    version: int
    source: str
    source_detail: str
    created_at: datetime
    claimed_by: Optional[str]
    claimed_at: Optional[datetime]
    reviewed_by: Optional[str]
    reviewed_at: Optional[datetime]
    review_reasons: list[str]
    decision_note: str
    error: str
    fields: list[FieldView]
    images: list[ImageView]
    # Other documents of the same certificate: (id, what matched: "image", "plate", "chassis").
    duplicates: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)

    def field(self, side: str, name: str) -> Optional[FieldView]:
        return next((f for f in self.fields if f.side == side and f.name == name), None)

    @property
    def failing(self) -> list[FieldView]:
        return [f for f in self.fields if not f.check_ok]

    @property
    def flagged(self) -> list[FieldView]:
        return [f for f in self.fields if f.needs_look]


@dataclass(frozen=True)
class QueueRow:
    id: int
    status: str
    kind: str
    min_confidence: Optional[float]
    reasons: list[str]
    created_at: datetime
    province_code: Optional[str]
    claimed_by: Optional[str]
    source_detail: str
    version: int
    look_count: int = 0
    file_names: tuple[str, ...] = ()
    thumbnail_image: Optional[int] = None  # an image with an aligned card, for a small picture


@dataclass(frozen=True)
class AuditView:
    at: datetime
    actor: str
    action: str
    field: Optional[str]
    old_value: Optional[str]
    new_value: Optional[str]
    detail: str


class StaleDocument(ReviewError):
    """The document changed since the reviewer loaded it; nothing was written."""

    def __init__(self, current: DocumentView) -> None:
        super().__init__(f"document {current.id} changed (now version {current.version})")
        self.current = current


class ChecksFailing(ReviewError):
    def __init__(self, fields: Sequence[FieldView]) -> None:
        names = ", ".join(f"{f.side}.{f.name}: {f.check_reason}" for f in fields)
        super().__init__(f"checks fail: {names}")
        self.fields = list(fields)


class ReviewService:
    def __init__(
        self,
        database: Database,
        *,
        claim_ttl: timedelta = timedelta(minutes=30),
        default_threshold: float = 0.8,
        checker: Optional[Checker] = None,
        deriver: Optional[Deriver] = None,
    ) -> None:
        self.database = database
        self.claim_ttl = claim_ttl
        self.default_threshold = default_threshold
        self.checker = checker or check_record
        self.deriver = deriver or derived_fields

    # --- reading ------------------------------------------------------------------------------
    def thresholds(self) -> dict[str, float]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.settings.thresholds()

    def queue(self, flt: DocumentFilter, *, limit: int = 50, offset: int = 0) -> list[QueueRow]:
        with UnitOfWork(self.database, write=False) as uow:
            documents = uow.documents.list_documents(flt, limit=limit, offset=offset)
            names = uow.users.names(d.claimed_by for d in documents if d.claimed_by)
            images = uow.documents.image_summaries([d.id for d in documents])
            return [
                QueueRow(
                    id=d.id, status=d.status, kind=d.kind, min_confidence=d.min_confidence,
                    reasons=list(d.review_reasons or []), created_at=d.created_at,
                    province_code=d.province_code, claimed_by=names.get(d.claimed_by) if d.claimed_by else None,
                    source_detail=d.source_detail, version=d.version, look_count=d.look_count or 0,
                    file_names=tuple(name for _id, name, _aligned in images.get(d.id, []) if name),
                    thumbnail_image=next((i for i, _n, aligned in images.get(d.id, []) if aligned), None),
                )
                for d in documents
            ]

    def count(self, flt: DocumentFilter) -> int:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.count_documents(flt)

    def view(self, document_id: int) -> DocumentView:
        with UnitOfWork(self.database, write=False) as uow:
            return self._view(uow, document_id)

    def image_bytes(self, document_id: int, image_id: int, *, aligned: bool) -> Optional[bytes]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.image_bytes(document_id, image_id, aligned=aligned)

    def history(self, document_id: int) -> list[AuditView]:
        with UnitOfWork(self.database, write=False) as uow:
            return [
                AuditView(e.at, e.actor, e.action, e.field, e.old_value, e.new_value, e.detail)
                for e in uow.audit.for_document(document_id)
            ]

    # --- claims -------------------------------------------------------------------------------
    def claim_next(self, user: Principal, flt: DocumentFilter = DocumentFilter(), *,
                   now: Optional[datetime] = None) -> Optional[int]:
        """Give the reviewer the next document, or the one they already hold.

        Two reviewers asking at once never get the same document: the claim is a conditional
        UPDATE (and on PostgreSQL the candidate rows are locked with SKIP LOCKED, so concurrent
        claimers pick different rows instead of queueing on one).
        """
        now = now or datetime.now(timezone.utc)
        with UnitOfWork(self.database) as uow:
            held = uow.documents.claimed_by_user(user.id, now, self.claim_ttl)
            if held is not None:
                return held
            # What this reviewer skipped comes back to them only once nothing else waits, the
            # longest skipped first.
            skipped = uow.documents.skipped_by(user.id)
            for passed_over in (skipped, []):
                tried: list[int] = []
                for _attempt in range(10):
                    candidates = uow.documents.next_claim_candidates(
                        now, self.claim_ttl, flt, skip_locked=self.database.is_postgres,
                        limit=1 if self.database.is_postgres else 5, exclude_ids=tried + passed_over,
                    )
                    if not candidates:
                        break
                    if not passed_over and skipped:
                        candidates.sort(key=lambda d: skipped.index(d) if d in skipped else -1)
                    for document_id in candidates:
                        tried.append(document_id)
                        if uow.documents.try_claim(document_id, user.id, now, self.claim_ttl):
                            uow.audit.record(actor=user.username, user_id=user.id, action="claimed",
                                             document_id=document_id)
                            uow.commit()
                            return document_id
            return None

    def remaining(self, flt: DocumentFilter = DocumentFilter(), *, now: Optional[datetime] = None) -> int:
        """Documents waiting for a reviewer (not counting those being reviewed now)."""
        now = now or datetime.now(timezone.utc)
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.count_claimable(now, self.claim_ttl, flt)

    def claim(self, user: Principal, document_id: int, *, now: Optional[datetime] = None) -> bool:
        """Claim a chosen document (from the queue list); False if someone else holds it."""
        now = now or datetime.now(timezone.utc)
        with UnitOfWork(self.database) as uow:
            document = uow.documents.get(document_id)
            if document is None:
                raise NotFound(document_id)
            if (document.status == DocumentStatus.IN_REVIEW.value and document.claimed_by == user.id
                    and document.claimed_at and document.claimed_at >= now - self.claim_ttl):
                return True
            if not uow.documents.try_claim(document_id, user.id, now, self.claim_ttl):
                return False
            uow.audit.record(actor=user.username, user_id=user.id, action="claimed", document_id=document_id)
            uow.commit()
            return True

    def release(self, user: Principal, document_id: int, *, action: str = "released") -> bool:
        """Give a claimed document back to the queue (skip)."""
        with UnitOfWork(self.database) as uow:
            document = uow.documents.get(document_id)
            if document is None:
                raise NotFound(document_id)
            if document.status != DocumentStatus.IN_REVIEW.value:
                return False
            if document.claimed_by != user.id and not user.is_lead:
                raise NotAllowed("only the reviewer holding the document, or a lead, can release it")
            moved = uow.documents.bump_version(
                document_id, document.version, status=DocumentStatus.NEEDS_REVIEW.value,
                claimed_by=None, claimed_at=None,
            )
            if moved:
                if action == "skipped":
                    uow.documents.record_skip(document_id, user.id, datetime.now(timezone.utc))
                uow.audit.record(actor=user.username, user_id=user.id, action=action, document_id=document_id)
                uow.commit()
            return moved

    def set_kind(self, user: Principal, document_id: int, expected_version: int, kind: str) -> int:
        """The reviewer says what the certificate registers (a car is a truck, a "car" a
        motorbike); the fields are checked again for that kind."""
        if kind not in {k.value for k in REVIEW_KINDS}:
            raise ReviewError(f"unknown kind {kind!r}")
        with UnitOfWork(self.database) as uow:
            document = self._writable(uow, user, document_id)
            self._lock_version(uow, document, expected_version)
            if document.kind != kind:
                uow.audit.record(actor=user.username, user_id=user.id, action="kind", document_id=document_id,
                                 old_value=document.kind, new_value=kind)
                document.kind = kind
                self._recheck(uow, document, list(uow.documents.fields(document.id)))
            uow.commit()
            return expected_version + 1

    # --- writing ------------------------------------------------------------------------------
    def save(self, user: Principal, document_id: int, expected_version: int,
             changes: Mapping[FieldKey, str]) -> int:
        """Store corrections; returns the new version. Raises `StaleDocument` on a version clash."""
        with UnitOfWork(self.database) as uow:
            document = self._writable(uow, user, document_id)
            self._lock_version(uow, document, expected_version)
            self._apply(uow, user, document, changes)
            uow.commit()
            return expected_version + 1

    def approve(self, user: Principal, document_id: int, expected_version: int,
                changes: Mapping[FieldKey, str] = {}, *, override_reason: str = "") -> int:
        """Approve (with any last corrections). Refused while a record rule fails (a format, the
        sides disagreeing), unless the reviewer overrides with a reason. The engine's own doubt
        about a value it read (a label it could not find) is a reason to look, not a rule: the
        approval confirms the value the reviewer saw."""
        override_reason = override_reason.strip()
        with UnitOfWork(self.database) as uow:
            document = self._writable(uow, user, document_id)
            self._lock_version(uow, document, expected_version)
            fields, broken = self._apply(uow, user, document, changes)
            failing = [f for f in fields if not f.check_ok and (f.side, f.name) in broken]
            if failing and not override_reason:
                thresholds = uow.settings.thresholds()
                raise ChecksFailing([self._field_view(f, thresholds, document.kind) for f in failing])
            now = datetime.now(timezone.utc)
            for f in fields:
                if not f.check_ok and (f.side, f.name) not in broken:
                    uow.audit.record(actor=user.username, user_id=user.id, action="confirmed",
                                     document_id=document_id, field=f"{f.side}.{f.name}",
                                     new_value=f.current_value, detail=f"over the engine's doubt: {f.check_reason}")
                    f.check_ok, f.check_reason, f.status = True, "", FieldStatus.CONFIRMED.value
                elif not f.check_ok:
                    f.status = FieldStatus.OVERRIDDEN.value
                    uow.audit.record(actor=user.username, user_id=user.id, action="override",
                                     document_id=document_id, field=f"{f.side}.{f.name}",
                                     new_value=f.current_value, detail=f"{f.check_reason} | {override_reason}"[:2000])
                elif f.status == FieldStatus.EXTRACTED.value:
                    f.status = FieldStatus.CONFIRMED.value
            document.status = DocumentStatus.APPROVED.value
            document.reviewed_by = user.id
            document.reviewed_at = now
            document.claimed_by = None
            document.claimed_at = None
            document.decision_note = override_reason
            uow.audit.record(actor=user.username, user_id=user.id, action="approved", document_id=document_id,
                             detail=override_reason)
            uow.commit()
            return expected_version + 1

    def reject(self, user: Principal, document_id: int, expected_version: int, reason: str) -> int:
        reason = reason.strip()
        if not reason:
            raise ReviewError("a rejection needs a reason")
        with UnitOfWork(self.database) as uow:
            document = self._writable(uow, user, document_id)
            self._lock_version(uow, document, expected_version)
            document.status = DocumentStatus.REJECTED.value
            document.reviewed_by = user.id
            document.reviewed_at = datetime.now(timezone.utc)
            document.claimed_by = None
            document.claimed_at = None
            document.decision_note = reason
            uow.audit.record(actor=user.username, user_id=user.id, action="rejected", document_id=document_id,
                             detail=reason[:2000])
            uow.commit()
            return expected_version + 1

    def reopen(self, user: Principal, document_id: int, expected_version: int) -> int:
        """A lead sends an approved or rejected document back to the queue."""
        if not user.is_lead:
            raise NotAllowed("only leads reopen documents")
        with UnitOfWork(self.database) as uow:
            document = uow.documents.get(document_id)
            if document is None:
                raise NotFound(document_id)
            if document.status not in (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value):
                raise InvalidState(f"document is {document.status}")
            self._lock_version(uow, document, expected_version)
            document.status = DocumentStatus.NEEDS_REVIEW.value
            uow.audit.record(actor=user.username, user_id=user.id, action="reopened", document_id=document_id)
            uow.commit()
            return expected_version + 1

    # --- internals ----------------------------------------------------------------------------
    def _writable(self, uow: UnitOfWork, user: Principal, document_id: int) -> Document:
        document = uow.documents.get(document_id)
        if document is None:
            raise NotFound(document_id)
        if document.status not in (DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value):
            raise InvalidState(f"document is {document.status}")
        held_by_other = (
            document.status == DocumentStatus.IN_REVIEW.value
            and document.claimed_by not in (None, user.id)
            and document.claimed_at is not None
            and document.claimed_at >= datetime.now(timezone.utc) - self.claim_ttl
        )
        if held_by_other and not user.is_lead:
            raise NotAllowed("another reviewer holds this document")
        return document

    def _lock_version(self, uow: UnitOfWork, document: Document, expected_version: int) -> None:
        if not uow.documents.bump_version(document.id, expected_version):
            document_id = document.id
            uow.session.rollback()
            raise StaleDocument(self._view(uow, document_id))
        uow.session.refresh(document)

    def _apply(self, uow: UnitOfWork, user: Principal, document: Document,
               changes: Mapping[FieldKey, str]) -> tuple[list[FieldValue], Mapping[FieldKey, str]]:
        """The changes applied and every field re-checked; returns the fields and the record
        rules' failures."""
        fields = list(uow.documents.fields(document.id))
        by_key = {(f.side, f.name): f for f in fields}
        now = datetime.now(timezone.utc)
        pending: dict[FieldKey, str] = {}
        for (side, name), raw in changes.items():
            if (side, name) not in by_key:
                raise ReviewError(f"no field {side}.{name} on document {document.id}")
            spec = SPECS_BY_NAME.get(name)
            if spec is not None and spec.derived:
                raise ReviewError(f"{name} is derived from another field; correct that one")
            value = clean_text(raw)[:MAX_VALUE_LENGTH]
            if value == by_key[(side, name)].current_value:
                continue
            pending[(side, name)] = value
            for derived_name, derived_value in self.deriver(side, name, value).items():
                if (side, derived_name) in by_key:
                    pending[(side, derived_name)] = derived_value
        for (side, name), value in pending.items():
            f = by_key[(side, name)]
            if value == f.current_value:
                continue
            uow.audit.record(actor=user.username, user_id=user.id, action="corrected", document_id=document.id,
                             field=f"{side}.{name}", old_value=f.current_value, new_value=value)
            if value == f.value:
                f.corrected_value, f.status = None, FieldStatus.EXTRACTED.value
            else:
                f.corrected_value, f.status = value, FieldStatus.CORRECTED.value
            f.corrected_by, f.corrected_at = user.id, now
        return fields, self._recheck(uow, document, fields)

    def _recheck(self, uow: UnitOfWork, document: Document, fields: list[FieldValue]) -> Mapping[FieldKey, str]:
        """The record checks on the current values. The engine's own doubt about a value it read
        (a label it could not find) stands until that value is corrected; nothing counts on a
        field the document's kind does not carry. Returns the record rules' failures."""
        values: dict[str, dict[str, str]] = {}
        for f in fields:
            values.setdefault(f.side, {})[f.name] = f.current_value
        failures = self.checker(values, document.kind)
        for f in fields:
            reason = failures.get((f.side, f.name), "")
            if not reason and f.corrected_value is None and applies(f.name, document.kind):
                reason = f.engine_reason or ""
            f.check_ok, f.check_reason = not reason, reason
        thresholds = uow.settings.thresholds()
        # Corrected fields no longer need a look for their confidence.
        pending = [f for f in fields if f.status == FieldStatus.EXTRACTED.value or not f.check_ok]
        summary = review_summary(pending, thresholds, self.default_threshold, document.kind)
        document.review_reasons = summary.reasons
        document.look_count = summary.look_count
        for key, value in record_keys(fields).items():
            setattr(document, key, value)
        return failures

    def _field_view(self, f: FieldValue, thresholds: Mapping[str, float], kind: str = "unknown") -> FieldView:
        spec = SPECS_BY_NAME.get(f.name)
        return FieldView(
            id=f.id, side=f.side, name=f.name, value=f.value, corrected_value=f.corrected_value,
            confidence=f.confidence, box=tuple(f.box) if f.box else None, check_ok=f.check_ok,
            check_reason=f.check_reason, note=f.note, status=f.status,
            threshold=thresholds.get(f.name, self.default_threshold),
            derived=bool(spec and spec.derived),
            applies=applies(f.name, kind),
        )

    def _view(self, uow: UnitOfWork, document_id: int) -> DocumentView:
        document = uow.documents.get_full(document_id)
        if document is None:
            raise NotFound(document_id)
        thresholds = uow.settings.thresholds()
        names = uow.users.names([document.claimed_by, document.reviewed_by])
        aligned = {i for i, _, has in uow.documents.image_summaries([document_id]).get(document_id, []) if has}
        return DocumentView(
            id=document.id, status=document.status, kind=document.kind, version=document.version,
            source=document.source, source_detail=document.source_detail, created_at=document.created_at,
            claimed_by=names.get(document.claimed_by) if document.claimed_by else None,
            claimed_at=document.claimed_at,
            reviewed_by=names.get(document.reviewed_by) if document.reviewed_by else None,
            reviewed_at=document.reviewed_at, review_reasons=list(document.review_reasons or []),
            decision_note=document.decision_note, error=document.error,
            fields=[self._field_view(f, thresholds, document.kind) for f in document.fields],
            images=[
                ImageView(i.id, i.side, i.detected_side, i.filename, i.content_type, i.size, i.id in aligned)
                for i in document.images
            ],
            duplicates=_grouped(uow.documents.duplicates_of(document)),
        )


def _grouped(matches: Sequence[tuple[int, str]]) -> list[tuple[int, tuple[str, ...]]]:
    """One entry per other document, with everything that matched it (one warning per cause)."""
    found: dict[int, list[str]] = {}
    for document_id, what in matches:
        if what not in found.setdefault(document_id, []):
            found[document_id].append(what)
    return [(document_id, tuple(whats)) for document_id, whats in found.items()]


class ThresholdService:
    def __init__(self, database: Database, default: float) -> None:
        self.database = database
        self.default = default

    def all(self) -> dict[str, float]:
        with UnitOfWork(self.database, write=False) as uow:
            return uow.settings.thresholds()

    def set(self, user: Principal, name: str, threshold: Optional[float]) -> None:
        if user.role not in (Role.LEAD, Role.ADMIN):
            raise NotAllowed("only leads set thresholds")
        if name not in SPECS_BY_NAME:
            raise ReviewError(f"unknown field {name}")
        with UnitOfWork(self.database) as uow:
            old = uow.settings.thresholds().get(name)
            if threshold is None:
                uow.settings.clear_threshold(name)
            else:
                if not 0.0 <= threshold <= 1.0:
                    raise ReviewError("thresholds lie between 0 and 1")
                uow.settings.set_threshold(name, threshold, user.id)
            uow.audit.record(actor=user.username, user_id=user.id, action="threshold", field=name,
                             old_value=None if old is None else str(old),
                             new_value=None if threshold is None else str(threshold))
            uow.commit()
