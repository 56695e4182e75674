"""The engine's answers to unusable requests, in the seed's error codes: an image with no card and
no text is code 1, bytes that are no accepted image are code 3, and only one or two images make a
request. Every answer, error or not, converts to the seed's JSON with every key of its schema."""

from __future__ import annotations

import numpy as np
import pytest

from services.domain.results import ExtractionOutcome
from services.domain.schema import ErrorCode, SeedResponse, validate_item
from tests.support.engine import engine, png


def assert_seed_answer(outcome: ExtractionOutcome, code: ErrorCode) -> SeedResponse:
    assert outcome.error == code, outcome.detail
    response = outcome.to_seed()
    assert response.errorCode == str(int(code))
    assert response.errorMessage.startswith(code.message)
    for item in response.data:
        validate_item(item)
    SeedResponse.model_validate(response.model_dump())
    return response


def test_a_one_pixel_image_holds_no_content() -> None:
    outcome = engine().extract([png(np.zeros((1, 1, 3), np.uint8))])
    response = assert_seed_answer(outcome, ErrorCode.NO_CONTENT)
    assert response.data == [] and outcome.sides == []
    assert response.errorMessage == "The photo does not contain content: the image holds no card and no text"


@pytest.mark.parametrize("level", [0, 128, 255])
def test_a_blank_uniform_image_holds_no_content(level: int) -> None:
    outcome = engine().extract([png(np.full((900, 1300, 3), level, np.uint8))])
    assert_seed_answer(outcome, ErrorCode.NO_CONTENT)


def test_a_uniform_image_with_faint_sensor_noise_holds_no_content() -> None:
    rng = np.random.default_rng(1)
    grey = np.clip(200 + rng.normal(0, 2, (800, 1200, 3)), 0, 255).astype(np.uint8)
    assert_seed_answer(engine().extract([png(grey)]), ErrorCode.NO_CONTENT)


def test_garbage_bytes_are_a_bad_image() -> None:
    outcome = engine().extract([b"\x00\x01 this is not an image \xff" * 20])
    response = assert_seed_answer(outcome, ErrorCode.BAD_IMAGE)
    assert response.errorMessage == "Incorrect image format: not a JPEG, PNG, WebP, BMP or TIFF image"


def test_one_bad_image_of_two_fails_the_request() -> None:
    outcome = engine().extract([png(np.full((900, 1300, 3), 255, np.uint8)), b"garbage"])
    assert outcome.sides == []
    assert outcome.error in (ErrorCode.NO_CONTENT, ErrorCode.BAD_IMAGE)
    assert_seed_answer(outcome, outcome.error)


@pytest.mark.parametrize("count", [0, 3])
def test_a_request_needs_one_or_two_images(count: int) -> None:
    image = png(np.zeros((1, 1, 3), np.uint8))
    outcome = engine().extract([image] * count)
    response = assert_seed_answer(outcome, ErrorCode.NO_CONTENT)
    assert "one or two images" in response.errorMessage


def test_the_error_answer_carries_engine_name_and_timing() -> None:
    outcome = engine().extract([b"garbage"])
    assert outcome.engine == "local" and outcome.engine_version
    assert outcome.timings["total"] >= 0
