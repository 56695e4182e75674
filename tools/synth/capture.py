"""How a flat card becomes the image a user uploads: a scan, a phone photo, a hard photo, or one of
these turned by a quarter or half turn.

- `scan`: flat on a scanner bed, a margin, skew <= 1 deg, slight noise; JPEG 88-95 or PNG.
- `photo`: perspective, rotation up to +-15 deg, on wood / fabric / a desk / a printed sheet,
  uneven light, a shadow, blur, sensor noise, JPEG 60-85.
- `hard`: a photo with glare, motion blur, the card only 700-900 px wide, JPEG 45-60.
- `rotated`: a scan or a photo, then turned by 90, 180 or 270 deg clockwise.

Every step maps the card's four corners, so the truth gives them in the output image's pixels
(top-left, top-right, bottom-right, bottom-left of the card as printed, wherever they ended up).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, Optional

import cv2
import numpy as np
from PIL import Image

from tools.synth import textures

CONDITIONS = ("scan", "photo", "hard", "rotated")
DEFAULT_MIX = {"scan": 0.30, "photo": 0.35, "hard": 0.25, "rotated": 0.10}

Corners = list[list[float]]


@dataclass
class Captured:
    encoded: bytes
    extension: str  # "jpg" or "png"
    size: tuple[int, int]  # width, height of the output image
    corners: Corners  # TL, TR, BR, BL of the card, output pixels
    params: dict[str, Any] = field(default_factory=dict)


def capture(card: np.ndarray, mask: np.ndarray, condition: str, rng: np.random.Generator, *,
            base_condition: Optional[str] = None, rotation: int = 0) -> Captured:
    """Photograph or scan the flat card (RGB uint8 with its rounded-outline mask)."""
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; expected one of {CONDITIONS}")
    base = condition
    if condition == "rotated":
        base = base_condition or ("scan" if rng.random() < 0.5 else "photo")
        if base not in ("scan", "photo"):
            raise ValueError("a rotated capture starts from a scan or a photo")
        if rotation not in (90, 180, 270):
            raise ValueError("a rotated capture turns by 90, 180 or 270 degrees")
    if base == "scan":
        image, corners, params = _scan(card, mask, rng)
    elif base == "photo":
        image, corners, params = _photo(card, mask, rng, hard=False)
    else:
        image, corners, params = _photo(card, mask, rng, hard=True)
    params["base_condition"] = base
    if condition == "rotated":
        image, corners = rotate_quarter(image, corners, rotation)
        params["rotation"] = rotation
    encoded, extension, quality = _encode(image, params.pop("format"), params.pop("quality"))
    params["format"], params["quality"] = extension, quality
    height, width = image.shape[:2]
    return Captured(encoded=encoded, extension=extension, size=(width, height),
                    corners=[[round(x, 2), round(y, 2)] for x, y in corners], params=params)


def rotate_quarter(image: np.ndarray, corners: Corners, clockwise: int) -> tuple[np.ndarray, Corners]:
    """Turn the image clockwise by 90, 180 or 270 deg, and its corner points with it."""
    height, width = image.shape[:2]
    if clockwise == 90:
        return np.ascontiguousarray(np.rot90(image, k=-1)), [[height - y, x] for x, y in corners]
    if clockwise == 180:
        return np.ascontiguousarray(np.rot90(image, k=2)), [[width - x, height - y] for x, y in corners]
    if clockwise == 270:
        return np.ascontiguousarray(np.rot90(image, k=1)), [[y, width - x] for x, y in corners]
    if clockwise == 0:
        return image, corners
    raise ValueError("rotation must be 0, 90, 180 or 270")


def _warp_onto(card: np.ndarray, mask: np.ndarray, background: np.ndarray, dst: np.ndarray,
               shadow: float = 0.0, rng: Optional[np.random.Generator] = None) -> np.ndarray:
    """Map the card's rectangle onto `dst` corners over the background (float32 RGB)."""
    out_h, out_w = background.shape[:2]
    H, W = card.shape[:2]
    # Shrink first with area averaging: a homography alone would alias the fine print.
    dst_width = max(np.linalg.norm(dst[1] - dst[0]), np.linalg.norm(dst[2] - dst[3]))
    scale = min(1.0, dst_width / W * 1.1)
    if scale < 0.95:
        size = (max(2, int(round(W * scale))), max(2, int(round(H * scale))))
        card = cv2.resize(card, size, interpolation=cv2.INTER_AREA)
        mask = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
        H, W = card.shape[:2]
    src = np.array([[0, 0], [W, 0], [W, H], [0, H]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    warped = cv2.warpPerspective(card, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT).astype(np.float32)
    alpha = cv2.warpPerspective(mask, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT).astype(np.float32)[..., None] / 255.0
    if shadow > 0 and rng is not None:
        # The card's own shadow on the surface, offset away from the light.
        offset = rng.uniform(4, 14, size=2)
        moved = cv2.warpAffine(alpha[..., 0], np.float32([[1, 0, offset[0]], [0, 1, offset[1]]]), (out_w, out_h))
        soft = cv2.GaussianBlur(moved, (0, 0), rng.uniform(4, 10))[..., None]
        background = background * (1 - shadow * soft)
    return background * (1 - alpha) + warped * alpha


def _scan(card: np.ndarray, mask: np.ndarray, rng: np.random.Generator):
    H, W = card.shape[:2]
    scale = rng.uniform(0.72, 1.0)
    cw, ch = W * scale, H * scale
    margin_x, margin_y = cw * rng.uniform(0.01, 0.08), ch * rng.uniform(0.01, 0.08)
    out_w, out_h = int(cw + 2 * margin_x), int(ch + 2 * margin_y)
    angle = math.radians(rng.uniform(-1.0, 1.0))
    centre = np.array([out_w / 2 + rng.uniform(-0.3, 0.3) * margin_x, out_h / 2 + rng.uniform(-0.3, 0.3) * margin_y])
    dst = _rect(centre, cw, ch, angle)
    bed = np.full((out_h, out_w, 3), rng.uniform(225, 252), dtype=np.float32)
    bed += rng.uniform(-4, 4, size=3).astype(np.float32)
    image = _warp_onto(card, mask, bed, dst)
    image += rng.uniform(0.8, 2.5) * rng.standard_normal(image.shape[:2] + (1,), dtype=np.float32)
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 0.6))
    image = _gamma(image, rng.uniform(0.9, 1.1))
    fmt = "png" if rng.random() < 0.15 else "jpg"
    params = {"skew_deg": round(math.degrees(angle), 3), "scale": round(scale, 4), "format": fmt,
              "quality": int(rng.integers(88, 96))}
    return _to_uint8(image), dst.tolist(), params


