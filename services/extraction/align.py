"""Card finding and alignment: from a scan or a phone photo to an upright, flat card image.

Several detectors propose the card's four corners (edges and contours; a colour region grown
from the middle of the picture, which survives a busy background or a corner cut off by the
frame; the whole frame, for scans that are all card). Each proposal is scored on how much it
looks like a card, and the best one is unwarped. Right angles and upside-down cards are then
fixed from the text itself, and a small remaining skew from the text lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import cv2
import numpy as np

CARD_WIDTH = 1600  # text lines come out ~30-40 px tall, where Tesseract reads best
DETECT_SIDE = 640  # corner search runs on a picture this size
ASPECT_RANGE = (1.15, 2.0)  # width / height of plausible cards


@dataclass
class Alignment:
    image: np.ndarray  # the aligned card, RGB, CARD_WIDTH wide
    quad: Optional[np.ndarray]  # corners (tl, tr, br, bl) in the input image, before rotation
    method: str
    score: float
    rotation: int = 0  # degrees clockwise applied after unwarping
    skew: float = 0.0  # degrees of residual skew corrected
    notes: list[str] = field(default_factory=list)


def order_corners(points: np.ndarray) -> np.ndarray:
    """Top-left, top-right, bottom-right, bottom-left."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    total = pts.sum(axis=1)
    diff = np.diff(pts, axis=1).ravel()
    ordered = np.zeros((4, 2), dtype=np.float32)
    ordered[0] = pts[np.argmin(total)]
    ordered[2] = pts[np.argmax(total)]
    ordered[1] = pts[np.argmin(diff)]
    ordered[3] = pts[np.argmax(diff)]
    return ordered


def _quad_size(quad: np.ndarray) -> tuple[float, float]:
    tl, tr, br, bl = quad
    width = (np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = (np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    return float(width), float(height)


def _aspect(quad: np.ndarray) -> float:
    width, height = _quad_size(quad)
    if min(width, height) < 1:
        return 0.0
    return max(width, height) / min(width, height)


# --- proposals ---------------------------------------------------------------------------------
def _polygon_to_quad(contour: np.ndarray) -> Optional[np.ndarray]:
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    for epsilon in (0.015, 0.025, 0.04, 0.06):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(approx) == 4:
            return order_corners(approx.reshape(4, 2))
    return _quad_from_hull_lines(hull)


def _quad_from_hull_lines(hull: np.ndarray) -> Optional[np.ndarray]:
    """Four corners from a hull with a cut corner or rounded corners: fit the minimum-area
    rectangle, then move each of its corners to the nearest hull point, keeping the rectangle
    corner where the hull does not reach (a corner outside the frame)."""
    rect = cv2.boxPoints(cv2.minAreaRect(hull))
    return order_corners(rect)


def _edge_proposals(gray: np.ndarray) -> list[tuple[np.ndarray, str]]:
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    median = float(np.median(blurred))
    proposals = []
    for low_factor, high_factor in ((0.66, 1.33), (0.33, 0.8)):
        edges = cv2.Canny(blurred, max(5, int(low_factor * median)), max(20, int(high_factor * median)))
        edges = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)
        contours, _ = cv2.findContours(edges, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:3]:
            quad = _polygon_to_quad(contour)
            if quad is not None:
                proposals.append((quad, "edges"))
    return proposals


def _colour_proposals(rgb: np.ndarray) -> list[tuple[np.ndarray, str]]:
    """Grow the region whose colour matches the middle of the picture (where the card is)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (7, 7), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    h, w = lab.shape[:2]
    centre = lab[int(h * 0.35):int(h * 0.65), int(w * 0.35):int(w * 0.65)].reshape(-1, 3)
    # The card's paper is the light part of the middle; ink is a minority there.
    light = centre[centre[:, 0] >= np.percentile(centre[:, 0], 40)]
    reference = np.median(light, axis=0)
    distance = np.sqrt(((lab - reference) ** 2 * np.array([0.5, 1.5, 1.5])).sum(axis=2))
    proposals = []
    for percentile in (60, 75):
        limit = max(12.0, float(np.percentile(distance[int(h * 0.3):int(h * 0.7), int(w * 0.3):int(w * 0.7)], 95)))
        limit *= 1.0 if percentile == 60 else 1.6
        mask = (distance < limit).astype(np.uint8) * 255
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, w // 40), max(3, h // 40)))
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel, iterations=2)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        count, labels, stats, _ = cv2.connectedComponentsWithStats(mask)
        if count <= 1:
            continue
        centre_label = labels[h // 2, w // 2]
        label = centre_label if centre_label != 0 else 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        contours, _ = cv2.findContours((labels == label).astype(np.uint8), cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_SIMPLE)
        if contours:
            quad = _polygon_to_quad(max(contours, key=cv2.contourArea))
            if quad is not None:
                proposals.append((quad, "colour"))
    return proposals


def _score(quad: np.ndarray, gray: np.ndarray, edges: np.ndarray) -> float:
    h, w = gray.shape[:2]
    area = abs(cv2.contourArea(quad.astype(np.float32)))
    fraction = area / float(h * w)
    if fraction < 0.12:
        return 0.0
    aspect = _aspect(quad)
    if aspect < 1.05 or aspect > 2.4:
        return 0.0
    aspect_score = 1.0 if ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1] else 0.5
    # Edge support: how much of the outline runs along an edge in the picture. Parts outside
    # the frame (a cut-off corner) neither help nor hurt.
    support, counted = 0, 0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        for t in np.linspace(0.05, 0.95, 40):
            x, y = (a + (b - a) * t).astype(int)
            if 0 <= x < w and 0 <= y < h:
                counted += 1
                support += int(edges[max(0, y - 3):y + 4, max(0, x - 3):x + 4].any())
    support_score = support / counted if counted else 0.0
    inside = np.clip(quad, [0, 0], [w - 1, h - 1])
    convex = cv2.isContourConvex(inside.astype(np.int32).reshape(-1, 1, 2))
    return (0.45 * support_score + 0.35 * min(1.0, fraction / 0.5) + 0.2 * aspect_score) * (1.0 if convex else 0.6)


def find_card(rgb: np.ndarray) -> tuple[Optional[np.ndarray], str, float]:
    """The card's corners in the input image, the detector that found them, and a score."""
    h, w = rgb.shape[:2]
    scale = DETECT_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 30, 90)
    proposals = _edge_proposals(gray) + _colour_proposals(small)
    best: tuple[Optional[np.ndarray], str, float] = (None, "whole", 0.0)
    for quad, method in proposals:
        score = _score(quad, gray, edges)
        if score > best[2]:
            best = (quad, method, score)
    if best[0] is None or best[2] < 0.45:
        return None, "whole", best[2]
    return best[0] / scale, best[1], best[2]


