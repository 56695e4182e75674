"""Normalising each field (services.domain.normalize): what OCR read becomes the value in the
product's convention (shared/card-formats.md), a misreading that the field's rules can repair is
repaired with a note, and a value that breaks them fails with a reason.

The last part states properties for any text (Hypothesis): normalisers never raise, a value that
passes is a fixed point, a passing plate has one of the printed forms, canonical() is idempotent.
"""

from __future__ import annotations

import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.domain.canonical import canonical
from services.domain.derive import derived_fields
from services.domain.normalize import (
    NORMALISERS,
    normalize,
    normalize_address,
    normalize_brand,
    normalize_colour,
    normalize_date,
    normalize_digits,
    normalize_issuer,
    normalize_model,
    normalize_name,
    normalize_plate,
    normalize_serial,
    normalize_year,
)
from services.domain.reference import plate_codes, vehicles
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, VehicleKind
from services.domain.vietnamese import SURNAMES, fold


def passes(result, value: str) -> None:
    assert result.ok, result.reason
    assert result.value == value


def fails(result, reason_part: str) -> None:
    assert not result.ok
    assert reason_part in result.reason


# ---- plates -----------------------------------------------------------------------------------

@pytest.mark.parametrize("printed", ["30A-123.45", "14N-5985", "59X2-328.98", "51LD-123.45", "61LD-5672",
                                     "29AA-123.45", "80A-123.45"])
def test_a_plate_in_a_printed_form_passes_unchanged(printed: str) -> None:
    result = normalize_plate(printed)
    passes(result, printed)
    assert not result.notes and result.corrections == 0


@pytest.mark.parametrize("read, plate", [
    ("30A12345", "30A-123.45"),  # separators lost
    ("30A-12345", "30A-123.45"),
    ("30A 123 45", "30A-123.45"),
    ("59X2 328.98", "59X2-328.98"),
    ("14N 5985", "14N-5985"),
    ("Biển số: 30A-123.45", "30A-123.45"),  # the label's tail read with the value
    ("N.P37L-923.72", "37L-923.72"),  # the gloss "N° Plate" read as letters glued to the plate
    ("NP.76A-039.10", "76A-039.10"),
    ("30a-123.45", "30A-123.45"),
])
def test_a_plate_is_put_in_its_printed_form(read: str, plate: str) -> None:
    passes(normalize_plate(read), plate)


@pytest.mark.parametrize("read, plate, note", [
    ("3OA-123.45", "30A-123.45", "O read as 0"),
    ("S9X2-328.98", "59X2-328.98", "S read as 5"),
    ("59X2-32B.98", "59X2-328.98", "B read as 8"),
    ("30A-I23.45", "30A-123.45", "I read as 1"),
    ("305-123.45", "30S-123.45", "5 read as S"),  # a digit where the series letter belongs
])
def test_letter_digit_confusions_in_a_plate_are_repaired_and_noted(read: str, plate: str, note: str) -> None:
    result = normalize_plate(read)
    passes(result, plate)
    assert note in result.notes and result.corrections >= 1


def test_a_motorbike_series_takes_a_digit_second() -> None:
    passes(normalize_plate("59XZ-328.98", motorbike=True), "59X2-328.98")
    passes(normalize_plate("30A-123.45", motorbike=False), "30A-123.45")


@pytest.mark.parametrize("prefix", ["10", "13", "42", "44", "45", "46", "87", "91", "96"])
def test_a_prefix_that_belongs_to_no_province_fails(prefix: str) -> None:
    fails(normalize_plate(f"{prefix}A-123.45"), f"no province has plate prefix {prefix}")


@pytest.mark.parametrize("read, reason", [
    ("", "too short"),
    ("30A", "too short"),
    ("30A-123", "3 digits after the series"),
    ("30A-1234567", "digits after the series"),
    ("XYA-123.45", "a plate is digits, a series, then digits"),
])
def test_a_plate_that_is_no_plate_fails(read: str, reason: str) -> None:
    fails(normalize_plate(read), reason)


def test_a_plate_from_another_province_than_the_registering_units_fails() -> None:
    # The registering unit issues the plate: Bình Dương's (GSO 74) plates start with 61.
    passes(normalize_plate("61F4-061.44", province="74"), "61F4-061.44")
    fails(normalize_plate("51F4-061.44", province="74"), "plate prefix 51 is not the registering province's (74)")
    passes(normalize_plate("51F4-061.44", province="79"), "51F4-061.44")  # Hồ Chí Minh: 41, 50-59
    passes(normalize_plate("51F4-061.44"), "51F4-061.44")  # no registering unit read: no constraint


# ---- engine and chassis numbers -----------------------------------------------------------------

@pytest.mark.parametrize("printed", ["0519128", "F10A-V1017213", "YD25951640T", "JF83E-1234567"])
def test_an_engine_number_passes_unchanged(printed: str) -> None:
    passes(normalize_serial(printed, chassis=False), printed)


@pytest.mark.parametrize("printed", ["F30000087321", "RLSEDA21TNV213686", "RLHJA3900AY123456"])
def test_a_chassis_number_passes_unchanged(printed: str) -> None:
    passes(normalize_serial(printed, chassis=True), printed)


def test_a_serial_loses_spaces_and_stray_punctuation_with_a_note() -> None:
    passes(normalize_serial("jf83e-1234567", chassis=False), "JF83E-1234567")
    passes(normalize_serial("F10A V1017213", chassis=False), "F10AV1017213")
    result = normalize_serial("YD2595'1640T", chassis=False)
    passes(result, "YD25951640T")
    assert result.corrections == 1 and "dropped" in result.note


