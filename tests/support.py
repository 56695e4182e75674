"""Helpers shared by the app and task tests: the services wired with the factories' checks, so
that these tests do not depend on the extraction engine's rules."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Iterator, Optional

from db.session import Database, get_database
from services.api_keys import ApiKeyService
from services.bootstrap import Services
from services.config import Settings
from services.export import ExportService
from services.intake import IntakeService
from services.review import ThresholdService
from services.users import UserService
from tests.factories import review_service


def services_with_test_checks(settings: Settings, database: Optional[Database] = None) -> Services:
    database = database or get_database(settings.database_url)
    return Services(
        settings=settings,
        database=database,
        users=UserService(database),
        api_keys=ApiKeyService(database, settings.ocr_api_key, settings.ocr_api_secret),
        intake=IntakeService(database, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels),
        review=review_service(database, claim_ttl=timedelta(minutes=settings.claim_ttl_minutes),
                              default_threshold=settings.default_threshold),
        thresholds=ThresholdService(database, settings.default_threshold),
        export=ExportService(database),
    )


@contextlib.contextmanager
def app_wired_to(services: Services) -> Iterator[Services]:
    """The review app on these services (AppTest runs its scripts in the test's process), with
    extraction run at once, in this process, by the tasks' fake extractor."""
    from huey.storage import MemoryStorage

    import pages._ui as ui
    from services.tasks import extractors, jobs
    from tests.test_tasks import FakeExtractor

    ui.services_factory = lambda: services
    storage = jobs.huey.storage
    jobs.huey.storage = MemoryStorage("app-test")
    jobs.huey.immediate = True
    jobs.use_services(services)
    previous = extractors.factory
    extractors.factory = lambda kind, settings: FakeExtractor()
    extractors.clear()
    try:
        yield services
    finally:
        extractors.factory = previous
        extractors.clear()
        jobs.huey.immediate = False
        jobs.huey.storage = storage
        jobs.use_services(None)
        ui.services_factory = None
