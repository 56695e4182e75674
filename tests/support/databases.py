"""Test databases: a fresh copy of a migrated template per test, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.session import normalise_url

PG_SKIP_REASON = "TEST_DATABASE_URL is not set: PostgreSQL leg skipped (CI sets it)"


def postgres_admin_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return normalise_url(url) if url else None


def pg_exec(admin_url: str, statement: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def fresh_postgres_url(template: tuple[str, str]) -> Iterator[str]:
    admin_url, template_name = template
    name = f"vr_test_{uuid.uuid4().hex[:10]}"
    pg_exec(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
