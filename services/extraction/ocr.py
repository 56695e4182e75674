"""Tesseract, kept loaded in-process (tesserocr), one API object per thread.

Debian's Vietnamese model (`vie`, never `vie+eng`: English data makes Tesseract drop tone marks),
LSTM only, Sauvola thresholding (halves the error on hard photos, see shared/ocr-engines.md).
Besides the text, every read returns per-word and per-character confidences and, per character,
the margin between the best and the second-best LSTM choice: a tone mark read wrongly often has
a high word confidence but a small margin.
"""

from __future__ import annotations

import os
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from PIL import Image

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import tesserocr  # noqa: E402 - OMP_THREAD_LIMIT must be set before the library loads
from tesserocr import OEM, PSM, RIL  # noqa: E402

DEFAULT_TESSDATA = "/usr/share/tesseract-ocr/5/tessdata"


@dataclass
class OcrChar:
    text: str
    conf: float  # 0..1
    margin: float  # best minus second-best choice probability, 0..1 (1 when no rival)
    # Other readings of this character with their scores (0..1), best first.
    alternatives: tuple[tuple[str, float], ...] = ()


@dataclass
class OcrWord:
    text: str
    conf: float  # 0..1
    box: tuple[int, int, int, int]  # x, y, w, h in the image that was read
    chars: list[OcrChar] = field(default_factory=list)

    @property
    def x2(self) -> int:
        return self.box[0] + self.box[2]


@dataclass
class OcrLine:
    words: list[OcrWord]
    box: tuple[int, int, int, int]
    block: int = 0

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def conf(self) -> float:
        if not self.words:
            return 0.0
        total = sum(len(w.text) for w in self.words) or 1
        return sum(w.conf * len(w.text) for w in self.words) / total


class TesseractReader:
    """One Tesseract instance. Not thread-safe: use `reader()` to get this thread's."""

    def __init__(self, tessdata_dir: str = DEFAULT_TESSDATA, lang: str = "vie") -> None:
        self.api = tesserocr.PyTessBaseAPI(path=tessdata_dir, lang=lang, psm=PSM.SINGLE_LINE,
                                           oem=OEM.LSTM_ONLY)
        self.api.SetVariable("thresholding_method", "2")  # Sauvola
        self.api.SetVariable("lstm_choice_mode", "2")  # keep per-character alternatives
        self._osd: Optional[tesserocr.PyTessBaseAPI] = None
        self._tessdata_dir = tessdata_dir
        self.lang = lang

    def close(self) -> None:
        self.api.End()
        if self._osd is not None:
            self._osd.End()

    # --- reading ----------------------------------------------------------------------------
    def read(self, gray: np.ndarray, *, psm: int = PSM.SINGLE_LINE, whitelist: str = "",
             offset: tuple[int, int] = (0, 0)) -> list[OcrLine]:
        """Read an image region; boxes are shifted by `offset` (the region's place on the card)."""
        if gray.size == 0 or min(gray.shape[:2]) < 4:
            return []
        api = self.api
        api.SetPageSegMode(psm)
        api.SetVariable("tessedit_char_whitelist", whitelist)
        api.SetImage(Image.fromarray(gray))
        try:
            api.Recognize()
            return self._lines(offset)
        finally:
            api.Clear()

    def _lines(self, offset: tuple[int, int]) -> list[OcrLine]:
        iterator = self.api.GetIterator()
        lines: list[OcrLine] = []
        if iterator is None:
            return lines
        line: Optional[OcrLine] = None
        word: Optional[OcrWord] = None
        block = 0
        dx, dy = offset
        iterator.Begin()
        # Walk symbol by symbol, opening blocks, lines and words as the iterator enters them.
        while True:
            if iterator.IsAtBeginningOf(RIL.BLOCK):
                block += 1
            if iterator.IsAtBeginningOf(RIL.TEXTLINE):
                bbox = iterator.BoundingBox(RIL.TEXTLINE)
                x1, y1, x2, y2 = bbox if bbox is not None else (0, 0, 0, 0)
                line = OcrLine(words=[], box=(x1 + dx, y1 + dy, x2 - x1, y2 - y1), block=block)
                lines.append(line)
            if iterator.IsAtBeginningOf(RIL.WORD):
                word = self._word(iterator, dx, dy)
                if word is not None and line is not None:
                    line.words.append(word)
            if word is not None:
                symbol = _symbol(iterator)
                if symbol is not None:
                    word.chars.append(symbol)
            if not iterator.Next(RIL.SYMBOL):
                break
        return [line for line in lines if line.words]

    @staticmethod
    def _word(iterator: tesserocr.PyResultIterator, dx: int, dy: int) -> Optional[OcrWord]:
        text = iterator.GetUTF8Text(RIL.WORD)
        bbox = iterator.BoundingBox(RIL.WORD)
        if not text or not text.strip() or bbox is None:
            return None
        x1, y1, x2, y2 = bbox
        return OcrWord(
            text=unicodedata.normalize("NFC", text.strip()),
            conf=max(0.0, min(1.0, iterator.Confidence(RIL.WORD) / 100.0)),
            box=(x1 + dx, y1 + dy, x2 - x1, y2 - y1),
        )

    # --- orientation ------------------------------------------------------------------------
    def orientation(self, gray: np.ndarray) -> tuple[int, float]:
        """Tesseract's orientation detection: (degrees to rotate counter-clockwise, confidence)."""
        if self._osd is None:
            self._osd = tesserocr.PyTessBaseAPI(path=self._tessdata_dir, lang="osd", psm=PSM.OSD_ONLY)
        self._osd.SetImage(Image.fromarray(gray))
        try:
            result = self._osd.DetectOrientationScript()
        except RuntimeError:
            return 0, 0.0
        finally:
            self._osd.Clear()
        if not result:
            return 0, 0.0
        return int(result.get("orient_deg", 0)), float(result.get("orient_conf", 0.0))


def _symbol(iterator: tesserocr.PyResultIterator) -> Optional[OcrChar]:
    """One character with its confidence and the margin over its best rival choice."""
    text = iterator.GetUTF8Text(RIL.SYMBOL)
    if not text:
        return None
    choices = sorted(((unicodedata.normalize("NFC", c.GetUTF8Text() or ""), c.Confidence() / 100.0)
                      for c in iterator.GetChoiceIterator()), key=lambda pair: -pair[1])
    scores = [score for _text, score in choices]
    best = scores[0] if scores else iterator.Confidence(RIL.SYMBOL) / 100.0
    rival = scores[1] if len(scores) > 1 else 0.0
    text = unicodedata.normalize("NFC", text)
    return OcrChar(
        text=text,
        conf=max(0.0, min(1.0, iterator.Confidence(RIL.SYMBOL) / 100.0)),
        margin=max(0.0, min(1.0, best - rival)),
        alternatives=tuple((alt, score) for alt, score in choices if alt and alt != text)[:3],
    )


_local = threading.local()


def reader(tessdata_dir: str = DEFAULT_TESSDATA, lang: str = "vie") -> TesseractReader:
    """This thread's reader for a language (Tesseract API objects must not be shared between
    threads)."""
    readers = getattr(_local, "readers", None)
    if readers is None:
        readers = _local.readers = {}
    key = (tessdata_dir, lang)
    if key not in readers:
        readers[key] = TesseractReader(tessdata_dir, lang)
    return readers[key]
