"""Wiring: build the services from the settings, and prepare a database for first use.

`python -m services.bootstrap` applies migrations and creates the first admin; `make run` calls it.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from db.migrate import upgrade
from db.session import Database, get_database
from services.api_keys import ApiKeyService
from services.config import Settings
from services.export import ExportService
from services.intake import IntakeService
from services.review import ReviewService, ThresholdService
from services.users import UserService


@dataclass
class Services:
    settings: Settings
    database: Database
    users: UserService
    api_keys: ApiKeyService
    intake: IntakeService
    review: ReviewService
    thresholds: ThresholdService
    export: ExportService

    @classmethod
    def from_settings(cls, settings: Settings, database: Optional[Database] = None) -> "Services":
        database = database or get_database(settings.database_url)
        return cls(
            settings=settings,
            database=database,
            users=UserService(database),
            api_keys=ApiKeyService(database, settings.ocr_api_key, settings.ocr_api_secret),
            intake=IntakeService(database, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels),
            review=ReviewService(database, claim_ttl=timedelta(minutes=settings.claim_ttl_minutes),
                                 default_threshold=settings.default_threshold),
            thresholds=ThresholdService(database, settings.default_threshold),
            export=ExportService(database),
        )


def prepare_database(settings: Settings, admin_user: str, admin_password: Optional[str]) -> Optional[str]:
    """Migrate to the newest schema and make sure an admin exists.

    Returns a generated admin password (to show once), or None.
    """
    upgrade(settings.database_url)
    return UserService(get_database(settings.database_url)).ensure_admin(admin_user, admin_password)


def main(argv: Optional[list[str]] = None) -> int:
    import os

    parser = argparse.ArgumentParser(prog="python -m services.bootstrap", description=__doc__)
    parser.parse_args(argv)
    settings = Settings.from_env()
    admin_user = os.environ.get("ADMIN_USER", "admin").strip() or "admin"
    generated = prepare_database(settings, admin_user, os.environ.get("ADMIN_PASSWORD") or None)
    where = settings.database_url.split("@")[-1] if "@" in settings.database_url else settings.database_url
    print(f"database ready: {where}")
    if generated:
        # Shown once: only its hash is stored.
        print(f"created admin user {admin_user!r} with password: {generated}")
        print("(shown only now; change it on the Users page)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
