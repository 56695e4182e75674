"""The product's services wired with test parts: the factories' plate check instead of the
domain's record rules (so that app and task tests do not depend on them) and, where a test asks,
a fake extractor. Parts are passed to `Services.from_settings`, never patched in."""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

from db.session import Database
from services.backends.base import Extractor
from services.bootstrap import Services
from services.core.config import Settings
from tests.support.factories import no_derivation, plate_checker
from tests.support.fakes import FakeExtractor


def wired_services(settings: Settings, database: Optional[Database] = None, *,
                  extractor: Optional[Extractor] = None) -> Services:
    """The services of `settings`, with the factories' plate check, no derived fields, and every
    backend answered by `extractor` (a fresh `FakeExtractor` by default)."""
    fake = extractor or FakeExtractor()
    return Services.from_settings(settings, database, checker=plate_checker, deriver=no_derivation,
                                  extractor_factory=lambda kind, settings: fake)


@contextlib.contextmanager
def app_wired_to(services: Services) -> Iterator[Services]:
    """The review app on these services (AppTest runs its scripts in the test's process), with
    extraction run at once, in this process, on an in-memory queue."""
    from huey.storage import MemoryStorage

    import pages._ui as ui
    from services.tasks import jobs

    ui.use_services(lambda: services)
    storage = jobs.huey.storage
    jobs.huey.storage = MemoryStorage("app-test")
    jobs.huey.immediate = True
    jobs.use_services(lambda: services)
    try:
        yield services
    finally:
        jobs.huey.immediate = False
        jobs.huey.storage = storage
        jobs.use_services(None)
        ui.use_services(None)