def _photo(card: np.ndarray, mask: np.ndarray, rng: np.random.Generator, *, hard: bool):
    H, W = card.shape[:2]
    if hard:
        card_w = rng.uniform(700, 900)
        out_w = int(card_w / rng.uniform(0.68, 0.85))
    else:
        out_w = int(rng.choice([1280, 1440, 1600]))
        card_w = out_w * rng.uniform(0.6, 0.86)
    out_h = int(out_w * rng.choice([0.75, 0.75, 0.5625, 0.8]))
    card_h = card_w * H / W
    angle = math.radians(rng.uniform(-15, 15))
    jitter = 0.05 if hard else 0.035
    for _ in range(40):
        centre = np.array([out_w / 2 + rng.uniform(-0.08, 0.08) * out_w, out_h / 2 + rng.uniform(-0.08, 0.08) * out_h])
        dst = _rect(centre, card_w, card_h, angle)
        dst += rng.normal(0, jitter * card_w, size=(4, 2))  # perspective: each corner off its place
        if dst[:, 0].min() > 8 and dst[:, 1].min() > 8 and dst[:, 0].max() < out_w - 8 and dst[:, 1].max() < out_h - 8:
            break
        card_w *= 0.95
        card_h *= 0.95
    surface_name, ground = textures.surface(rng, out_h, out_w)
    image = _warp_onto(card, mask, ground, dst, shadow=rng.uniform(0.2, 0.5), rng=rng)
    params: dict[str, Any] = {"angle_deg": round(math.degrees(angle), 3), "surface": surface_name,
                              "card_width": round(float(card_w), 1)}
    # Light: a smooth gradient, a coloured cast, now and then a hand's or phone's shadow.
    light = 0.72 + 0.4 * textures.smooth_noise(rng, out_h, out_w, 3)
    image *= light[..., None]
    image *= rng.uniform(0.92, 1.06, size=3).astype(np.float32)
    if rng.random() < 0.55:
        image *= _cast_shadow(rng, out_h, out_w)[..., None]
        params["shadow"] = True
    if hard:
        image = _glare(image, rng, dst)
        length = int(rng.integers(3, 7))
        image = _motion_blur(image, length, rng.uniform(0, 180))
        params["motion_blur_px"] = length
    else:
        sigma = rng.uniform(0.3, 1.3)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
        params["blur_sigma"] = round(float(sigma), 3)
    sigma_noise = rng.uniform(3, 8) if hard else rng.uniform(1.5, 5)
    image += sigma_noise * rng.standard_normal(image.shape, dtype=np.float32)
    quality = int(rng.integers(45, 61)) if hard else int(rng.integers(60, 86))
    params.update(format="jpg", quality=quality)
    return _to_uint8(image), dst.tolist(), params


