"""Run extraction workers: `python -m services.tasks.worker [--workers N]`.

Each worker is a process with its own engine (loaded once, on its first task). Start as many of
these commands as you like, on this machine or others: with `REDIS_URL` and a shared PostgreSQL
`DATABASE_URL` they all take work from one queue. Ctrl-C (SIGINT) finishes the running tasks and
stops; SIGTERM stops at once (an interrupted extraction is queued again by the reaper).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from services.bootstrap import Services


def main(argv: Optional[list[str]] = None, *, services_factory: Optional[Callable[[], "Services"]] = None) -> int:
    """`services_factory` builds each worker process's services (default: from the environment)."""
    from services.tasks.jobs import huey, settings, use_services

    if services_factory is not None:
        use_services(services_factory)

    parser = argparse.ArgumentParser(prog="python -m services.tasks.worker", description=__doc__)
    parser.add_argument("--workers", type=int, default=settings.workers,
                        help=f"worker processes (default WORKERS or {settings.workers})")
    parser.add_argument("--threads", action="store_true",
                        help="threads instead of processes (one engine per thread)")
    parser.add_argument("--no-periodic", action="store_true",
                        help="do not run the reaper that re-queues lost extractions")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s")
    if services_factory is None:
        from services.backends import preflight

        problem = preflight("local", settings)
        if problem:
            print(f"cannot start the workers: {problem}", file=sys.stderr)
            return 1
    consumer = huey.create_consumer(
        workers=max(1, args.workers),
        worker_type="thread" if args.threads else "process",
        periodic=not args.no_periodic,
        # Do not poll an idle queue slower than every 2 s: results should appear promptly.
        max_delay=2.0,
    )
    where = "redis" if settings.redis_url else str(settings.data_dir / "huey.db")
    logging.getLogger(__name__).info("extraction workers: %d, queue: %s", max(1, args.workers), where)
    consumer.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
