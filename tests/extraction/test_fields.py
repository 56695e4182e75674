"""Locating values without a label of their own (services.extraction.fields): the certificate
number after "Số (N°):" however the gloss was read, and the issuing unit from its place."""

from __future__ import annotations

import pytest

from services.extraction import fields
from services.extraction.ocr import OcrWord
from services.extraction.rows import Row


def row(*texts: str, y: int = 100, height: int = 30) -> Row:
    words, x = [], 40
    for text in texts:
        width = 18 * len(text)
        words.append(OcrWord(text=text, conf=0.9, box=(x, y, width, height)))
        x += width + 15
    return Row(words=words)


@pytest.mark.parametrize("texts, number", [
    (("Số", "(N°):", "246766"), "246766"),
    (("Số:", "52", "414519"), "52414519"),
    (("+1", "Số", "@°):", "246766"), "246766"),  # a stain before the label, the gloss misread
    (("Số", "(w-):", "060190"), "060190"),
    (("Số(w9:", "580175"), "580175"),
    (("sø:", "52", "414519"), "52414519"),
    (("Số", "GCN:", "012345"), "012345"),
    (("Sá:", "859772"), "859772"),  # the tone mark of "Số" misread  # words naming the paper between "Số" and the colon
    (("Số", "giấy", "chứng", "nhận:", "0123456"), "0123456"),
])
def test_the_certificate_number_follows_so_and_its_gloss(texts: tuple[str, ...], number: str) -> None:
    located = fields.locate_certificate_number([row(*texts)])
    assert located is not None
    assert "".join(w.text for w in located.words).replace(" ", "").endswith(number)


@pytest.mark.parametrize("texts", [("Số", "máy", "(Engine", "N°):", "JF12E123456"), ("Số", "210,", "Ngõ", "176")])
def test_other_rows_starting_with_so_hold_no_certificate_number(texts: tuple[str, ...]) -> None:
    assert fields.locate_certificate_number([row(*texts)]) is None


def test_an_issuing_unit_whose_police_words_are_lost_is_found_from_its_place() -> None:
    rows = [row("Đắk", "Nông,", "ngày", "09", "tháng", "12", "năm", "2015", y=100),
            row("SÔNG'ẦN", "LÀV", "TỈNH", "ĐẮK", "NÔNG", y=140)]
    located = fields.locate_issuer_caps(fields.label_rows(rows), 600)
    assert located is not None and located.text.endswith("TỈNH ĐẮK NÔNG")


def test_a_first_line_read_too_badly_to_be_found_is_added_back_to_the_unit() -> None:
    rows = [row("FHÒNG", "C5GT", y=100), row("CÔNG", "AN", "TỈNH", "ĐIỆN", "BIÊN", y=140)]
    located = fields.locate_issuer_caps(fields.label_rows(rows), 600)
    assert located is not None
    assert located.text == "FHÒNG C5GT CÔNG AN TỈNH ĐIỆN BIÊN" and len(located.regions) == 2


@pytest.mark.parametrize("texts, plate", [
    (("BKS", "59B-152.76"), "59B-152.76"),  # a label worded as no lexicon has it
    (("Plate", "62L9", "-", "038.33"), "62L9-038.33"),  # OCR split the plate into words
    (("14N-5985",), "14N-5985"),  # an old car plate, no label at all
    (("418P-626.", "77"), "418P-626.77"),  # a seal stroke before it read as "4"
    (("756-670.", "36"), "756-670.36"),  # the series letter G read as a 6
])
def test_a_plate_whose_label_is_not_found_is_found_by_its_pattern(texts: tuple[str, ...], plate: str) -> None:
    located = fields.locate_plate_by_pattern([row("Màu", "sơn:", "Đỏ", y=40), row(*texts, y=100)])
    assert located is not None and located.how == "pattern"
    assert "".join(w.text for w in located.words) == plate
    assert located.regions[0][1] < 100 < located.regions[0][1] + located.regions[0][3]


@pytest.mark.parametrize("texts", [
    ("Số", "loại:", "XZU720L"),  # a model code: no hyphen
    ("Số", "khung:", "RLDDLA1M0BH696872"),
    ("ngày", "04-04-2020"),  # a date is not a plate
    ("05A-123.45",),  # no province has plate prefix 05
])
def test_rows_without_a_plate_yield_none(texts: tuple[str, ...]) -> None:
    assert fields.locate_plate_by_pattern([row(*texts)]) is None