@pytest.mark.parametrize("read, vin", [
    ("RLSEDA2ITNV2I3686", "RLSEDA21TNV213686"),
    ("RLSEDAOQTNV213686", "RLSEDA00TNV213686"),
])
def test_a_vin_holds_no_i_o_or_q_so_they_are_read_as_1_and_0(read: str, vin: str) -> None:
    result = normalize_serial(read, chassis=True)
    passes(result, vin)
    assert "I/O/Q in a VIN read as 1/0/0" in result.notes and result.corrections == 2


def test_i_o_and_q_stay_in_serials_that_are_not_vins() -> None:
    passes(normalize_serial("IOQ12345", chassis=True), "IOQ12345")  # 8 characters: no VIN
    passes(normalize_serial("JF83E-O234567", chassis=False), "JF83E-O234567")


@pytest.mark.parametrize("read, chassis, reason", [
    ("1234", False, "4 characters (5-17 expected)"),
    ("12345", True, "5 characters (6-17 expected)"),
    ("123456789012345678", False, "18 characters"),
    ("RLSEDA21TNV2136861", True, "18 characters"),
    ("ABCDEFG", False, "no digit"),
    ("", True, "empty"),
    ("ĐỎ", False, "characters"),
])
def test_a_serial_with_a_wrong_length_or_no_digit_fails(read: str, chassis: bool, reason: str) -> None:
    fails(normalize_serial(read, chassis=chassis), reason)


# ---- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("read, value", [
    ("22/05/1996", "22/05/1996"),
    ("5/06/2012", "05/06/2012"),
    ("5/6/2012", "05/06/2012"),
    ("22.05.1996", "22/05/1996"),
    ("22-05-1996", "22/05/1996"),
    ("ngày 08 tháng 01 năm 2009", "08/01/2009"),
    ("Hà Nội, ngày 8 tháng 1 năm 2009", "08/01/2009"),
])
def test_a_date_comes_out_dd_mm_yyyy(read: str, value: str) -> None:
    passes(normalize_date(read), value)


@pytest.mark.parametrize("read, value", [
    ("nqày 08 thànq 01 nãm 2009", "08/01/2009"),  # the words garbled
    ("ngay 08 thang 01 nam 2009", "08/01/2009"),  # without diacritics
    ("ngày O8 tháng 0l năm 2009", "08/01/2009"),  # letters for digits
    ("2O/O5/1996", "20/05/1996"),
    ("22,05,1996", "22/05/1996"),
    ("22|05|1996", "22/05/1996"),
])
def test_a_misread_date_is_repaired(read: str, value: str) -> None:
    passes(normalize_date(read), value)


def test_letters_read_as_digits_in_a_date_are_noted() -> None:
    result = normalize_date("2O/O5/1996")
    assert result.notes == ["letters in a date read as digits"] and result.corrections == 1


@pytest.mark.parametrize("read, reason", [
    ("31/02/2009", "not a date"),
    ("00/05/2009", "not a date"),
    ("12/13/2009", "not a date"),
    ("hello", "not a date"),
    ("", "not a date"),
    ("22/05/1896", "year 1896 out of range"),
    ("22/05/2099", "year 2099 out of range"),
])
def test_an_impossible_date_or_year_fails(read: str, reason: str) -> None:
    fails(normalize_date(read), reason)


# ---- numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("field, read, value", [
    ("capacity", "1.250", "1.250"),  # as printed: the thousands dot stays
    ("capacity", "110", "110"),
    ("capacity", "2488 cm3", "2488"),
    ("pay_load", "550 kg", "550"),
    ("pay_load", "6.750 KG", "6.750"),
    ("sit", "05", "05"),  # the leading zero stays
    ("sit", "5 chỗ", "5"),
    ("sit", "O5", "05"),
    ("year_of_manufacture", "2009", "2009"),
    ("year_of_manufacture", "2.009", "2009"),
])
def test_a_number_is_kept_as_printed_without_its_unit(field: str, read: str, value: str) -> None:
    passes(normalize(field, read), value)


@pytest.mark.parametrize("field, read", [("pay_load", "550 kg"), ("pay_load", "6.750 KG"), ("pay_load", "2488 cm3"),
                                         ("sit", "5 chỗ")])
def test_a_unit_after_a_number_is_not_taken_for_misread_digits(field: str, read: str) -> None:
    result = normalize(field, read)
    assert result.notes == [] and result.corrections == 0


@pytest.mark.parametrize("read", ["3", "9", ".... 8 ....", "8 kg"])
def test_a_load_under_ten_kg_is_a_leader_dot_read_as_a_digit_the_blank_sent_for_a_look(read: str) -> None:
    fails(normalize("pay_load", read), "under 10 kg")
    assert normalize("pay_load", read).value == ""
    passes(normalize("pay_load", "10"), "10")


@pytest.mark.parametrize("field", ["capacity", "pay_load", "sit", "stand", "lie", "year_of_manufacture"])
@pytest.mark.parametrize("read", ["....", "..", "-", "", "…", "kg"])
def test_a_row_printed_with_dots_or_nothing_is_empty_and_passes(field: str, read: str) -> None:
    passes(normalize(field, read), "")


@pytest.mark.parametrize("field, read, reason", [
    ("capacity", "10", "10 is outside 40-20000"),
    ("capacity", "99999", "outside"),
    ("pay_load", "70000", "outside"),
    ("sit", "100", "100 is outside 0-90"),
    ("year_of_manufacture", "1949", "outside"),
    ("year_of_manufacture", "2099", "outside"),
    ("year_of_manufacture", "09", "outside"),
])
def test_a_number_outside_its_plausible_range_fails(field: str, read: str, reason: str) -> None:
    fails(normalize(field, read), reason)


