"""Training lines cut from generated certificates the way the engine will see them.

A card is drawn and captured (scan, photo or hard photo) by `tools.synth`, then aligned by the
engine's own `align_card`; every text placed on the flat card (a value, a label, its English
gloss, a heading, the signer's lines) is mapped through the true capture geometry and the
engine's alignment onto the aligned card and cut from the same grey image the engine reads
(`clean(ocr_gray(...))`, sometimes the stricter seal image, sometimes the unwhitened one), with
random margins. Runs of texts on one line are cut as one line too (a label with its value, as
the page read sees them), their texts joined by a space: leader dots between them are not text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator, Optional, Sequence

import cv2
import numpy as np

from services.core.images import decode
from services.extraction import align
from services.extraction.charset import covered, normalise
from services.extraction.cleanup import clean
from services.extraction.prepare import STRICT_WHITEN_AT, ocr_gray
from tools.synth.card import generate_card
from tools.synth.layout import Placed, Role

# An alignment whose card corners land further than this (share of the width) from the true
# ones cuts crops that do not hold their text: such a side gives no lines.
MAX_CORNER_ERROR = 0.025


@dataclass(frozen=True)
class Line:
    image: np.ndarray  # uint8 grey crop, ink dark
    text: str
    kind: str  # value, label, heading, stamp, run, sheet
    field: str  # the field a value or label belongs to, "" otherwise
    condition: str
    font: str  # the family the text was drawn with


def _perspective(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), matrix).reshape(-1, 2)


def card_to_aligned(card_size: tuple[int, int], corners: Sequence[Sequence[float]],
                    alignment: align.Alignment) -> np.ndarray:
    """Flat card pixels -> aligned card pixels: the true capture, then the engine's alignment."""
    width, height = card_size
    flat = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    captured = cv2.getPerspectiveTransform(flat, np.asarray(corners, dtype=np.float32))
    return alignment.matrix @ captured


def alignment_error(card_size: tuple[int, int], matrix: np.ndarray, aligned_shape: tuple[int, ...]) -> float:
    """How far the flat card's corners land from the aligned image's corners, as a share of the
    aligned width."""
    width, height = card_size
    mapped = _perspective(np.array([[0, 0], [width, 0], [width, height], [0, height]], float), matrix)
    h, w = aligned_shape[:2]
    target = np.array([[0, 0], [w, 0], [w, h], [0, h]], float)
    return float(np.abs(mapped - target).max() / w)


def _box(item: Placed, metric: bool) -> tuple[float, float, float, float]:
    """The text's box on the flat card: its ink, or its font's line (ascent to descent)."""
    x0, y0, x1, y1 = item.box
    if metric:
        y0 = min(y0, item.y - 0.95 * item.size)
        y1 = max(y1, item.y + 0.28 * item.size)
    return x0, y0, x1, y1


def _cut(gray: np.ndarray, box: tuple[float, float, float, float], matrix: np.ndarray,
         rng: random.Random) -> Optional[np.ndarray]:
    x0, y0, x1, y1 = box
    corners = _perspective(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], float), matrix)
    left, top = corners.min(axis=0)
    right, bottom = corners.max(axis=0)
    height = bottom - top
    if height < 6 or right - left < 4:
        return None
    # Margins as loose or tight as the engine's regions come, and the crop a little off.
    left -= height * rng.uniform(0.0, 0.9)
    right += height * rng.uniform(0.0, 0.9)
    top -= height * rng.uniform(0.0, 0.3)
    bottom += height * rng.uniform(0.0, 0.3)
    shift = height * rng.uniform(-0.08, 0.08)
    top, bottom = top + shift, bottom + shift
    H, W = gray.shape[:2]
    a, b = int(max(0, np.floor(left))), int(min(W, np.ceil(right)))
    c, d = int(max(0, np.floor(top))), int(min(H, np.ceil(bottom)))
    if b - a < 4 or d - c < 6:
        return None
    return gray[c:d, a:b].copy()


def _kind(item: Placed) -> str:
    if item.role in (Role.VALUE, Role.VALUE_BOLD):
        return "value"
    if item.role in (Role.LABEL, Role.LABEL_EN):
        return "label"
    return "stamp" if item.role == Role.STAMP else "heading"


def _runs(items: Sequence[Placed]) -> list[list[Placed]]:
    """Texts that share a line, left to right."""
    rows: list[list[Placed]] = []
    for item in sorted(items, key=lambda i: (i.y, i.box[0])):
        for row in rows:
            if abs(row[0].y - item.y) < 0.25 * max(row[0].size, item.size):
                row.append(item)
                break
        else:
            rows.append([item])
    return [sorted(row, key=lambda i: i.box[0]) for row in rows]


def card_lines(seed: int, index: int, *, fonts: str = "training", conditions: Sequence[str] = ("scan", "photo", "hard"),
               runs_per_side: int = 6) -> Iterator[Line]:
    """Every text of both sides of one generated card, and some runs of texts on one line."""
    rng = random.Random(f"lines-{seed}-{index}")
    condition = rng.choice(list(conditions))
    card = generate_card(seed, index, condition=condition, fonts=fonts, keep_flat=True)
    for side, shot in card.sides.items():
        flat = shot.flat
        assert flat is not None
        rgb, _meta = decode(shot.image)
        alignment = align.align_card(rgb)
        matrix = card_to_aligned(shot.card_size, shot.corners, alignment)
        if alignment_error(shot.card_size, matrix, alignment.image.shape) > MAX_CORNER_ERROR:
            continue
        grays = {"page": clean(ocr_gray(alignment.image))}
        items = [item for item in flat.layout.items if item.text.strip()]
        for item in items:
            text = normalise(item.text)
            if not text or not covered(text):
                continue
            source = rng.choices(("page", "strict", "plain"), weights=(0.7, 0.15, 0.15))[0]
            if source not in grays:
                grays[source] = (ocr_gray(alignment.image, STRICT_WHITEN_AT) if source == "strict"
                                 else cv2.cvtColor(alignment.image, cv2.COLOR_RGB2GRAY))
            crop = _cut(grays[source], _box(item, rng.random() < 0.5), matrix, rng)
            if crop is not None:
                yield Line(crop, text, _kind(item), item.field or item.label_of or "", card.condition,
                           item.face.family)
        rows = [row for row in _runs(items) if len(row) > 1]
        for row in rng.sample(rows, min(runs_per_side, len(rows))):
            start = rng.randrange(len(row))
            end = rng.randrange(start + 1, len(row) + 1)
            run = row[start:end]
            text = normalise(" ".join(item.text for item in run))
            if len(run) < 2 or not covered(text) or len(text) > 90:
                continue
            box = (run[0].box[0], min(i.box[1] for i in run), run[-1].box[2], max(i.box[3] for i in run))
            crop = _cut(grays["page"], box, matrix, rng)
            if crop is not None:
                yield Line(crop, text, "run", "", card.condition, run[0].face.family)
