"""Tesseract kept loaded in-process (services.extraction.ocr): a printed Vietnamese line reads back
with its tone marks, per-word boxes and confidences, and per-character margins in [0, 1]; a
whitelist restricts what a re-read may produce; each thread has its own reader."""

from __future__ import annotations

import threading
import unicodedata

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from services.extraction.ocr import PSM, TesseractReader, reader

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def printed_line(text: str, size: int = 32) -> np.ndarray:
    try:
        font = ImageFont.truetype(FONT, size)
    except OSError:
        pytest.skip(f"{FONT} is not installed (fonts-dejavu-core)")
    image = Image.new("L", (40 + int(size * 0.75 * len(text)), size * 2), 255)
    ImageDraw.Draw(image).text((12, size // 3), text, font=font, fill=0)
    return np.asarray(image)


def test_a_printed_vietnamese_line_reads_back_with_its_tone_marks() -> None:
    gray = printed_line("Tên chủ xe: NGUYỄN VĂN AN")
    lines = reader().read(gray)
    assert len(lines) == 1
    line = lines[0]
    assert unicodedata.normalize("NFC", line.text) == line.text
    assert line.text == "Tên chủ xe: NGUYỄN VĂN AN"
    assert [w.text for w in line.words] == ["Tên", "chủ", "xe:", "NGUYỄN", "VĂN", "AN"]


def test_words_carry_boxes_inside_the_image_and_confidences_in_range() -> None:
    gray = printed_line("Biển số: 30A-123.45")
    (line,) = reader().read(gray)
    height, width = gray.shape
    xs = [w.box[0] for w in line.words]
    assert xs == sorted(xs)
    for word in line.words:
        x, y, w, h = word.box
        assert 0 <= x and 0 <= y and x + w <= width and y + h <= height and w > 0 and h > 0
        assert 0.0 <= word.conf <= 1.0
        assert len(word.chars) == len(word.text)
        for char in word.chars:
            assert 0.0 <= char.conf <= 1.0 and 0.0 <= char.margin <= 1.0
    assert 0.5 < line.conf <= 1.0


def test_boxes_are_shifted_by_the_regions_offset() -> None:
    gray = printed_line("30A-123.45")
    plain = reader().read(gray)[0].words[0].box
    shifted = reader().read(gray, offset=(100, 40))[0].words[0].box
    assert shifted == (plain[0] + 100, plain[1] + 40, plain[2], plain[3])


def test_a_whitelist_limits_what_a_read_may_produce() -> None:
    gray = printed_line("30A-123.45")
    (line,) = reader().read(gray, whitelist="0123456789ABCDEFGHKLMNPSTUVXYZĐ-.")
    assert line.text == "30A-123.45"
    digits_only = reader().read(printed_line("ĐỎ"), whitelist="0123456789")
    assert all(ch.isdigit() for line in digits_only for ch in line.text)
    # The whitelist does not stick to the next read.
    assert reader().read(printed_line("Màu sơn"))[0].text == "Màu sơn"


def test_an_empty_or_tiny_image_reads_nothing() -> None:
    assert reader().read(np.zeros((0, 0), np.uint8)) == []
    assert reader().read(np.zeros((3, 50), np.uint8)) == []
    assert reader().read(np.full((60, 300), 255, np.uint8), psm=PSM.SINGLE_BLOCK) == []


def test_each_thread_has_its_own_reader_and_a_thread_keeps_its_own() -> None:
    mine = reader()
    assert reader() is mine and isinstance(mine, TesseractReader)
    theirs: list[TesseractReader] = []
    worker = threading.Thread(target=lambda: theirs.append(reader()))
    worker.start()
    worker.join()
    assert theirs and theirs[0] is not mine
