"""The canonicalisation rules of services.domain.canonical, as its docstring states them."""

from __future__ import annotations

import unicodedata

import pytest

from services.domain.canonical import canonical, canonical_for_kind, parse_date, same_value
from services.domain.schema import FieldKind

# ---- every value ----------------------------------------------------------------------------

def test_decomposed_and_precomposed_diacritics_are_the_same_value():
    decomposed = unicodedata.normalize("NFD", "NGUYỄN VĂN AN")
    assert decomposed != "NGUYỄN VĂN AN"
    assert same_value("name", decomposed, "NGUYỄN VĂN AN")


def test_case_does_not_matter():
    assert same_value("name", "NGUYỄN VĂN AN", "Nguyễn Văn An")
    assert same_value("address", "SỐ 12 NGÕ 5, P. LÁNG HẠ", "Số 12 Ngõ 5, P. Láng Hạ")


def test_runs_of_white_space_collapse_and_ends_are_stripped():
    assert same_value("name", "  NGUYỄN   VĂN\tAN \n", "NGUYỄN VĂN AN")


def test_tone_marks_and_letters_still_matter():
    assert not same_value("name", "NGUYỄN VĂN AN", "NGUYEN VAN AN")
    assert not same_value("issued_at", "Biển", "Biến")
    assert not same_value("color", "Đỏ", "Do")


def test_missing_value_is_empty():
    assert canonical("name", None) == ""
    assert same_value("plate", None, "")


def test_unknown_field_names_compare_as_text():
    assert canonical("not_a_field", "  A  B ") == "a b"


# ---- plates ---------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["30A-123.45", "30A12345", "30a-123-45", " 30A 123 45 "])
def test_plates_compare_on_letters_and_digits_only(written):
    assert same_value("plate", written, "30A-123.45")


def test_plates_with_a_different_character_differ():
    assert not same_value("plate", "30A-123.45", "30A-123.46")
    assert not same_value("plate", "59X2-328.98", "59X1-328.98")


# ---- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["05/06/2012", "5/06/2012", "5/6/2012", "05-06-2012", "05.06.2012",
                                     "ngày 05 tháng 06 năm 2012", "Hà Nội, ngày 5 tháng 6 năm 2012", "2012-06-05"])
def test_dates_compare_as_calendar_dates(written):
    assert same_value("first_issue_date", written, "05/06/2012")


def test_day_and_month_are_not_swapped():
    assert not same_value("last_issue_date", "06/05/2012", "05/06/2012")


def test_an_impossible_date_is_compared_as_text():
    assert parse_date("31/02/2012") is None
    assert not same_value("first_issue_date", "31/02/2012", "02/03/2012")
    assert same_value("first_issue_date", "31/02/2012", " 31/02/2012 ")


# ---- numbers --------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [("05", "5"), ("1.250", "1250"), ("550 kg", "550"), ("6.750 KG", "6750"),
                                  ("04", "4 chỗ"), ("109,5", "109,50")])
def test_numbers_compare_as_numbers(a, b):
    assert same_value("pay_load", a, b)


def test_comma_marks_decimals_and_dot_groups_thousands():
    assert canonical("capacity", "109,5") == "109.5"
    assert canonical("capacity", "1.589") == "1589"
    assert not same_value("capacity", "109,5", "1095")


def test_text_that_is_not_a_number_stays_text():
    assert canonical("sit", "..") == ".."
    assert not same_value("sit", "..", "")


# ---- codes, certificate numbers, serials ----------------------------------------------------

def test_codes_compare_as_integers():
    assert same_value("address_ward_code", "00199", "199")
    assert same_value("address_town_code", "01", "1")
    assert canonical("address_district_code", "") == ""


def test_certificate_numbers_keep_digits_only():
    assert same_value("id", "49 010012", "49010012")
    assert canonical_for_kind(FieldKind.DIGITS, "Số: 012345") == "012345"
    assert not same_value("id", "012345", "12345")  # leading zeros are part of the number


def test_engine_and_chassis_numbers_ignore_spaces_and_case_but_keep_hyphens():
    assert same_value("engine", "JF83E 1234567", "JF83E1234567")
    assert same_value("chassis", "rlsedA21tnv213686", "RLSEDA21TNV213686")
    assert not same_value("engine", "F10A-V1017213", "F10AV1017213")
    assert not same_value("chassis", "RLSEDA21TNV2136860", "RLSEDA21TNV213686")
