"""Scale-out: extraction workers in separate processes (standing in for separate machines) take
work from one Redis queue and store into one PostgreSQL database; every document of a batch is
extracted exactly once, even with tasks queued twice.

Needs `TEST_REDIS_URL` and `TEST_DATABASE_URL` (`.ci/run` sets both); skipped with the reason
otherwise, failed instead with `REQUIRE_REDIS=1`. Each run uses a queue name of its own, so it
shares the Redis server with nobody's tasks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import select

from db.models import AuditEntry
from db.repositories.tasks import STARTED
from db.session import Database, UnitOfWork
from services.core.config import REPO_ROOT, Settings
from services.domain.records import DocumentStatus
from services.tasks import jobs
from services.tasks.queue import make_huey
from tests.support.databases import fresh_postgres_url
from tests.support.integrity import record_problems
from tools.local_processes import stop_group
from tests.support.worker import WORKER_SCRIPT, extraction_count, status, submit, wait_for


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "").strip()
    reason = "TEST_REDIS_URL is not set: the Redis leg is skipped (CI sets it)"
    if url:
        try:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
            return url
        except Exception as exc:  # noqa: BLE001 - any connection failure
            reason = f"Redis at TEST_REDIS_URL is unreachable: {exc}"
    if os.environ.get("REQUIRE_REDIS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def shared_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from fresh_postgres_url(request.getfixturevalue("postgres_template"))


def start_worker(tmp_path: Path, n: int, database_url: str, redis_url: str, queue: str,
                 delay: float) -> subprocess.Popen[bytes]:
    env = dict(os.environ, DATA_DIR=str(tmp_path / f"machine-{n}"), DATABASE_URL=database_url,
               REDIS_URL=redis_url, QUEUE_NAME=queue, FAKE_DELAY=str(delay))
    return subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp_path / f"worker-{n}.log", "ab"),
                            start_new_session=True)


@pytest.mark.slow
def test_two_worker_processes_on_redis_and_postgresql_extract_a_batch_exactly_once(
        tmp_path: Path, redis_url: str, shared_postgres: str) -> None:
    queue = f"vr-test-{uuid.uuid4().hex[:8]}"
    huey = make_huey(Settings(data_dir=tmp_path, redis_url=redis_url, queue_name=queue))
    own_storage = jobs.huey.storage
    jobs.huey.storage = huey.storage  # this process queues as the app would
    database = Database(shared_postgres)
    workers = [start_worker(tmp_path, n, shared_postgres, redis_url, queue, delay=0.4) for n in (1, 2)]
    try:
        documents = [submit(database) for _ in range(12)]
        for document_id in documents:
            jobs.enqueue_extraction(document_id)
        for document_id in documents[:4]:
            jobs.enqueue_extraction(document_id)  # queued twice: still one extraction
        wait_for(lambda: all(status(database, d) == DocumentStatus.NEEDS_REVIEW.value for d in documents),
                 timeout=120)
        wait_for(lambda: jobs.huey.pending_count() == 0, timeout=30)
        assert [extraction_count(database, d) for d in documents] == [1] * len(documents)
        assert record_problems(database) == []
        with UnitOfWork(database, write=False) as uow:
            actors = set(uow.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == STARTED)))
        assert len(actors) == 2, actors  # both "machines" took part
        assert all(worker.poll() is None for worker in workers)
    finally:
        for worker in workers:
            stop_group(worker, grace=20)
        jobs.huey.storage = own_storage
        huey.storage.flush_all()
        database.dispose()