def test_a_year_has_four_digits() -> None:
    passes(normalize_year("1996"), "1996")
    fails(normalize_year("O2OO"), "outside")


@pytest.mark.parametrize("read, value", [
    ("86013462", "86013462"),
    ("49 010012", "49010012"),
    ("86O13462", "86013462"),
    ("Số: 012345", "012345"),  # the label before it is no digits
    ("Số 012345", "012345"),
    ("So: 012345", "012345"),
])
def test_a_certificate_number_is_its_digits(read: str, value: str) -> None:
    passes(normalize_digits(read), value)


@pytest.mark.parametrize("read", ["123", "1234567890123", ""])
def test_a_certificate_number_of_the_wrong_length_fails(read: str) -> None:
    fails(normalize_digits(read), "digits (4-12 expected)")


# ---- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize("printed", ["NGUYỄN VĂN AN", "HỒ THỊ MAI", "TRẦN QUỐC TUẤN", "LÊ THỊ HỒNG NHUNG",
                                     "ĐẶNG NGỌC ANH", "CÔNG TY TNHH MTV VẬN TẢI HOÀNG LONG",
                                     "CÔNG TY CỔ PHẦN XÂY DỰNG NAM VIỆT"])
def test_a_name_made_of_vietnamese_syllables_passes_unchanged(printed: str) -> None:
    result = normalize_name(printed)
    passes(result, printed)
    assert result.corrections == 0


def test_a_name_is_upper_case_with_spaces_collapsed_and_punctuation_dropped() -> None:
    passes(normalize_name("nguyễn  văn an"), "NGUYỄN VĂN AN")
    passes(normalize_name("NGUYỄN VĂN AN."), "NGUYỄN VĂN AN")


@pytest.mark.parametrize("read, name, note", [
    ("ĐĂNG THỊ HOA", "ĐẶNG THỊ HOA", "ĐĂNG -> ĐẶNG"),
    ("NGUYẼN VĂN AN", "NGUYỄN VĂN AN", "NGUYẼN -> NGUYỄN"),
    ("DANG THỊ HOA", "ĐẶNG THỊ HOA", "DANG -> ĐẶNG"),
    ("TRẤN VĂN BA", "TRẦN VĂN BA", "TRẤN -> TRẦN"),
])
def test_a_family_name_misread_in_its_marks_is_respelled(read: str, name: str, note: str) -> None:
    result = normalize_name(read)
    passes(result, name)
    assert result.notes == [note] and result.corrections == 1


def test_digits_in_a_name_are_dropped_and_noted() -> None:
    result = normalize_name("TRẦN VĂN B3O")
    assert result.value == "TRẦN VĂN BO"
    assert "dropped digits: 3" in result.note and result.corrections == 1


@pytest.mark.parametrize("read, reason", [
    ("NGUYỄN HƯÔNG", "not Vietnamese syllables: HƯÔNG"),
    ("NGUYỄN VĂN Thj", "not Vietnamese syllables: THJ"),
    ("NGUYỄN", "at least two words"),
    ("", "at least two words"),
])
def test_a_name_with_a_broken_syllable_or_one_word_fails(read: str, reason: str) -> None:
    fails(normalize_name(read), reason)


# ---- addresses --------------------------------------------------------------------------------

LANG_HA = {"address_town_code": "01", "address_district_code": "006", "address_ward_code": "00199",
           "address_town": "Thành phố Hà Nội", "address_district": "Quận Đống Đa",
           "address_ward": "Phường Láng Hạ"}


@pytest.mark.parametrize("printed", [
    "Số 12 Ngõ 5, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
    "SỐ 12 NGÕ 5, P.LÁNG HẠ, Q.ĐỐNG ĐA, HÀ NỘI",
    "12 Ngõ 5, P. Láng Hạ, Q. Đống Đa, TP Hà Nội",
    "12 ngõ 5, phường Láng Hạ, quận Đống Đa, thành phố Hà Nội",
])
def test_an_address_passes_as_printed_with_its_official_units_and_codes(printed: str) -> None:
    result = normalize_address(printed)
    passes(result, printed)
    assert result.derived == LANG_HA
    assert result.match_score == pytest.approx(1.0)


def test_misread_unit_names_are_respelled_keeping_abbreviations_and_case() -> None:
    result = normalize_address("12 Ngõ 5, P.Láng Hạa, Q.Đống Đ, TP Hà Nội")
    passes(result, "12 Ngõ 5, P.Láng Hạ, Q.Đống Đa, TP Hà Nội")
    assert result.derived == LANG_HA
    assert "Láng Hạa -> Láng Hạ" in result.note and "Đống Đ -> Đống Đa" in result.note
    assert result.corrections == 2
    upper = normalize_address("P.SONG HÔ, H.THUẬN THÀNH, BẮC NINH")
    passes(upper, "P.SONG HỒ, H.THUẬN THÀNH, BẮC NINH")  # "P." stays, capitals stay
    assert upper.derived["address_ward"] == "Phường Song Hồ" and upper.derived["address_ward_code"] == "09412"