def test_a_plate_pattern_inside_another_fields_value_is_not_taken() -> None:
    address = row("Số", "nhà", "59B-152.76", y=100)
    taken = [(0, 90, 1000, 50)]
    assert fields.locate_plate_by_pattern([address], taken) is None


def test_text_reads_as_a_plate_only_with_its_series_and_hyphen() -> None:
    assert fields.reads_as_plate("59B-152.76") and fields.reads_as_plate("62L9 - 038.33")
    assert not fields.reads_as_plate("XE") and not fields.reads_as_plate("59B 15276")


def test_an_address_whose_label_is_not_found_is_found_by_its_units_after_the_unknown_label() -> None:
    rows = [row("Nơi", "ở:", "Số", "12,", "Phường", "Láng", "Hạ,", y=100),
            row("Quận", "Đống", "Đa,", "TP", "Hà", "Nội", y=140),
            row("CCCD:", "001203952", y=180)]
    located = fields.locate_address_by_pattern(fields.label_rows(rows))
    assert located is not None and located.how == "pattern"
    # Both wrapped rows, and not the ID line below them.
    assert located.text == "Số 12, Phường Láng Hạ, Quận Đống Đa, TP Hà Nội"
    assert len(located.regions) == 2


def test_an_address_printed_without_unit_words_is_found_when_its_parts_resolve_to_a_ward() -> None:
    rows = [row("Ở:", "123", "Bà", "Triệu,", "P.2,", "Sa", "Đéc,", "Đồng", "Tháp", y=100)]
    located = fields.locate_address_by_pattern(fields.label_rows(rows))
    assert located is not None and located.text == "123 Bà Triệu, P.2, Sa Đéc, Đồng Tháp"


@pytest.mark.parametrize("texts", [
    ("CÔNG", "AN", "HUYỆN", "CỦ", "CHI,", "TP", "HỒ", "CHÍ", "MINH"),  # the issuing unit
    ("CỘNG", "HOÀ", "XÃ", "HỘI", "CHỦ", "NGHĨA", "VIỆT", "NAM"),  # the national motto
    ("Quận", "Đống", "Đa,", "ngày", "04", "tháng", "04", "năm", "2020"),  # the date line
    ("Màu", "sơn:", "Đỏ"),
])
def test_rows_that_name_places_but_are_no_address_yield_none(texts: tuple[str, ...]) -> None:
    assert fields.locate_address_by_pattern(fields.label_rows([row(*texts)])) is None


def test_an_address_pattern_inside_another_fields_value_is_not_taken() -> None:
    rows = [row("Số", "12,", "Phường", "Láng", "Hạ,", "Quận", "Đống", "Đa,", "Hà", "Nội", y=100)]
    assert fields.locate_address_by_pattern(fields.label_rows(rows), [(0, 90, 2000, 50)]) is None


def test_an_owners_name_whose_label_is_not_found_is_the_capitals_after_the_unknown_label() -> None:
    rows = [row("Người", "đứng", "tên:", "TRẦN", "THỊ", "CÚC", "Mã", "máy:", "JF12E123456", y=100)]
    located = fields.locate_name_by_pattern(fields.label_rows(rows))
    assert located is not None and located.how == "pattern"
    assert located.text == "TRẦN THỊ CÚC"  # up to the next label's colon


@pytest.mark.parametrize("texts", [
    ("Đơn", "vị:", "CÔNG", "AN", "TỈNH", "LÂM", "ĐỒNG"),  # a unit, in capitals too
    ("Hiệu:", "HONDA"),  # one word
    ("Ghi", "chú:", "Xe", "nhập", "khẩu"),  # not in capitals
    ("Số", "khung:", "RLHJC51", "EY123456"),  # digits
    ("TRẦN", "THỊ", "CÚC"),  # no colon: no unknown label ends before it
])
def test_rows_that_hold_no_name_after_a_label_yield_none(texts: tuple[str, ...]) -> None:
    assert fields.locate_name_by_pattern(fields.label_rows([row(*texts)])) is None


