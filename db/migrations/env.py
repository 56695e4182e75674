"""Alembic environment: runs migrations on the URL that db.migrate (or `alembic -x url=...`) gives."""

from __future__ import annotations

from alembic import context

from db.models import Base
from db.session import create_db_engine, is_sqlite

config = context.config


def _url() -> str:
    # Given by db.migrate, or by `alembic -x url=...`: storage reads no settings of its own.
    url = config.get_main_option("sqlalchemy.url") or context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("no database URL: use `python -m db.migrate [--url URL] ...` "
                         "(or `alembic -x url=URL ...`)")
    return url


def run_migrations_offline() -> None:
    url = _url()
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True,
                      render_as_batch=is_sqlite(url))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, url)
        return
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            _run(connection, url)
    finally:
        engine.dispose()


def _render_item(type_: str, obj, autogen_context):
    # Migrations must not import the models' custom types: render them as plain SQLAlchemy.
    from db.models import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection, url: str) -> None:
    # Batch mode lets ALTER-less SQLite change tables the same way PostgreSQL does.
    context.configure(connection=connection, target_metadata=Base.metadata,
                      render_as_batch=is_sqlite(url), compare_type=True,
                      render_item=_render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
