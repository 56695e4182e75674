"""The extraction job, free of any queue library: load a document's images, run the backend,
store the outcome exactly once, and find extractions whose worker was lost.

Exactly once: `IntakeService.record_outcome` moves the document out of `extracting` with a
conditional update, so a task that runs twice (a retry after a crash, a task queued again by the
reaper) stores one extraction. A task that raises is retried by the queue; on its last attempt
the document is marked failed instead of staying stuck.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from db.models import DocumentStatus
from db.session import UnitOfWork
from db.task_queries import STARTED, never_started, stalled_extractions
from services.bootstrap import Services
from services.intake import SIDE_ANY
from services.settings_store import BACKENDS, AppSettingsService
from services.tasks import extractors

log = logging.getLogger(__name__)

# Front before back: a two-image extraction takes them in that order.
_SIDE_ORDER = {"front": 0, "back": 1, SIDE_ANY: 2}


def worker_name() -> str:
    return f"worker:{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass(frozen=True)
class RunResult:
    document_id: int
    stored: bool  # False when the document had its result already (or is gone)
    detail: str = ""


@dataclass
class ReapReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


class ExtractionRunner:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.app_settings = AppSettingsService(services.database, services.settings)

    def backend_of(self, document_id: int) -> Optional[str]:
        """The backend chosen when the document was submitted; None if it needs no extraction."""
        with UnitOfWork(self.services.database, write=False) as uow:
            document = uow.documents.get(document_id)
            if document is None or document.status != DocumentStatus.EXTRACTING.value:
                return None
            return document.backend if document.backend in BACKENDS else self.app_settings.ocr_backend()

    def run(self, document_id: int, *, final_attempt: bool = True) -> RunResult:
        backend = self.backend_of(document_id)
        if backend is None:
            return RunResult(document_id, False, "nothing to do")
        self._mark_started(document_id, backend)
        started = datetime.now(timezone.utc)
        try:
            images = sorted(self.services.intake.images_of(document_id), key=lambda i: _SIDE_ORDER.get(i.side, 3))
            extractor = extractors.get_extractor(backend, self.services.settings)
            # thumb=True: the aligned card is what reviewers look at, whichever backend made it.
            outcome = extractor.extract([image.data for image in images], thumb=True)
            stored = self.services.intake.record_outcome(
                document_id, outcome,
                checker=self.services.review.checker,
                thresholds=self.services.thresholds.all(),
                default_threshold=self.services.settings.default_threshold,
                started_at=started,
            )
        except Exception as exc:
            log.warning("extraction of document %s failed: %s", document_id, type(exc).__name__)
            if final_attempt:
                self.services.intake.mark_failed(document_id, f"extraction failed: {type(exc).__name__}: {exc}")
            raise
        return RunResult(document_id, stored)

    def _mark_started(self, document_id: int, backend: str) -> None:
        with UnitOfWork(self.services.database) as uow:
            uow.audit.record(actor=worker_name()[:64], action=STARTED, document_id=document_id, detail=backend)
            uow.commit()

    def reap(self, enqueue: Callable[[int], None], *, now: Optional[datetime] = None,
             queue_empty: bool = False) -> ReapReport:
        """Queue again the extractions whose worker died (started long ago, no result), and fail
        those that were tried too often. With `queue_empty`, documents that no task will ever
        pick up (never started, nothing waiting in the queue) are queued again too."""
        settings = self.services.settings
        now = now or datetime.now(timezone.utc)
        cutoff = now - timedelta(seconds=settings.task_stall_seconds)
        report = ReapReport()
        with UnitOfWork(self.services.database, write=False) as uow:
            stalled = stalled_extractions(uow.session, cutoff)
            orphans = never_started(uow.session, cutoff) if queue_empty else []
        for item in stalled:
            if item.attempts >= settings.task_max_attempts:
                if self.services.intake.mark_failed(
                        item.document_id, f"extraction did not finish after {item.attempts} attempts"):
                    report.failed.append(item.document_id)
            else:
                enqueue(item.document_id)
                report.requeued.append(item.document_id)
        for document_id in orphans:
            enqueue(document_id)
            report.requeued.append(document_id)
        if report.requeued or report.failed:
            log.info("reaper: requeued %s, failed %s", report.requeued, report.failed)
        return report
