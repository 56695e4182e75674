"""The Huey tasks. Importing this module builds the queue from the environment, as the consumer
(`python -m services.tasks.worker`) and the app must agree on it.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable, Optional

from huey import crontab

from services.bootstrap import Services
from services.config import Settings
from services.tasks.extraction import ExtractionRunner, RunResult
from services.tasks.queue import make_huey

log = logging.getLogger(__name__)

settings = Settings.from_env()
huey = make_huey(settings)


def _default_services() -> Services:
    return Services.from_settings(settings)


# Replaced by tests (and by anyone embedding the worker) to run against other services.
services_factory: Callable[[], Services] = _default_services

_lock = threading.Lock()
# Per process: a worker forked from the consumer must not reuse its parent's connection pool.
_services: dict[int, Services] = {}


def use_services(services: Optional[Services]) -> None:
    """Run the tasks of this process against these services; None returns to the factory."""
    with _lock:
        _services.clear()
        if services is not None:
            _services[os.getpid()] = services


def current_services() -> Services:
    with _lock:
        services = _services.get(os.getpid())
        if services is None:
            services = _services[os.getpid()] = services_factory()
        return services


@huey.task(retries=2, retry_delay=settings.task_retry_delay, context=True)
def extract_document(document_id: int, task: Any = None) -> Optional[RunResult]:
    # `task.retries` counts the retries left: zero means this is the last attempt.
    final = task is None or not task.retries
    return ExtractionRunner(current_services()).run(document_id, final_attempt=final)


@huey.periodic_task(crontab(minute="*"))
def requeue_stalled_extractions() -> None:
    ExtractionRunner(current_services()).reap(enqueue_extraction, queue_empty=huey.pending_count() == 0)


def enqueue_extraction(document_id: int) -> None:
    extract_document(document_id)
