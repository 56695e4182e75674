"""Shared by the engine tests that run the engine on generated certificates: one engine per test
process, and one run over the fixed regression set, made the first time a test asks for it
(test_engine_regression and test_engine_sides both use it, so it is paid once)."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import numpy as np
from PIL import Image

from services.domain.results import ExtractionOutcome, SideReading
from services.domain.schema import Side

# The fixed regression set: one card of each kind and layout, scanned and photographed. The
# seed is used by no benchmark set (bench sets use 1, calibration 7).
REGRESSION_SEED = 11
REGRESSION_PLAN: tuple[tuple[str, str, str], ...] = tuple(
    (condition, kind, layout)
    for condition in ("scan", "photo")
    for kind in ("car", "motorbike")
    for layout in ("two_column", "one_column")
)


# The held-out layout family (tools.synth --family alt: other wordings, orders and positions),
# scans of each kind: it measures how fields are found on a layout the engine was not built on.
LAYOUT_FAMILY_SEED = 11
LAYOUT_FAMILY_PLAN: tuple[tuple[str, str, str], ...] = tuple(
    ("scan", kind, layout) for kind in ("car", "motorbike") for layout in ("two_column", "one_column"))


# What the engine reads is tested here, not how fast: the wall-clock time budget on a shared,
# loaded machine would cut reads short at random (the budget has its own tests, test_budget.py).
READING_BUDGET_S = 120.0


@lru_cache(maxsize=1)
def engine():
    """One engine (Tesseract stays loaded) for every test in the process."""
    from services.extraction.engine import Engine, EngineConfig

    return Engine(EngineConfig(time_budget=READING_BUDGET_S))


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class SideRun:
    card_id: str
    condition: str
    kind: str
    layout: str
    side: Side
    truth: dict[str, str]
    outcome: ExtractionOutcome
    seconds: float

    @property
    def reading(self) -> Optional[SideReading]:
        return self.outcome.sides[0] if self.outcome.ok and self.outcome.sides else None

    def describe(self) -> str:
        return f"{self.card_id} ({self.condition}, {self.kind}, {self.layout}) {self.side.value}"


@lru_cache(maxsize=1)
def regression_runs() -> tuple[SideRun, ...]:
    """Each side of the regression set sent alone, as the seed's single-side request does."""
    return _runs(REGRESSION_SEED, REGRESSION_PLAN, "standard")


@lru_cache(maxsize=1)
def layout_family_runs() -> tuple[SideRun, ...]:
    """Each side of the held-out layout family's scans sent alone."""
    return _runs(LAYOUT_FAMILY_SEED, LAYOUT_FAMILY_PLAN, "alt")


def _runs(seed: int, plan: tuple[tuple[str, str, str], ...], family: str) -> tuple[SideRun, ...]:
    from tools.synth import generate_card

    runs: list[SideRun] = []
    for index, (condition, kind, layout) in enumerate(plan):
        card = generate_card(seed, index, condition=condition, kind=kind, layout=layout, family=family)
        for side in (Side.FRONT, Side.BACK):
            image = card.sides[side]
            started = time.perf_counter()
            outcome = engine().extract([image.image], thumb=True)
            runs.append(SideRun(card.card_id, condition, kind, layout, side, dict(image.truth), outcome,
                                time.perf_counter() - started))
    return tuple(runs)
