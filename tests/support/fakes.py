"""Stand-ins for the engine where a test is about something else: an extractor that reads every
card as the factories' invented motorbike (and may fail first, or take its time)."""

from __future__ import annotations

import time
from typing import Sequence

from services.domain.results import ExtractionOutcome
from services.domain.schema import Side
from tests.support.factories import outcome, side_reading


class FakeExtractor:
    """Reads every card as the invented motorbike of the factories; may fail first."""

    name = "fake"

    def __init__(self, failures: int = 0, delay: float = 0.0) -> None:
        self.failures = failures
        self.delay = delay
        self.calls = 0

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.calls <= self.failures:
            raise RuntimeError("engine crashed")
        sides = [side_reading(Side.FRONT), side_reading(Side.BACK)] if len(images) == 2 else [side_reading(Side.BACK)]
        return outcome(*sides)
