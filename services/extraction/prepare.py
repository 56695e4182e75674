"""Turning the aligned colour card into the grey image Tesseract reads.

The ink of interest is black (or dark blue); the card's tint, its watermark, the red seal and the
signature are coloured and light in at least one channel. Taking the brightest channel of each
pixel keeps black ink dark and makes colours light. Dividing by a blurred copy then flattens
shadows and uneven light, and a gentle stretch restores contrast on faded photos.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

# Where between the ink and the paper grey turns to paper (0 = at the ink, 1 = at the paper).
# Low enough to drop the watermark, high enough to keep faint typewriter values whole on photos
# (measured 0.5-1.0 on dev sets seeds 31 and 41: 0.8 best overall, photo 0.62 -> 0.70).
WHITEN_AT = 0.8
# Red ink keeps at least this much of the red of its background (of 255) and leads the green
# and the blue by this much (0.6 and 0.12 of 1, chosen by eye on a scan's seal and kept: the
# stricter tests tried lost the seal's pale strokes or its small marks, and the fields with them).
RED_KEEPS, RED_LEAD = 153, 31
# Under the seal a lower cut keeps the seal's pale strokes out of the issuer and the date.
STRICT_WHITEN_AT = 0.5


def ocr_gray(rgb: np.ndarray, whiten_at: Optional[float] = None) -> np.ndarray:
    return whiten(flatten(rgb), whiten_at, paper=red_ink(rgb))


def flatten(rgb: np.ndarray) -> np.ndarray:
    """The brightest channel with shadows and uneven light divided out: what `whiten` cuts at
    one level or another (worked out once per card for both)."""
    # The brightest channel (OpenCV's per-element max: numpy's reduction over the last axis is
    # twenty times slower on a card).
    brightest = cv2.max(cv2.max(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2])
    # Background estimate: a closing removes the text strokes, a blur smooths the rest.
    background = cv2.morphologyEx(brightest, cv2.MORPH_CLOSE, np.ones((21, 21), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), 15)
    return cv2.divide(brightest, np.maximum(background, 1), scale=255)


def red_ink(rgb: np.ndarray) -> np.ndarray:
    """Pixels of red ink: the seal, a red title or signature, the emblem's print.

    The brightest channel keeps the seal's strokes pale grey, not white: they join the letters
    they cross into blobs that no line finder takes for letters, and Tesseract reads them as
    marks. Each channel is divided by its own background (the card's tint, the light), so that
    red ink is what keeps most of the red and loses much of the green and blue, whatever the
    card's colour; black ink, over the seal or not, keeps little red and stays. The background
    is estimated at a quarter of the size: the test needs its colour, not its detail."""
    small = cv2.resize(rgb, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    background = cv2.morphologyEx(small, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    background = cv2.GaussianBlur(background, (0, 0), 4)
    background = cv2.resize(background, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    flat = cv2.divide(rgb, np.maximum(background, 1), scale=255)
    red = flat[:, :, 0]
    lead = cv2.subtract(red, cv2.min(flat[:, :, 1], flat[:, :, 2]))
    return (red >= RED_KEEPS) & (lead >= RED_LEAD)


def whiten(flat: np.ndarray, whiten_at: Optional[float] = None, *, paper: Optional[np.ndarray] = None
           ) -> np.ndarray:
    """A contrast stretch, and everything lighter than the cut between ink and paper made paper;
    so are the pixels under `paper` (the seal's red ink). The levels are those of the whole card,
    the seal included, so that taking it away changes no other pixel."""
    out = _whitened(flat, whiten_at)
    if paper is not None:
        out = out.copy() if out is flat else out
        out[paper] = 255
    return out


def _whitened(flat: np.ndarray, whiten_at: Optional[float]) -> np.ndarray:
    # What follows maps each grey level of `flat` to one output level: it is worked out on the
    # 256 levels and applied as a lookup table, not pixel by pixel in floating point.
    counts = np.bincount(flat.ravel(), minlength=256)
    levels = np.arange(256, dtype=np.float32)
    # As np.percentile gives them for a uint8 image (float64, which the arithmetic below keeps).
    low, high = (np.float64(v) for v in _percentiles(levels, counts, (1, 99.5)))
    if high - low < 10:
        return flat
    stretched = np.clip((levels - low) * (255.0 / (high - low)), 0, 255)
    # The watermark and guilloche are lighter than any ink: everything lighter than the cut
    # between the ink (the darkest few per cent) and the paper (the median) becomes paper, so
    # Tesseract's own thresholding does not pick the patterns up as letters.
    ink, paper = _percentiles(stretched, counts, (2, 50))
    cut = max(ink + 20.0, ink + (WHITEN_AT if whiten_at is None else whiten_at) * (paper - ink))
    whitened = np.where(stretched >= cut, 255.0, stretched * (255.0 / cut))
    return cv2.LUT(flat, np.clip(whitened, 0, 255).astype(np.uint8))


def _percentiles(values: np.ndarray, counts: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """`np.percentile` (its default, linear method) of an image whose pixels take `values[i]`
    `counts[i]` times, `values` non-decreasing: the order statistics from the cumulative counts."""
    ends = np.cumsum(counts)
    n = int(ends[-1])
    out = []
    for q in qs:
        position = q / 100.0 * (n - 1)
        below = int(np.floor(position))
        above = min(below + 1, n - 1)
        lower = float(values[np.searchsorted(ends, below, side="right")])
        upper = float(values[np.searchsorted(ends, above, side="right")])
        out.append(lower + (position - below) * (upper - lower))
    return out


CROP_BORDER = 12


def crop(gray: np.ndarray, box: tuple[int, int, int, int], *, scale: float = 1.0) -> tuple[np.ndarray, float]:
    """A region cut out for a single-line read, scaled by `scale`, with a white border
    (Tesseract reads a line better with some margin around it). Returns the crop and the scale."""
    x, y, w, h = box
    H, W = gray.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(W, x + w), min(H, y + h)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return np.zeros((0, 0), np.uint8), 1.0
    piece = gray[y0:y1, x0:x1]
    if abs(scale - 1.0) > 0.05:
        piece = cv2.resize(piece, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    else:
        scale = 1.0
    piece = cv2.copyMakeBorder(piece, CROP_BORDER, CROP_BORDER, CROP_BORDER, CROP_BORDER,
                               cv2.BORDER_CONSTANT, value=255)
    return piece, scale


def is_blank(rgb: np.ndarray) -> bool:
    """No card and no text: too small, or almost uniform."""
    h, w = rgb.shape[:2]
    if min(h, w) < 64:
        return True
    small = cv2.resize(rgb, (min(w, 400), max(1, int(h * min(w, 400) / w))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    return float(gray.std()) < 4.0
