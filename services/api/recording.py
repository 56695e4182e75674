"""Storage of API requests: every request that reaches the engine becomes a document.

The images are validated (and stored) before extraction, so a refused input writes nothing; the
outcome is then stored exactly once by `IntakeService.record_outcome`, and the document enters
the review queue unless the server or the request opted out.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Optional, Sequence

from db.session import UnitOfWork
from db.task_queries import STARTED
from services.bootstrap import Services
from services.intake import SIDE_ANY, Checker, ImageInput, Submission
from services.results import ExtractionOutcome

DEFAULT_CHECKER = "services.extraction.checks:check_record"


def load_checker(spec: str = DEFAULT_CHECKER) -> Checker:
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass(frozen=True)
class RequestImage:
    data: bytes
    filename: str


class RequestRecorder:
    def __init__(self, services: Services, checker: Checker, *, backend: str) -> None:
        self.services = services
        self.checker = checker
        self.backend = backend

    def submit(self, images: Sequence[RequestImage], *, key_pk: Optional[int], key_id: str,
               source_detail: str, enqueue_review: bool) -> int:
        """Validate and store the images; raises SeedError 3 (nothing stored) for a bad one."""
        sides = ("front", "back") if len(images) == 2 else (SIDE_ANY,)
        return self.services.intake.submit(Submission(
            images=[ImageInput(data=i.data, side=side, filename=i.filename) for i, side in zip(images, sides)],
            source="api",
            source_detail=source_detail,
            api_key_id=key_pk,
            enqueue_review=enqueue_review,
            backend=self.backend[:16],
            actor=f"api:{key_id}"[:64],
        ))

    def started(self, document_id: int) -> None:
        """Note that the extraction began, as the task workers do: a document left `extracting`
        by a server that died mid-extraction is then picked up by the task reaper after
        TASK_STALL_SECONDS, and one in flight here (at most API_EXTRACT_TIMEOUT) never is."""
        with UnitOfWork(self.services.database) as uow:
            uow.audit.record(actor=f"api:{os.getpid()}", action=STARTED, document_id=document_id,
                             detail=self.backend)
            uow.commit()

    def record(self, document_id: int, outcome: ExtractionOutcome, started_at: datetime) -> bool:
        return self.services.intake.record_outcome(
            document_id, outcome,
            checker=self.checker,
            thresholds=self.services.thresholds.all(),
            default_threshold=self.services.settings.default_threshold,
            started_at=started_at,
        )

    def fail(self, document_id: int, detail: str) -> bool:
        return self.services.intake.mark_failed(document_id, detail)
