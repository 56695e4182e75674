"""Orientation: a card turned by a quarter or half turn is read the right way up, and read as the
upright picture is. The trained recogniser tells upside-down print from upright on a few lines;
a card that was not upright in the picture is found again in the picture turned upright, so the
card search and the line finding see the same pixels whatever the turn."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from bench.scoring import read_upright
from services.core.images import load_rgb
from services.domain.canonical import same_value
from services.domain.schema import BACK_FIELDS, Side
from tests.support.engine import engine
from tools.synth.capture import rotate_quarter

CARDS = ((21, "scan"), (22, "scan"), (23, "photo"))


def encoded(rgb: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format=fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return buffer.getvalue()


@pytest.fixture(scope="module", params=CARDS, ids=lambda card: f"{card[1]}-{card[0]}")
def back_side(request):
    from tools.synth import generate_card

    index, condition = request.param
    card = generate_card(4040, index, condition=condition, sides=(Side.BACK,))
    return card.sides[Side.BACK]


def test_every_quarter_turn_of_a_picture_is_read_upright_and_as_the_upright_picture(back_side) -> None:
    rgb = load_rgb(back_side.image)
    readings = {}
    for degrees in (0, 90, 180, 270):
        picture, corners = rotate_quarter(rgb, back_side.corners, degrees)
        outcome = engine().extract([encoded(picture, "PNG")])
        assert outcome.ok, (degrees, outcome.detail)
        reading = outcome.sides[0]
        assert reading.side == Side.BACK, degrees
        assert read_upright(reading.card_corners, corners), (degrees, reading.card_corners, corners)
        readings[degrees] = {name: reading.value(name) for name in back_side.truth}
    right = sum(same_value(name, readings[0][name], value) for name, value in back_side.truth.items() if value)
    assert right >= 4, readings[0]
    # The same pixels turned: the same card found, the same lines, the same values.
    for degrees in (90, 180, 270):
        assert readings[degrees] == readings[0], degrees


def test_a_turned_phone_picture_re_encoded_is_read_about_as_well_as_upright(back_side) -> None:
    # A JPEG of the turned picture is not the same pixels: a value or two may read otherwise,
    # but a turn read sideways or upside down would get next to nothing right. Counted over the
    # fields read from the picture: the six derived from the address come and go with it.
    rgb = load_rgb(back_side.image)
    read_fields = {spec.name for spec in BACK_FIELDS if not spec.derived}
    right = {}
    for degrees in (0, 90):
        picture, corners = rotate_quarter(rgb, back_side.corners, degrees)
        reading = engine().extract([encoded(picture, "JPEG")]).sides[0]
        assert read_upright(reading.card_corners, corners), degrees
        right[degrees] = sum(same_value(name, reading.value(name), value)
                             for name, value in back_side.truth.items() if value and name in read_fields)
    assert right[0] >= 4 and right[90] >= 0.75 * right[0], right