def _rect(centre: np.ndarray, width: float, height: float, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    half = np.array([[-width / 2, -height / 2], [width / 2, -height / 2], [width / 2, height / 2],
                     [-width / 2, height / 2]])
    rot = np.array([[c, -s], [s, c]])
    return (half @ rot.T + centre).astype(np.float64)


def _cast_shadow(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A soft dark region bounded by a random line: a hand or a phone between light and card."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    along = (xx - width * rng.uniform(0.2, 0.8)) * np.cos(angle) + (yy - height * rng.uniform(0.2, 0.8)) * np.sin(angle)
    softness = rng.uniform(0.03, 0.12) * width
    inside = 1 / (1 + np.exp(-along / softness))
    return 1 - rng.uniform(0.2, 0.45) * inside


def _glare(image: np.ndarray, rng: np.random.Generator, dst: np.ndarray) -> np.ndarray:
    """A bright reflection on the laminate, washing out part of the card."""
    height, width = image.shape[:2]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    card_w = float(np.linalg.norm(dst[1] - dst[0]))
    for _ in range(int(rng.integers(1, 3))):
        t, u = rng.uniform(0.15, 0.85, size=2)
        top = dst[0] + t * (dst[1] - dst[0])
        bottom = dst[3] + t * (dst[2] - dst[3])
        cx, cy = top + u * (bottom - top)
        sx, sy = card_w * rng.uniform(0.06, 0.16), card_w * rng.uniform(0.04, 0.1)
        spot = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))
        strength = rng.uniform(0.5, 0.78)
        image = image + (255 - image) * (strength * spot)[..., None]
    return image


def _motion_blur(image: np.ndarray, length: int, angle_deg: float) -> np.ndarray:
    kernel = np.zeros((length, length), dtype=np.float32)
    kernel[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    kernel /= max(kernel.sum(), 1e-6)
    return cv2.filter2D(image, -1, kernel)


def _gamma(image: np.ndarray, gamma: float) -> np.ndarray:
    return 255.0 * np.power(np.clip(image, 0, 255) / 255.0, gamma)


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def _encode(image: np.ndarray, fmt: str, quality: int) -> tuple[bytes, str, int]:
    buffer = io.BytesIO()
    pil = Image.fromarray(image, "RGB")
    if fmt == "png":
        pil.save(buffer, format="PNG", compress_level=6)
        return buffer.getvalue(), "png", 0
    pil.save(buffer, format="JPEG", quality=int(quality))
    return buffer.getvalue(), "jpg", int(quality)