def test_unit_type_words_are_respelled_only_where_they_name_a_unit() -> None:
    passes(normalize_address("Số 3, Phuòng Láng Hạ, Quân Đống Đa, Hà Nội"),
           "Số 3, Phường Láng Hạ, Quận Đống Đa, Hà Nội")
    passes(normalize_address("Số 64 Nguyễn Tri Phương, Phuong 2, Quan 6, TP HCM"),
           "Số 64 Nguyễn Tri Phương, Phường 2, Quận 6, TP HCM")
    # Streets named like unit words keep their spelling.
    for printed in ("Số 64 Ngõ 168 Nguyễn Tri Phương, P.2, Q. 6, TP.Hồ Chí Minh",
                    "Số 353 Lạc Long Quân, P. Khuê Mỹ, Q.Ngũ Hành Sơn, TP Đà Nẵng",
                    "Số 24 Nguyễn Huệ, Phường Phong Hải, Thị xã Phong Điền, Tỉnh Thừa Thiên Huế"):
        passes(normalize_address(printed), printed)


def test_street_words_are_respelled_but_not_inside_unit_names() -> None:
    passes(normalize_address("Số 12 duong Lê Lợi, Phường Bến Nghé, Quận 1, TP HCM"),
           "Số 12 đường Lê Lợi, Phường Bến Nghé, Quận 1, TP HCM")
    passes(normalize_address("Thon 3, Xã Ea Tu, TP Buôn Ma Thuột, Đắk Lắk"), "Thôn 3, Xã Ea Tu, TP Buôn Ma Thuột, Đắk Lắk")
    for printed in ("Khu phố 8, Phường Hòa Nghĩa, Quận Dương Kinh, Thành phố Hải Phòng",
                    "Khu phố 8, Hòa Nghĩa, Dương Kinh, Hải Phòng"):  # Dương is no Đường here
        result = normalize_address(printed)
        passes(result, printed)
        assert result.notes == []
    # A street named after a person keeps its name; a lane number shows a misread lane word.
    passes(normalize_address("Số 360 Ngõ 192 Ngô Quyền, Phường 9, Quận 5, Thành phố Hồ Chí Minh"),
           "Số 360 Ngõ 192 Ngô Quyền, Phường 9, Quận 5, Thành phố Hồ Chí Minh")
    passes(normalize_address("Ngô 192 Lê Lợi, Phường 9, Quận 5, Thành phố Hồ Chí Minh"),
           "Ngõ 192 Lê Lợi, Phường 9, Quận 5, Thành phố Hồ Chí Minh")


def test_words_glued_together_are_not_swallowed_by_a_unit_name() -> None:
    result = normalize_address("Tổ 2, Xã Phước Hưng, Huyện Long ĐấtTỉnhBà Rịa - Vũng Tàu")
    assert "ĐấtTỉnhBà" in result.value


@pytest.mark.parametrize("printed, code", [
    ("Số 5, Phường Vĩnh Hải, TP Nha Trang, Khánh Hòa", "56"),
    ("Số 5, Phường Vĩnh Hải, TP Nha Trang, Khánh Hoà", "56"),  # the older spelling, kept
    ("Thôn 3, Xã Ea Tu, TP Buôn Ma Thuột, Đắk Lắk", "66"),  # minority-language names pass
    ("12 Lê Lợi, P.Bến Nghé, Q.1, TP.HCM", "79"),
    ("5 Lê Lợi, Phường Phú Hội, TP Huế, T.T.Huế", "46"),
    ("1 Trần Phú, P. Thắng Nhì, TP Vũng Tàu, BR-VT", "77"),
    ("Số 1, Phường Trần Phú, TP Hà Tĩnh, Tỉnh Hà Tĩnh", "42"),
])
def test_other_usual_writings_of_a_province_stay_as_printed(printed: str, code: str) -> None:
    result = normalize_address(printed)
    passes(result, printed)
    assert result.derived["address_town_code"] == code


@pytest.mark.parametrize("read, address", [
    ("Thôn 14, Xã.An.Mỹ, H.Quỳnh Phụ, Tỉnh Thái Bình", "Thôn 14, Xã An Mỹ, H.Quỳnh Phụ, Tỉnh Thái Bình"),
    ("Thôn 7, Xã Đồn Xá, Huyện Bình Lục, .Tỉnh Hà Nam", "Thôn 7, Xã Đồn Xá, Huyện Bình Lục, Tỉnh Hà Nam"),
    ("Tổ 13, Mỹ Quới, Ngã Năm, . Sóc Trăng", "Tổ 13, Mỹ Quới, Ngã Năm, Sóc Trăng"),
    ("Tổ.dân phố 15, Xã Đắk Môl, Huyện Đắk.Song, Tỉnh.Đắk Nông", "Tổ dân phố 15, Xã Đắk Môl, Huyện Đắk Song, Tỉnh Đắk Nông"),
])
def test_leader_dots_between_the_words_of_an_address_are_dropped(read: str, address: str) -> None:
    passes(normalize_address(read), address)