def test_an_address_in_capitals_is_not_taken_for_the_issuing_unit() -> None:
    rows = [row("TỔ", "5,", "XÃ", "ĐAK", "SMAR,", "HUYỆN", "KBANG,", "TỈNH", "GIA", "LAI", y=100)]
    assert fields.locate_issuer_caps(fields.label_rows(rows), 600) is None


def serial_rows() -> list[fields.RowLabels]:
    return fields.label_rows([row("Chủ", "xe:", "LÊ", "VĂN", "AN", y=100),
                              row("Ký", "hiệu", "máy", "JF12E-1234567", y=140),  # labels worded as no lexicon has them
                              row("Ký", "hiệu", "khung", "RLHJF1234KY123456", y=180),
                              row("Ngày", "đăng", "ký:", "12/04/2019", "30A-123.45", y=220)])


def test_serials_whose_labels_are_not_found_are_found_by_their_values() -> None:
    found = fields.locate_serials_by_pattern(serial_rows(), [], ["engine", "chassis"])
    assert {name: located.text for name, located in found.items()} == {
        "engine": "JF12E-1234567", "chassis": "RLHJF1234KY123456"}
    assert all(located.how == "pattern" for located in found.values())


def test_a_vin_is_the_chassis_wherever_it_stands_and_the_other_serial_the_engine() -> None:
    rows = fields.label_rows([row("Mã", "A", "RLHJF1234KY123456", y=100), row("Mã", "B", "JF12E-1234567", y=140)])
    found = fields.locate_serials_by_pattern(rows, [], ["engine", "chassis"])
    assert found["chassis"].text == "RLHJF1234KY123456" and found["engine"].text == "JF12E-1234567"


def test_only_the_missing_serial_is_looked_for() -> None:
    taken = [(0, 130, 2000, 40)]  # the engine's value, found by its label
    found = fields.locate_serials_by_pattern(serial_rows(), taken, ["chassis"])
    assert list(found) == ["chassis"] and found["chassis"].text == "RLHJF1234KY123456"


@pytest.mark.parametrize("texts", [
    ("Biển", "số:", "30A-123.45"),  # a plate
    ("Ngày:", "12/04/2019"),  # a date
    ("Loại:", "XZU720L"),  # a model code: fewer than four digits
    ("Tên:", "NGUYỄN", "VĂN", "AN"),
    ("Dung", "tích:", "1498"),  # digits only
])
def test_rows_without_a_serial_yield_none(texts: tuple[str, ...]) -> None:
    assert fields.locate_serials_by_pattern(fields.label_rows([row(*texts)]), [], ["engine", "chassis"]) == {}


def test_a_tall_mark_of_a_letter_or_two_beside_a_label_is_no_value() -> None:
    label = row("Năm", "sản", "xuất:", y=100)
    stroke = OcrWord(text="NÀ", conf=0.3, box=(400, 60, 60, 90))  # a seal's stroke across the row
    rows = [Row(words=label.words + [stroke]), row("2019", y=150)]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)["year_of_manufacture"]
    assert located.text == "2019" and located.how == "below"


def test_words_after_another_rows_label_are_that_labels_value() -> None:
    # The page read gave the upper label tall boxes reaching down into the next line.
    upper = [OcrWord(text=t, conf=0.9, box=(x, 100, w, 70)) for t, x, w in (("Dung", 40, 70), ("tích:", 125, 90))]
    lower = row("Công", "suất:", "81", "kW", y=150)
    rows = [Row(words=upper + [OcrWord(text="1998", conf=0.9, box=(300, 100, 70, 70))]), lower]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)
    assert located["capacity"].text == "1998"


def test_a_line_passing_over_a_tall_boxed_label_is_not_its_value() -> None:
    # The label's page read was boxed twice a line tall (its segment joined the card's edge),
    # reaching up into the address printed above; its value is printed below it.
    address = row("406", "NGUYỄN", "THỊ", "MINH", "KHAI,", "PHƯỜNG", "BẾN", "THÀNH", y=292, height=20)
    label = [OcrWord(text=t, conf=0.6, box=(x, 317, w, 46)) for t, x, w in (("Nhãn", 40, 60), ("hiệu:", 105, 70))]
    rows = [address, Row(words=label), row("VINFAST", y=374, height=20)]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)["brand"]
    assert located.text == "VINFAST" and located.how == "below"


