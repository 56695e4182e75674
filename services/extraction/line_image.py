"""A text line as the recogniser sees it: one definition for training and for reading.

A crop of the engine's grey card image (ink dark on white) becomes a float image HEIGHT pixels
tall, ink 1 and paper 0, its contrast stretched between the line's own paper and ink, its width
scaled with its height (a multiple of WIDTH_STEP, at most MAX_WIDTH).
"""

from __future__ import annotations

import cv2
import numpy as np

HEIGHT = 32
WIDTH_STEP = 4  # the model's horizontal downsampling: one output frame per 4 input columns
MIN_WIDTH = 16
MAX_WIDTH = 1024


def prepare(gray: np.ndarray) -> tuple[np.ndarray, float]:
    """(HEIGHT x W float32 image, scale from crop pixels to line pixels)."""
    if gray.ndim == 3:
        gray = cv2.cvtColor(gray, cv2.COLOR_RGB2GRAY)
    h, w = gray.shape[:2]
    if h < 2 or w < 2:
        return np.zeros((HEIGHT, MIN_WIDTH), np.float32), 1.0
    scale = HEIGHT / h
    width = int(round(w * scale))
    if width > MAX_WIDTH:
        scale = MAX_WIDTH / w
        width = MAX_WIDTH
    width = max(MIN_WIDTH, width)
    height = max(1, min(HEIGHT, int(round(h * scale))))
    resized = cv2.resize(gray, (width, height), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    values = resized.astype(np.float32)
    paper, ink = np.percentile(values, (90, 3))
    spread = max(paper - ink, 24.0)  # a blank or faint crop is not stretched into noise
    line = np.clip((paper - values) / spread, 0.0, 1.0)
    out = np.zeros((HEIGHT, -(-width // WIDTH_STEP) * WIDTH_STEP), np.float32)
    top = (HEIGHT - height) // 2
    out[top:top + height, :width] = line
    return out, scale
