"""Load on the API server: 1, 2, 4 and 8 concurrent clients posting generated certificates.

    python bench/api_load.py                       # starts its own server (fresh SQLite, local engine)
    python bench/api_load.py --requests 24 --levels 1,2,4,8 --two-sided
    python bench/api_load.py --url http://127.0.0.1:8000 --key K --secret S [--database-url URL]

For each level: requests per second, p50 / p95 / mean / max latency, and the answers by error code.
Then it checks that every request got a seed answer and, when it knows the server's database,
that each answered request left a stored document with exactly one extraction.

Traffic goes only to the server it starts on 127.0.0.1, or to the --url given (which must be a
loopback address unless --allow-remote is passed).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402

from tools.local_processes import free_port  # noqa: E402

ONE_SIDE = "/api/v2/ocr/vehicle_registration"
TWO_SIDES = "/api/v2/ocr/vehicle_registrations"


@dataclass
class Result:
    seconds: float
    status: int
    code: str  # the seed errorCode, or "no answer"
    document_id: Optional[int]


@dataclass
class Level:
    clients: int
    wall: float
    results: list[Result] = field(default_factory=list)

    def latencies(self) -> list[float]:
        return sorted(r.seconds for r in self.results)

    @property
    def rps(self) -> float:
        return len(self.results) / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        values = self.latencies()
        if not values:
            return float("nan")
        k = max(0, min(len(values) - 1, round(p / 100 * (len(values) - 1))))
        return values[k]


@dataclass(frozen=True)
class CardUpload:
    front: tuple[str, bytes]
    back: tuple[str, bytes]


def generate_cards(count: int, seed: int) -> list[CardUpload]:
    from services.domain.schema import Side
    from tools.synth import generate_card

    cards = []
    for index in range(count):
        card = generate_card(seed, index)
        cards.append(CardUpload((card.file_name(Side.FRONT), card.sides[Side.FRONT].image),
                                (card.file_name(Side.BACK), card.sides[Side.BACK].image)))
    return cards


class StartedServer:
    """`python -m services.api` on 127.0.0.1 with a fresh SQLite database and a random key."""

    def __init__(self, workdir: Path, workers: int, extractor: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key, self.secret = "bench-" + secrets.token_hex(4), secrets.token_urlsafe(16)
        self.database_url = f"sqlite:///{workdir / 'bench.db'}"
        env = dict(os.environ, DATABASE_URL=self.database_url, OCR_API_KEY=self.key, OCR_API_SECRET=self.secret,
                   API_WORKERS=str(workers), API_MAX_CONCURRENCY="256", PYTHONPATH=str(REPO_ROOT))
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.api", "--port", str(self.port), "--extractor", extractor,
             "--log-level", "warning"],
            cwd=REPO_ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited at start; see {self.log_path}:\n{self.log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise SystemExit("the server did not start in time")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def post(session: requests.Session, url: str, auth: tuple[str, str], card: CardUpload, two_sided: bool,
         timeout: float) -> Result:
    if two_sided:
        target, files = url + TWO_SIDES, {"img1": card.front, "img2": card.back}
    else:
        target, files = url + ONE_SIDE, {"img": card.back}
    started = time.monotonic()
    try:
        response = session.post(target, params={"format_type": "file", "get_thumb": "false"}, auth=auth,
                                files=files, timeout=timeout)
        elapsed = time.monotonic() - started
        body = response.json()
        code = str(body.get("errorCode", "no answer"))
        document = response.headers.get("X-Document-Id")
        return Result(elapsed, response.status_code, code, int(document) if document else None)
    except (requests.RequestException, ValueError) as exc:
        return Result(time.monotonic() - started, 0, f"no answer ({type(exc).__name__})", None)


def run_level(url: str, auth: tuple[str, str], cards: list[CardUpload], clients: int, total: int,
              two_sided: bool, timeout: float) -> Level:
    counter = iter(range(total))
    lock = threading.Lock()
    results: list[Result] = []

    def client() -> None:
        with requests.Session() as session:
            while True:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                result = post(session, url, auth, cards[n % len(cards)], two_sided, timeout)
                with lock:
                    results.append(result)

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client) for _ in range(clients)]:
            future.result()
    return Level(clients, time.monotonic() - started, results)


def check_stored(database_url: str, results: list[Result]) -> list[str]:
    """Problems found: an answered request without exactly one stored extraction."""
    from sqlalchemy import func, select

    from db.models import Extraction
    from db.session import Database, UnitOfWork

    problems = []
    database = Database(database_url)
    try:
        with UnitOfWork(database, write=False) as uow:
            counts = dict(uow.session.execute(
                select(Extraction.document_id, func.count()).group_by(Extraction.document_id)).all())
            for result in results:
                if result.document_id is None:
                    if result.code in ("0", "1"):
                        problems.append(f"an answer with code {result.code} carried no document id")
                    continue
                document = uow.documents.get(result.document_id)
                if document is None:
                    problems.append(f"document {result.document_id} is missing")
                elif counts.get(result.document_id, 0) != 1:
                    problems.append(f"document {result.document_id} has {counts.get(result.document_id, 0)} "
                                    "extractions")
    finally:
        database.dispose()
    return problems


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="target a running server instead of starting one")
    parser.add_argument("--key", default="")
    parser.add_argument("--secret", default="")
    parser.add_argument("--database-url", help="the target server's database, to check the stored records")
    parser.add_argument("--allow-remote", action="store_true", help="allow a --url that is not loopback")
    parser.add_argument("--levels", default="1,2,4,8", help="concurrent clients per level (default 1,2,4,8)")
    parser.add_argument("--requests", type=int, default=16, help="requests per level (default 16)")
    parser.add_argument("--cards", type=int, default=6, help="distinct generated cards to cycle through")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--two-sided", action="store_true", help="post front and back (default: the back only)")
    parser.add_argument("--workers", type=int, default=0, help="API_WORKERS of a started server (0: cores)")
    parser.add_argument("--extractor", default="local", help="extractor of a started server")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",") if n.strip()]

    if args.url and not args.allow_remote:
        host = urlsplit(args.url).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"{host} is not a loopback address; pass --allow-remote to load it on purpose")

    print(f"generating {args.cards} cards (seed {args.seed}) ...", flush=True)
    started = time.monotonic()
    cards = generate_cards(args.cards, args.seed)
    print(f"  done in {time.monotonic() - started:.1f} s", flush=True)

    server: Optional[StartedServer] = None
    workdir = tempfile.TemporaryDirectory(prefix="api-load-")
    try:
        if args.url:
            url, auth, database_url = args.url.rstrip("/"), (args.key, args.secret), args.database_url
        else:
            server = StartedServer(Path(workdir.name), args.workers, args.extractor)
            print(f"starting the server on {server.url} ...", flush=True)
            server.wait_ready()
            health = requests.get(f"{server.url}/healthz", timeout=5).json()
            print(f"  {health['workers']} worker(s), extractor {health['extractor']}", flush=True)
            url, auth, database_url = server.url, (server.key, server.secret), server.database_url

        # One request first so that start-up costs (caches, first OCR) do not count.
        warm = post(requests.Session(), url, auth, cards[0], args.two_sided, args.timeout)
        print(f"warm-up: {warm.seconds:.2f} s, code {warm.code}", flush=True)

        kind = "two-sided" if args.two_sided else "one side"
        print(f"\n{args.requests} requests per level, {kind}, multipart files")
        print(f"{'clients':>7} {'req/s':>7} {'p50 s':>7} {'p95 s':>7} {'mean s':>7} {'max s':>7}  answers")
        all_results = [warm]
        for clients in levels:
            level = run_level(url, auth, cards, clients, args.requests, args.two_sided, args.timeout)
            all_results.extend(level.results)
            codes = Counter(r.code for r in level.results)
            print(f"{clients:>7} {level.rps:>7.2f} {level.percentile(50):>7.2f} {level.percentile(95):>7.2f} "
                  f"{statistics.fmean(level.latencies()):>7.2f} {level.latencies()[-1]:>7.2f}  "
                  + ", ".join(f"code {c}: {n}" for c, n in sorted(codes.items())), flush=True)

        unanswered = [r for r in all_results if r.code.startswith("no answer")]
        print(f"\nanswered: {len(all_results) - len(unanswered)} / {len(all_results)}")
        failed = bool(unanswered)
        if database_url:
            problems = check_stored(database_url, all_results)
            stored = sum(1 for r in all_results if r.document_id is not None)
            print(f"stored records: {stored} documents checked, {len(problems)} problem(s)")
            for problem in problems[:20]:
                print(f"  {problem}")
            failed = failed or bool(problems)
        else:
            print("stored records: not checked (pass --database-url)")
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
        workdir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
