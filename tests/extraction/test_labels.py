"""Finding the printed labels in a row of OCR words (services.extraction.labels): a label is found
with or without its diacritics and English gloss, and the gloss is never taken for the value,
even when it was read too badly to be recognised on its own."""

from __future__ import annotations

import pytest

from services.extraction.labels import find_labels, is_label_text


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
