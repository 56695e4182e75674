"""Review-path scale benchmark: seed 100 000 documents, then time the queue listing, claiming the
next document, and a full CSV export (with the export's peak memory).

    python bench/review_scale.py                      # SQLite (a file under bench/out/)
    python bench/review_scale.py --postgres URL       # PostgreSQL (a scratch database is created
                                                      # on that server and dropped afterwards)
    python bench/review_scale.py --both               # SQLite, and PostgreSQL at TEST_DATABASE_URL

Targets: the queue's data under 1 s, a claim under 100 ms, the export under 15 s with flat memory.
Every document is a back side with its 24 fields (2.4 million field rows); invented values.
`--runs N` repeats the measurements on the same seeded database (the claims of a run are released
before the next) and reports medians; each export runs in a fresh process, whose resident memory
is sampled while it writes. The machine's load average is recorded beside the figures, as shared
machines make timings noisy. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from db.migrate import upgrade  # noqa: E402
from db.models import Document, FieldValue, User  # noqa: E402
from db.session import Database, normalise_url  # noqa: E402
from services.accounts.passwords import hash_secret  # noqa: E402
from services.domain.people import (
    Principal,  # noqa: E402
    Role,
)
from services.domain.records import (
    DocumentFilter,  # noqa: E402
    DocumentStatus,
)
from services.domain.schema import BACK_FIELDS  # noqa: E402
from services.review.export import ExportService  # noqa: E402
from services.review.workflow import ReviewService  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
TARGETS = {"queue_s": 1.0, "claim_ms": 100.0, "export_s": 15.0}
SURNAMES = ("NGUYỄN", "TRẦN", "LÊ", "PHẠM", "HOÀNG", "VŨ", "ĐẶNG", "BÙI")
GIVEN = ("VĂN AN", "THỊ BÌNH", "HỒNG PHƯỢNG", "MINH TUẤN", "THU HÀ", "QUANG HUY")
BRANDS = ("HONDA", "YAMAHA", "TOYOTA", "KIA", "HYUNDAI", "SUZUKI")
STATUS_MIX = ((DocumentStatus.NEEDS_REVIEW.value, 0.6), (DocumentStatus.APPROVED.value, 0.3),
              (DocumentStatus.REJECTED.value, 0.05), (DocumentStatus.IN_REVIEW.value, 0.05))


def no_checks(values: Any, kind: str) -> dict:
    return {}


def no_derivation(side: str, name: str, value: str) -> dict:
    return {}


def invented_values(rng: random.Random, i: int) -> dict[str, str]:
    province = f"{rng.randint(1, 96):02d}"
    return {
        "name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
        "address": f"Số {rng.randint(1, 400)} đường {rng.randint(1, 50)}, Phường {rng.randint(1, 20)}",
        "address_town_code": province, "address_district_code": f"{rng.randint(1, 999):03d}",
        "address_ward_code": f"{rng.randint(1, 32000):05d}", "address_town": "Tỉnh Bình Thuận",
        "address_district": "Huyện Bắc Bình", "address_ward": "Xã Phan Rí Thành",
        "engine": f"JF{rng.randint(10, 99)}E{i:07d}", "chassis": f"RLHJF{rng.randint(10, 99)}0KY{i:06d}",
        "brand": rng.choice(BRANDS), "model": "VISION", "color": "Đỏ Đen", "capacity": "110",
        "issued_at": "Công an tỉnh Bình Thuận", "issued_at_code": province,
        "last_issue_date": "08/01/2020", "first_issue_date": "08/01/2020",
        "plate": f"{province}B{rng.randint(1, 9)}-{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        "pay_load": "", "year_of_manufacture": "", "lie": "", "sit": "", "stand": "",
    }


def document_rows(n: int, reviewer_ids: list[int], seed: int = 7) -> Iterator[tuple[dict, list[dict]]]:
    rng = random.Random(seed)
    start = datetime.now(timezone.utc) - timedelta(days=90)
    statuses = [s for s, _ in STATUS_MIX]
    weights = [w for _, w in STATUS_MIX]
    for i in range(1, n + 1):
        status = rng.choices(statuses, weights)[0]
        created = start + timedelta(seconds=i * 77)
        values = invented_values(rng, i)
        confidences = {spec.name: round(rng.betavariate(8, 1.2), 4) for spec in BACK_FIELDS if spec.has_confidence}
        reviewed = status in (DocumentStatus.APPROVED.value, DocumentStatus.REJECTED.value)
        reviewer = rng.choice(reviewer_ids)
        document = {
            "id": i, "source": "batch", "source_detail": f"card_{i:06d}_back.jpg", "status": status,
            "kind": "motorbike", "backend": "local", "enqueue_review": True, "version": 2,
            "min_confidence": min(confidences.values()),
            "review_reasons": sorted(f"low_confidence:{k}" for k, v in confidences.items() if v < 0.8),
            "province_code": values["issued_at_code"], "plate_key": values["plate"].replace("-", "").replace(".", ""),
            "chassis_key": values["chassis"], "error": "", "decision_note": "", "created_at": created,
            "updated_at": created, "claimed_by": reviewer if status == DocumentStatus.IN_REVIEW.value else None,
            "claimed_at": created if status == DocumentStatus.IN_REVIEW.value else None,
            "reviewed_by": reviewer if reviewed else None,
            "reviewed_at": created + timedelta(hours=2) if reviewed else None,
        }
        fields = []
        for spec in BACK_FIELDS:
            corrected = reviewed and spec.has_confidence and rng.random() < 0.05
            fields.append({
                "document_id": i, "side": "back", "name": spec.name, "value": values[spec.name],
                "confidence": confidences.get(spec.name), "box": [10, 10, 100, 20] if spec.has_confidence else None,
                "check_ok": True, "check_reason": "", "note": "",
                "corrected_value": values[spec.name] + "X" if corrected else None,
                "corrected_by": reviewer if corrected else None,
                "corrected_at": created + timedelta(hours=2) if corrected else None,
                "status": "corrected" if corrected else ("confirmed" if reviewed else "extracted"),
            })
        yield document, fields


def seed(database: Database, n: int) -> list[Principal]:
    started = time.perf_counter()
    password = hash_secret("bench password")
    with database.engine.begin() as connection:
        connection.execute(insert(User.__table__), [
            {"username": f"reviewer{i:02d}", "password_hash": password, "role": Role.REVIEWER.value, "active": True,
             "failed_logins": 0, "created_at": datetime.now(timezone.utc)} for i in range(40)])
    with database.engine.connect() as connection:
        users = [Principal(id=row[0], username=row[1], role=Role.REVIEWER)
                 for row in connection.execute(text("SELECT id, username FROM users ORDER BY id"))]
    ids = [u.id for u in users]
    batch_docs: list[dict] = []
    batch_fields: list[dict] = []
    with database.engine.begin() as connection:
        for document, fields in document_rows(n, ids):
            batch_docs.append(document)
            batch_fields.extend(fields)
            if len(batch_docs) == 5000:
                _flush(connection, batch_docs, batch_fields)
        _flush(connection, batch_docs, batch_fields)
        if database.is_postgres:
            connection.execute(text("SELECT setval(pg_get_serial_sequence('documents', 'id'), "
                                    "(SELECT max(id) FROM documents))"))
    with database.engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    print(f"  seeded {n} documents and {n * len(BACK_FIELDS)} fields in {time.perf_counter() - started:.1f} s")
    return users


def _flush(connection: Any, documents: list[dict], fields: list[dict]) -> None:
    if documents:
        connection.execute(insert(Document.__table__), documents)
        connection.execute(insert(FieldValue.__table__), fields)
    documents.clear()
    fields.clear()


def timed(fn: Any, repeat: int = 5) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _rss_mb() -> float:
    """Resident memory now (Linux), not the high-water mark: imports alone can set that higher
    than the export ever goes, which would hide growth."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _export_child(url: str, fmt: str, path: str, queue: Any) -> None:
    database = Database(url)
    samples: list[float] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            samples.append(_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    before = _rss_mb()
    sampler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    with open(path, "wb") as out:
        count = ExportService(database).write(DocumentFilter(), fmt, out)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    done.set()
    sampler.join()
    queue.put({"count": count, "seconds": elapsed, "cpu_seconds": cpu, "rss_before_mb": before,
               "rss_peak_mb": max(samples + [_rss_mb()]), "bytes": os.path.getsize(path)})


def export_in_child(url: str, fmt: str) -> dict[str, Any]:
    """One export in a fresh process, so that its memory figures are its own."""
    ctx = multiprocessing.get_context("spawn")
    result_queue = ctx.Queue()
    with tempfile.TemporaryDirectory() as tmp:
        child = ctx.Process(target=_export_child, args=(url, fmt, os.path.join(tmp, f"export.{fmt}"), result_queue))
        child.start()
        result = result_queue.get(timeout=1800)
        child.join()
    return result


def measure_once(database: Database, url: str, users: list[Principal], formats: list[str]) -> dict[str, Any]:
    review = ReviewService(database, checker=no_checks, deriver=no_derivation)
    queue_filter = DocumentFilter(statuses=(DocumentStatus.NEEDS_REVIEW.value, DocumentStatus.IN_REVIEW.value))
    load_before = os.getloadavg()[0]
    queue_s, rows = timed(lambda: review.queue(queue_filter, limit=50))
    count_s, total = timed(lambda: review.count(queue_filter))
    deep_s, _ = timed(lambda: review.queue(queue_filter, limit=50, offset=20_000), repeat=3)
    assert len(rows) == 50 and rows[0].min_confidence <= rows[-1].min_confidence
    claims, claimed = [], []
    for user in users[:30]:
        started = time.perf_counter()
        document_id = review.claim_next(user)
        claims.append((time.perf_counter() - started) * 1000)
        assert document_id is not None
        claimed.append((user, document_id))
    for user, document_id in claimed:  # back to the queue, so that the next run claims alike
        review.release(user, document_id)
    figures: dict[str, Any] = {
        "queue_first_page_s": queue_s, "queue_count_s": count_s, "queue_data_s": queue_s + count_s,
        "queue_page_400_s": deep_s, "queue_total": total,
        "claim_median_ms": statistics.median(claims), "claim_max_ms": max(claims),
    }
    for fmt in formats:
        export = export_in_child(url, fmt)
        key = "export" if fmt == "csv" else f"export_{fmt}"
        figures.update({
            f"{key}_s": export["seconds"], f"{key}_cpu_s": export["cpu_seconds"], f"{key}_rows": export["count"],
            f"{key}_mb": export["bytes"] / 1e6, f"{key}_peak_rss_mb": export["rss_peak_mb"],
            f"{key}_rss_growth_mb": export["rss_peak_mb"] - export["rss_before_mb"],
        })
    figures["load_average"] = (load_before + os.getloadavg()[0]) / 2
    return figures


def measure(url: str, n: int, label: str, runs: int = 1, formats: Optional[list[str]] = None) -> dict[str, Any]:
    print(f"{label}: {make_url(url).render_as_string(hide_password=True)}")
    upgrade(url)
    database = Database(url)
    try:
        users = seed(database, n)
        per_run = []
        for run in range(1, runs + 1):
            per_run.append(measure_once(database, url, users, formats or ["csv"]))
            print(f"  run {run}: claim {per_run[-1]['claim_median_ms']:.1f} ms, export {per_run[-1]['export_s']:.1f} s "
                  f"(load {per_run[-1]['load_average']:.1f})", flush=True)
        figures: dict[str, Any] = {"backend": label, "documents": n, "runs": runs}
        for key in per_run[0]:
            values = [run[key] for run in per_run]
            digits = 1 if key.endswith(("_ms", "_mb")) or key == "load_average" else 2 if "export" in key else 4
            figures[key] = round(statistics.median(values), digits)
            if runs > 1 and key in ("claim_median_ms", "export_s", "load_average"):
                figures[f"{key}_runs"] = [round(v, digits) for v in values]
        ok = (figures["queue_data_s"] < TARGETS["queue_s"] and figures["claim_median_ms"] < TARGETS["claim_ms"]
              and figures["export_s"] < TARGETS["export_s"])
        figures["targets_met"] = ok
        for key, value in figures.items():
            print(f"  {key:28s} {value}")
        return figures
    finally:
        database.dispose()


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def scratch_postgres(admin_url: str) -> tuple[str, Any]:
    admin_url = normalise_url(admin_url)
    name = f"vr_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/review_scale.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--postgres", help="PostgreSQL server URL (a scratch database is made there)")
    parser.add_argument("--both", action="store_true", help="SQLite and PostgreSQL (TEST_DATABASE_URL)")
    parser.add_argument("--runs", type=int, default=1, help="repeat the measurements; medians are reported")
    parser.add_argument("--formats", default="csv", help="export formats to time, e.g. csv,json,xlsx (csv is "
                        "the one with a target and is always included)")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args(argv)
    formats = ["csv"] + [f for f in args.formats.split(",") if f and f != "csv"]
    results = []
    if not args.postgres or args.both:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "review_scale.db"
        remove_sqlite(path)
        results.append(measure(f"sqlite:///{path}", args.documents, "sqlite", args.runs, formats))
        remove_sqlite(path)
    pg_url = args.postgres or (os.environ.get("TEST_DATABASE_URL") if args.both else None)
    if pg_url:
        url, drop = scratch_postgres(pg_url)
        try:
            results.append(measure(url, args.documents, "postgresql", args.runs, formats))
        finally:
            drop()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return 0 if all(r["targets_met"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
