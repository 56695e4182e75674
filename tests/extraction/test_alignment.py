"""Card finding and alignment on generated certificates (services.extraction.align): the corners
found are close to the card's true corners on scans and photos, and a card turned by a quarter or
half turn is read upright.

Corner error = the largest distance between a found corner and the true one, after both are put
in the same order (`order_corners`), over the card's width in the image. Measured 2025-11-25 on
seed 31, fronts 0-9 of each condition: median 1.9 % (scans), 1.9 % (photos), 1.1 % (hard); the
worst of the cases below 3.9 % (photo 9). Scans come out a little worse than photos because on a
white scanner bed the printed frame inside the card's edge is the strongest outline.
"""

from __future__ import annotations

import numpy as np
import pytest

from services.core.images import load_rgb
from services.domain.schema import Side
from services.extraction import align
from tests.support.engine import engine

SEED = 31
# (condition, index) of fronts found well today, and their measured error (% of card width).
# Scan 3 joined on 2026-12-04, when the line search learnt to follow a pale card's edge.
CASES = [("scan", 1, 1.69), ("scan", 3, 0.52), ("scan", 5, 1.97), ("scan", 8, 0.90), ("photo", 0, 2.24),
         ("photo", 4, 0.83), ("photo", 9, 3.91), ("hard", 1, 0.22), ("hard", 5, 2.66)]
MAX_ERROR = 0.05  # of the card's width, for any one image
MEDIAN_ERROR = 0.025


def corner_error(condition: str, index: int, *, seed: int = SEED, side: Side = Side.FRONT) -> tuple[float, str]:
    from tools.synth import generate_card

    card = generate_card(seed, index, condition=condition, sides=(side,))
    image = card.sides[side]
    quad, method, _score = align.find_card(load_rgb(image.image))
    truth = align.order_corners(np.array(image.corners, dtype=np.float32))
    width = float(np.linalg.norm(truth[1] - truth[0]))
    if quad is None:
        return float("inf"), method
    found = align.order_corners(quad)
    return float(np.linalg.norm(found - truth, axis=1).max()) / width, method


@pytest.fixture(scope="module")
def errors() -> dict[tuple[str, int], tuple[float, str]]:
    return {(condition, index): corner_error(condition, index) for condition, index, _ in CASES}


@pytest.mark.parametrize("condition, index, measured", CASES, ids=[f"{c}-{i}" for c, i, _ in CASES])
def test_the_card_corners_are_found_within_five_percent_of_its_width(errors, condition: str, index: int,
                                                                      measured: float) -> None:
    error, method = errors[(condition, index)]
    assert error <= MAX_ERROR, f"{condition} {SEED}/{index}: corners off by {error:.1%} ({method})"


def test_the_median_corner_error_is_small(errors) -> None:
    median = float(np.median([error for error, _ in errors.values()]))
    assert median <= MEDIAN_ERROR, f"median corner error {median:.2%}"


# Photo 31/1 was a known miss from 2025-11-25 (a background edge taken for the card's bottom)
# until 2026-12-04, when every edge had to show a change of colour across it.
@pytest.mark.parametrize("condition, index", [("photo", 1)])
def test_known_hard_backgrounds_are_found_too(condition: str, index: int) -> None:
    error, method = corner_error(condition, index)
    assert error <= MAX_ERROR, f"{condition} {SEED}/{index}: corners off by {error:.1%} ({method})"


@pytest.mark.parametrize("seed, index", [(8, 42), (8, 107)])
def test_a_pale_card_all_but_filling_a_scan_is_found_by_its_own_edge(seed: int, index: int) -> None:
    # Both backs fill all but 1-3 % of the scan; their rows of leader dots are longer unbroken
    # lines than the card's edge, and were taken for it (the top rows of fields cut off).
    error, method = corner_error("scan", index, seed=seed, side=Side.BACK)
    assert error <= MAX_ERROR, f"scan {seed}/{index} back: corners off by {error:.1%} ({method})"


def test_order_corners_puts_any_order_as_top_left_top_right_bottom_right_bottom_left() -> None:
    square = np.array([[10, 10], [110, 12], [108, 70], [12, 68]], dtype=np.float32)
    for shift in range(4):
        assert np.array_equal(align.order_corners(np.roll(square, shift, axis=0)), square)


def test_unwarping_gives_a_card_wide_image_with_the_card_filling_it() -> None:
    rgb = np.full((600, 800, 3), 40, np.uint8)
    rgb[100:400, 150:630] = 230  # a light card 480 x 300 on a dark table
    quad = np.array([[150, 100], [629, 100], [629, 399], [150, 399]], dtype=np.float32)
    card = align.unwarp(rgb, quad)
    assert card.shape[1] == align.CARD_WIDTH
    assert card.shape[0] == pytest.approx(align.CARD_WIDTH * 299 / 479, abs=2)
    assert card[5:-5, 5:-5].min() > 200


# ---- quarter and half turns -----------------------------------------------------------------------
# Seed 41: card 1 is a motorbike scan turned 90° clockwise, card 4 a car scan turned 180°.

@pytest.mark.parametrize("index, rotation, side", [(1, 90, Side.FRONT), (4, 180, Side.BACK)])
def test_a_turned_card_is_read_upright(index: int, rotation: int, side: Side) -> None:
    from tools.synth import generate_card

    card = generate_card(41, index, condition="rotated", sides=(side,))
    assert (card.rotation, card.base_condition) == (rotation, "scan")
    image = card.sides[side]
    outcome = engine().extract([image.image], thumb=True)
    assert outcome.ok, outcome.detail
    (reading,) = outcome.sides
    assert reading.side == side
    assert reading.value("name"), "no name read"
    # The aligned card is landscape, as printed.
    from services.core.images import load_rgb as decode_thumb

    thumb = decode_thumb(reading.aligned_jpeg)
    assert thumb.shape[1] > thumb.shape[0]
