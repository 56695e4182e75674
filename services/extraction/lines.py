"""Finding the text lines of a card ourselves, then reading each one on its own.

Tesseract's page layout analysis is fragile on certificates: a watermark, a seal or a typed value
sitting off its printed line makes it drop or merge whole lines. Lines are found here from
letter-sized blobs of ink grouped by height, split where a wide gap separates two columns, and
each piece is read as a single line (Tesseract's most reliable mode).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from services.extraction.cleanup import binarize, text_height

MAX_BLOBS = 15000  # a card at 1600 px holds a few thousand letters


class _Open:
    """A line being grown: where it ends, and its middle and height over its last letters."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.end = -1
        self.recent: list[tuple[float, float]] = []  # (middle, height) of the last six blobs
        self.middle = 0.0
        self.height = 0.0

    def add(self, blob: tuple[int, int, int, int]) -> None:
        self.end = max(self.end, blob[0] + blob[2])
        self.recent = (self.recent + [(blob[1] + blob[3] / 2, float(blob[3]))])[-6:]
        middles = sorted(m for m, _h in self.recent)
        heights = sorted(h for _m, h in self.recent)
        self.middle = middles[len(middles) // 2]
        self.height = heights[len(heights) // 2]


@dataclass
class Segment:
    box: tuple[int, int, int, int]  # x, y, w, h on the card, padded for tone marks
    height: float  # typical letter height in it


def find_segments(gray: np.ndarray) -> list[Segment]:
    ink = binarize(gray)
    height = text_height(ink)
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    H, W = gray.shape[:2]
    blobs = []
    for index in range(1, count):
        x, y, w, h, area = stats[index]
        # Letter-sized: not a speck, not a tone mark on its own, not a frame, a seal or a line.
        if h < 0.4 * height or h > 3.5 * height or w > 8 * height or area < 0.08 * h * w:
            continue
        if w > 0.3 * W:
            continue
        blobs.append((int(x), int(y), int(w), int(h)))
    if not blobs or len(blobs) > MAX_BLOBS:
        # Nothing letter-like, or so many blobs that the picture is a texture, not a card.
        return []
    # Lines grow left to right: a blob joins the line that ends just before it (within three
    # letters) and whose middle line, followed over its last few letters, passes through the
    # blob. Growing by neighbourhood, not by global rows, keeps two columns and a seal at the
    # same height apart. Lines that ended far to the left are retired, so each blob is
    # compared with the few lines near it only.
    blobs.sort(key=lambda b: b[0])
    lines: list[list[tuple[int, int, int, int]]] = []
    active: list[_Open] = []
    reach = 3.0 * 3.5 * height
    for blob in blobs:
        active = [line for line in active if blob[0] - line.end <= reach]
        middle = blob[1] + blob[3] / 2
        best, best_distance = None, None
        for line in active:
            line_height = line.height
            if blob[0] - line.end > 3.0 * max(line_height, 0.5 * blob[3], 0.5 * height):
                continue
            distance = abs(line.middle - middle)
            limit = 0.55 * max(line_height, min(blob[3], 2 * line_height))
            if distance <= limit and (best_distance is None or distance < best_distance):
                best, best_distance = line, distance
        if best is None:
            best = _Open(len(lines))
            lines.append([])
            active.append(best)
        lines[best.index].append(blob)
        best.add(blob)
    segments: list[Segment] = []
    for line in lines:
        letter = float(np.median([b[3] for b in line]))
        for run in _split_row(line, letter):
            # A lone blob is a stain, a frame's corner or a stray mark more often than a line.
            if len(run) == 1 and run[0][2] < 2 * letter:
                continue
            segments.append(_segment(run, float(np.median([b[3] for b in run])), W, H))
    segments.sort(key=lambda s: (s.box[1], s.box[0]))
    return segments


def _split_row(row: list[tuple[int, int, int, int]], letter: float) -> list[list[tuple[int, int, int, int]]]:
    """Pieces of a row: split at a gap wider than three letters (another column), and where
    the size of type changes (a small label before a large plate) across a gap, since
    Tesseract reads a line of one size best."""
    runs: list[list[tuple[int, int, int, int]]] = [[row[0]]]
    for position in range(1, len(row)):
        blob = row[position]
        run = runs[-1]
        gap = blob[0] - max(b[0] + b[2] for b in run)
        # Sizes on either side, over a few letters: capitals, tone marks and lower case
        # differ a lot letter by letter, not word by word.
        before = float(np.median([b[3] for b in run[-4:]]))
        after = float(np.median([b[3] for b in row[position:position + 4]]))
        size_change = max(before, after) / max(1.0, min(before, after)) >= 2.0
        if gap > 3.0 * max(letter, 0.5 * blob[3]) or (size_change and gap > 0.6 * min(before, after)):
            runs.append([blob])
        else:
            run.append(blob)
    return runs


def _segment(blobs: list[tuple[int, int, int, int]], letter: float, W: int, H: int) -> Segment:
    x1 = min(b[0] for b in blobs)
    y1 = min(b[1] for b in blobs)
    x2 = max(b[0] + b[2] for b in blobs)
    y2 = max(b[1] + b[3] for b in blobs)
    # Room above for stacked tone marks (Ễ) and below for the dot-below mark (Ặ).
    pad_x, pad_top, pad_bottom = int(0.6 * letter), int(0.55 * letter), int(0.35 * letter)
    x1, y1 = max(0, x1 - pad_x), max(0, y1 - pad_top)
    x2, y2 = min(W, x2 + pad_x), min(H, y2 + pad_bottom)
    return Segment(box=(x1, y1, x2 - x1, y2 - y1), height=letter)
