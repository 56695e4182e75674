"""Extract and record: one workflow for the task workers and the API server.

A document waits in `extracting` with its images stored. Recording its extraction is the same
wherever it runs: note that it started (a trace every process shares, for the reaper), run the
backend, store the outcome exactly once with the record checks and the thresholds, or mark the
document failed when no outcome will come.

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

from db.session import Database, UnitOfWork
from services.backends.base import ExtractorFactory
from services.core.config import Settings
from services.domain.records import DocumentStatus
from services.domain.results import ExtractionOutcome
from services.review.app_settings import BACKENDS, AppSettingsService
from services.review.intake import SIDE_ANY, Checker, IntakeService
from services.review.workflow import ThresholdService

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


class ExtractionRecorder:
    def __init__(self, database: Database, settings: Settings, intake: IntakeService, *, checker: Checker,
                 extractor_factory: ExtractorFactory) -> None:
        self.database = database
        self.settings = settings
        self.intake = intake
        self.checker = checker
        self.extractor_factory = extractor_factory
        self.thresholds = ThresholdService(database, settings.default_threshold)
        self.app_settings = AppSettingsService(database, settings)

    # --- the steps, for callers that run the extraction themselves (the API's worker pool) ------
    def started(self, document_id: int, *, actor: str, backend: str) -> None:
        """Note that the extraction began. A document left `extracting` by a process that died
        mid-extraction is then picked up by the reaper after TASK_STALL_SECONDS."""
        with UnitOfWork(self.database) as uow:
            uow.tasks.mark_started(document_id, actor=actor, backend=backend)
            uow.commit()

    def record(self, document_id: int, outcome: ExtractionOutcome, started_at: Optional[datetime] = None) -> bool:
        """Store the outcome (once); False when the document already had its result."""
        return self.intake.record_outcome(
            document_id, outcome,
            checker=self.checker,
            thresholds=self.thresholds.all(),
            default_threshold=self.settings.default_threshold,
            started_at=started_at,
        )

    def fail(self, document_id: int, detail: str) -> bool:
        return self.intake.mark_failed(document_id, detail)

    # --- the whole workflow, for the task workers ------------------------------------------------
    def backend_of(self, document_id: int) -> Optional[str]:
        """The backend chosen when the document was submitted; None if it needs no extraction."""
        with UnitOfWork(self.database, write=False) as uow:
            document = uow.documents.get(document_id)
            if document is None or document.status != DocumentStatus.EXTRACTING.value:
                return None
            return document.backend if document.backend in BACKENDS else self.app_settings.ocr_backend()

    def run(self, document_id: int, *, final_attempt: bool = True) -> RunResult:
        backend = self.backend_of(document_id)
        if backend is None:
            return RunResult(document_id, False, "nothing to do")
        self.started(document_id, actor=worker_name(), backend=backend)
        started = datetime.now(timezone.utc)
        try:
            images = sorted(self.intake.images_of(document_id), key=lambda i: _SIDE_ORDER.get(i.side, 3))
            extractor = self.extractor_factory(backend, self.settings)
            # thumb=True: the aligned card is what reviewers look at, whichever backend made it.
            outcome = extractor.extract([image.data for image in images], thumb=True)
            stored = self.record(document_id, outcome, started)
        except Exception as exc:
            log.warning("extraction of document %s failed: %s", document_id, type(exc).__name__)
            if final_attempt:
                self.fail(document_id, f"extraction failed: {type(exc).__name__}: {exc}")
            raise
        return RunResult(document_id, stored)

    def reap(self, enqueue: Callable[[int], None], *, now: Optional[datetime] = None,
             queue_empty: bool = False) -> ReapReport:
        """Queue again the extractions whose worker died (started long ago, no result), and fail
        those that were tried too often. With `queue_empty`, documents that no task will ever
        pick up (never started, nothing waiting in the queue) are queued again too."""
        now = now or datetime.now(timezone.utc)
        cutoff = now - timedelta(seconds=self.settings.task_stall_seconds)
        report = ReapReport()
        with UnitOfWork(self.database, write=False) as uow:
            stalled = uow.tasks.stalled(cutoff)
            orphans = uow.tasks.never_started(cutoff) if queue_empty else []
        for item in stalled:
            if item.attempts >= self.settings.task_max_attempts:
                if self.fail(item.document_id, f"extraction did not finish after {item.attempts} attempts"):
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
