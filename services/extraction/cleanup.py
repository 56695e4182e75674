"""Removing print features that OCR mistakes for characters.

- Dotted leaders (`Nhãn hiệu ........ TOYOTA`) are read as runs of `.`, `s`, `c`, `0` that glue
  labels, values and the next column together. They are chains of small, free-standing dots on
  one line: no ink right above or below them (unlike tone marks, which sit over a letter).
- Dotted zeros of typewriter fonts (a dot inside the 0) are read as 9, 8 or Ø. A blob of ink
  inside the hole of a letter is such a dot; Vietnamese letters never have one.
- Long ruled lines (underlines, signature lines, frames) are removed by a horizontal opening.
"""

from __future__ import annotations

import cv2
import numpy as np


def binarize(gray: np.ndarray) -> np.ndarray:
    """Ink as 255 on 0."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, 31, 15)


def text_height(ink: np.ndarray) -> float:
    """Median height of letter-sized components: the scale every other size is taken from."""
    count, _labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = stats[1:, cv2.CC_STAT_HEIGHT]
    widths = stats[1:, cv2.CC_STAT_WIDTH]
    letters = heights[(heights >= 8) & (heights <= 80) & (widths <= 3 * heights)]
    return float(np.median(letters)) if len(letters) else 20.0


def clean(gray: np.ndarray) -> np.ndarray:
    ink = binarize(gray)
    height = text_height(ink)
    erase = np.zeros_like(ink)
    erase |= _ruled_lines(ink, height)
    erase |= _leader_dots(ink & ~erase, height)
    erase |= _islands_in_holes(ink, height)
    if not erase.any():
        return gray
    out = gray.copy()
    # Paint erased ink with the local paper colour (white after flattening).
    out[cv2.dilate(erase, np.ones((3, 3), np.uint8)) > 0] = 255
    return out


def _ruled_lines(ink: np.ndarray, height: float) -> np.ndarray:
    length = max(25, int(6 * height))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1))
    lines = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    # Keep only thin ones: a run of bold capitals is not a rule.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
    keep = np.zeros(count, bool)
    keep[1:] = stats[1:, cv2.CC_STAT_HEIGHT] <= max(3, 0.25 * height)
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _leader_dots(ink: np.ndarray, height: float) -> np.ndarray:
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if count <= 1:
        return np.zeros_like(ink)
    h = stats[:, cv2.CC_STAT_HEIGHT]
    w = stats[:, cv2.CC_STAT_WIDTH]
    area = stats[:, cv2.CC_STAT_AREA]
    small = (h <= max(3, 0.3 * height)) & (w <= max(4, 0.45 * height)) & (np.arange(count) > 0)
    # Specks of a textured background are smaller than a printed dot.
    dotlike = small & (h >= max(2, 0.12 * height)) & (w >= max(2, 0.12 * height))
    # Letters block; the thin curves of a watermark do not.
    letter = (h >= 0.45 * height) & (area >= 0.15 * w * h) & (np.arange(count) > 0)
    dots = np.flatnonzero(dotlike)
    if len(dots) < 4:
        return np.zeros_like(ink)
    dot_x, dot_y = centroids[dots, 0], centroids[dots, 1]
    # Chains: dots linked to their right-hand neighbour on the same line within about a letter.
    # Dots are bucketed by height (twice, half a bucket apart, so a slanted line crossing a
    # bucket edge stays linked) and linked to the next one along in their bucket.
    parent = list(range(len(dots)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    bucket = max(2.0, 0.4 * height)
    for shift in (0.0, bucket / 2):
        keys = np.floor((dot_y + shift) / bucket)
        order = np.lexsort((dot_x, keys))
        for a, b in zip(order[:-1], order[1:]):
            if keys[a] == keys[b] and 0 < dot_x[b] - dot_x[a] <= 1.2 * height:
                parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for i in range(len(dots)):
        groups.setdefault(find(i), []).append(int(dots[i]))
    chains = list(groups.values())
    erase_ids: list[int] = []
    for chain in chains:
        if len(chain) < 4:
            continue
        near_letter = [_touches_letter(i, stats, labels, letter, height) for i in chain]
        # A leader runs mostly through empty space; tone marks of a word sit on its letters.
        if sum(near_letter) > len(chain) / 2:
            continue
        # Typed values often sit on the leader: its dots under their letters look like the
        # dot-below tone mark. Every small dot on the leader's line, within its extent, goes;
        # a colon (a dot above the dot) stays.
        xs = np.array([centroids[i][0] for i in chain])
        ys = np.array([centroids[i][1] for i in chain])
        slope, intercept = np.polyfit(xs, ys, 1) if len(chain) >= 2 else (0.0, float(ys[0]))
        step = float(np.median(np.diff(np.sort(xs))))
        cx, cy = dot_x, dot_y
        on_line = np.abs(cy - (slope * cx + intercept)) <= max(2.5, 0.2 * height)
        within = (cx >= xs.min() - 1.5 * step) & (cx <= xs.max() + 1.5 * step)
        members = set(chain) | set(int(i) for i in dots[on_line & within])
        erase_ids.extend(i for i in members if not _is_colon(i, stats, labels, dotlike, height))
    mask = np.zeros(count, bool)
    mask[erase_ids] = True
    return np.where(mask[labels], 255, 0).astype(np.uint8)


def _is_colon(index: int, stats: np.ndarray, labels: np.ndarray, small: np.ndarray, height: float) -> bool:
    x, y, w, h = stats[index, :4]
    top = max(0, int(y - 0.7 * height))
    column = labels[top:y, max(0, x - 1):x + w + 1]
    others = np.unique(column[(column != 0) & (column != index)])
    return bool(any(small[o] for o in others))


def _touches_letter(index: int, stats: np.ndarray, labels: np.ndarray, letter: np.ndarray, height: float) -> bool:
    """A letter right above (a dot-below tone mark) or right below (a mark above) the dot."""
    x, y, w, h = stats[index, :4]
    top = max(0, int(y - 0.35 * height))
    bottom = min(labels.shape[0], int(y + h + 0.35 * height))
    column = labels[top:bottom, x:x + w]
    others = np.unique(column[(column != 0) & (column != index)])
    return bool(any(letter[o] for o in others))


def _islands_in_holes(ink: np.ndarray, height: float) -> np.ndarray:
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    out = np.zeros_like(ink)
    if hierarchy is None:
        return out
    hierarchy = hierarchy[0]
    for index, (_next, _prev, _child, parent) in enumerate(hierarchy):
        if parent < 0:
            continue
        grandparent = hierarchy[parent][3]
        if grandparent < 0:
            continue
        # index: ink inside a hole (parent) of a letter (grandparent).
        hole_area = cv2.contourArea(contours[parent])
        area = cv2.contourArea(contours[index])
        x, y, w, h = cv2.boundingRect(contours[grandparent])
        letter_sized = 0.4 * height <= h <= 2.5 * height
        if letter_sized and 0 < area <= 0.45 * hole_area:
            cv2.drawContours(out, contours, index, 255, thickness=cv2.FILLED)
    return out
