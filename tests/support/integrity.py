"""What a stored record must look like whatever happened to the process that wrote it: the
checks the fault tests and the scale benchmark run over a whole database."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from sqlalchemy import select

from db.models import Document, Extraction, FieldValue, Image
from db.session import Database, UnitOfWork
from services.domain.records import DocumentStatus

REVIEWABLE = {DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value,
              DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value}


def record_problems(database: Database) -> list[str]:
    """Every inconsistency found, as a sentence naming the document; [] when all is well.

    A document always has one or two whole images (bytes matching their stored size and hash).
    Waiting for extraction (`extracting`): no extraction and no fields yet. Extracted: exactly
    one successful extraction and the fields of that extraction only. Failed: no fields, and at
    most one (failed) extraction.
    """
    problems: list[str] = []
    with UnitOfWork(database, write=False) as uow:
        session = uow.session
        documents = {d.id: d.status for d in session.execute(select(Document.id, Document.status))}
        images: dict[int, list[tuple[int, bytes, str]]] = defaultdict(list)
        for document_id, size, data, sha in session.execute(
                select(Image.document_id, Image.size, Image.data, Image.sha256)):
            images[document_id].append((size, data, sha))
        extractions: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for extraction_id, document_id, code in session.execute(
                select(Extraction.id, Extraction.document_id, Extraction.error_code)):
            extractions[document_id].append((extraction_id, code))
        fields: dict[int, Counter[int | None]] = defaultdict(Counter)
        for document_id, extraction_id in session.execute(select(FieldValue.document_id, FieldValue.extraction_id)):
            fields[document_id][extraction_id] += 1

    for orphan in (set(images) | set(extractions) | set(fields)) - set(documents):
        problems.append(f"rows of document {orphan}, which does not exist")
    for document_id, status in sorted(documents.items()):
        stored = images.get(document_id, [])
        if not 1 <= len(stored) <= 2:
            problems.append(f"document {document_id} ({status}) has {len(stored)} images")
        for size, data, sha in stored:
            if data is None or len(data) != size or hashlib.sha256(data).hexdigest() != sha:
                problems.append(f"document {document_id} has an image whose bytes do not match its size or hash")
        done = extractions.get(document_id, [])
        its_fields = fields.get(document_id, Counter())
        if len(done) > 1:
            problems.append(f"document {document_id} has {len(done)} extractions")
        if status == DocumentStatus.EXTRACTING.value:
            if done or its_fields:
                problems.append(f"document {document_id} is extracting but has {len(done)} extraction(s) "
                                f"and {sum(its_fields.values())} field(s)")
        elif status in REVIEWABLE:
            if len(done) != 1 or done[0][1] != 0:
                problems.append(f"document {document_id} ({status}) lacks its one successful extraction")
            elif set(its_fields) != {done[0][0]} or not its_fields:
                problems.append(f"document {document_id} ({status}) has fields of another extraction, or none")
        elif status == DocumentStatus.FAILED.value:
            if its_fields or any(code == 0 for _, code in done):
                problems.append(f"document {document_id} failed but has fields or a successful extraction")
        else:
            problems.append(f"document {document_id} has an unknown status {status!r}")
    return problems
