"""Review-path load on PostgreSQL: many simulated reviewers claiming and saving at once.

    python bench/review_load.py                                # TEST_DATABASE_URL or a local server
    python bench/review_load.py --reviewers 16 --documents 2000 --seconds 60 --leads 8 --hot 4
    python bench/review_load.py --postgres postgresql://postgres@127.0.0.1:5432/postgres

A scratch database is made on the server (and dropped afterwards) and seeded as
bench/review_scale.py does. Then two phases, each with threads standing in for people:

1. **Queue**: `--reviewers` reviewers each loop "next" (claim), open the document, save a
   correction of their own, approve, until the queue is empty or `--seconds` have passed.
   Checks: no document is claimed by two reviewers (neither as the service answered nor in the
   audit log), and every approved document holds exactly the correction its reviewer saved and
   names that reviewer (no lost update).
2. **Contention**: `--leads` leads save, `--rounds` times each, a field of their own on the same
   `--hot` documents, through the version check: a stale save is re-read and retried. Checks:
   every lead's last value is in each document, and each document's version rose by exactly the
   number of saves that succeeded (no update lost or applied twice).

Printed: operations per second, p50 / p95 / max latency per operation (claim, open, save, approve,
contended save), stale retries, and the checks. Only 127.0.0.1 is contacted unless
--allow-remote is given.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import select  # noqa: E402

from bench.review_scale import no_checks, no_derivation, scratch_postgres, seed  # noqa: E402
from db.migrate import upgrade  # noqa: E402
from db.models import AuditEntry  # noqa: E402
from db.session import Database, UnitOfWork  # noqa: E402
from services.accounts.users import UserService  # noqa: E402
from services.domain.people import Principal, Role
from services.domain.records import DocumentStatus
from services.domain.schema import BACK_FIELDS  # noqa: E402
from services.review.workflow import ReviewService, StaleDocument  # noqa: E402

# Fields the contention phase gives one lead each (plain text fields, nothing derived from them).
CONTENDED_FIELDS = ("color", "brand", "model", "engine", "chassis", "capacity", "name", "address",
                    "last_issue_date", "first_issue_date", "plate", "issued_at")


@dataclass
class Timings:
    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, name: str, call: Callable[[], object]) -> object:
        started = time.perf_counter()
        try:
            return call()
        finally:
            elapsed = time.perf_counter() - started
            with self.lock:
                self.samples[name].append(elapsed)

    def report(self, wall: float) -> list[str]:
        lines = [f"{'operation':>15} {'count':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}"]
        for name, values in self.samples.items():
            values = sorted(values)
            lines.append(f"{name:>15} {len(values):>6} {len(values) / wall:>7.1f} {percentile(values, 50):>7.1f} "
                         f"{percentile(values, 95):>7.1f} {1000 * values[-1]:>7.1f}")
        return lines


def percentile(values: list[float], p: float) -> float:
    """In milliseconds; linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(values) - 1)
    return 1000 * (values[low] + (values[high] - values[low]) * (k - low))


