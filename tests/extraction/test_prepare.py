"""The grey image the engine reads: black ink stays, the card's tint, the light and the seal's red
ink go, whatever the card's colour."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from services.extraction.prepare import flatten, ocr_gray, red_ink, whiten

TINTS = {"white": (245, 243, 238), "blue": (190, 215, 235), "pink": (240, 215, 220), "green": (205, 230, 205)}
SEAL_RED = (205, 45, 55)


def card(tint: tuple[int, int, int], *, faded: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A tinted card with a black line of 'text' (bars) and a red ring crossing it; returns the
    image, the text's mask and the ring's mask (where it does not cross the text)."""
    height, width = 300, 600
    image = np.zeros((height, width, 3), np.uint8)
    image[:] = tint
    text = np.zeros((height, width), np.uint8)
    for x in range(60, 540, 24):
        cv2.rectangle(text, (x, 130), (x + 12, 170), 1, thickness=-1)
    ring = np.zeros((height, width), np.uint8)
    cv2.circle(ring, (300, 150), 90, 1, thickness=5)
    # A photo washes colours out towards the paper.
    red = tuple(int(t + faded * (s - t)) for s, t in zip(SEAL_RED, tint))
    image[ring > 0] = red
    image[text > 0] = (25, 25, 30)  # black ink printed over the seal
    return image, text > 0, (ring > 0) & (text == 0)


@pytest.mark.parametrize("tint", TINTS.values(), ids=TINTS.keys())
@pytest.mark.parametrize("faded", (1.0, 0.5), ids=("scan", "washed-out"))
def test_the_seal_is_red_ink_and_the_black_text_over_it_is_not(tint, faded: float) -> None:
    image, text, ring = card(tint, faded=faded)
    mask = red_ink(image)
    assert mask[ring].mean() > 0.9
    assert not mask[text].any()
    assert mask[~ring & ~text].mean() < 0.01  # the tinted paper is not red ink


@pytest.mark.parametrize("tint", TINTS.values(), ids=TINTS.keys())
def test_the_grey_image_keeps_the_text_dark_and_makes_the_seal_paper(tint) -> None:
    image, text, ring = card(tint, faded=0.6)
    gray = ocr_gray(image)
    assert gray[text].mean() < 80
    assert gray[ring].min() == 255


def test_taking_the_seal_away_changes_no_other_pixel() -> None:
    image, _text, _ring = card(TINTS["blue"], faded=0.6)
    seal = red_ink(image)
    assert (ocr_gray(image)[~seal] == whiten(flatten(image))[~seal]).all()


def test_a_tinted_card_without_red_ink_has_no_pixel_taken_for_it() -> None:
    for tint in TINTS.values():
        image, _text, ring = card(tint)
        image[ring] = tint
        assert not red_ink(image).any()
