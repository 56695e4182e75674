"""Faults: the database stops in the middle of a review save, and the API server is killed
(SIGKILL) under load. Nothing a reviewer did is lost, nothing half-written stays behind.

The database that is stopped is a private PostgreSQL cluster started by the test
(tests.support.pg_cluster), never the shared one. A worker killed mid-extraction is covered by
tests/services/test_tasks.py (the task is retried; exactly one extraction).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests
from sqlalchemy import event, func, select, text

from db.migrate import upgrade
from db.models import AuditEntry, Document, FieldValue
from db.session import Database, UnitOfWork
from services.bootstrap import Services
from services.core.config import REPO_ROOT, Settings
from services.domain.people import Role
from services.domain.records import DocumentStatus
from services.review.desk import Draft, ReviewDesk
from tests.support.api_server import SCRIPTED, b64, count_rows, png
from tests.support.app import app, button, field_input, open_next, vi
from tests.support.databases import fresh_postgres_url
from tests.support.factories import BACK_VALUES, extracted_document, make_user
from tests.support.integrity import record_problems
from tests.support.pg_cluster import PrivatePostgres, private_postgres_or_skip
from tools.local_processes import LOOPBACK, free_port, stop_group, wait_healthy
from tests.support.wiring import app_wired_to, wired_services

# --- the database stops in the middle of a review save -------------------------------------------

@pytest.fixture(scope="module")
def cluster() -> Iterator[PrivatePostgres]:
    server = private_postgres_or_skip()
    yield server
    server.destroy()


@pytest.fixture
def private_services(cluster: PrivatePostgres, tmp_path: Path) -> Iterator[Services]:
    if not cluster.running():
        cluster.start()
    url = cluster.create_database(f"vr_fault_{os.getpid()}_{next(_names)}")
    upgrade(url)
    # While the server is down its port is closed: a save fails at once rather than hanging.
    services = wired_services(Settings(data_dir=tmp_path, database_url=url))
    yield services
    services.database.dispose()


_names = itertools.count()


def stop_during(database: Database, cluster: PrivatePostgres, matches: Callable[[str], bool]) -> list[str]:
    """Stop the server (immediately, as a crash) just before the first statement that `matches`
    is sent, inside whatever transaction is running then. Returns the statements seen."""
    seen: list[str] = []
    fired = threading.Event()

    def before(_conn, _cursor, statement: str, *_args: object) -> None:
        seen.append(statement)
        if matches(statement) and not fired.is_set():
            fired.set()
            cluster.stop("immediate")

    event.listen(database.engine, "before_cursor_execute", before)
    return seen


def is_field_update(statement: str) -> bool:
    return statement.lstrip().upper().startswith("UPDATE FIELDS ")


def written_state(database: Database, document_id: int) -> dict[str, object]:
    with UnitOfWork(database, write=False) as uow:
        session = uow.session
        return {
            "version": session.scalar(select(Document.version).where(Document.id == document_id)),
            "corrected": session.scalar(select(func.count()).select_from(FieldValue).where(
                FieldValue.document_id == document_id, FieldValue.corrected_value.is_not(None))),
            "corrections_audited": session.scalar(select(func.count()).select_from(AuditEntry).where(
                AuditEntry.document_id == document_id, AuditEntry.action == "corrected")),
        }


def test_a_save_cut_off_by_the_database_stopping_writes_nothing_and_succeeds_once_it_returns(
        private_services: Services, cluster: PrivatePostgres) -> None:
    svc = private_services
    document_id = extracted_document(svc.database, confidences={"plate": 0.31})
    rita = make_user(svc.database, "rita")
    assert svc.review.claim(rita, document_id)
    before = written_state(svc.database, document_id)
    desk = ReviewDesk(svc.review)
    draft = Draft(document_id, svc.review.view(document_id).version)
    draft.edits[("back", "color")] = "Xanh"

    seen = stop_during(svc.database, cluster, is_field_update)
    outcome = desk.save(rita, draft)
    # The version was already bumped and the audit row sent inside the transaction when the
    # server went away: the reviewer is told, and the draft keeps the edit for a retry.
    assert any(s.lstrip().upper().startswith("UPDATE DOCUMENTS") for s in seen), seen
    assert outcome.kind == "database" and not outcome.ok, seen
    assert draft.pending == "save" and draft.edits == {("back", "color"): "Xanh"}
    assert desk.retry_pending(rita, draft).kind == "database"  # still down: still kept

    cluster.start()
    assert written_state(svc.database, document_id) == before  # nothing half-written
    retried = desk.retry_pending(rita, draft)
    assert retried is not None and retried.kind == "saved"
    view = svc.review.view(document_id)
    assert view.field("back", "color").current == "Xanh"
    assert view.version == before["version"] + 1
    assert written_state(svc.database, document_id)["corrections_audited"] == 1


def test_the_review_screen_survives_the_database_stopping_mid_save_and_saves_when_it_returns(
        private_services: Services, cluster: PrivatePostgres) -> None:

    svc = private_services
    with app_wired_to(svc):
        document_id = extracted_document(svc.database, confidences={"plate": 0.31})
        reviewer = make_user(svc.database, "rita", Role.REVIEWER)
        at = open_next(app(reviewer, "queue"))
        before = written_state(svc.database, document_id)

        stop_during(svc.database, cluster, is_field_update)
        field_input(at, "color").input("Xanh")
        button(at, "review.save").click()
        at.run()
        assert not at.exception, at.exception
        assert vi("review.db_down") in [e.value for e in at.error]

        at.run()  # the next click while the server is still down
        assert not at.exception, at.exception
        assert vi("review.db_down") in [e.value for e in at.error]
        assert "principal" in at.session_state  # still signed in
        assert "Xanh" in at.dataframe[-1].value.to_string()  # the kept edit is listed

        cluster.start()
        assert written_state(svc.database, document_id) == before
        button(at, "review.retry").click()
        at.run()
        assert not at.exception, at.exception
        view = svc.review.view(document_id)
        assert view.field("back", "color").current == "Xanh"
        assert view.field("back", "name").current == BACK_VALUES["name"]
        assert view.version == before["version"] + 1
        assert field_input(at, "color").value == "Xanh"


# --- the API server killed under load ------------------------------------------------------------

class ApiProcess:
    """`python -m services.api` in its own process group (its worker processes with it)."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.auth = ("kill-key", "kill-secret")
        self.env = dict(os.environ, DATABASE_URL=database_url, DATA_DIR=str(tmp_path), OCR_API_KEY=self.auth[0],
                        OCR_API_SECRET=self.auth[1], API_WORKERS="2", OCR_URL_ALLOWLIST=LOOPBACK)
        self.log = tmp_path / "api.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.api", "--port", str(self.port), "--extractor", SCRIPTED,
             "--log-level", "warning"],
            cwd=REPO_ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"),
            start_new_session=True)
        wait_healthy(f"{self.url}/healthz", self.process, 120, output=lambda: self.log.read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process, grace=30)