def test_a_long_value_on_the_line_above_a_tall_boxed_label_is_not_its_value() -> None:
    # "16LD-823." starts over the label "Ngày ĐK lần đầu" and ends past it; its middle lies
    # past the label's end less one letter. The date's own value is printed below the label.
    plate = [OcrWord(text="16LD-823.", conf=0.9, box=(59, 153, 151, 22)),
             OcrWord(text="64", conf=0.9, box=(220, 154, 34, 21))]
    label = [OcrWord(text=t, conf=0.8, box=b) for t, b in (("Ngày", (39, 191, 122, 19)), ("ĐK", (83, 181, 13, 31)),
                                                            ("lần", (107, 181, 21, 31)), ("đầu", (136, 181, 27, 31)))]
    rows = [Row(words=plate), Row(words=label), row("26/07/2017", y=218, height=20)]
    located = fields.locate_labelled(fields.label_rows(rows), 1600)["first_issue_date"]
    assert located.text == "26/07/2017" and located.how == "below"


def test_the_load_row_is_not_taken_for_the_issue_date() -> None:
    # "Hàng" folds one letter away from "tháng" and "nằm" folds to "năm".
    load = row("Số", "chỗ", "ngồi", "(Sit)", "7", "chỗ", "đứng", "(Stand)", "....", "Hàng", "hoá", "....",
               "nằm", "(Lie)", "2019", y=100)
    issued = row("Hà", "Nội,", "ngày", "04", "tháng", "04", "năm", "2020", y=200)
    assert fields.locate_issue_date([load]) is None
    assert fields.locate_issue_date([load, issued]).text == "ngày 04 tháng 04 năm 2020"


def test_a_row_that_opens_with_an_unknown_labels_colon_does_not_continue_a_name() -> None:
    rows = [row("Chủ", "xe:", "LÊ", "VĂN", "AN", y=100), row("Nơi", "ở:", "Tổ", "5,", "Xã", "Đông", "Hải", y=140)]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)["name"]
    assert located.text == "LÊ VĂN AN" and len(located.regions) == 1


def test_leader_dots_between_the_words_of_a_value_split_it_and_keep_its_whole_width() -> None:
    # A typewriter value on a dotted line is read as one word: "NGUYỄN...GIA...DŨNG".
    word = OcrWord(text=".NGUYỄN...GIA...DŨNG.", conf=0.9, box=(230, 100, 300, 30))
    words = fields.value_words([word], 30)
    assert [w.text for w in words] == [".NGUYỄN", "GIA", "DŨNG."]
    assert words[0].box[0] == 230 and words[-1].x2 >= 520  # the region still reaches the last letter


def test_a_comma_before_a_run_of_leader_dots_stays_with_its_word() -> None:
    word = OcrWord(text="Hiệp,....Bình", conf=0.9, box=(100, 100, 260, 30))
    assert [w.text for w in fields.value_words([word], 30)] == ["Hiệp,", "Bình"]


def test_leader_dots_alone_or_at_a_values_ends_are_dropped() -> None:
    words = [OcrWord(text="......", conf=0.9, box=(100, 100, 60, 30)),
             OcrWord(text="......61F4-061.44", conf=0.9, box=(170, 100, 280, 30))]
    (value,) = fields.value_words(words, 30)
    assert value.text == "61F4-061.44"
    assert value.box[0] < 170 + 280 * 6 / 17  # cut a letter wide of the dots: no digit clipped


def test_a_gloss_boxed_far_too_wide_does_not_swallow_the_start_of_its_value() -> None:
    # The page read boxed "(Address)" over the value's first words "Thôn 4, X." as well.
    words = [OcrWord(text=t, conf=0.9, box=b) for t, b in (
        ("Địa", (96, 130, 30, 20)), ("chỉ", (135, 130, 25, 20)), ("(Address)", (167, 124, 269, 26)),
        ("Thôn", (258, 124, 45, 26)), ("4,", (312, 124, 20, 26)), ("X.Cai", (340, 124, 90, 26)),
        ("Bộ,", (455, 125, 35, 22)), ("Huyện", (513, 124, 71, 24)), ("Quảng", (601, 124, 70, 23)),
        ("Hòa", (689, 125, 52, 22)))]
    located = fields.locate_labelled(fields.label_rows([Row(words=words)]), 2000)["address"]
    assert located.text == "Thôn 4, X.Cai Bộ, Huyện Quảng Hòa"