@pytest.mark.parametrize("read, address", [
    ("Số --69 Nguyễn.-Văn--Cừ, Xã.-Phong--Dụ, Huyện Tiên Yên, Tỉnh Quảng Ninh",
     "Số 69 Nguyễn Văn Cừ, Xã Phong Dụ, Huyện Tiên Yên, Tỉnh Quảng Ninh"),
    ("Số--69--Nguyễn--Văn--‹Cừ, Xã--Phong-Dụ, Huyện Tiên-Yên, Tỉnh-Quảng-Ninh",
     "Số 69 Nguyễn Văn Cừ, Xã Phong Dụ, Huyện Tiên Yên, Tỉnh Quảng Ninh"),
    ("Số 193 Ngõ 25 Lê. Hồng Phong, X. Lâm Trung Thủy, H.Đức Thọ, Tỉnh Hà Tĩnh",
     "Số 193 Ngõ 25 Lê Hồng Phong, X. Lâm Trung Thủy, H.Đức Thọ, Tỉnh Hà Tĩnh"),
    ("221. Âu Cơ, Phường Thanh Xuân Bắc, Q. Thanh Xuân, TP Hà Nội",
     "221 Âu Cơ, Phường Thanh Xuân Bắc, Q. Thanh Xuân, TP Hà Nội"),
    ("Số 26.Ngõ.25 Lê Duẩn, Phường Bến Tắm, Thành phố Chí Linh, Tỉnh Hải Dương",
     "Số 26 Ngõ 25 Lê Duẩn, Phường Bến Tắm, Thành phố Chí Linh, Tỉnh Hải Dương"),
    ("Tổ 2, X.Mậu Long, Huyện, Yên Minh, Hà Giang", "Tổ 2, X.Mậu Long, Huyện Yên Minh, Hà Giang"),
])
def test_dashed_leaders_and_stray_dots_and_commas_inside_an_address_are_dropped(read: str, address: str) -> None:
    assert normalize_address(read).value == address


@pytest.mark.parametrize("printed", ["12 Lê Lợi, P.5, TT-Huế", "1 Trần Phú, P. Thắng Nhì, TP Vũng Tàu, BR-VT",
                                     "12 Lê Lợi, P.Bến Nghé, Q.1, TP.HCM"])
def test_an_abbreviations_own_dot_or_hyphen_stays(printed: str) -> None:
    assert normalize_address(printed).value == printed


@pytest.mark.parametrize("read, address", [
    ("Khóm 2 Xã An Ninh Đông, Huyện Đức Hòa Tỉnh Long An", "Khóm 2, Xã An Ninh Đông, Huyện Đức Hòa, Tỉnh Long An"),
    ("Ấp 12. Xã Mỹ Phước Tây, Thị xã Cai Lậy, Tỉnh Tiền Giang",
     "Ấp 12, Xã Mỹ Phước Tây, Thị xã Cai Lậy, Tỉnh Tiền Giang"),
    ("Khu phố 5. P.Thạnh Xuân Q.12, TP.HCM", "Khu phố 5, P.Thạnh Xuân, Q.12, TP.HCM"),
    ("TỔ DÂN PHỐ HẠ XÃ ĐAK SMAR HUYỆN KBANG, TỈNH GIA LAI", "TỔ DÂN PHỐ HẠ, XÃ ĐAK SMAR, HUYỆN KBANG, TỈNH GIA LAI"),
])
def test_a_comma_lost_or_read_as_a_dot_before_a_unit_is_put_back(read: str, address: str) -> None:
    passes(normalize_address(read), address)


@pytest.mark.parametrize("read, address", [
    ("Thôn 4, X:Cai Bộ, Huyện Quảng Hòa, T, Cao Bằng", "Thôn 4, X.Cai Bộ, Huyện Quảng Hòa, T. Cao Bằng"),
    ("Tổ 1, P; 12, Q. Gò Vấp, TP.HCM", "Tổ 1, P. 12, Q. Gò Vấp, TP.HCM"),
    ("Thôn Đông, X Thủy Thanh, TX. Hương Thủy, TP.Huế", "Thôn Đông, X. Thủy Thanh, TX. Hương Thủy, TP.Huế"),
])
def test_a_units_abbreviation_keeps_its_dot_when_read_as_a_comma_or_colon_or_lost(read: str, address: str) -> None:
    passes(normalize_address(read), address)


@pytest.mark.parametrize("printed", [
    "Số 5 Đường Xã Đàn, Phường Nam Đồng, Quận Đống Đa, Thành phố Hà Nội",  # a street named after a unit
    "Số 9 Tỉnh lộ 10, Xã Lê Minh Xuân, Huyện Bình Chánh, TP. HCM",  # a provincial road
    "5 Lê Lợi, Phường Phú Hội, TP Huế, T.T.Huế",  # an abbreviation's own dots
    "67 Xã Đàn, Xã Hoằng Xuân, Huyện Hoằng Hóa, Tỉnh Thanh Hóa",  # a house number, then the street
])
def test_unit_words_that_start_no_part_get_no_comma(printed: str) -> None:
    assert normalize_address(printed).value == printed


@pytest.mark.parametrize("printed", ["Khu phố 6, X.An Dũng, H.Đức Phổ, T.Quảng Ngãi",
                                     "Số 151 ngách 31/52 Láng Hạ, P.Khuê Trung, Q.Cẩm Lệ, TP.Đà Nẵng"])
def test_abbreviations_written_with_a_dot_keep_it(printed: str) -> None:
    assert normalize_address(printed).value == printed


def test_a_ward_and_district_named_alike_keep_their_places_and_spellings() -> None:
    # Ward Cẩm Giang (a town) lies in district Cẩm Giàng: the names differ by one tone mark only.
    first = normalize_address("Thôn 10, TT.Cẩm Giang, HCẩm Giàng, Tỉnh Hải Dương")
    assert first.value == "Thôn 10, TT.Cẩm Giang, Cẩm Giàng, Tỉnh Hải Dương"
    assert normalize_address(first.value).value == first.value


def test_an_address_missing_its_units_fails_and_has_no_codes() -> None:
    fails(normalize_address("abc"), "too short for an address")
    result = normalize_address("xyz qwe rty, asdf, zzzz")
    fails(result, "no official province, district, ward found")
    assert result.derived["address_town_code"] == "" and "not Vietnamese syllables" in result.reason