def load(server: ApiProcess, stop: threading.Event, answered: list[int], client: int) -> None:
    """Post one-sided files and two-sided base64 until stopped; errors after the kill are expected."""
    with requests.Session() as session:
        for n in itertools.count():
            if stop.is_set():
                return
            try:
                if (n + client) % 2:
                    response = session.post(f"{server.url}/api/v2/ocr/vehicle_registration",
                                            params={"format_type": "file"}, auth=server.auth,
                                            files={"img": ("card.png", png(320 + client, 200, f"{client}-{n}"))},
                                            timeout=20)
                else:
                    response = session.post(f"{server.url}/api/v2/ocr/vehicle_registrations",
                                            params={"format_type": "base64"}, auth=server.auth,
                                            json={"img1": b64(png(330, 210, f"f{n}")),
                                                  "img2": b64(png(340, 220, f"b{n}"))}, timeout=20)
                if response.json().get("errorCode") == "0":
                    answered.append(int(response.headers["X-Document-Id"]))
            except (requests.RequestException, ValueError):
                if stop.is_set():
                    return
                time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def kill_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'api.db'}"
        upgrade(url)
        yield url
    else:
        yield from fresh_postgres_url(request.getfixturevalue("postgres_template"))


@pytest.mark.slow
def test_the_api_server_killed_under_load_leaves_no_corrupt_record(kill_database_url: str, tmp_path: Path) -> None:
    server = ApiProcess(tmp_path, kill_database_url)
    server.start()
    stop = threading.Event()
    answered: list[int] = []
    clients = [threading.Thread(target=load, args=(server, stop, answered, c), daemon=True) for c in range(6)]
    try:
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 60
        while len(answered) < 25 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(answered) >= 25, server.log.read_text()[-3000:]
        server.kill()  # in the middle of requests being stored
        stop.set()
        for thread in clients:
            thread.join(30)
    finally:
        stop.set()
        server.stop()

    database = Database(kill_database_url)
    try:
        if database.is_sqlite:
            with database.engine.connect() as connection:
                assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        assert record_problems(database) == []
        # Every request answered with success before the kill is stored, extracted, reviewable.
        with UnitOfWork(database, write=False) as uow:
            statuses = dict(uow.session.execute(select(Document.id, Document.status)).all())
        assert all(statuses.get(d) == DocumentStatus.NEEDS_REVIEW.value for d in answered)

        restarted = ApiProcess(tmp_path, kill_database_url)
        restarted.start()
        try:
            response = requests.post(f"{restarted.url}/api/v2/ocr/vehicle_registration",
                                     params={"format_type": "file"}, auth=restarted.auth,
                                     files={"img": ("card.png", png())}, timeout=30)
            assert response.json()["errorCode"] == "0"
        finally:
            restarted.stop()
        assert record_problems(database) == []
    finally:
        database.dispose()


