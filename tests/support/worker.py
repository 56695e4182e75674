"""A real task consumer in its own process (standing in for another machine), on the factories'
checks and a fake extractor that takes `FAKE_DELAY` seconds; and the small reads tests make of
the documents it works on."""

from __future__ import annotations

import time
from typing import Callable

from db.session import Database, UnitOfWork
from services.review.intake import ImageInput, Submission
from tests.support.factories import intake, png_bytes

WORKER_SCRIPT = """
import os, sys
sys.path.insert(0, os.getcwd())
from services.core.config import Settings
from services.tasks import worker
from tests.support.fakes import FakeExtractor
from tests.support.wiring import wired_services

def services():
    return wired_services(Settings.from_env(), extractor=FakeExtractor(delay=float(os.environ["FAKE_DELAY"])))

sys.exit(worker.main(["--workers", "1", "--no-periodic"], services_factory=services))
"""


def submit(database: Database, sides: tuple[str, ...] = ("front", "back")) -> int:
    return intake(database).submit(Submission(
        images=[ImageInput(png_bytes(f"card {side}"), side, f"{side}.png") for side in sides], source="upload"))


def extraction_count(database: Database, document_id: int) -> int:
    with UnitOfWork(database, write=False) as uow:
        return uow.documents.extraction_count(document_id)


def status(database: Database, document_id: int) -> str:
    with UnitOfWork(database, write=False) as uow:
        return uow.documents.get(document_id).status


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")
