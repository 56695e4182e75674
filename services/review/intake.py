"""Intake: a submission becomes a document with its images; an extraction result is stored once.

Both the app's uploads and the API server's requests come through here, so a document looks the
same wherever it came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Mapping, Optional, Sequence

from db.models import Batch, Document, Extraction, FieldValue, Image
from db.session import Database, UnitOfWork
from services.core.images import ImageMeta, inspect_image
from services.domain.canonical import canonical_plate, canonical_serial
from services.domain.kinds import applies
from services.domain.records import DocumentStatus, FieldStatus
from services.domain.results import ExtractionOutcome, SideReading
from services.domain.schema import SIDE_FIELDS, Side

# (side, field name) -> reason, for every field whose value fails a check.
Checker = Callable[[Mapping[str, Mapping[str, str]], str], dict[tuple[str, str], str]]

SIDE_ANY = "any"  # one image whose side the engine decides


@dataclass(frozen=True)
class ImageInput:
    data: bytes
    side: str = SIDE_ANY  # front, back, or any
    filename: str = ""


@dataclass(frozen=True)
class Submission:
    images: Sequence[ImageInput]
    source: str  # upload, url, batch, api
    source_detail: str = ""
    created_by: Optional[int] = None
    api_key_id: Optional[int] = None
    batch_id: Optional[int] = None
    enqueue_review: bool = True
    backend: str = "local"
    actor: str = "system"  # user name or "api:<key id>", for the audit log


@dataclass
class BatchProgress:
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(n for status, n in self.counts.items() if status != DocumentStatus.EXTRACTING.value)

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


def validate_images(images: Sequence[ImageInput], *, max_bytes: int, max_pixels: int) -> list[ImageMeta]:
    """Refuse a submission before anything is stored (raises `SeedError`)."""
    if not 1 <= len(images) <= 2:
        raise ValueError("a document has one or two images")
    return [inspect_image(image.data, max_bytes=max_bytes, max_pixels=max_pixels) for image in images]


# A value that fails a check is never confident, however clearly it was read: the check says
# that it, or a value it is compared with, is wrong.
FAILING_CONFIDENCE_CAP = 0.5


@dataclass(frozen=True)
class ReviewSummary:
    min_confidence: Optional[float]
    reasons: list[str]  # `invalid:plate`, `low_confidence:name`, ...
    look_count: int  # fields that need a look: the queue's priority


def review_summary(fields: Sequence[FieldValue], thresholds: Mapping[str, float], default: float,
                   kind: str = "unknown") -> ReviewSummary:
    """Why the document needs a look, and how many of its fields do; fields its kind does not
    carry count for nothing."""
    applicable = [f for f in fields if applies(f.name, kind)]
    confidences = [f.confidence for f in applicable if f.confidence is not None]
    reasons: list[str] = []
    looks: set[tuple[str, str]] = set()
    for f in applicable:
        if not f.check_ok:
            reasons.append(f"invalid:{f.name}")
            looks.add((f.side, f.name))
        elif f.confidence is not None and f.confidence < thresholds.get(f.name, default):
            reasons.append(f"low_confidence:{f.name}")
            looks.add((f.side, f.name))
    return ReviewSummary(min(confidences) if confidences else None, sorted(set(reasons)), len(looks))


class IntakeService:
    def __init__(self, database: Database, *, max_bytes: int, max_pixels: int) -> None:
        self.database = database
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def create_batch(self, name: str, total: int, created_by: Optional[int]) -> int:
        with UnitOfWork(self.database) as uow:
            batch = uow.documents.add_batch(Batch(name=name[:255], total=total, created_by=created_by))
            uow.commit()
            return batch.id

    def batch_progress(self, batch_id: int) -> BatchProgress:
        with UnitOfWork(self.database, write=False) as uow:
            batch = uow.documents.get_batch(batch_id)
            if batch is None:
                raise KeyError(batch_id)
            return BatchProgress(total=batch.total, counts=uow.documents.batch_progress(batch_id))

    def submit(self, submission: Submission) -> int:
        """Store the images as a new document in `extracting` status; returns its id."""
        metas = validate_images(submission.images, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        with UnitOfWork(self.database) as uow:
            document = uow.documents.add(
                Document(
                    source=submission.source,
                    source_detail=submission.source_detail[:2000],
                    status=DocumentStatus.EXTRACTING.value,
                    backend=submission.backend,
                    enqueue_review=submission.enqueue_review,
                    batch_id=submission.batch_id,
                    created_by=submission.created_by,
                    api_key_id=submission.api_key_id,
                )
            )
            for image, meta in zip(submission.images, metas):
                uow.session.add(
                    Image(
                        document_id=document.id,
                        side=image.side,
                        sha256=hashlib.sha256(image.data).hexdigest(),
                        content_type=meta.mime,
                        size=meta.size,
                        filename=image.filename[:255],
                        data=image.data,
                    )
                )
            uow.audit.record(
                actor=submission.actor[:64], user_id=submission.created_by, action="submitted",
                document_id=document.id, detail=f"{submission.source}: {len(submission.images)} image(s)",
            )
            uow.commit()
            return document.id

    def already_stored(self, images: Sequence[ImageInput]) -> list[int]:
        """Documents that already hold one of these exact images (by their bytes' SHA-256)."""
        with UnitOfWork(self.database, write=False) as uow:
            return uow.documents.documents_with_images([hashlib.sha256(i.data).hexdigest() for i in images])

    def images_of(self, document_id: int) -> list[ImageInput]:
        with UnitOfWork(self.database, write=False) as uow:
            return [ImageInput(data=i.data, side=i.side, filename=i.filename) for i in uow.documents.images(document_id)]

    def record_outcome(
        self,
        document_id: int,
        outcome: ExtractionOutcome,
        *,
        checker: Checker,
        thresholds: Mapping[str, float],
        default_threshold: float,
        started_at: Optional[datetime] = None,
    ) -> bool:
        """Store an extraction and move the document on. Exactly once: the status change from
        `extracting` is conditional, so a retried task that finished twice stores one result.

        Returns False when the document already had its result.
        """
        finished = datetime.now(timezone.utc)
        started = started_at or finished
        with UnitOfWork(self.database) as uow:
            document = uow.documents.get(document_id)
            if document is None or document.status != DocumentStatus.EXTRACTING.value:
                return False
            extraction = uow.documents.add_extraction(
                Extraction(
                    document_id=document_id,
                    engine=outcome.engine[:32],
                    engine_version=outcome.engine_version[:32],
                    response=outcome.to_seed(thumb=False).model_dump(),
                    error_code=int(outcome.error),
                    timings=dict(outcome.timings),
                    started_at=started,
                    finished_at=finished,
                    duration_ms=int((finished - started).total_seconds() * 1000),
                )
            )
            if not outcome.ok:
                moved = uow.documents.set_status_if(
                    document_id, DocumentStatus.EXTRACTING.value, status=DocumentStatus.FAILED.value,
                    error=outcome.detail or outcome.error.message,
                )
                if not moved:
                    return False
                uow.audit.record(actor="system", action="extraction_failed", document_id=document_id,
                                 detail=f"{int(outcome.error)} {outcome.detail}"[:500])
                uow.commit()
                return True

            fields = _field_rows(document_id, extraction.id, outcome.sides, checker)
            uow.documents.add_fields(fields)
            self._store_aligned(uow, document_id, outcome.sides)
            kind = next((s.kind.value for s in outcome.sides if s.kind.value != "unknown"), "unknown")
            summary = review_summary(fields, thresholds, default_threshold, kind)
            moved = uow.documents.set_status_if(
                document_id,
                DocumentStatus.EXTRACTING.value,
                status=DocumentStatus.NEEDS_REVIEW.value,
                kind=kind,
                min_confidence=summary.min_confidence,
                review_reasons=summary.reasons,
                look_count=summary.look_count,
                **record_keys(fields),
            )
            if not moved:
                return False
            uow.audit.record(actor="system", action="extracted", document_id=document_id,
                             detail=f"{outcome.engine} {outcome.engine_version}".strip())
            uow.commit()
            return True

    def mark_failed(self, document_id: int, detail: str) -> bool:
        """A task that cannot finish (crash after retries) leaves a failed document, not a stuck one."""
        with UnitOfWork(self.database) as uow:
            moved = uow.documents.set_status_if(
                document_id, DocumentStatus.EXTRACTING.value, status=DocumentStatus.FAILED.value, error=detail[:2000]
            )
            if moved:
                uow.audit.record(actor="system", action="extraction_failed", document_id=document_id,
                                 detail=detail[:500])
                uow.commit()
            return moved

    @staticmethod
    def _store_aligned(uow: UnitOfWork, document_id: int, sides: Sequence[SideReading]) -> None:
        images = list(uow.documents.images(document_id))
        for index, side in enumerate(sides):
            # Match a side to its image by the side asked for, else by position.
            image = next((i for i in images if i.side == side.side.value), None)
            if image is None and index < len(images):
                image = images[index]
            if image is None:
                continue
            image.detected_side = side.side.value
            if side.aligned_jpeg:
                image.aligned = side.aligned_jpeg


def _field_rows(document_id: int, extraction_id: int, sides: Sequence[SideReading], checker: Checker
                ) -> list[FieldValue]:
    values = {side.side.value: {name: r.value for name, r in side.fields.items()} for side in sides}
    kind = next((s.kind.value for s in sides if s.kind.value != "unknown"), "unknown")
    failures = checker(values, kind)
    rows: list[FieldValue] = []
    for side in sides:
        for spec in SIDE_FIELDS[side.side]:
            reading = side.fields.get(spec.name)
            value = reading.value if reading else ""
            engine_reason = reading.check_reason if reading and not reading.check_ok else ""
            reason = failures.get((side.side.value, spec.name), "")
            if applies(spec.name, kind):  # "label not found" is no doubt on a row the card does not print
                reason = reason or engine_reason
            confidence = reading.confidence if reading and spec.has_confidence else None
            if reason and confidence is not None:
                confidence = min(confidence, FAILING_CONFIDENCE_CAP)
            rows.append(
                FieldValue(
                    document_id=document_id,
                    extraction_id=extraction_id,
                    side=side.side.value,
                    name=spec.name,
                    value=value,
                    confidence=confidence,
                    box=list(reading.box) if reading and reading.box else None,
                    check_ok=not reason,
                    check_reason=reason,
                    engine_reason=engine_reason,
                    note=reading.note if reading else "",
                    status=FieldStatus.EXTRACTED.value,
                )
            )
    return rows


def record_keys(fields: Sequence[FieldValue]) -> dict[str, Optional[str]]:
    """Denormalised keys of a document for filters and duplicate warnings, from current values.

    The registering province is the issuing unit's; without it, the owner's address province.
    """
    current: dict[str, str] = {}
    # Back side first so that it wins over the front for fields printed on both.
    for f in sorted(fields, key=lambda f: f.side != Side.BACK.value):
        current.setdefault(f.name, f.current_value)
    province = current.get("issued_at_code") or current.get("address_town_code") or None
    plate = canonical_plate(current.get("plate", "")) or None
    chassis = canonical_serial(current.get("chassis", "")) or None
    return {"province_code": province, "plate_key": plate, "chassis_key": chassis}

