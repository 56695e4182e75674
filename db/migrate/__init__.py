"""Apply, revert and check migrations on a database URL (the command line: `python -m db.migrate`).

The URL is always passed in: storage takes its settings from whoever calls it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from db.models import Base
from db.session import create_db_engine, normalise_url

_DB_DIR = Path(__file__).resolve().parent.parent
ALEMBIC_INI = _DB_DIR.parent / "alembic.ini"
MIGRATIONS = _DB_DIR / "migrations"


def alembic_config(url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates '%': escape it (passwords may hold one).
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def new_revision(url: str, message: str) -> None:
    """Write a migration for the difference between the models and the migrated database."""
    command.revision(alembic_config(url), message=message, autogenerate=True)


def pending_changes(url: str) -> list[Any]:
    """Differences between the models and the migrated database (empty when in step)."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