def test_address_codes_are_derived_through_derive_module() -> None:
    assert derived_fields("back", "address", "Số 12 Ngõ 5, Phường Láng Hạ, Quận Đống Đa, Hà Nội") == LANG_HA
    assert derived_fields("back", "address", "  ") == {name: "" for name in LANG_HA}
    assert derived_fields("back", "issued_at", "Công an tỉnh Lâm Đồng") == {"issued_at_code": "68"}
    assert derived_fields("back", "plate", "30A-123.45") == {}


# ---- issuing units ----------------------------------------------------------------------------

@pytest.mark.parametrize("printed, code", [
    ("Công an tỉnh Lâm Đồng", "68"),
    ("Phòng CSGT Công an TP Hà Nội", "01"),
    ("Phòng Cảnh sát giao thông Công an tỉnh Hà Tĩnh", "42"),
    ("Phòng CSGT Công an TP. Hồ Chí Minh", "79"),
    ("Công an TP HCM", "79"),
    ("Công an tỉnh Khánh Hòa", "56"),
    ("Công an tỉnh Khánh Hoà", "56"),
    ("Công an tỉnh Thừa Thiên Huế", "46"),
    ("Công an tỉnh Đắk Lắk", "66"),
    ("Công an huyện Củ Chi", "79"),  # a district's police names no province
    ("Công an huyện Đông Anh", "01"),
    ("Công an huyện Yên Phong", "27"),
    ("Công an huyện Đăk Glong", "67"),
    ("Công an quận 6", "79"),
    ("Công an huyện Cư M'gar", "66"),  # the apostrophe is part of the name
])
def test_an_issuing_unit_passes_as_printed_with_its_province_code(printed: str, code: str) -> None:
    result = normalize_issuer(printed)
    passes(result, printed)
    assert result.derived == {"issued_at_code": code}


@pytest.mark.parametrize("read, unit, note", [
    ("CÔNG AN TÍNH BÌNH THUẬN", "CÔNG AN TỈNH BÌNH THUẬN", "TÍNH -> TỈNH"),
    ("Công an tinh Lâm Đông", "Công an tỉnh Lâm Đồng", "Lâm Đông -> Lâm Đồng"),
    ("Cong an tinh Lam Dong", "Công an tỉnh Lâm Đồng", "Cong an -> Công an"),
    ("Công an tinh Ha Tinh", "Công an tỉnh Hà Tĩnh", "Ha Tinh -> Hà Tĩnh"),
])
def test_a_misread_issuing_unit_is_respelled(read: str, unit: str, note: str) -> None:
    result = normalize_issuer(read)
    passes(result, unit)
    assert note in result.note


@pytest.mark.parametrize("read, unit", [
    ("PHÒNG ST CÔNG AN THÀNH PHỐ HÀ NỘI", "PHÒNG CSGT CÔNG AN THÀNH PHỐ HÀ NỘI"),
    ("Phòng-CSGT-Gông--an-tảnh Khánh Hòa", "Phòng CSGT Công an tỉnh Khánh Hòa"),
    ("„CÔNG AN TÌM HƯNG YÊN", "CÔNG AN TỈNH HƯNG YÊN"),
    ("hòng.Cảnh sát giao thông Công an tỉnh Quảng Bình", "Phòng Cảnh sát giao thông Công an tỉnh Quảng Bình"),
    ("Công an tỉnh Nghệ Nghệ An", "Công an tỉnh Nghệ An"),  # a word read twice
])
def test_misread_words_before_the_place_are_written_as_the_unit_head_they_resemble(read: str, unit: str) -> None:
    result = normalize_issuer(read)
    passes(result, unit)
    assert "unit words read as" in result.note and result.corrections >= 1


@pytest.mark.parametrize("printed", ["Công an TP. Hồ Chí Minh", "CÔNG AN TP ĐÀ NẴNG", "Phòng CSGT Công an TP. Hà Nội",
                                     "Đội CSGT Công an huyện Củ Chi"])
def test_a_unit_head_as_printed_is_left_alone(printed: str) -> None:
    result = normalize_issuer(printed)
    assert result.value == printed and "unit words" not in result.note


def test_issuer_words_are_never_taken_for_a_province() -> None:
    # "Công an" is one letter from "Long An", and a misread district is no province.
    result = normalize_issuer("Công an huyện Đông Ahn")
    assert result.value == "Công an huyện Đông Ahn"
    fails(result, "no province in the issuing unit")
    assert result.derived == {"issued_at_code": ""}


@pytest.mark.parametrize("read, reason", [
    ("Phòng CSGT", "no province in the issuing unit"),
    ("Ủy ban nhân dân tỉnh Lâm Đồng", "an issuing unit names the police"),
])
def test_an_issuing_unit_without_province_or_police_fails(read: str, reason: str) -> None:
    fails(normalize_issuer(read), reason)


# ---- closed lists: colours, brands, models --------------------------------------------------------

@pytest.mark.parametrize("printed", ["Đỏ", "Bạc Đen", "Trắng", "Xanh lam", "Vàng cát", "ĐEN", "Xám"])
def test_a_colour_passes_as_printed(printed: str) -> None:
    result = normalize_colour(printed)
    passes(result, printed)
    assert result.match_score == 1.0


@pytest.mark.parametrize("read, colour", [("Bac Den", "Bạc Đen"), ("Trắnq", "Trắng"), ("Đỏo", "Đỏ"), ("Đỏ .", "Đỏ")])
def test_a_near_miss_colour_is_respelled(read: str, colour: str) -> None:
    result = normalize_colour(read)
    passes(result, colour)


def test_a_word_that_is_no_colour_fails() -> None:
    fails(normalize_colour("qwerty"), "not a colour word: qwerty")
    fails(normalize_colour(""), "empty")


