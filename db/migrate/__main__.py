"""`python -m db.migrate [--url URL] upgrade | downgrade REV | check | revision -m MESSAGE`.

A command-line door: the database is `--url`, else the settings' (`DATABASE_URL`, default the
SQLite file under data/).
"""

from __future__ import annotations

import argparse
import sys

from db.migrate import downgrade, new_revision, pending_changes, upgrade
from services.core.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m db.migrate", description=__doc__)
    parser.add_argument("--url", help="database URL (default: DATABASE_URL or the SQLite file)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="apply every pending migration")
    down = sub.add_parser("downgrade", help="revert to a revision")
    down.add_argument("revision")
    sub.add_parser("check", help="exit 1 if the models and the database differ")
    revision = sub.add_parser("revision", help="write a migration for the models' changes (autogenerate)")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    url = args.url or Settings.from_env().database_url
    if args.command == "upgrade":
        upgrade(url)
    elif args.command == "downgrade":
        downgrade(url, args.revision)
    elif args.command == "revision":
        new_revision(url, args.message)
    else:
        diff = pending_changes(url)
        for change in diff:
            print(change)
        return 1 if diff else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