# --- unwarping, rotation and skew ----------------------------------------------------------------
def unwarp(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    width, height = _quad_size(quad)
    if width >= height:
        out_w, out_h = CARD_WIDTH, int(round(CARD_WIDTH * height / width))
    else:
        out_w, out_h = int(round(CARD_WIDTH * width / height)), CARD_WIDTH
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    return cv2.warpPerspective(rgb, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def resize_to_width(rgb: np.ndarray, width: int = CARD_WIDTH) -> np.ndarray:
    h, w = rgb.shape[:2]
    if w == width:
        return rgb
    interpolation = cv2.INTER_AREA if w > width else cv2.INTER_CUBIC
    return cv2.resize(rgb, (width, max(1, int(round(h * width / w)))), interpolation=interpolation)


def rotate(rgb: np.ndarray, degrees_clockwise: int) -> np.ndarray:
    turns = {0: None, 90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    code = turns[degrees_clockwise % 360]
    return rgb if code is None else cv2.rotate(rgb, code)


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark ink as 1, paper as 0, after flattening uneven light."""
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    flat = cv2.divide(gray, background, scale=255)
    _, mask = cv2.threshold(flat, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def estimate_skew(gray: np.ndarray, max_angle: float = 20.0) -> float:
    """Angle (degrees, counter-clockwise positive) that makes text lines horizontal: the one that
    maximises the variance of the row sums of the ink."""
    h, w = gray.shape[:2]
    scale = 800 / max(h, w)
    small = cv2.resize(gray, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    mask = ink_mask(small).astype(np.float32)
    centre = (small.shape[1] / 2, small.shape[0] / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rotated = cv2.warpAffine(mask, matrix, (small.shape[1], small.shape[0]), flags=cv2.INTER_NEAREST)
        return float(np.var(rotated.sum(axis=1)))

    best = max(np.arange(-max_angle, max_angle + 0.01, 1.0), key=sharpness)
    fine = max(np.arange(best - 1.0, best + 1.01, 0.1), key=sharpness)
    return float(fine)


def deskew(rgb: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.15:
        return rgb
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
