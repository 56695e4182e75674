"""What an extraction produced (services.domain.results) and how it becomes the seed's JSON: every key of
the schema present, error codes and messages as the seed gives them, two sides merged into one
record with the more confident reading of shared fields."""

from __future__ import annotations

import base64

import pytest

from services.domain.results import ExtractionOutcome, FieldReading, SideReading, combine_confidences, merge_sides
from services.domain.schema import (
    BACK_TYPE,
    FRONT_TYPE,
    TWO_SIDED_TYPE,
    ErrorCode,
    SeedResponse,
    Side,
    info_keys,
    specs_for_type,
    validate_item,
)


def side(which: Side, values: dict[str, tuple[str, float | None]], jpeg: bytes | None = None) -> SideReading:
    reading = SideReading(side=which, aligned_jpeg=jpeg)
    for name, (value, confidence) in values.items():
        reading.fields[name] = FieldReading(name=name, value=value, confidence=confidence)
    return reading


FRONT = side(Side.FRONT, {"name": ("NGUYỄN VĂN AN", 0.9), "id": ("012345", 0.8), "plate": ("30A-123.45", 0.6),
                          "issued_at": ("Công an TP Hà Nội", 0.7)}, jpeg=b"front-jpeg")
BACK = side(Side.BACK, {"name": ("NGUYỄN VĂN ANH", 0.5), "plate": ("30A-123.45", 0.7), "engine": ("1NZ123456", 0.95),
                        "address_town_code": ("01", None)}, jpeg=b"back-jpeg")


def test_a_single_side_answer_has_every_schema_key_in_order() -> None:
    for reading, item_type in ((FRONT, FRONT_TYPE), (BACK, BACK_TYPE)):
        response = ExtractionOutcome(sides=[reading]).to_seed()
        assert (response.errorCode, response.errorMessage) == ("0", "Success")
        (item,) = response.data
        assert item.type == item_type
        validate_item(item)
        assert list(item.info) == info_keys(specs_for_type(item_type))
        assert item.info["image"] == ""


def test_values_and_rounded_confidences_fill_the_info_and_missing_fields_stay_empty() -> None:
    reading = side(Side.FRONT, {"name": ("NGUYỄN VĂN AN", 0.123456), "id": ("012345", None)})
    info = ExtractionOutcome(sides=[reading]).to_seed().data[0].info
    assert info["name"] == "NGUYỄN VĂN AN" and info["name_confidence"] == 0.1235
    assert info["id_confidence"] == 0.0  # no confidence is reported as 0
    assert info["plate"] == "" and info["plate_confidence"] == 0.0


def test_the_thumb_is_the_aligned_card_as_base64_only_when_asked() -> None:
    info = ExtractionOutcome(sides=[FRONT]).to_seed(thumb=True).data[0].info
    assert base64.b64decode(info["image"]) == b"front-jpeg"
    assert ExtractionOutcome(sides=[FRONT]).to_seed(thumb=False).data[0].info["image"] == ""


@pytest.mark.parametrize("code", [ErrorCode.NO_CONTENT, ErrorCode.BAD_IMAGE])
def test_an_error_answer_has_no_data_the_code_as_a_string_and_the_seed_message_first(code: ErrorCode) -> None:
    response = ExtractionOutcome(error=code, detail="what exactly").to_seed()
    assert response.data == []
    assert response.errorCode == str(int(code))
    assert response.errorMessage == f"{code.message}: what exactly"
    assert ExtractionOutcome(error=code).to_seed().errorMessage == code.message


def test_two_sides_make_one_record_with_the_front_number_and_both_images() -> None:
    response = ExtractionOutcome(sides=[FRONT, BACK], two_sided=True).to_seed(thumb=True)
    (item,) = response.data
    assert item.type == TWO_SIDED_TYPE
    validate_item(item)
    info = item.info
    assert info["id"] == "012345" and info["engine"] == "1NZ123456" and info["address_town_code"] == "01"
    assert base64.b64decode(info["image1"]) == b"front-jpeg" and base64.b64decode(info["image2"]) == b"back-jpeg"
    assert info["issued_at"] == "Công an TP Hà Nội"  # only the front read it


def test_a_shared_field_takes_the_more_confident_reading() -> None:
    merged = merge_sides(FRONT, BACK)
    assert merged["name"].value == "NGUYỄN VĂN AN"  # front 0.9 over back 0.5
    assert not merged["name"].check_ok and merged["name"].check_reason == "front and back disagree"
    # Disagreeing: right only if the chosen is right and the other wrong.
    assert merged["name"].confidence == pytest.approx(0.9 * 0.5 / (1 - 0.9 * 0.5))
    # Agreeing readings are wrong only if both are.
    assert merged["plate"].value == "30A-123.45" and merged["plate"].check_ok
    assert merged["plate"].confidence == pytest.approx(1 - 0.3 * 0.4)


def test_merging_with_one_side_missing_keeps_the_other() -> None:
    assert merge_sides(None, BACK)["engine"].value == "1NZ123456"
    assert merge_sides(FRONT, None)["id"].value == "012345"
    assert merge_sides(None, None) == {}


def test_combine_confidences_edge_cases() -> None:
    assert combine_confidences(0.8, None, True) == 0.8
    assert combine_confidences(None, 0.7, False) == 0.7
    assert combine_confidences(0.99, 0.99, True) == 0.999  # capped
    assert combine_confidences(1.0, 1.0, False) == 0.5


def test_a_seed_answer_reads_back_into_an_outcome() -> None:
    response = ExtractionOutcome(sides=[FRONT]).to_seed(thumb=True)
    again = ExtractionOutcome.from_seed(SeedResponse.model_validate(response.model_dump()), engine="remote")
    reading = again.side(Side.FRONT)
    assert reading is not None and reading.value("name") == "NGUYỄN VĂN AN"
    assert reading.fields["name"].confidence == 0.9 and reading.aligned_jpeg == b"front-jpeg"
    failure = ExtractionOutcome.from_seed(SeedResponse.failure(ErrorCode.BAD_IMAGE, "x"), engine="remote")
    assert failure.error == ErrorCode.BAD_IMAGE and not failure.ok


def test_a_two_sided_seed_answer_splits_into_front_and_back() -> None:
    response = ExtractionOutcome(sides=[FRONT, BACK], two_sided=True).to_seed(thumb=True)
    again = ExtractionOutcome.from_seed(response, engine="remote")
    assert again.two_sided
    assert again.side(Side.FRONT).value("id") == "012345"
    assert again.side(Side.BACK).value("engine") == "1NZ123456"
    assert again.side(Side.BACK).aligned_jpeg == b"back-jpeg"
