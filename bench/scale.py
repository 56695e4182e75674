"""Scale-out benchmark: extraction throughput with 1, 2 and 4 worker processes on one batch.

    python bench/scale.py                                  # TEST_DATABASE_URL / REDIS_URL or local defaults
    python bench/scale.py --cards 16 --levels 1,2,4 --runs 3
    python bench/scale.py --postgres postgresql://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/0

Each level starts that many `python -m services.tasks.worker --workers 1` processes, each as if
on a machine of its own: one Redis queue (a name of its own per level), one PostgreSQL database
(a scratch database per level, dropped afterwards), the real local engine. Every worker first
takes a warm-up document (engine loading does not count); then the same generated batch of
two-sided certificates is queued at once and timed until the last document is extracted.

Printed per level: documents per minute, seconds per document, speed-up over one worker, how the
documents spread over the workers, and the check that every document was extracted exactly once
(one extraction row each, none left waiting). With `--runs N` each level runs N times and the
median is reported. On a 2-core machine the speed-up should level off at about 2.

Only 127.0.0.1 is contacted unless --allow-remote is given.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import func, select  # noqa: E402

from bench.review_scale import scratch_postgres  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import AuditEntry, Document, Extraction  # noqa: E402
from db.repositories.tasks import STARTED  # noqa: E402
from db.session import Database, UnitOfWork  # noqa: E402
from services.core.config import Settings  # noqa: E402
from services.domain.records import DocumentStatus
from services.review.intake import ImageInput, IntakeService, Submission  # noqa: E402

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class LevelResult:
    workers: int
    documents: int
    seconds: float
    per_worker: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    @property
    def per_minute(self) -> float:
        return 60 * self.documents / self.seconds


def generate_batch(count: int, seed: int) -> list[list[ImageInput]]:
    from services.domain.schema import Side
    from tools.synth import generate_card

    batch = []
    for index in range(count):
        card = generate_card(seed, index)
        batch.append([ImageInput(card.sides[side].image, side.value, card.file_name(side))
                      for side in (Side.FRONT, Side.BACK)])
    return batch


def submit(intake: IntakeService, images: list[ImageInput]) -> int:
    return intake.submit(Submission(images=images, source="batch", source_detail="bench/scale.py"))


def waiting(database: Database, ids: list[int]) -> int:
    with UnitOfWork(database, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Document).where(
            Document.id.in_(ids), Document.status == DocumentStatus.EXTRACTING.value)) or 0


def wait_until_extracted(database: Database, ids: list[int], workers: list[subprocess.Popen], timeout: float,
                         poll: float = 0.2) -> float:
    started = time.monotonic()
    while waiting(database, ids):
        if any(w.poll() is not None for w in workers):
            raise SystemExit("a worker process exited; see its log")
        if time.monotonic() - started > timeout:
            raise SystemExit(f"not extracted within {timeout:.0f} s")
        time.sleep(poll)
    return time.monotonic() - started


def check_exactly_once(database: Database, ids: list[int]) -> list[str]:
    problems = []
    with UnitOfWork(database, write=False) as uow:
        counts = dict(uow.session.execute(select(Extraction.document_id, func.count())
                                          .where(Extraction.document_id.in_(ids))
                                          .group_by(Extraction.document_id)).all())
        statuses = dict(uow.session.execute(select(Document.id, Document.status).where(Document.id.in_(ids))).all())
    for document_id in ids:
        if counts.get(document_id, 0) != 1:
            problems.append(f"document {document_id} has {counts.get(document_id, 0)} extractions")
        if statuses.get(document_id) == DocumentStatus.EXTRACTING.value:
            problems.append(f"document {document_id} is still waiting")
    return problems


def spread(database: Database, ids: list[int]) -> Counter:
    with UnitOfWork(database, write=False) as uow:
        actors = uow.session.scalars(select(AuditEntry.actor).where(AuditEntry.action == STARTED,
                                                                   AuditEntry.document_id.in_(ids)))
        return Counter(actors)


def start_workers(n: int, database_url: str, redis_url: str, queue: str, workdir: Path) -> list[subprocess.Popen]:
    workers = []
    for i in range(n):
        env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, QUEUE_NAME=queue,
                   DATA_DIR=str(workdir / f"machine-{i}"), OMP_THREAD_LIMIT="1", PYTHONPATH=str(REPO_ROOT))
        log = open(workdir / f"worker-{queue}-{i}.log", "ab")
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "services.tasks.worker", "--workers", "1", "--no-periodic"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGINT)
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)


def run_level(n: int, batch: list[list[ImageInput]], admin_url: str, redis_url: str, workdir: Path,
              timeout: float) -> LevelResult:
    from services.tasks import jobs
    from services.tasks.queue import make_huey

    database_url, drop = scratch_postgres(admin_url)
    queue = f"vr-bench-{uuid.uuid4().hex[:8]}"
    huey = make_huey(Settings(data_dir=workdir, redis_url=redis_url, queue_name=queue))
    jobs.huey.storage = huey.storage
    workers: list[subprocess.Popen] = []
    database: Optional[Database] = None
    try:
        upgrade(database_url)
        database = Database(database_url)
        settings = Settings.from_env()
        intake = IntakeService(database, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
        workers = start_workers(n, database_url, redis_url, queue, workdir)
        # Warm-up: one document per worker, so each loads its engine before the clock starts.
        warm = [submit(intake, batch[i % len(batch)]) for i in range(n)]
        for document_id in warm:
            jobs.enqueue_extraction(document_id)
        wait_until_extracted(database, warm, workers, timeout)
        ids = [submit(intake, images) for images in batch]
        started = time.monotonic()
        for document_id in ids:
            jobs.enqueue_extraction(document_id)
        wait_until_extracted(database, ids, workers, timeout, poll=0.1)
        seconds = time.monotonic() - started
        time.sleep(0.5)  # anything extracted twice would show now
        return LevelResult(n, len(ids), seconds, spread(database, ids), check_exactly_once(database, ids + warm))
    finally:
        stop_workers(workers)
        huey.storage.flush_all()
        if database is not None:
            database.dispose()
        drop()


def require_loopback(url: str, allow_remote: bool, what: str) -> None:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not allow_remote:
        raise SystemExit(f"{what} host {host!r} is not a loopback address; pass --allow-remote to use it")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/scale.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cards", type=int, default=12, help="two-sided certificates in the batch (default 12)")
    parser.add_argument("--levels", default="1,2,4", help="worker processes per level (default 1,2,4)")
    parser.add_argument("--runs", type=int, default=1, help="runs per level; the median is reported")
    parser.add_argument("--seed", type=int, default=21)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres",
                        help="PostgreSQL server (a scratch database is made there per level)")
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL")
                        or "redis://127.0.0.1:6379/0")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a level may take")
    parser.add_argument("--allow-remote", action="store_true")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",") if n.strip()]
    require_loopback(args.postgres, args.allow_remote, "PostgreSQL")
    require_loopback(args.redis, args.allow_remote, "Redis")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ["REDIS_URL"] = args.redis  # the task module builds its queue client from this

    print(f"generating {args.cards} two-sided cards (seed {args.seed}) ...", flush=True)
    started = time.monotonic()
    batch = generate_batch(args.cards, args.seed)
    print(f"  done in {time.monotonic() - started:.1f} s; cores: {len(os.sched_getaffinity(0))}, "
          f"load average {os.getloadavg()[0]:.2f}", flush=True)

    results: dict[int, list[LevelResult]] = {n: [] for n in levels}
    failed = False
    with tempfile.TemporaryDirectory(prefix="vr-scale-") as workdir:
        for run in range(args.runs):
            for n in levels:
                result = run_level(n, batch, args.postgres, args.redis, Path(workdir), args.timeout)
                results[n].append(result)
                failed = failed or bool(result.problems)
                print(f"run {run + 1}, {n} worker(s): {result.seconds:.1f} s for {result.documents} documents, "
                      f"load average {os.getloadavg()[0]:.2f}, exactly once: "
                      f"{'yes' if not result.problems else '; '.join(result.problems[:5])}", flush=True)

    base = statistics.median(r.seconds for r in results[levels[0]])  # speed-up over the first level
    print(f"\n{'workers':>7} {'docs/min':>9} {'s/doc':>7} {'speed-up':>9}  documents per worker")
    summary = []
    for n in levels:
        seconds = statistics.median(r.seconds for r in results[n])
        documents = results[n][0].documents
        speedup = base / seconds if seconds else float("nan")
        share = sorted(results[n][-1].per_worker.values(), reverse=True)
        print(f"{n:>7} {60 * documents / seconds:>9.1f} {seconds / documents:>7.2f} {speedup:>9.2f}  {share}")
        summary.append(f"docs_per_min_{n}={60 * documents / seconds:.1f} speedup_{n}={speedup:.2f}")
    print(f"\nexactly once: {'yes' if not failed else 'NO'}")
    print("SUMMARY " + " ".join(summary) + f" runs={args.runs} cards={args.cards} exactly_once={not failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
