"""Vietnamese text (services.domain.vietnamese): folding for fuzzy matching, and telling a real
syllable from an OCR accident, which is the engine's cheapest doubt signal on names and places."""

from __future__ import annotations

import unicodedata

import pytest

from services.domain.vietnamese import fold, invalid_syllables, is_syllable, split_tone, surname_spelling

REAL = (
    # names
    "Nguyễn Văn An Hồ Thị Mai Trần Quốc Tuấn Đặng Ngọc Anh Huỳnh Xuân Thoại Uyên Nhuận Khuê Oanh "
    "Nghiêm Trịnh Quách Phùng Dương Hướng Trường Người Thuở Khuya Chuyện Giang Giữ Gìn Giếng Quyên Quân Quê "
    # places
    "Hà Nội Đống Đa Láng Hạ Thừa Thiên Huế Quảng Ngãi Khánh Hòa Khánh Hoà Thanh Hóa Bắc Ninh Nghệ An "
    "Bà Rịa Vũng Tàu Cần Thơ Đà Nẵng Hải Phòng Phường Quận Huyện Tỉnh Thành Phố Xã Thị Trấn Ngõ Ngách "
    # words with no tone mark, and the same places written without their tone marks
    "Ha Nôi Thanh Hoa Quang Binh Hai Phong Ca Mau Tây Ninh Văn Ân Hô Thi Mai"
).split()

GARBAGE = ("NGUYẼN", "HƯÔNG", "Thj", "Đốngg", "Nguyễnn", "Hoàa", "Quốcc", "Thànhh", "Xyz", "Ng", "Tr", "Đk",
           "Trần1", "Văn.", "Kan", "Gha", "Ngha", "Quu", "Hàp", "Tiềc", "Bắt" + "\u0300")


@pytest.mark.parametrize("word", REAL)
def test_real_syllables_with_and_without_tone_marks_are_accepted(word: str) -> None:
    assert is_syllable(word)
    assert is_syllable(word.upper()) and is_syllable(word.lower())


def test_decomposed_syllables_are_accepted_like_composed_ones() -> None:
    assert is_syllable(unicodedata.normalize("NFD", "Nguyễn"))


@pytest.mark.parametrize("word", GARBAGE)
def test_typical_ocr_garbage_is_rejected(word: str) -> None:
    assert not is_syllable(word)


def test_stop_codas_take_only_the_sharp_or_heavy_tone() -> None:
    assert is_syllable("Hạp") and is_syllable("Hấp") and is_syllable("tiếc") and is_syllable("Bắc")
    assert not is_syllable("Hàp") and not is_syllable("Hãp") and not is_syllable("tiềc")


def test_k_gh_and_ngh_go_only_before_front_vowels() -> None:
    assert is_syllable("kê") and is_syllable("ghế") and is_syllable("nghe")
    assert not is_syllable("ka") and not is_syllable("gha") and not is_syllable("ngha")


def test_empty_and_non_alphabetic_tokens_are_not_syllables() -> None:
    assert not is_syllable("") and not is_syllable("12") and not is_syllable("A-B")


def test_invalid_syllables_lists_the_bad_words_and_skips_ignored_abbreviations() -> None:
    assert invalid_syllables("NGUYỄN VĂN Thj, 12 TP") == ["Thj", "TP"]
    assert invalid_syllables("NGUYỄN VĂN Thj, 12 TP", ignore=frozenset({"tp"})) == ["Thj"]
    assert invalid_syllables("Số 12, Phường Láng Hạ") == []


def test_fold_drops_every_diacritic_and_lowers_case() -> None:
    assert fold("Tên chủ xe") == "ten chu xe"
    assert fold("ĐỒNG") == "dong"
    assert fold("Đắk Lắk") == "dak lak"
    assert fold(unicodedata.normalize("NFD", "Nguyễn")) == "nguyen"
    assert fold("Owner's full name") == "owner's full name"


def test_split_tone_separates_the_tone_from_the_letters() -> None:
    assert split_tone("tiếng") == ("tiêng", "sac")
    assert split_tone("Hòa") == ("hoa", "huyen")
    assert split_tone("an") == ("an", "ngang")
    assert split_tone("á" + "\u0300")[1] == "invalid"


def test_a_family_name_without_or_with_wrong_marks_has_its_usual_spelling() -> None:
    assert surname_spelling("DANG") == "Đặng"
    assert surname_spelling("ĐĂNG") == "Đặng"
    assert surname_spelling("nguyen") == "Nguyễn"
    assert surname_spelling("XYZ") is None
