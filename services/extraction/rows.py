"""Rows of words on the aligned card, built from word boxes rather than from Tesseract's blocks.

Tesseract groups text into blocks and lines its own way (two columns may become one line, or one
row two blocks). Fields are found by geometry instead: words whose vertical middles line up form
a row, ordered left to right; a value is the words right of its label in the same row, or in the
rows below it for wrapped addresses and values printed under their label.
"""

from __future__ import annotations

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


def build_rows(lines: Iterable[OcrLine]) -> list[Row]:
    """Group words into rows by vertical overlap, top to bottom, each row left to right."""
    words = sorted((w for line in lines for w in line.words if w.text.strip()),
                   key=lambda w: (w.box[1] + w.box[3] / 2, w.box[0]))
    rows: list[Row] = []
    for word in words:
        middle = word.box[1] + word.box[3] / 2
        best = None
        for row in rows[-4:]:
            overlap = min(row.bottom, word.box[1] + word.box[3]) - max(row.top, word.box[1])
            tolerance = 0.5 * min(row.height, word.box[3])
            if abs(row.middle - middle) <= tolerance or overlap >= 0.6 * min(row.height, word.box[3]):
                if best is None or abs(row.middle - middle) < abs(best.middle - middle):
                    best = row
        if best is None:
            rows.append(Row(words=[word]))
        else:
            best.words.append(word)
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
