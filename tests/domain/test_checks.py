"""Checks on a whole record (services.domain.checks): each field against its format, and fields
against each other. The engine lowers confidence on a failed check; the review screen re-runs
these on a reviewer's corrections before they may approve."""

from __future__ import annotations

from services.domain.checks import check_record, field_problem, plate_province_problem

BACK = {
    "name": "NGUYỄN VĂN AN",
    "address": "Số 12 Ngõ 5, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
    "address_town_code": "01", "address_district_code": "006", "address_ward_code": "00199",
    "address_town": "Thành phố Hà Nội", "address_district": "Quận Đống Đa", "address_ward": "Phường Láng Hạ",
    "engine": "1NZ1234567", "chassis": "RLSEDA21TNV213686", "brand": "TOYOTA", "model": "VIOS", "color": "Đỏ",
    "capacity": "1.497", "issued_at": "Phòng CSGT Công an TP Hà Nội", "issued_at_code": "01",
    "last_issue_date": "08/01/2019", "first_issue_date": "22/05/2016", "plate": "30A-123.45",
    "pay_load": "", "year_of_manufacture": "2015", "lie": "", "sit": "05", "stand": "",
}
FRONT = {"name": "NGUYỄN VĂN AN", "address": BACK["address"], "id": "012345", "plate": "30A-123.45",
         "issued_at": "Phòng CSGT Công an TP Hà Nội"}


def back(**changes: str) -> dict[str, dict[str, str]]:
    return {"back": {**BACK, **changes}}


def test_a_consistent_two_sided_record_passes() -> None:
    assert check_record({"front": FRONT, "back": BACK}, "car") == {}


def test_first_registration_after_the_issue_date_fails() -> None:
    failures = check_record(back(first_issue_date="22/05/2020", last_issue_date="08/01/2019"), "car")
    assert failures == {("back", "first_issue_date"): "first registration after the issue date"}


def test_the_same_day_for_both_dates_passes() -> None:
    assert check_record(back(first_issue_date="08/01/2019"), "car") == {}


def test_a_vehicle_made_after_its_first_registration_fails() -> None:
    failures = check_record(back(year_of_manufacture="2017"), "car")
    assert failures == {("back", "year_of_manufacture"): "made after its first registration"}


def test_a_plate_prefix_of_another_province_than_the_issuer_fails() -> None:
    failures = check_record(back(plate="51A-123.45"), "car")
    assert failures == {("back", "plate"): "plate prefix 51 is not the issuing province's (01)"}
    failures = check_record(back(issued_at="Công an tỉnh Lâm Đồng", issued_at_code="68"), "car")
    assert failures == {("back", "plate"): "plate prefix 30 is not the issuing province's (68)"}


def test_every_plate_prefix_of_the_issuing_province_passes() -> None:
    for prefix in ("29", "30", "31", "32", "33", "40"):
        assert plate_province_problem(f"{prefix}A-123.45", "01") == ""
    assert plate_province_problem("80A-123.45", "01") == ""  # central agencies: no province
    assert plate_province_problem("", "01") == "" and plate_province_problem("30A-123.45", "") == ""


def test_front_and_back_that_disagree_fail_on_both_sides() -> None:
    front = {**FRONT, "name": "NGUYỄN VĂN ANH", "plate": "30A-123.46"}
    failures = check_record({"front": front, "back": BACK}, "car")
    assert failures == {
        ("front", "name"): "front and back disagree", ("back", "name"): "front and back disagree",
        ("front", "plate"): "front and back disagree", ("back", "plate"): "front and back disagree",
    }


def test_front_and_back_that_differ_only_in_writing_agree() -> None:
    front = {**FRONT, "plate": "30A12345", "name": "Nguyễn Văn An"}
    assert check_record({"front": front, "back": BACK}, "car") == {}


def test_plates_with_the_same_characters_but_another_series_disagree() -> None:
    # 30Z7-1424 (a motorbike's series Z7) is not 30Z-714.24 (a car's Z): both sides are flagged.
    failures = check_record({"front": {**FRONT, "plate": "30Z7-1424"}, "back": {**BACK, "plate": "30Z-714.24"}},
                            "motorbike")
    assert failures.get(("front", "plate")) == failures.get(("back", "plate")) == "front and back disagree"


def test_fields_a_motorbike_does_not_carry_never_fail() -> None:
    failures = check_record(back(sit="abc", pay_load="x", year_of_manufacture="20x9"), "motorbike")
    assert not any(name in ("sit", "pay_load", "year_of_manufacture") for _side, name in failures)


def test_missing_required_fields_fail_and_optional_ones_do_not() -> None:
    failures = check_record(back(engine="", chassis="", capacity="", pay_load=""), "car")
    assert failures == {("back", "engine"): "missing", ("back", "chassis"): "missing"}
    assert check_record({"front": {**FRONT, "id": ""}}, "car") == {("front", "id"): "missing"}


def test_a_value_that_breaks_its_format_fails_with_the_reason() -> None:
    failures = check_record(back(first_issue_date="31/02/2016", color="qwerty"), "car")
    assert failures[("back", "first_issue_date")] == "not a date"
    assert failures[("back", "color")].startswith("not a colour word")


def test_a_value_that_normalising_would_change_looks_misread() -> None:
    assert check_record(back(plate="3OA-123.45"), "car") == {("back", "plate"): "looks misread: 30A-123.45?"}
    assert field_problem("plate", "59X2-328.98", kind="motorbike") == ""
    # Spelling repairs of closed lists and unit names are not reported as misreads.
    assert field_problem("color", "Bac") == ""


def test_derived_fields_are_not_checked() -> None:
    assert check_record(back(address_town_code="xx", address_ward="nonsense", issued_at_code=""), "car") == {}
