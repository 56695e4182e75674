"""Database engines, sessions and the unit of work.

SQLite is the embedded default; PostgreSQL is chosen by `DATABASE_URL`. Several processes (the
app, the task consumer, the API server) share the SQLite file, so it runs in WAL mode and write
transactions start with `BEGIN IMMEDIATE`: a writer then waits for the lock up front (bounded by
`busy_timeout`) instead of failing half-way when it upgrades a read lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from types import TracebackType
from typing import Any, Optional

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.repositories import (
    ApiKeyRepository,
    AuditLog,
    DocumentRepository,
    FiguresRepository,
    SettingsRepository,
    TaskRepository,
    UserRepository,
    WebSessionRepository,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain `postgresql://` URLs (the one we install)."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    # A failed statement's error names its SQL, never its values: those are people's names,
    # addresses and plates, and errors end up in logs.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the sqlite3 module so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


class Database:
    """An engine and its session factory; one per process and URL."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = create_db_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()


_databases: dict[str, Database] = {}
_databases_lock = threading.Lock()


def get_database(url: str) -> Database:
    """The process-wide `Database` for a URL (engines hold pools: make one per process)."""
    key = normalise_url(url)
    with _databases_lock:
        database = _databases.get(key)
        if database is None:
            database = _databases[key] = Database(key)
        return database


class UnitOfWork:
    """One transaction for one service operation.

    Use as a context manager; nothing is written unless `commit()` is called, and an exception
    rolls everything back. `write=False` opens a plain read transaction.
    """

    def __init__(self, database: Database, *, write: bool = True) -> None:
        self.database = database
        self.write = write
        self.session: Session

    def __enter__(self) -> "UnitOfWork":
        self.session = self.database.sessions()
        if self.database.is_sqlite:
            self.session.connection(
                execution_options={"sqlite_begin": "IMMEDIATE" if self.write else "DEFERRED"}
            )
        self.users = UserRepository(self.session)
        self.api_keys = ApiKeyRepository(self.session)
        self.documents = DocumentRepository(self.session)
        self.audit = AuditLog(self.session)
        self.settings = SettingsRepository(self.session)
        self.figures = FiguresRepository(self.session)
        self.tasks = TaskRepository(self.session)
        self.web_sessions = WebSessionRepository(self.session)
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def flush(self) -> None:
        self.session.flush()