@pytest.mark.parametrize("printed", list(vehicles.brands()))
def test_every_listed_brand_passes_unchanged(printed: str) -> None:
    result = normalize_brand(printed)
    passes(result, printed)
    assert result.match_score == 1.0


@pytest.mark.parametrize("read, brand", [("TOYOT", "TOYOTA"), ("HOMDA", "HONDA"), ("Yamaha", "YAMAHA"),
                                         ("MERCEDES BENZ", "MERCEDES-BENZ")])
def test_a_near_miss_brand_is_respelled(read: str, brand: str) -> None:
    result = normalize_brand(read)
    passes(result, brand)


def test_an_unlisted_make_is_kept_with_no_list_match_and_garbage_fails() -> None:
    result = normalize_brand("XYZCORP")
    passes(result, "XYZCORP")
    assert result.match_score == 0.0
    fails(normalize_brand("???"), "not in the list")
    fails(normalize_brand(""), "empty")


def test_a_model_is_kept_and_a_near_miss_of_its_makes_model_respelled() -> None:
    passes(normalize_model("SIRIUS", brand="YAMAHA"), "SIRIUS")
    assert "INNOVA" in vehicles.models_of("TOYOTA", VehicleKind.CAR)
    result = normalize_model("INN0VA", brand="TOYOTA")
    passes(result, "INNOVA")
    assert result.notes == ["INN0VA -> INNOVA"]
    passes(normalize_model("INN0VA", brand="HONDA"), "INN0VA")  # not a model of that make: kept
    passes(normalize("model", "Ô tô con"), "Ô tô con")
    fails(normalize_model(""), "empty")
    fails(normalize_model("X" * 41), "too long")


# ---- properties -------------------------------------------------------------------------------

FIELDS = sorted({spec.name for spec in FRONT_FIELDS + BACK_FIELDS if not spec.derived})
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Z")), max_size=60)


@PROPERTY
@given(name=st.sampled_from(FIELDS), raw=ANY_TEXT)
def test_no_normaliser_raises_on_any_text(name: str, raw: str) -> None:
    for options in ({}, {"motorbike": True}, {"motorbike": False}, {"brand": "HONDA"}):
        result = normalize(name, raw, **options)
        assert isinstance(result.value, str) and isinstance(result.ok, bool)
        assert result.ok or result.reason


def assert_fixed_point(name: str, raw: str, **options) -> None:
    first = normalize(name, raw, **options)
    if first.ok and first.value:
        again = normalize(name, first.value, **options)
        assert again.ok, (raw, first.value, again.reason)
        assert again.value == first.value, (raw, first.value, again.value)
        assert again.notes == [] or name in ("model",), (raw, first.value, again.notes)


PLATE_TEXT = st.text(alphabet="0123456789ABCDEFGHKLMNPSTUVXYZĐOQI-. ", min_size=5, max_size=14)


@PROPERTY
@given(raw=PLATE_TEXT, motorbike=st.sampled_from([None, True, False]))
def test_a_passing_plate_has_a_printed_form_and_is_a_fixed_point(raw: str, motorbike) -> None:
    result = normalize_plate(raw, motorbike=motorbike)
    if result.ok:
        assert plate_codes.PLATE_PATTERN.match(result.value), (raw, result.value)
    assert_fixed_point("plate", raw, motorbike=motorbike)


@PROPERTY
@given(parts=st.tuples(st.sampled_from(sorted(plate_codes.PLATE_PREFIX_PROVINCE)),
                       st.sampled_from(["A", "C", "LD", "KT", "X2", "B1", "AA"]),
                       st.integers(0, 99999), st.booleans()))
def test_every_well_formed_plate_passes_unchanged(parts) -> None:
    prefix, series, number, old = parts
    motorbike = series[-1].isdigit()
    digits = f"{number % 10000:04d}" if old and not motorbike else f"{number:05d}"
    printed = f"{prefix:02d}{series}-" + (digits if len(digits) == 4 else f"{digits[:3]}.{digits[3:]}")
    passes(normalize_plate(printed, motorbike=motorbike), printed)
    passes(normalize_plate(printed), printed)


SERIAL_TEXT = st.text(alphabet=string.ascii_uppercase + string.digits + "- .:", max_size=20)
DATE_TEXT = st.one_of(
    st.text(alphabet="0123456789/.-, OlI", max_size=14),
    st.builds(lambda d, m, y: f"ngày {d} tháng {m} năm {y}", st.integers(0, 40), st.integers(0, 14),
              st.integers(1900, 2100)),
)
NUMBER_TEXT = st.text(alphabet="0123456789.,OolI kgcm3chỗ", max_size=12)
NAME_TEXT = st.lists(st.sampled_from(["VĂN", "THỊ", "AN", "HOA", "NGỌC", "ĐĂNG", "NGUYẼN", "THJ", "B3O", "QUỐC"]
                                     + [s.upper() for s in SURNAMES]), max_size=5).map(" ".join)
COLOUR_TEXT = st.lists(st.sampled_from(list(vehicles.BASIC_COLOURS) + ["lam", "đậm", "Bac", "Den", "Trắnq", "xyz"]),
                       max_size=3).map(" ".join)
BRAND_TEXT = st.one_of(st.sampled_from(vehicles.brands()), st.text(alphabet=string.ascii_uppercase + " -0123",
                                                                    max_size=12))


