"""Shared fixtures: a fresh, migrated database per test, on SQLite and on PostgreSQL.

The PostgreSQL leg needs `TEST_DATABASE_URL` (CI sets it). Locally without it those tests are
skipped and say so; with `REQUIRE_POSTGRES=1` (CI) an unreachable server fails them instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.migrate import upgrade
from db.session import Database, normalise_url

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

PG_SKIP_REASON = "TEST_DATABASE_URL is not set: PostgreSQL leg skipped (CI sets it)"


def postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalise_url(url) if url else None


def _pg_exec(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


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
        _pg_exec(admin_url, f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - any connection failure
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
    template_url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    upgrade(template_url)
    yield admin_url, name
    _pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_postgres_url(template: tuple[str, str]) -> Iterator[str]:
    admin_url, template_name = template
    name = f"vr_test_{uuid.uuid4().hex[:10]}"
    _pg_exec(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