def test_an_address_wrapped_over_four_rows_of_a_narrow_column_is_read_whole() -> None:
    rows = [row("Địa", "chỉ:", "Tổ", "dân", "phố", "Hạ,", y=100), row("X.", "Quảng", "Lập,", y=150),
            row("Huyện", "Đơn", "Dương,", y=200), row("T.", "Lâm", "Đồng", y=250)]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)["address"]
    assert located.text == "Tổ dân phố Hạ, X. Quảng Lập, Huyện Đơn Dương, T. Lâm Đồng"


def test_a_row_of_the_other_column_between_an_addresss_rows_is_passed_over() -> None:
    address = row("Địa", "chỉ:", "Tổ", "26,", "Phường", "Liên", "Mạc,", y=100)
    other = Row(words=[OcrWord(text=t, conf=0.9, box=(x, 130, 18 * len(t), 30))
                       for t, x in (("Số", 1260), ("khung:", 1320), ("RL0WD3TT4GP373806", 1450))])
    rows = [address, other, row("Q.", "Bắc", "Từ", "Liêm,", "TP.", "Hà", "Nội", y=160)]
    located = fields.locate_labelled(fields.label_rows(rows), 2000)
    assert located["address"].text == "Tổ 26, Phường Liên Mạc, Q. Bắc Từ Liêm, TP. Hà Nội"
    assert located["chassis"].text == "RL0WD3TT4GP373806"


def test_a_plates_last_digits_read_unsurely_are_kept_but_a_stain_after_a_value_is_not() -> None:
    plate = [OcrWord(text="320-134.", conf=0.9, box=(387, 773, 206, 31)),
             OcrWord(text="66", conf=0.3, box=(608, 774, 47, 30))]
    assert [w.text for w in fields.value_words(plate, 24)] == ["320-134.", "66"]
    dots = [OcrWord(text="3B5G-225..", conf=0.39, box=(205, 842, 236, 36)),
            OcrWord(text="41", conf=0.4, box=(457, 842, 58, 35))]
    assert [w.text for w in fields.value_words(dots, 35)] == ["3B5G-225..", "41"]
    name = [OcrWord(text="TRẦN", conf=0.9, box=(100, 100, 90, 30)), OcrWord(text="KỲ", conf=0.9, box=(200, 100, 50, 30)),
            OcrWord(text="1", conf=0.3, box=(260, 100, 12, 30))]
    assert [w.text for w in fields.value_words(name, 30)] == ["TRẦN", "KỲ"]


def test_a_date_label_with_other_text_beside_it_takes_its_value_from_the_row_below() -> None:
    # The seal's "TRƯỞNG PHÒNG CSGT" stands far right on the label's line; the date wrapped below.
    label = row("Đăng", "ký", "lần", "đầu", "ngày:", y=832)
    beside = [OcrWord(text=t, conf=0.95, box=(x, 832, 18 * len(t), 30))
              for t, x in (("TRƯỞNG", 1007), ("PHÒNG", 1160), ("CSGT", 1288))]
    rows = [Row(words=label.words + beside), row("15/11/2016", y=897)]
    located = fields.locate_labelled(fields.label_rows(rows), 1600)["first_issue_date"]
    assert located.text == "15/11/2016" and located.how == "below"


def test_a_date_read_unsurely_below_its_label_is_still_its_value_but_a_stain_is_not() -> None:
    label = row("Đăng", "ký", "lần", "đầu", "ngày", "(Date", "of", "first", "registration):", y=900, height=25)
    date = Row(words=[OcrWord(text="19/09/2000", conf=0.47, box=(100, 973, 191, 24))])
    located = fields.locate_labelled(fields.label_rows([label, date]), 1600)["first_issue_date"]
    assert located.text == "19/09/2000" and located.how == "below"
    stain = Row(words=[OcrWord(text="~n", conf=0.3, box=(100, 973, 40, 24))])
    located = fields.locate_labelled(fields.label_rows([label, stain]), 1600)["first_issue_date"]
    assert located.words == []
