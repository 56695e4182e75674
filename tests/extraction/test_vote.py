"""How the engine chooses a field's value among its readers' readings (`Engine._candidate`): on
readings made by hand, where the right choice is known."""

from __future__ import annotations

import pytest

from services.domain.schema import Side, VehicleKind
from services.extraction import fields as locate
from services.extraction.engine import SideContext
from services.extraction.ocr import OcrWord
from tests.support.engine import engine

CAR = SideContext(side=Side.BACK, kind=VehicleKind.CAR, align_score=1.0)
REGION = (500, 500, 70, 40)


def word(text: str, conf: float = 0.9) -> OcrWord:
    return OcrWord(text=text, conf=conf, box=(505, 505, 20, 30))


def choose(name: str, readings: list[str], weights: list[float]) -> str:
    """The value chosen from one row read by each reader ("" where a reader saw nothing)."""
    item = locate.Located(field=name, words=[], regions=[REGION])
    sources = [[[word(text)] if text else []] for text in readings]
    return engine()._candidate(name, item, sources, CAR, False, {}, None, weights, None).value


def test_a_blank_field_read_as_a_digit_by_one_reader_only_stays_blank() -> None:
    # The page read, the recogniser (weight 2) and one Tesseract model saw nothing in the
    # standing places' box; the other read a dot as "3".
    assert choose("stand", ["", "3", "", ""], [1.0, 1.0, 1.0, 2.0]) == ""


def test_a_value_most_readers_see_in_a_field_that_may_be_blank_is_kept() -> None:
    assert choose("sit", ["", "5", "5", "5"], [1.0, 1.0, 1.0, 2.0]) == "5"


def test_a_field_that_is_never_blank_takes_what_one_reader_saw() -> None:
    # A name is never left blank on a card: a single reading is better than none for review.
    assert choose("name", ["", "NGUYỄN VĂN AN", "", ""], [1.0, 1.0, 1.0, 2.0]) == "NGUYỄN VĂN AN"


def test_a_page_read_sure_of_a_value_is_not_outvoted_by_re_reads_that_saw_nothing() -> None:
    # Seats "04" read at 0.99 on the page; the re-reads' crop (a row boxed twice a line tall)
    # held parts of three lines and gave nothing.
    assert choose("sit", ["04", "", "", ""], [1.0, 1.0, 1.0, 2.0]) == "04"


def test_an_unsure_page_read_of_a_blank_field_is_outvoted_by_re_reads_that_saw_nothing() -> None:
    item = locate.Located(field="pay_load", words=[], regions=[REGION])
    sources = [[[word("30", conf=0.5)]], [[]], [[]], [[]]]
    chosen = engine()._candidate("pay_load", item, sources, CAR, False, {}, None, [1.0, 1.0, 1.0, 2.0], None)
    assert chosen.value == ""


@pytest.mark.parametrize("shorter, longer, wrapped", [
    ("NGUYỄN BÁ", "NGUYỄN BÁ TRUNG", True),  # the rest of a name on the next row
    ("DOANH NGHIỆP TƯ NHÂN", "DOANH NGHIỆP TƯ NHÂN KỸ THUẬT HƯNG THỊNH", True),
    ("TRẦN KHẮC KỲ", "TRẦN KHẮC KỲ Số 5, Phường 2", False),  # an address below, not the name
    ("TRẦN KHẮC KỲ", "TRẦN KHẮC KỲ 0912", False),
    ("Trần Khắc", "Trần Khắc Kỳ", False),  # a name not in capitals is not continued so
])
def test_a_name_continues_on_the_next_row_only_in_capitals(shorter: str, longer: str, wrapped: bool) -> None:
    from services.extraction.engine import _continues_in_capitals

    assert _continues_in_capitals(shorter, longer) is wrapped
