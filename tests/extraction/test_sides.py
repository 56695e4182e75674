"""Side and kind detection from the printed text (not from position): the front (certificate
number, title) or the detail side ("back", the vehicle's rows), and car or motorbike.

Uses the regression set's scans (tests/support/engine.py: one car and one motorbike card in each
layout), read once for this module and test_engine_regression."""

from __future__ import annotations

import pytest

from services.domain.schema import Side, VehicleKind
from tests.support.engine import REGRESSION_PLAN, SideRun, regression_runs

# The first test to ask reads the 16 sides of the regression set (1-2 minutes).
slow = pytest.mark.slow

SCANS = [(index, kind, layout) for index, (condition, kind, layout) in enumerate(REGRESSION_PLAN)
         if condition == "scan"]


def run_of(index: int, side: Side) -> SideRun:
    runs = [run for run in regression_runs() if run.card_id.endswith(f"-{index:04d}") and run.side == side]
    assert len(runs) == 1
    return runs[0]


@slow
@pytest.mark.parametrize("side", [Side.FRONT, Side.BACK])
@pytest.mark.parametrize("index, kind, layout", SCANS, ids=[f"{k}-{l}" for _, k, l in SCANS])
def test_the_side_is_told_from_the_printed_text(index: int, kind: str, layout: str, side: Side) -> None:
    run = run_of(index, side)
    assert run.reading is not None, f"{run.describe()}: {run.outcome.detail}"
    assert run.reading.side == side, run.describe()


@slow
@pytest.mark.parametrize("index, kind, layout", SCANS, ids=[f"{k}-{l}" for _, k, l in SCANS])
def test_the_kind_is_told_on_the_detail_side(index: int, kind: str, layout: str) -> None:
    run = run_of(index, Side.BACK)
    assert run.reading is not None and run.reading.kind == VehicleKind(kind), run.describe()


@slow
@pytest.mark.parametrize("index, kind, layout", SCANS, ids=[f"{k}-{l}" for _, k, l in SCANS])
def test_the_kind_is_told_on_the_front_from_its_title(index: int, kind: str, layout: str) -> None:
    run = run_of(index, Side.FRONT)
    assert run.reading is not None and run.reading.kind == VehicleKind(kind), run.describe()


@slow
@pytest.mark.parametrize("index, kind, layout", [s for s in SCANS if s[1] == "motorbike"],
                         ids=[f"{k}-{l}" for _, k, l in SCANS if k == "motorbike"])
def test_a_motorbike_card_leaves_the_car_only_fields_empty_and_sure(index: int, kind: str, layout: str) -> None:
    reading = run_of(index, Side.BACK).reading
    assert reading is not None
    for name in ("pay_load", "year_of_manufacture", "lie", "sit", "stand"):
        field = reading.fields[name]
        assert field.value == "", f"{name}: {field.value!r} on a motorbike's card"
        assert field.confidence is not None and field.confidence >= 0.8, (name, field.confidence)


def _title_row(text: str):
    from services.extraction.ocr import OcrWord
    from services.extraction.rows import Row

    words, x = [], 0
    for token in text.split():
        words.append(OcrWord(text=token, conf=0.95, box=(x, 100, 20 * len(token), 30)))
        x += 20 * len(token) + 15
    return Row(words=words)


@pytest.mark.parametrize("title, kind", [
    ("GIẤY CHỨNG NHẬN ĐĂNG KÝ XE Ô TÔ", "car"),
    ("GIẤY CHỨNG NHẬN ĐĂNG KÝ XE MÁY", "motorbike"),
    ("GIẤY CHỨNG NHẬN ĐĂNG KÝ XE MÔ TÔ, XE MÁY", "motorbike"),
])
def test_the_title_tells_the_front_and_the_kind(title: str, kind: str) -> None:
    from services.extraction.fields import card_title

    assert card_title([_title_row(title)]) == ("front", kind)
