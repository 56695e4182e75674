"""Finding the printed labels in a row of OCR words (services.extraction.labels): a label is found
with or without its diacritics and English gloss, and the gloss is never taken for the value,
even when it was read too badly to be recognised on its own."""

from __future__ import annotations

import pytest

from services.extraction.labels import find_labels, is_label_text, strip_gloss


def value_after_label(words: list[str]) -> list[str]:
    hits = find_labels(words)
    assert hits, f"no label found in {words}"
    return words[hits[0].end:]


@pytest.mark.parametrize("words, value", [
    (["Tên", "chủ", "xe", ":", "NGUYỄN", "VĂN", "NAM"], ["NGUYỄN", "VĂN", "NAM"]),
    (["Ten", "chu", "xe", "NGUYEN", "VAN", "NAM"], ["NGUYEN", "VAN", "NAM"]),  # no tone marks
    (["Số", "máy", "(Engine", "N°)", "JF12E-1234567"], ["JF12E-1234567"]),
    (["Nhãn", "hiệu", "HONDA"], ["HONDA"]),  # a value is not a gloss, even one word long
])
def test_the_value_starts_after_the_label_and_its_gloss(words: list[str], value: list[str]) -> None:
    assert value_after_label(words) == value


@pytest.mark.parametrize("words, value", [
    (["Tên", "chủ", "xe", "OWOERS", "SƯNE", "NGUYỄN", "ĐÌNH", "KHA"], ["NGUYỄN", "ĐÌNH", "KHA"]),
    (["Tên", "chủ", "xe", "/", "CJWEMER", "S", "FMÍT", "NAME", "NGUYÊN", "VĂN"], ["NGUYÊN", "VĂN"]),
    (["Địa", "chỉ", "/", "Aderess", ":", "Số", "12"], ["Số", "12"]),
    (["Màu", "sơn", "Colovr", "Đỏ"], ["Đỏ"]),
])
def test_a_garbled_gloss_right_after_its_label_is_not_taken_for_the_value(words: list[str],
                                                                           value: list[str]) -> None:
    assert value_after_label(words) == value


def test_a_value_unlike_the_gloss_is_kept_whole() -> None:
    assert value_after_label(["Chủ", "xe", "(Owner):", "NGUYỄN", "THANH", "MY"]) == ["NGUYỄN", "THANH", "MY"]


@pytest.mark.parametrize("text", ["HIỆU ĐỘNG CƠ", "Số máy", "Nguồn gốc"])
def test_label_words_read_where_a_value_was_expected_are_no_value(text: str) -> None:
    assert is_label_text(text)


@pytest.mark.parametrize("text", ["Đen", "Bạc Đen", "Màu", "HONDA", "Air Blade", "JF12E-123456", "Nhập khẩu"])
def test_values_that_share_a_word_with_a_label_are_still_values(text: str) -> None:
    # One word alone may be both: folded, the colour "Đen" is the "đến" of "có giá trị đến".
    assert not is_label_text(text)


@pytest.mark.parametrize("words, key", [
    (["S.khung:", "RLHJF1234"], "chassis"),  # a word shortened with a dot
    (["NSX:", "2019"], "year_of_manufacture"),  # initials of the label's words
    (["BS:", "30A-123.45"], "plate"),
    (["Dung", "t.", "xi", "lanh:", "150"], "capacity"),
    (["Xuất", "xưởng", "năm:", "2019"], "year_of_manufacture"),  # a synonym, the words in another order
    (["Tên", "chủ", "phương", "tiện:", "LÊ", "AN"], "name"),  # "phương tiện" for "xe"
    (["Hãng", "xe:", "HONDA"], "brand"),
    (["Màu:", "Đỏ"], "color"),  # one word that belongs to one label only
    (["Đ/c:", "Số", "12"], "address"),  # single letters cut by a slash
])
def test_a_label_worded_otherwise_is_found_by_its_words_before_its_colon(words: list[str], key: str) -> None:
    hits = find_labels(words)
    assert [hit.key for hit in hits] == [key]
    assert words[hits[0].end:] == [words[-1]] or words[hits[0].end:] == words[-2:]
    assert hits[0].score < 1.0  # found more loosely than a printed phrase


@pytest.mark.parametrize("words", [
    ["Mã", "số", "thuế:", "0101234567"],
    ["Số:", "012345"],
    ["Ghi", "rõ:", "không"],  # "rõ" is no initials: they are written in capitals
    ["Ngày", "cấp:", "01/01/2020"],  # "cấp" is a word of the issuer's label, "Ngày cấp" no label of ours
])
def test_words_before_a_colon_unlike_every_label_are_no_label(words: list[str]) -> None:
    assert find_labels(words) == []


def test_a_values_words_before_an_abbreviated_label_stay_out_of_it() -> None:
    words = ["Chủ", "xe:", "LÊ", "VĂN", "AN", "SK:", "RLHJF1234"]
    hits = find_labels(words)
    assert [(hit.key, hit.start) for hit in hits] == [("name", 0), ("chassis", 5)]


def test_label_words_before_the_best_window_belong_to_it() -> None:
    # "động cơ:" alone would be the engine number; "Hiệu động cơ" is the engine's make.
    hits = find_labels(["Hiệu", "động", "cơ:", "L15B"])
    assert [(hit.key, hit.start, hit.end) for hit in hits] == [("engine_name", 0, 3)]


@pytest.mark.parametrize("read, value", [
    ("(BRAND): FORD", "FORD"),
    ("(Type) EVEREST", "EVEREST"),
    ("Colours Xanh", "Xanh"),
    ("(Owner's full name): HOÀNG MINH MY", "HOÀNG MINH MY"),
])
def test_the_rest_of_a_labels_gloss_is_no_part_of_its_value(read: str, value: str) -> None:
    assert strip_gloss(read) == value


@pytest.mark.parametrize("value", ["FORD", "NAM ĐỊNH", "Đen", "(", "Brand"])
def test_values_without_a_gloss_in_front_are_kept(value: str) -> None:
    assert strip_gloss(value) == value


def test_a_value_after_a_glosss_closing_bracket_is_not_taken_for_more_of_the_label() -> None:
    # "Công an TP" reads close to "cơ quan cấp", one of the issuer label's wordings.
    words = ["Nơi", "đăng", "ký", "(Registered", "at):", "Công", "an", "TP", "Hà", "Nội"]
    (hit,) = find_labels(words)
    assert (hit.key, hit.end) == ("issuer", 5)
