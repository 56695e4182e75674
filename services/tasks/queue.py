"""The task queue: Huey on a SQLite file by default, on Redis when `REDIS_URL` is set.

SQLite needs nothing but a file beside the database (one machine); Redis lets workers on several
machines share one queue. Task results are not kept: every outcome goes to the database.
`QUEUE_NAME` keeps deployments that share one Redis apart.
"""

from __future__ import annotations

from huey import Huey, RedisHuey, SqliteHuey

from services.core.config import Settings


def make_huey(settings: Settings) -> Huey:
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(settings.data_dir / "huey.db"), results=False, utc=True)
