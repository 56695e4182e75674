"""The Huey tasks. Importing this module builds the queue from the environment, as the consumer
(`python -m services.tasks.worker`) and the app must agree on it.

Each task runs the "extract and record" workflow (`services.review.recording`) of this process's
services: built from the environment by default, or by the factory given to `use_services`
(the worker's command line, an embedding, a test).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable, Optional

from huey import crontab

from services.bootstrap import Services
from services.core.config import Settings
from services.review.recording import RunResult
from services.tasks.queue import make_huey

log = logging.getLogger(__name__)

settings = Settings.from_env()
huey = make_huey(settings)

ServicesFactory = Callable[[], Services]


def _from_environment() -> Services:
    return Services.from_settings(settings)


_lock = threading.Lock()
_factory: ServicesFactory = _from_environment
# Per process: a worker forked from the consumer must not reuse its parent's connection pool.
_services: dict[int, Services] = {}


def use_services(factory: Optional[ServicesFactory]) -> None:
    """Run the tasks of this process, and of the workers it forks, against the services this
    factory builds (once per process); None returns to the environment's."""
    global _factory
    with _lock:
        _services.clear()
        _factory = factory or _from_environment


def current_services() -> Services:
    with _lock:
        services = _services.get(os.getpid())
        if services is None:
            services = _services[os.getpid()] = _factory()
        return services


@huey.task(retries=2, retry_delay=settings.task_retry_delay, context=True)
def extract_document(document_id: int, task: Any = None) -> Optional[RunResult]:
    # `task.retries` counts the retries left: zero means this is the last attempt.
    final = task is None or not task.retries
    return current_services().extraction.run(document_id, final_attempt=final)


@huey.periodic_task(crontab(minute="*"))
def requeue_stalled_extractions() -> None:
    current_services().extraction.reap(enqueue_extraction, queue_empty=huey.pending_count() == 0)


def enqueue_extraction(document_id: int) -> None:
    extract_document(document_id)
