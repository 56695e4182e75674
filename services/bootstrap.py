"""Wiring: build the services from the settings and the parts they are given, and prepare a
database for first use.

Every process builds its `Services` here (the app, the API server, each task worker); what is
not given is the product's own part: the record checks of the domain, the backends'
`make_extractor`. A test or an embedding passes its own parts instead of patching any.

`python -m services.bootstrap` applies migrations and creates the first admin; `make run` calls it.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional
from zoneinfo import ZoneInfo

from db.migrate import upgrade
from db.session import Database, get_database
from services.accounts.api_keys import ApiKeyService
from services.accounts.users import UserService
from services.accounts.web_sessions import WebSessionService
from services.backends import make_extractor
from services.backends.base import ExtractorFactory
from services.backends.cache import PerThreadExtractors
from services.core.config import Settings
from services.domain.checks import check_record
from services.domain.derive import derived_fields
from services.review.app_settings import AppSettingsService
from services.review.desk import ReviewDesk
from services.review.export import ExportService
from services.review.figures import FiguresService
from services.review.intake import Checker, IntakeService
from services.review.recording import ExtractionRecorder
from services.review.uploads import UploadService, limits_from
from services.review.workflow import Deriver, ReviewService, ThresholdService


@dataclass
class Services:
    settings: Settings
    database: Database
    users: UserService
    api_keys: ApiKeyService
    intake: IntakeService
    review: ReviewService
    desk: ReviewDesk
    thresholds: ThresholdService
    export: ExportService
    figures: FiguresService
    app_settings: AppSettingsService
    uploads: UploadService
    extraction: ExtractionRecorder
    web_sessions: WebSessionService

    @classmethod
    def from_settings(cls, settings: Settings, database: Optional[Database] = None, *,
                      checker: Optional[Checker] = None, deriver: Optional[Deriver] = None,
                      extractor_factory: Optional[ExtractorFactory] = None) -> "Services":
        """`checker` checks a record's values (the domain's rules by default), `deriver` sets the
        fields that follow from a corrected one, `extractor_factory` makes each backend's
        extractor (kept one per process and thread)."""
        database = database or get_database(settings.database_url)
        checker = checker or check_record
        deriver = deriver or derived_fields
        intake = IntakeService(database, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
        review = ReviewService(database, claim_ttl=timedelta(minutes=settings.claim_ttl_minutes),
                               default_threshold=settings.default_threshold, checker=checker, deriver=deriver)
        app_settings = AppSettingsService(database, settings)
        return cls(
            settings=settings,
            database=database,
            users=UserService(database),
            api_keys=ApiKeyService(database, settings.ocr_api_key, settings.ocr_api_secret),
            intake=intake,
            review=review,
            desk=ReviewDesk(review),
            thresholds=ThresholdService(database, settings.default_threshold),
            export=ExportService(database, ZoneInfo(settings.app_timezone)),
            figures=FiguresService(database),
            app_settings=app_settings,
            uploads=UploadService(intake, limits_from(settings), app_settings.ocr_backend),
            extraction=ExtractionRecorder(database, settings, intake, checker=checker,
                                          extractor_factory=PerThreadExtractors(extractor_factory or make_extractor)),
            web_sessions=WebSessionService(database),
        )


def prepare_database(settings: Settings, admin_user: str, admin_password: Optional[str]) -> Optional[str]:
    """Migrate to the newest schema and make sure an admin exists.

    Returns a generated admin password (to show once), or None.
    """
    upgrade(settings.database_url)
    return UserService(get_database(settings.database_url)).ensure_admin(admin_user, admin_password)


def main(argv: Optional[list[str]] = None) -> int:
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
