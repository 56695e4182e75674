"""Rows of words on the aligned card, built from word boxes rather than from Tesseract's blocks.

Tesseract groups text into blocks and lines its own way (two columns may become one line, or one
row two blocks). Fields are found by geometry instead: words whose vertical middles line up form
a row, ordered left to right; a value is the words right of its label in the same row, or in the
rows below it for wrapped addresses and values printed under their label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from services.extraction.ocr import OcrLine, OcrWord


@dataclass
class Row:
    words: list[OcrWord] = field(default_factory=list)

    @property
    def top(self) -> int:
        return min(w.box[1] for w in self.words)

    @property
    def bottom(self) -> int:
        return max(w.box[1] + w.box[3] for w in self.words)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> int:
        heights = sorted(w.box[3] for w in self.words)
        return heights[len(heights) // 2]

    @property
    def texts(self) -> list[str]:
        return [w.text for w in self.words]

    @property
    def text(self) -> str:
        return " ".join(self.texts)


_GLUED = re.compile(r"^(.*?[:)])[\W_]*?([^\W_].*)$")


def split_glued(word: OcrWord) -> list[OcrWord]:
    """A label's colon or closing bracket printed without a space before the value is read as
    one word ("(Owner):TRẦN"): split it there, sharing the box by character count."""
    match = _GLUED.match(word.text)
    if not match or len(match.group(1)) < 2:
        return [word]
    head, tail = match.group(1), match.group(2)
    x, y, w, h = word.box
    cut = max(1, int(w * (len(word.text) - len(tail)) / len(word.text)))
    return [
        OcrWord(text=head, conf=word.conf, box=(x, y, cut, h), chars=word.chars[:len(head)]),
        OcrWord(text=tail, conf=word.conf, box=(x + cut, y, max(1, w - cut), h), chars=word.chars[-len(tail):]),
    ]


def build_rows(lines: Iterable[OcrLine]) -> list[Row]:
    """Group lines into rows, top to bottom, each row left to right. A line read as one stays
    whole; two lines share a row when their middles are within half a letter of each other
    (the two columns of a row, or a label and a value read apart)."""
    pieces = []
    for line in lines:
        words = [piece for w in line.words if w.text.strip() for piece in split_glued(w)]
        if not words:
            continue
        middles = sorted(w.box[1] + w.box[3] / 2 for w in words)
        heights = sorted(w.box[3] for w in words)
        pieces.append((middles[len(middles) // 2], heights[len(heights) // 2], words))
    pieces.sort(key=lambda piece: piece[0])
    rows: list[Row] = []
    row_middles: list[float] = []
    row_heights: list[float] = []
    for middle, height, words in pieces:
        best = None
        for index in range(len(rows) - 1, -1, -1):
            if middle - row_middles[index] > 4 * max(row_heights[index], height):
                break
            distance = abs(row_middles[index] - middle)
            small, large = sorted((row_heights[index], height))
            # Same size: middles within half a letter. A small label beside a large plate
            # shares its baseline: its middle lies within the large line's height.
            same_row = distance <= 0.5 * small or (small <= 0.8 * large and distance <= 0.5 * large)
            if same_row and (best is None or distance < abs(row_middles[best] - middle)):
                best = index
        if best is None:
            rows.append(Row(words=list(words)))
            row_middles.append(middle)
            row_heights.append(height)
        else:
            rows[best].words.extend(words)
    for row in rows:
        row.words.sort(key=lambda w: w.box[0])
    rows.sort(key=lambda r: r.middle)
    return rows


def union_box(words: Sequence[OcrWord]) -> tuple[int, int, int, int]:
    x1 = min(w.box[0] for w in words)
    y1 = min(w.box[1] for w in words)
    x2 = max(w.box[0] + w.box[2] for w in words)
    y2 = max(w.box[1] + w.box[3] for w in words)
    return x1, y1, x2 - x1, y2 - y1


def words_between(row: Row, x_from: float, x_to: float) -> list[OcrWord]:
    """Words of a row whose middle lies in [x_from, x_to)."""
    return [w for w in row.words if x_from <= w.box[0] + w.box[2] / 2 < x_to]