@PROPERTY
@given(case=st.one_of(
    st.tuples(st.sampled_from(["engine", "chassis"]), SERIAL_TEXT),
    st.tuples(st.sampled_from(["first_issue_date", "last_issue_date"]), DATE_TEXT),
    st.tuples(st.sampled_from(["capacity", "pay_load", "sit", "stand", "lie", "year_of_manufacture", "id"]),
              NUMBER_TEXT),
    st.tuples(st.just("name"), NAME_TEXT),
    st.tuples(st.just("color"), COLOUR_TEXT),
    st.tuples(st.just("brand"), BRAND_TEXT),
))
def test_a_value_that_passes_normalisation_is_a_fixed_point(case) -> None:
    assert_fixed_point(*case)


def misread(text: str, edits: list[tuple[int, int]]) -> str:
    """Drop a letter's marks, drop a character, or double one."""
    chars = list(text)
    for kind, at in edits:
        if not chars:
            break
        i = at % len(chars)
        if kind == 0:
            chars[i] = fold(chars[i]) or chars[i]
        elif kind == 1:
            del chars[i]
        else:
            chars.insert(i, chars[i])
    return "".join(chars)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), edits=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 200)), max_size=3))
def test_a_passing_address_or_issuer_is_a_fixed_point(seed: int, edits) -> None:
    from tools.synth.values import invent_values

    values = invent_values(random.Random(seed), VehicleKind.MOTORBIKE if seed % 2 else VehicleKind.CAR)
    assert_fixed_point("address", misread(values.address.text, edits))
    assert_fixed_point("issued_at", misread(values.issuer, edits))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6))
def test_generated_printed_values_pass_unchanged(seed: int) -> None:
    """What the certificate generator prints (real units, issuers, plates, serials) passes as is."""
    from tools.synth.values import invent_values

    kind = VehicleKind.MOTORBIKE if seed % 2 else VehicleKind.CAR
    values = invent_values(random.Random(seed), kind)
    printed = {"name": values.owner, "issued_at": values.issuer, "engine": values.vehicle.engine,
               "chassis": values.vehicle.chassis, "brand": values.vehicle.brand}
    for name, value in printed.items():
        passes(normalize(name, value), value)
    passes(normalize_plate(values.plate, motorbike=kind == VehicleKind.MOTORBIKE), values.plate)
    address = normalize_address(values.address.text)
    assert address.value == values.address.text
    assert (address.derived["address_town_code"], address.derived["address_district_code"],
            address.derived["address_ward_code"]) == (values.address.province.code,
                                                      values.address.district.code, values.address.ward.code)
    assert normalize_issuer(values.issuer).derived["issued_at_code"] == values.issuer_province.code


@PROPERTY
@given(name=st.sampled_from(FIELDS + ["address_town_code", "unknown"]), raw=ANY_TEXT)
def test_canonical_is_idempotent(name: str, raw: str) -> None:
    once = canonical(name, raw)
    assert canonical(name, once) == once


def test_every_field_has_a_normaliser() -> None:
    assert set(FIELDS) <= set(NORMALISERS)


def test_a_comma_read_for_the_dot_after_tp_in_an_issuing_unit_is_the_dot() -> None:
    assert normalize_issuer("CÔNG AN TP, HÀ NỘI").value == "CÔNG AN TP. HÀ NỘI"
    assert normalize_issuer("CÔNG AN TP HÀ NỘI").value == "CÔNG AN TP HÀ NỘI"  # printed without one


@pytest.mark.parametrize("read, address", [
    ("Tổ dân phố 10, X.Ngọc Liệp, Huyện Quốc 0oai, TP.Hà Nội", "Tổ dân phố 10, X.Ngọc Liệp, Huyện Quốc Oai, TP.Hà Nội"),
    ("Tố Mường, xã Cao Bồ, huyện Vị Xuyên, tỉnh Hà Giang", "Tổ Mường, xã Cao Bồ, huyện Vị Xuyên, tỉnh Hà Giang"),
    ("Tố dân phố 7, Xã Khánh An, Huyện Yên Khánh, Tỉnh Ninh Bình",
     "Tổ dân phố 7, Xã Khánh An, Huyện Yên Khánh, Tỉnh Ninh Bình"),
    ("Áp Tây, Rạch Gòi, Châu Thành A, Hậu Giang", "Ấp Tây, Rạch Gòi, Châu Thành A, Hậu Giang"),
    ("Ấp4, X. Thạnh Thới Thuận, H.Trần Đề, Tỉnh Sóc Trăng", "Ấp 4, X. Thạnh Thới Thuận, H.Trần Đề, Tỉnh Sóc Trăng"),
])
def test_street_words_misread_at_an_addresss_start_and_a_capital_read_as_zero_are_put_right(
        read: str, address: str) -> None:
    assert normalize_address(read).value == address


@pytest.mark.parametrize("printed", ["Tô Hiến Thành, Phường 5, Quận 10, TP Hồ Chí Minh",
                                     "Số 0912 Lê Lợi, Phường 1, Quận 1, TP HCM"])
def test_a_street_named_after_to_and_a_house_number_with_a_zero_stay(printed: str) -> None:
    assert normalize_address(printed).value == printed


@pytest.mark.parametrize("printed", ["Số 291 ngách 62/31 Xã Đàn, P. 1, Q. 4, TP.Hồ Chí Minh",
                                     "12 ngõ 5 Xã Đàn, Phường Nam Đồng, Quận Đống Đa, TP Hà Nội"])
def test_a_street_named_after_a_unit_behind_a_house_and_lane_number_gets_no_comma(printed: str) -> None:
    # Hypothesis found the first (seed of tools.synth.values) on 2026-12-04.
    assert normalize_address(printed).value == printed
