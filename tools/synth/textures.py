"""Procedural surfaces: the card's guilloche and paper, and what a card lies on in a photo.

All arrays are float32 RGB in [0, 255], made from a numpy Generator so they are reproducible.
Patterns are computed at half resolution and enlarged where fine detail is not needed: the card
background is drawn for every side of every card, so it must be cheap.
"""

from __future__ import annotations

import cv2
import numpy as np


def smooth_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: a few random values per side, smoothly enlarged."""
    grid_h = max(2, int(cells * height / max(height, width)) + 1)
    grid_w = max(2, int(cells * width / max(height, width)) + 1)
    grid = rng.random((grid_h, grid_w), dtype=np.float32)
    return cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC).clip(0, 1)


def _lines(phase: np.ndarray, sharpness: float) -> np.ndarray:
    """Thin lines where the phase passes a whole turn."""
    return np.exp(-sharpness * (1.0 - np.cos(phase))).astype(np.float32)


def card_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Pale blue security paper: tint, a rosette and wave guilloche, a faint emblem, a frame."""
    base = np.array([rng.uniform(192, 215), rng.uniform(216, 234), rng.uniform(238, 252)], dtype=np.float32)
    if rng.random() < 0.25:  # yellowed by age
        base += np.array([8, 3, -6], dtype=np.float32)
    h2, w2 = height // 2, width // 2
    yy, xx = np.mgrid[0:h2, 0:w2].astype(np.float32)
    cx, cy = w2 * rng.uniform(0.4, 0.6), h2 * rng.uniform(0.4, 0.6)
    u, v = (xx - cx) / h2, (yy - cy) / h2
    r = np.sqrt(u * u + v * v)
    theta = np.arctan2(v, u)
    petals = rng.integers(8, 20)
    rosette = _lines(2 * np.pi * (r * rng.uniform(14, 26) + 0.35 * np.sin(petals * theta + r * rng.uniform(4, 12))),
                     rng.uniform(25, 60))
    waves = _lines(2 * np.pi * (yy / h2 * rng.uniform(30, 60) + 1.2 * np.sin(xx / w2 * rng.uniform(8, 20) * np.pi)),
                   rng.uniform(30, 70))
    waves2 = _lines(2 * np.pi * (yy / h2 * rng.uniform(30, 60) - 1.2 * np.sin(xx / w2 * rng.uniform(8, 20) * np.pi
                                                                               + rng.uniform(0, 6))),
                    rng.uniform(30, 70))
    pattern = np.maximum(rosette * (r < rng.uniform(0.35, 0.6)), 0.55 * np.maximum(waves, waves2))
    pattern = cv2.resize(pattern, (width, height), interpolation=cv2.INTER_LINEAR)
    tint = np.array([rng.uniform(0.70, 0.85), rng.uniform(0.78, 0.9), rng.uniform(0.88, 0.98)], dtype=np.float32)
    strength = rng.uniform(0.35, 0.7)
    image = base[None, None, :] * (1.0 - strength * pattern[..., None] * (1.0 - tint[None, None, :]))
    # Uneven printing and ageing of the paper.
    shade = smooth_noise(rng, height, width, 5)
    image *= (0.96 + 0.06 * shade)[..., None]
    return image.astype(np.float32)


def emblem_mask(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A faint round emblem (rings, a star, a cog-like edge) in the middle of the card, in [0, 1]."""
    mask = np.zeros((height, width), dtype=np.uint8)
    cx, cy = int(width * rng.uniform(0.45, 0.55)), int(height * rng.uniform(0.45, 0.55))
    radius = int(height * rng.uniform(0.22, 0.32))
    cv2.circle(mask, (cx, cy), radius, 255, max(2, radius // 30), cv2.LINE_AA)
    cv2.circle(mask, (cx, cy), int(radius * 0.82), 255, max(1, radius // 60), cv2.LINE_AA)
    teeth = 24
    for k in range(teeth):
        angle = 2 * np.pi * k / teeth
        p = (int(cx + np.cos(angle) * radius * 0.9), int(cy + np.sin(angle) * radius * 0.9))
        cv2.circle(mask, p, max(2, radius // 22), 255, -1, cv2.LINE_AA)
    star = []
    for k in range(10):
        angle = -np.pi / 2 + np.pi * k / 5
        rr = radius * (0.45 if k % 2 == 0 else 0.18)
        star.append((int(cx + np.cos(angle) * rr), int(cy + np.sin(angle) * rr)))
    cv2.fillPoly(mask, [np.array(star, dtype=np.int32)], 255, cv2.LINE_AA)
    return mask.astype(np.float32) / 255.0


def wood(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    base = np.array([rng.uniform(110, 175), rng.uniform(70, 115), rng.uniform(35, 70)], dtype=np.float32)
    angle = rng.uniform(-0.3, 0.3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    along = xx * np.sin(angle) + yy * np.cos(angle)
    warp = smooth_noise(rng, height, width, 6) * rng.uniform(20, 60)
    grain = 0.5 + 0.5 * np.sin(2 * np.pi * (along + warp) / rng.uniform(9, 30))
    streaks = cv2.resize(rng.random((max(2, height // 3), 12), dtype=np.float32), (width, height),
                         interpolation=cv2.INTER_LINEAR)
    tone = 0.75 + 0.18 * grain + 0.12 * streaks
    return base[None, None, :] * tone[..., None]


def fabric(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    base = rng.uniform(40, 220, size=3).astype(np.float32)
    period = rng.uniform(3, 7)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    weave = np.sin(2 * np.pi * xx / period) * np.sin(2 * np.pi * yy / period)
    folds = smooth_noise(rng, height, width, 4)
    tone = 0.8 + 0.08 * weave + 0.25 * (folds - 0.5)
    return base[None, None, :] * tone[..., None]


def desk(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    grey = rng.choice([rng.uniform(25, 60), rng.uniform(150, 235)])
    base = np.array([grey, grey, grey], dtype=np.float32) + rng.uniform(-12, 12, size=3).astype(np.float32)
    speckle = (rng.random((height, width), dtype=np.float32) < 0.01) * rng.uniform(-40, 40)
    tone = base[None, None, :] * (0.9 + 0.15 * smooth_noise(rng, height, width, 3))[..., None]
    return tone + speckle[..., None]


def paper(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A printed sheet under the card: white with rows of grey 'text'."""
    image = np.full((height, width, 3), rng.uniform(215, 245), dtype=np.float32)
    pitch = int(rng.uniform(18, 34))
    ink = float(rng.uniform(110, 170))
    for y in range(int(rng.uniform(10, 40)), height, pitch):
        x = int(rng.uniform(20, 60))
        end = width - int(rng.uniform(40, width * 0.4))  # ragged right margin
        while x < end:
            length = int(rng.uniform(12, 90))
            cv2.rectangle(image, (x, y), (x + length, y + pitch // 3), (ink, ink, ink + 5), -1)
            x += length + int(rng.uniform(6, 14))
    return cv2.GaussianBlur(image, (0, 0), 1.2)


SURFACES = {"wood": wood, "fabric": fabric, "desk": desk, "paper": paper}


def surface(rng: np.random.Generator, height: int, width: int) -> tuple[str, np.ndarray]:
    name = str(rng.choice(sorted(SURFACES)))
    return name, SURFACES[name](rng, height, width).astype(np.float32)
