"""Apply, revert and check migrations: `python -m db.migrate [upgrade|downgrade REV|check]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from db.models import Base
from db.session import create_db_engine, normalise_url
from services.config import REPO_ROOT, Settings


def alembic_config(url: str) -> Config:
    config = Config(str(REPO_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(REPO_ROOT / "db" / "migrations"))
    # ConfigParser interpolates '%': escape it (passwords may hold one).
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.migrate", description=__doc__)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply every pending migration")
    down = sub.add_parser("downgrade", help="revert to a revision")
    down.add_argument("revision")
    sub.add_parser("check", help="exit 1 if the models and the database differ")
    args = parser.parse_args(argv)
    url = args.url or Settings.from_env().database_url
    if args.command == "upgrade":
        upgrade(url)
    elif args.command == "downgrade":
        downgrade(url, args.revision)
    else:
        diff = pending_changes(url)
        for change in diff:
            print(change)
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
