"""`python -m services.api`: serve the API, or manage its keys.

    python -m services.api [--host 127.0.0.1] [--port 8000] [--extractor local]
    python -m services.api keys create NAME [--quota N]
    python -m services.api keys list
    python -m services.api keys revoke KEY_ID

Both apply pending database migrations first (DATABASE_URL, default the SQLite file under data/).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Optional

from db.migrate import upgrade
from services.accounts.api_keys import ApiKeyService
from services.core.config import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.api", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--extractor", default="local",
                        help="what the workers run: local (the engine, default), server or cloud (forward to "
                             "OCR_SERVER_URL / the cloud API, storing every request here), or "
                             "package.module:factory")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    commands = parser.add_subparsers(dest="command")
    keys = commands.add_parser("keys", help="manage API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = key_commands.add_parser("create", help="create a key; prints the key and its secret once")
    create.add_argument("name", help="who the key is for")
    create.add_argument("--quota", type=int, default=None, help="number of requests allowed (default: unlimited)")
    key_commands.add_parser("list", help="list keys with their use")
    revoke = key_commands.add_parser("revoke", help="revoke a key")
    revoke.add_argument("key_id")
    return parser


def _keys(args: argparse.Namespace, settings: Settings) -> int:
    from db.session import get_database

    service = ApiKeyService(get_database(settings.database_url))
    if args.keys_command == "create":
        if args.quota is not None and args.quota < 0:
            print("--quota must be 0 or more", file=sys.stderr)
            return 2
        created = service.create(args.name, args.quota)
        print(f"api_key:    {created.key_id}")
        print(f"api_secret: {created.secret}")
        print("The secret is shown only now (it is stored hashed).")
        return 0
    if args.keys_command == "list":
        rows = service.list()
        if not rows:
            print("no keys")
            return 0
        print(f"{'KEY':<26} {'OWNER':<24} {'USED':>8} {'QUOTA':>10}  STATE    CREATED")
        for key in rows:
            quota = "unlimited" if key.quota is None else str(key.quota)
            state = "active" if key.active else "revoked"
            print(f"{key.key_id:<26} {key.owner[:24]:<24} {key.request_count:>8} {quota:>10}  {state:<8} "
                  f"{key.created_at:%Y-%m-%d %H:%M}")
        return 0
    if service.revoke(args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"no active key {args.key_id}", file=sys.stderr)
    return 1


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from services.api.app import create_app
    from services.backends import BACKEND_KINDS, preflight

    if args.extractor in BACKEND_KINDS:
        problem = preflight(args.extractor, settings)
        if problem:
            print(f"cannot serve: {problem}", file=sys.stderr)
            return 1

    app = create_app(settings, extractor=args.extractor, migrate=False)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        limit_concurrency=settings.api_max_concurrency,
        # Let a request in flight finish its extraction on shutdown.
        timeout_graceful_shutdown=int(settings.api_extract_timeout) + 5,
        # Room for our own 414 on long query strings before h11's limit answers a bare 400.
        h11_max_incomplete_event_size=max(64 * 1024, settings.api_max_query_bytes * 2),
    )
    server = uvicorn.Server(config)
    try:
        server.run()
    except KeyboardInterrupt:
        # uvicorn has shut down in order already; it re-raises Ctrl-C only to set the exit status.
        pass
    # uvicorn returns normally when start-up fails; say so with the exit status.
    return 0 if server.started else 1


def main(argv: Optional[list[str]] = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper()), format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    upgrade(settings.database_url)
    if args.command == "keys":
        return _keys(args, settings)
    return _serve(args, settings)


if __name__ == "__main__":
    sys.exit(main())
