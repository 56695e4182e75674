"""Documents: creation, loading, optimistic locking, the review queue and its claims, duplicates,
the export's streamed rows, batch progress."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import chain, groupby
from operator import itemgetter
from typing import Any, Iterable, Iterator, Optional, Sequence

from sqlalchemy import Row, String, and_, cast, func, or_, select, update
from sqlalchemy.orm import Session, defer, selectinload

from db.models import Batch, Document, DocumentSkip, Extraction, FieldValue, Image
from services.domain.records import DocumentFilter, DocumentStatus

_documents = Document.__table__
_fields = FieldValue.__table__
# What an export row is made of (services.review.export builds the row), nothing more.
EXPORT_DOCUMENT_COLUMNS = (
    _documents.c.id, _documents.c.status, _documents.c.kind, _documents.c.source, _documents.c.source_detail,
    _documents.c.province_code, _documents.c.created_at, _documents.c.reviewed_by, _documents.c.reviewed_at,
    _documents.c.decision_note,
)
# Each column costs about half a second of fetching per 100 000 documents: the fields' side only
# orders them (in SQL), it is not read.
EXPORT_FIELD_COLUMNS = (
    _fields.c.document_id, _fields.c.name, _fields.c.value, _fields.c.corrected_value, _fields.c.confidence,
    _fields.c.corrected_by, _fields.c.corrected_at,
)


def filter_clauses(flt: DocumentFilter) -> list[Any]:
    """The SQL conditions of a filter, on the documents table."""
    clauses: list[Any] = []
    if flt.statuses:
        clauses.append(Document.status.in_(flt.statuses))
    if flt.kinds:
        clauses.append(Document.kind.in_(flt.kinds))
    if flt.province_codes:
        clauses.append(Document.province_code.in_(flt.province_codes))
    if flt.reviewer_ids:
        clauses.append(Document.reviewed_by.in_(flt.reviewer_ids))
    if flt.created_from:
        clauses.append(Document.created_at >= _day_start(flt.created_from))
    if flt.created_to:
        clauses.append(Document.created_at < _day_start(flt.created_to) + timedelta(days=1))
    if flt.batch_id is not None:
        clauses.append(Document.batch_id == flt.batch_id)
    # Reasons are stored as a JSON list of "reason:field": matched as text on both databases.
    reasons = cast(Document.review_reasons, String)
    if flt.reasons:
        clauses.append(or_(*(reasons.like(f'%"{reason}:%') for reason in flt.reasons)))
    if flt.fields:
        clauses.append(or_(*(reasons.like(f'%:{name}"%') for name in flt.fields)))
    return clauses


def _day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _queue_key(look_count: int, created_at: datetime, document_id: int) -> tuple[int, datetime, int]:
    """`DocumentRepository.queue_order` as a Python sort key."""
    return (-look_count, created_at, document_id)


class DocumentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- creation and loading -------------------------------------------------------------
    def add(self, document: Document) -> Document:
        self.session.add(document)
        self.session.flush()
        return document

    def add_batch(self, batch: Batch) -> Batch:
        self.session.add(batch)
        self.session.flush()
        return batch

    def get(self, document_id: int) -> Optional[Document]:
        return self.session.get(Document, document_id)

    def get_full(self, document_id: int) -> Optional[Document]:
        """A document with its fields, extractions and images, the images without their bytes
        (megabytes a side that the review screen asks for one picture at a time:
        `image_bytes`); `image_summaries` says which have an aligned card."""
        return self.session.scalar(
            select(Document)
            .where(Document.id == document_id)
            .options(selectinload(Document.fields),
                     selectinload(Document.images).options(defer(Image.data), defer(Image.aligned)),
                     selectinload(Document.extractions))
            .execution_options(populate_existing=True)
        )

    def fields(self, document_id: int) -> Sequence[FieldValue]:
        return self.session.scalars(
            select(FieldValue).where(FieldValue.document_id == document_id).order_by(FieldValue.id)
        ).all()

    def images(self, document_id: int) -> Sequence[Image]:
        return self.session.scalars(
            select(Image).where(Image.document_id == document_id).order_by(Image.id)
        ).all()

    def image_bytes(self, document_id: int, image_id: int, *, aligned: bool) -> Optional[bytes]:
        """One image's bytes as submitted, or its aligned card: one column of one row."""
        column = Image.aligned if aligned else Image.data
        return self.session.scalar(select(column).where(Image.id == image_id, Image.document_id == document_id))

    def image_summaries(self, document_ids: Sequence[int]) -> dict[int, list[tuple[int, str, bool]]]:
        """(image id, file name, has an aligned card) of each document's images, without their
        bytes."""
        if not document_ids:
            return {}
        rows = self.session.execute(
            select(Image.document_id, Image.id, Image.filename, Image.aligned.is_not(None))
            .where(Image.document_id.in_(list(document_ids))).order_by(Image.id)
        )
        out: dict[int, list[tuple[int, str, bool]]] = {}
        for document_id, image_id, filename, aligned in rows:
            out.setdefault(document_id, []).append((image_id, filename, bool(aligned)))
        return out

    def extraction_count(self, document_id: int) -> int:
        return self.session.scalar(
            select(func.count()).select_from(Extraction).where(Extraction.document_id == document_id)
        ) or 0

    def add_extraction(self, extraction: Extraction) -> Extraction:
        self.session.add(extraction)
        self.session.flush()
        return extraction

    def add_fields(self, fields: Iterable[FieldValue]) -> None:
        self.session.add_all(list(fields))
        self.session.flush()

    # --- optimistic locking ---------------------------------------------------------------
    def bump_version(self, document_id: int, expected_version: int, **values: Any) -> bool:
        """Advance the version if it is still `expected_version`, setting `values` with it.

        The conditional UPDATE is the lock: of two writers holding the same version, exactly
        one succeeds.
        """
        result = self.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.version == expected_version)
            .values(version=Document.version + 1, updated_at=datetime.now(timezone.utc), **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def set_status_if(self, document_id: int, current: str, **values: Any) -> bool:
        """Move a document on only if it is still in `current` status (one winner)."""
        result = self.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status == current)
            .values(version=Document.version + 1, updated_at=datetime.now(timezone.utc), **values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    # --- the review queue -----------------------------------------------------------------
    def _claimable(self, now: datetime, ttl: timedelta) -> Any:
        """One condition for both ways a document is claimable, for the conditional UPDATE."""
        return or_(*(and_(*branch) for branch in self._claimable_branches(now, ttl)))

    def _claimable_branches(self, now: datetime, ttl: timedelta) -> tuple[tuple[Any, ...], ...]:
        # Waiting documents, and documents whose reviewer let the claim expire. Each branch pins
        # `status` to one value, so that ix_documents_queue yields it already in queue order;
        # the two ORed together would make the database sort the whole queue on every claim.
        return (
            (Document.status == DocumentStatus.NEEDS_REVIEW.value,),
            (Document.status == DocumentStatus.IN_REVIEW.value, Document.claimed_at < now - ttl),
        )

    def queue_order(self) -> list[Any]:
        # The most fields needing a look first, then the oldest. ix_documents_queue has these
        # columns in this order.
        return [Document.look_count.desc(), Document.created_at.asc(), Document.id.asc()]

    def next_claim_candidates(
        self, now: datetime, ttl: timedelta, flt: DocumentFilter, *, skip_locked: bool, limit: int = 5,
        exclude_ids: Sequence[int] = (),
    ) -> list[int]:
        """The first `limit` claimable documents in queue order.

        One index-ordered LIMIT query per branch of `_claimable_branches`, merged here. With
        `skip_locked` (PostgreSQL) each query locks what it returns, FOR UPDATE SKIP LOCKED, so
        that concurrent claimers pass over each other's candidates instead of waiting on them.
        """
        found: list[tuple[tuple[int, datetime, int], int]] = []
        for branch in self._claimable_branches(now, ttl):
            query = (
                select(Document.id, Document.look_count, Document.created_at)
                .where(*branch, Document.enqueue_review.is_(True), *filter_clauses(flt))
                .order_by(*self.queue_order())
                .limit(limit)
            )
            if exclude_ids:
                query = query.where(Document.id.not_in(exclude_ids))
            if skip_locked:
                query = query.with_for_update(skip_locked=True, of=Document)
            for row in self.session.execute(query):
                found.append((_queue_key(row.look_count, row.created_at, row.id), row.id))
        found.sort()
        return [document_id for _key, document_id in found[:limit]]

    def try_claim(self, document_id: int, user_id: int, now: datetime, ttl: timedelta) -> bool:
        result = self.session.execute(
            update(Document)
            .where(Document.id == document_id, self._claimable(now, ttl), Document.enqueue_review.is_(True))
            .values(
                status=DocumentStatus.IN_REVIEW.value,
                claimed_by=user_id,
                claimed_at=now,
                version=Document.version + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    def count_claimable(self, now: datetime, ttl: timedelta, flt: DocumentFilter = DocumentFilter()) -> int:
        """Documents waiting in the review queue (or left by a reviewer whose claim expired)."""
        return self.session.scalar(
            select(func.count()).select_from(Document)
            .where(self._claimable(now, ttl), Document.enqueue_review.is_(True), *filter_clauses(flt))
        ) or 0

    # --- skips ------------------------------------------------------------------------------
    def record_skip(self, document_id: int, user_id: int, now: datetime) -> None:
        skip = self.session.get(DocumentSkip, (document_id, user_id))
        if skip is None:
            self.session.add(DocumentSkip(document_id=document_id, user_id=user_id, at=now))
        else:
            skip.at = now

    def skipped_by(self, user_id: int, limit: int = 500) -> list[int]:
        """The documents this reviewer passed over, most recent last (bounded: a reviewer skips
        a handful a day)."""
        return list(self.session.scalars(
            select(DocumentSkip.document_id).where(DocumentSkip.user_id == user_id)
            .order_by(DocumentSkip.at.desc()).limit(limit)
        ))[::-1]

    def claimed_by_user(self, user_id: int, now: datetime, ttl: timedelta) -> Optional[int]:
        return self.session.scalar(
            select(Document.id)
            .where(
                Document.status == DocumentStatus.IN_REVIEW.value,
                Document.claimed_by == user_id,
                Document.claimed_at >= now - ttl,
            )
            .order_by(Document.claimed_at.desc())
            .limit(1)
        )

    def list_documents(
        self, flt: DocumentFilter, *, limit: int = 100, offset: int = 0, queue_order: bool = True
    ) -> Sequence[Document]:
        query = select(Document).where(*filter_clauses(flt))
        query = query.order_by(*self.queue_order()) if queue_order else query.order_by(Document.id.desc())
        return self.session.scalars(query.limit(limit).offset(offset)).all()

    def count_documents(self, flt: DocumentFilter) -> int:
        return self.session.scalar(select(func.count()).select_from(Document).where(*filter_clauses(flt))) or 0

    def status_counts(self, flt: DocumentFilter = DocumentFilter()) -> dict[str, int]:
        rows = self.session.execute(
            select(Document.status, func.count()).where(*filter_clauses(flt)).group_by(Document.status)
        )
        return {status: count for status, count in rows}

    def province_codes(self) -> list[str]:
        rows = self.session.scalars(
            select(Document.province_code).where(Document.province_code.is_not(None)).distinct()
        )
        return sorted(rows)

    # --- duplicates -----------------------------------------------------------------------
    def duplicates_of(self, document: Document) -> list[tuple[int, str]]:
        """Other documents with the same image, plate or chassis: (id, what matched)."""
        found: list[tuple[int, str]] = []
        hashes = list(self.session.scalars(select(Image.sha256).where(Image.document_id == document.id)))
        if hashes:
            rows = self.session.execute(
                select(Image.document_id).where(Image.sha256.in_(hashes), Image.document_id != document.id)
                .distinct()
            )
            found += [(row.document_id, "image") for row in rows]
        for column, label, key in (
            (Document.plate_key, "plate", document.plate_key),
            (Document.chassis_key, "chassis", document.chassis_key),
        ):
            if key:
                rows = self.session.execute(
                    select(Document.id).where(column == key, Document.id != document.id).limit(20)
                )
                found += [(row.id, label) for row in rows]
        return found

    def documents_with_images(self, hashes: Sequence[str]) -> list[int]:
        """Documents holding an image with one of these SHA-256s, oldest first."""
        if not hashes:
            return []
        return list(self.session.scalars(
            select(Image.document_id).where(Image.sha256.in_(list(hashes))).distinct().order_by(Image.document_id)
        ))

    # --- export ---------------------------------------------------------------------------
    def iter_export(self, flt: DocumentFilter, batch: int = 2000) -> Iterator[tuple[Row[Any], list[Row[Any]]]]:
        """Documents in id order, each with its fields, as plain rows of `EXPORT_DOCUMENT_COLUMNS`
        and `EXPORT_FIELD_COLUMNS`; a document's fields come back side first, then by name.

        Two streamed queries, documents by id and fields by (document_id, side, name), merged
        here: both orders are an index's (the primary key, uq_fields_document_id_side_name), so
        neither database sorts, and memory holds `batch` rows of each whatever the size of the
        export (server-side cursors on PostgreSQL; SQLite's cursors step lazily anyway). Core rows
        through the session's connection, fetched a batch at a time: ORM entities, or a Python
        call per row, were most of a 100 000-document export's time.
        """
        connection = self.session.connection()
        streamed = {"yield_per": batch}
        clauses = filter_clauses(flt)
        documents = connection.execute(
            select(*EXPORT_DOCUMENT_COLUMNS).where(*clauses).order_by(_documents.c.id), execution_options=streamed
        )
        fields_query = select(*EXPORT_FIELD_COLUMNS).order_by(_fields.c.document_id, _fields.c.side, _fields.c.name)
        if clauses:
            fields_query = fields_query.join_from(_fields, _documents, _documents.c.id == _fields.c.document_id)
            fields_query = fields_query.where(*clauses)
        fields = connection.execute(fields_query, execution_options=streamed)
        groups = groupby(chain.from_iterable(fields.partitions()), key=itemgetter(0))  # by document_id
        group_id, group = next(groups, (None, iter(())))
        for document in chain.from_iterable(documents.partitions()):
            # Under READ COMMITTED the two queries may see different moments: skip fields of
            # documents that the documents query did not see.
            while group_id is not None and group_id < document.id:
                group_id, group = next(groups, (None, iter(())))
            if group_id != document.id:  # a document without fields (a failed read)
                yield document, []
                continue
            yield document, list(group)
            group_id, group = next(groups, (None, iter(())))

    def batch_progress(self, batch_id: int) -> dict[str, int]:
        rows = self.session.execute(
            select(Document.status, func.count()).where(Document.batch_id == batch_id).group_by(Document.status)
        )
        return {status: count for status, count in rows}

    def get_batch(self, batch_id: int) -> Optional[Batch]:
        return self.session.get(Batch, batch_id)