def queue_phase(review: ReviewService, reviewers: list[Principal], seconds: float, timings: Timings
                ) -> tuple[float, dict[int, str], list[str]]:
    """Returns the wall time, document -> the correction saved on it, and problems seen."""
    claimed: dict[int, int] = {}
    saved: dict[int, str] = {}
    problems: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def reviewer(user: Principal) -> None:
        while time.monotonic() < deadline:
            document_id = timings.timed("claim", lambda: review.claim_next(user))
            if document_id is None:
                return
            with lock:
                holder = claimed.setdefault(document_id, user.id)
            if holder != user.id:
                problems.append(f"document {document_id} claimed by users {holder} and {user.id}")
                return
            view = timings.timed("open", lambda: review.view(document_id))
            value = f"{user.username}#{document_id}"
            try:
                version = timings.timed("save", lambda: review.save(user, document_id, view.version,
                                                                     {("back", "color"): value}))
                timings.timed("approve", lambda: review.approve(user, document_id, version))
            except Exception as exc:  # noqa: BLE001 - every failure is a finding here
                problems.append(f"{user.username} on document {document_id}: {type(exc).__name__}: {exc}")
                continue
            with lock:
                saved[document_id] = value

    started = time.monotonic()
    threads = [threading.Thread(target=reviewer, args=(u,)) for u in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, saved, problems


def check_queue(database: Database, saved: dict[int, str], since: datetime) -> list[str]:
    problems = []
    review = ReviewService(database, checker=no_checks, deriver=no_derivation)
    for document_id, value in saved.items():
        view = review.view(document_id)
        if view.status != DocumentStatus.APPROVED.value:
            problems.append(f"document {document_id} is {view.status}, not approved")
        if view.field("back", "color").current != value:
            problems.append(f"document {document_id}: lost update ({view.field('back', 'color').current!r} "
                            f"instead of {value!r})")
        if view.reviewed_by != value.split("#", 1)[0]:
            problems.append(f"document {document_id} reviewed by {view.reviewed_by}, saved by {value}")
    with UnitOfWork(database, write=False) as uow:
        claims = defaultdict(set)
        for document_id, actor in uow.session.execute(
                select(AuditEntry.document_id, AuditEntry.actor).where(AuditEntry.action == "claimed",
                                                                      AuditEntry.at >= since)):
            claims[document_id].add(actor)
    problems += [f"document {d} claimed by {sorted(a)}" for d, a in claims.items() if len(a) > 1]
    return problems


def contention_phase(review: ReviewService, leads: list[Principal], hot: list[int], rounds: int,
                     timings: Timings) -> tuple[float, dict[int, int], int, list[str]]:
    """Returns the wall time, document -> successful saves, stale retries, problems."""
    successes: dict[int, int] = defaultdict(int)
    stale = 0
    problems: list[str] = []
    lock = threading.Lock()

    def lead(user: Principal, name: str) -> None:
        nonlocal stale
        for n in range(rounds):
            for document_id in hot:
                value = f"{user.username}-{n}"
                for _attempt in range(200):
                    version = review.view(document_id).version
                    try:
                        timings.timed("contended save", lambda: review.save(
                            user, document_id, version, {("back", name): value}))
                    except StaleDocument:
                        with lock:
                            stale += 1
                        continue
                    with lock:
                        successes[document_id] += 1
                    break
                else:
                    problems.append(f"{user.username} never saved document {document_id}")

    started = time.monotonic()
    threads = [threading.Thread(target=lead, args=(u, CONTENDED_FIELDS[i])) for i, u in enumerate(leads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, successes, stale, problems


def report(table: list[str], what: str, problems: list[str]) -> bool:
    """Print a phase's latencies and problems; True when there are problems."""
    print("\n".join(table))
    print(f"{what}: {len(problems)}")
    for problem in problems[:20]:
        print(f"  {problem}")
    return bool(problems)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/review_load.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL")
                        or "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reviewers", type=int, default=16)
    parser.add_argument("--documents", type=int, default=2000, help="seeded documents (about 60 %% claimable)")
    parser.add_argument("--seconds", type=float, default=60, help="time limit of the queue phase")
    parser.add_argument("--leads", type=int, default=8, help=f"at most {len(CONTENDED_FIELDS)}")
    parser.add_argument("--hot", type=int, default=4, help="documents all leads save at once")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--allow-remote", action="store_true")
    args = parser.parse_args(argv)
    host = urlsplit(args.postgres).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
        raise SystemExit(f"{host} is not a loopback address; pass --allow-remote to load it on purpose")
    assert args.leads <= len(CONTENDED_FIELDS)
    assert all(any(spec.name == f for spec in BACK_FIELDS) for f in CONTENDED_FIELDS)

    database_url, drop = scratch_postgres(args.postgres)
    database = Database(database_url, pool_size=args.reviewers + args.leads, max_overflow=8)
    failed = False
    try:
        upgrade(database_url)
        print(f"seeding {args.documents} documents ...", flush=True)
        reviewers = seed(database, args.documents)[:args.reviewers]
        users = UserService(database)
        leads = [users.create(f"lead{i:02d}", "bench password", Role.LEAD) for i in range(args.leads)]
        review = ReviewService(database, checker=no_checks, deriver=no_derivation)
        print(f"load average {os.getloadavg()[0]:.2f}, {len(os.sched_getaffinity(0))} cores", flush=True)

        since = datetime.now(timezone.utc)
        timings = Timings()
        queue_wall, saved, problems = queue_phase(review, reviewers, args.seconds, timings)
        problems += check_queue(database, saved, since)
        print(f"\n1. queue: {args.reviewers} reviewers, {len(saved)} documents claimed, corrected and approved "
              f"in {queue_wall:.1f} s ({len(saved) / queue_wall:.1f} per s)")
        failed = report(timings.report(queue_wall), "double claims and lost updates", problems) or failed

        # Documents approved above, reopened by a lead: in the queue again, held by nobody.
        hot = sorted(saved)[:args.hot]
        for document_id in hot:
            review.reopen(leads[0], document_id, review.view(document_id).version)
        before = {d: review.view(d).version for d in hot}
        contention = Timings()
        wall, successes, stale, problems = contention_phase(review, leads, hot, args.rounds, contention)
        for document_id in hot:
            view = review.view(document_id)
            if view.version != before[document_id] + successes[document_id]:
                problems.append(f"document {document_id}: version {view.version}, expected "
                                f"{before[document_id]} + {successes[document_id]} saves")
            for i, lead in enumerate(leads):
                expected = f"{lead.username}-{args.rounds - 1}"
                if view.field("back", CONTENDED_FIELDS[i]).current != expected:
                    problems.append(f"document {document_id}: {lead.username}'s last save is lost")
        print(f"\n2. contention: {args.leads} leads x {args.rounds} rounds on {len(hot)} documents, "
              f"{sum(successes.values())} saves in {wall:.1f} s, {stale} stale answers re-read and retried")
        failed = report(contention.report(wall), "lost or doubled updates", problems) or failed

        print("\nSUMMARY " + " ".join(
            f"{name.replace(' ', '_')}_p95_ms={percentile(sorted(values), 95):.1f}"
            for name, values in list(timings.samples.items()) + list(contention.samples.items()))
            + f" approved_per_s={len(saved) / queue_wall:.1f} ok={not failed}")
    finally:
        database.dispose()
        drop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
