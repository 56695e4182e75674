"""The engine's time budget: a pathological image (a texture, no card, a card of noise) is
answered within the budget and a small margin, with a reading whose every confidence says it was
cut short, or with error 1 (no content); never with an error for want of time."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from services.domain.schema import ErrorCode
from services.extraction.budget import Budget
from services.extraction.engine import CUT_SHORT_CONFIDENCE, Engine, EngineConfig

BUDGET = 3.0
# What runs before the budget can stop anything (decoding, finding the card) and after (the
# answer), with room for a shared, noisy machine.
MARGIN = 4.0


def jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb.astype(np.uint8)).save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def noise(seed: int = 0) -> bytes:
    return jpeg(np.random.default_rng(seed).integers(0, 256, (1500, 2000, 3)))


def texture() -> bytes:
    from tools.synth import textures

    return jpeg(textures.wood(np.random.default_rng(1), 1500, 2000))


def card_of_noise() -> bytes:
    """A pale card on a dark desk, covered in letter-sized specks that read as nothing."""
    rng = np.random.default_rng(2)
    image = np.full((1500, 2000, 3), 40, np.uint8)
    card = rng.integers(200, 240, (900, 1300, 1)).repeat(3, axis=2)
    for _ in range(5000):
        y, x = rng.integers(0, 880), rng.integers(0, 1285)
        card[y:y + rng.integers(6, 20), x:x + rng.integers(3, 14)] = rng.integers(0, 90)
    image[300:1200, 350:1650] = card
    return jpeg(image)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(EngineConfig(time_budget=BUDGET))


@pytest.mark.parametrize("image", [noise, texture, card_of_noise], ids=lambda f: f.__name__)
def test_a_pathological_image_is_answered_within_the_budget(engine: Engine, image) -> None:
    data = image()
    started = time.monotonic()
    outcome = engine.extract([data])
    elapsed = time.monotonic() - started
    assert elapsed <= BUDGET + MARGIN, f"{elapsed:.1f} s"
    assert outcome.error in (ErrorCode.SUCCESS, ErrorCode.NO_CONTENT)
    if outcome.ok and outcome.sides[0].timings.get("cut_short"):
        confidences = [f.confidence for f in outcome.sides[0].fields.values() if f.confidence is not None]
        assert confidences and max(confidences) <= CUT_SHORT_CONFIDENCE


def test_the_budget_says_when_a_share_of_it_is_gone_without_calling_an_early_stop_cut_short() -> None:
    budget = Budget(10.0, started=time.monotonic() - 4.0)
    assert not budget.spent(0.5) and not budget.cut_short
    assert budget.spent(0.3) and not budget.cut_short


def test_a_step_skipped_once_the_whole_budget_is_gone_marks_the_reading_cut_short() -> None:
    budget = Budget(10.0, started=time.monotonic() - 11.0)
    assert budget.spent(0.75) and budget.cut_short
    assert not Budget(10.0).spent(1.0) and not Budget(10.0).cut_short
