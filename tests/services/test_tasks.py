"""Background extraction: a queued document is extracted exactly once, failures are retried, the
last failure leaves a failed document, and a worker killed mid-extraction loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Optional

import pytest
from huey.storage import MemoryStorage

from db.session import Database, UnitOfWork
from services.bootstrap import Services
from services.core.config import REPO_ROOT, Settings
from services.domain.records import DocumentStatus
from services.tasks import jobs
from services.tasks.queue import make_huey
from tests.support.fakes import FakeExtractor
from tools.local_processes import stop_group
from tests.support.wiring import wired_services
from tests.support.worker import WORKER_SCRIPT, extraction_count, status, submit, wait_for


def services_for(database: Database, extractor: Optional[FakeExtractor] = None, **settings: object) -> Services:
    """The app's services on the test database, with the factories' plate check and a fake
    extractor."""
    return wired_services(Settings(data_dir=Path("/nonexistent"), **settings), database, extractor=extractor)


@pytest.fixture
def fake() -> FakeExtractor:
    return FakeExtractor()


@pytest.fixture
def memory_queue(database: Database, fake: FakeExtractor) -> Iterator[None]:
    """The module's tasks on an in-memory queue, run against the test database with `fake`."""
    storage = jobs.huey.storage
    jobs.huey.storage = MemoryStorage("test")
    services = services_for(database, fake)
    jobs.use_services(lambda: services)
    yield
    jobs.huey.storage = storage
    jobs.use_services(None)


def run_queue(until: float = 10.0) -> None:
    """Execute queued and scheduled tasks, as a consumer would, until none is left."""
    huey = jobs.huey
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        task = huey.dequeue()
        if task is None:
            due = huey.read_schedule(datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1))
            if not due:
                return
            for scheduled in due:
                scheduled.eta = None  # the retry delay has "passed"
                huey.enqueue(scheduled)
            continue
        huey.execute(task)
    raise AssertionError("the queue did not drain")


def test_a_queued_two_sided_document_is_extracted_into_the_review_queue(
        database: Database, fake: FakeExtractor, memory_queue: None) -> None:
    document_id = submit(database)
    jobs.enqueue_extraction(document_id)
    assert status(database, document_id) == DocumentStatus.EXTRACTING.value
    run_queue()
    assert status(database, document_id) == DocumentStatus.NEEDS_REVIEW.value
    assert extraction_count(database, document_id) == 1
    assert fake.calls == 1


def test_a_task_queued_twice_stores_one_extraction(database: Database, fake: FakeExtractor,
                                                   memory_queue: None) -> None:
    document_id = submit(database)
    jobs.enqueue_extraction(document_id)
    jobs.enqueue_extraction(document_id)
    run_queue()
    assert extraction_count(database, document_id) == 1
    # The second task saw the document done and did not run the engine again.
    assert fake.calls == 1


def test_a_crashing_extraction_is_retried_and_then_succeeds(database: Database, fake: FakeExtractor,
                                                            memory_queue: None) -> None:
    fake.failures = 2  # the task has two retries: the third attempt succeeds
    document_id = submit(database)
    jobs.enqueue_extraction(document_id)
    run_queue()
    assert fake.calls == 3
    assert status(database, document_id) == DocumentStatus.NEEDS_REVIEW.value
    assert extraction_count(database, document_id) == 1


def test_the_last_failed_attempt_marks_the_document_failed_instead_of_leaving_it_stuck(
        database: Database, fake: FakeExtractor, memory_queue: None) -> None:
    fake.failures = 99
    document_id = submit(database)
    jobs.enqueue_extraction(document_id)
    run_queue()
    assert fake.calls == 3
    assert status(database, document_id) == DocumentStatus.FAILED.value
    with UnitOfWork(database, write=False) as uow:
        assert "RuntimeError" in uow.documents.get(document_id).error


def test_the_reaper_requeues_a_lost_extraction_and_fails_it_after_the_attempt_limit(
        database: Database, fake: FakeExtractor) -> None:
    services = services_for(database, fake, task_stall_seconds=60, task_max_attempts=2)
    runner = services.extraction
    document_id = submit(database)
    runner.started(document_id, actor="worker:lost", backend="local")  # a worker started it, then vanished
    queued: list[int] = []
    assert runner.reap(queued.append).requeued == []  # too recent to call lost
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert runner.reap(queued.append, now=later).requeued == [document_id]
    runner.started(document_id, actor="worker:lost", backend="local")  # the second attempt is lost too
    report = runner.reap(queued.append, now=later + timedelta(minutes=5))
    assert report.failed == [document_id] and report.requeued == []
    assert status(database, document_id) == DocumentStatus.FAILED.value


def test_the_reaper_queues_documents_that_no_task_will_pick_up_only_when_the_queue_is_empty(
        database: Database, fake: FakeExtractor) -> None:
    runner = services_for(database, task_stall_seconds=60).extraction
    document_id = submit(database)
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    queued: list[int] = []
    assert runner.reap(queued.append, now=later, queue_empty=False).requeued == []
    assert runner.reap(queued.append, now=later, queue_empty=True).requeued == [document_id]


def test_the_queue_is_a_sqlite_file_by_default_and_redis_when_configured(tmp_path: Path) -> None:
    from huey import RedisHuey, SqliteHuey

    assert isinstance(make_huey(Settings(data_dir=tmp_path)), SqliteHuey)
    assert (tmp_path / "huey.db").exists()
    assert isinstance(make_huey(Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/15")), RedisHuey)


# --- a real consumer process, killed in the middle of an extraction ---------------------------

def start_worker(tmp_path: Path, database_url: str, delay: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATA_DIR=str(tmp_path), DATABASE_URL=database_url, FAKE_DELAY=str(delay))
    env.pop("REDIS_URL", None)
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "ab"),
                            start_new_session=True)


def started(database: Database, document_id: int) -> bool:
    with UnitOfWork(database, write=False) as uow:
        return any(e.action == "extraction_started" for e in uow.audit.for_document(document_id))


@pytest.mark.slow
def test_a_worker_killed_mid_extraction_is_retried_and_the_document_ends_with_one_extraction(
        tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'app.db'}"
    from db.migrate import upgrade

    upgrade(database_url)
    database = Database(database_url)
    # This process queues into the workers' queue file, as the app does.
    own_storage = jobs.huey.storage
    jobs.huey.storage = make_huey(Settings(data_dir=tmp_path)).storage
    document_id = submit(database)
    jobs.enqueue_extraction(document_id)

    worker = start_worker(tmp_path, database_url, delay=60)
    try:
        wait_for(lambda: started(database, document_id))
        os.killpg(worker.pid, signal.SIGKILL)  # mid-extraction, no chance to clean up
        worker.wait(10)
        assert status(database, document_id) == DocumentStatus.EXTRACTING.value
        assert extraction_count(database, document_id) == 0

        runner = services_for(database, task_stall_seconds=1).extraction
        report = runner.reap(jobs.enqueue_extraction, now=datetime.now(timezone.utc) + timedelta(seconds=5))
        assert report.requeued == [document_id]
        jobs.enqueue_extraction(document_id)  # and a duplicate, for good measure

        worker = start_worker(tmp_path, database_url, delay=0)
        wait_for(lambda: status(database, document_id) == DocumentStatus.NEEDS_REVIEW.value)
        wait_for(lambda: jobs.huey.pending_count() == 0)
        time.sleep(0.5)
        assert extraction_count(database, document_id) == 1
    finally:
        jobs.huey.storage = own_storage
        stop_group(worker, grace=10)
        database.dispose()