# --- back-ups, as README.md (Operations) tells them -----------------------------------------------------

def test_an_online_sqlite_backup_holds_every_committed_record(tmp_path: Path) -> None:
    """The app keeps running (its writes sit in the WAL file): Python's backup API copies a
    consistent database, WAL included, as the one-liner in README.md (Operations) does."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(url)
    live = Database(url)
    backup_path = tmp_path / "backup.db"
    try:
        for _ in range(5):
            extracted_document(live, confidences={"plate": 0.3})
        assert (tmp_path / "app.db-wal").stat().st_size > 0  # committed, not yet checkpointed
        subprocess.run([sys.executable, "-c", "import sqlite3; s = sqlite3.connect('app.db'); "
                        "d = sqlite3.connect('backup.db'); s.backup(d); d.close(); s.close()"],
                       cwd=tmp_path, check=True, timeout=60)
        restored = Database(f"sqlite:///{backup_path}")
        try:
            assert count_rows(restored) == count_rows(live)
            assert record_problems(restored) == []
        finally:
            restored.dispose()
    finally:
        live.dispose()


def test_a_pg_dump_restores_into_an_empty_database_with_every_record(
        private_services: Services, cluster: PrivatePostgres, tmp_path: Path) -> None:
    svc = private_services
    for _ in range(5):
        extracted_document(svc.database, confidences={"plate": 0.3})
    source = svc.database.engine.url.database
    dump = cluster.root / "backup.dump"
    cluster.run_tool("pg_dump", "-h", LOOPBACK, "-p", str(cluster.port), "-U", "postgres", "-Fc", "-f", str(dump),
                 source)
    target_url = cluster.create_database(f"{source}_restored")
    cluster.run_tool("pg_restore", "-h", LOOPBACK, "-p", str(cluster.port), "-U", "postgres", "--no-owner",
                 "-d", f"{source}_restored", str(dump))
    restored = Database(target_url)
    try:
        assert count_rows(restored) == count_rows(svc.database)
        assert record_problems(restored) == []
        # The restored database is at the newest migration: the app starts on it as it is.
        upgrade(target_url)
    finally:
        restored.dispose()
