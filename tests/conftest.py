"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

The PostgreSQL leg needs `TEST_DATABASE_URL` (CI sets it). Locally without it those tests are
skipped and say so; with `REQUIRE_POSTGRES=1` (CI) an unreachable server fails them instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest
from sqlalchemy.engine import make_url

from db.migrate import upgrade
from db.session import Database
from tests.support.databases import PG_SKIP_REASON, fresh_postgres_url, pg_exec, postgres_admin_url

if TYPE_CHECKING:
    from services.bootstrap import Services

os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[str, str]]:
    admin_url = postgres_admin_url()
    if admin_url is None:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip(PG_SKIP_REASON)
    name = f"vr_template_{uuid.uuid4().hex[:10]}"
    try:
        pg_exec(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any connection failure
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    template_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(template_url)
    yield admin_url, name
    pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh database at the newest migration, on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        yield from fresh_postgres_url(request.getfixturevalue("postgres_template"))


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def pg_database(request: pytest.FixtureRequest) -> Iterator[Database]:
    """PostgreSQL only, for concurrency tests that SQLite's single writer would make trivial."""
    for url in fresh_postgres_url(request.getfixturevalue("postgres_template")):
        database = Database(url)
        yield database
        database.dispose()


@pytest.fixture
def svc(tmp_path: Path) -> Iterator["Services"]:
    """The review app's services on a fresh SQLite database, wired into the app (AppTest) and the
    task queue (run at once, with an invented reading)."""
    from tests.support.app import app_services

    with app_services(tmp_path) as services:
        yield services


@pytest.fixture
def only_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Fail loudly if anything in the test connects to an address other than 127.0.0.1."""
    attempts: list[object] = []
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> None:
        attempts.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if host != "127.0.0.1":
            raise AssertionError(f"a connection to {address!r} was attempted")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
