"""Card finding and alignment: from a scan or a phone photo to an upright, flat card image.

Several detectors propose the card's four corners (edges and contours; a colour region grown
from the middle of the picture, which survives a busy background or a corner cut off by the
frame; the whole frame, for scans that are all card). Each proposal is scored on how much it
looks like a card, and the best one is unwarped. Right angles and upside-down cards are then
fixed from the text itself, and a small remaining skew from the text lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import cv2
import numpy as np

CARD_WIDTH = 1600  # text lines come out ~30-40 px tall, where Tesseract reads best
DETECT_SIDE = 640  # corner search runs on a picture this size
ASPECT_RANGE = (1.15, 2.0)  # width / height of plausible cards
DESKEW_FROM = 0.15  # degrees: smaller skews are left alone


@dataclass
class Alignment:
    image: np.ndarray  # the aligned card, RGB, CARD_WIDTH wide
    quad: Optional[np.ndarray]  # corners (tl, tr, br, bl) in the input image, before rotation
    method: str
    score: float
    rotation: int = 0  # degrees clockwise applied after unwarping
    skew: float = 0.0  # degrees of residual skew corrected
    notes: list[str] = field(default_factory=list)
    # Input image pixels -> aligned card pixels (3x3, homogeneous), every step composed.
    matrix: np.ndarray = field(default_factory=lambda: np.eye(3))


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


def _grabcut_mask(rgb: np.ndarray) -> Optional[np.ndarray]:
    """The card as the foreground of a graph cut started from the middle of the picture. It
    learns the background's colours from the frame's edges, which copes with busy backgrounds
    (text, patterns) where straight-line detection is lost."""
    h, w = rgb.shape[:2]
    scale = 256 / max(h, w)
    small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    mask = np.zeros((sh, sw), np.uint8)
    rect = (int(sw * 0.03), int(sh * 0.03), int(sw * 0.94), int(sh * 0.94))
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut seeds its colour models from OpenCV's global random state: fix it, so the same
    # picture always gives the same outline whatever was read before.
    cv2.setRNGSeed(12345)
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), mask, rect, background, foreground, 3,
                    cv2.GC_INIT_WITH_RECT)
    except cv2.error:
        return None
    card = ((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(card)
    if count <= 1:
        return None
    label = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return cv2.resize((labels == label).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)


def _mask_quad(mask: np.ndarray) -> Optional[np.ndarray]:
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    return _polygon_to_quad(max(contours, key=cv2.contourArea))


def _iou(quad: np.ndarray, mask: np.ndarray) -> float:
    drawn = np.zeros_like(mask)
    cv2.fillConvexPoly(drawn, np.rint(quad).astype(np.int32), 1)
    union = np.count_nonzero(drawn | mask)
    return np.count_nonzero(drawn & mask) / union if union else 0.0


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


def _edges(gray: np.ndarray) -> list[np.ndarray]:
    """Canny edge maps at thresholds taken from this picture's own gradients: strong for a card
    on a dark table, weak for the faint edge of a pale card on a pale, busy background."""
    enhanced = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    blurred = cv2.GaussianBlur(enhanced, (5, 5), 0)
    gx = cv2.Sobel(blurred, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(blurred, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.abs(gx) + np.abs(gy)
    maps = []
    for percentile in (90, 70):
        high = max(12.0, float(np.percentile(magnitude, percentile)))
        maps.append(cv2.Canny(blurred, high / 2.5, high))
    return maps


def _line_proposals(gray: np.ndarray, edge_maps: list[np.ndarray]) -> list[tuple[np.ndarray, str]]:
    """Quadrilaterals made of two long near-horizontal and two long near-vertical lines: the
    card's edges are the longest unbroken straight lines in most photos, even on a busy
    background (rows of dashes or text break into short pieces, which are left out)."""
    h, w = gray.shape[:2]
    found = [cv2.HoughLinesP(edges, 1, np.pi / 360, threshold=40, minLineLength=int(0.15 * min(h, w)),
                             maxLineGap=3) for edges in edge_maps]
    found = [f for f in found if f is not None]
    if not found:
        return []
    segments = np.concatenate(found)
    lines: list[list[float]] = []  # angle (rad, in [-pi/2, pi/2)), rho, longest piece
    for x1, y1, x2, y2 in segments.reshape(-1, 4).astype(np.float64):
        length = float(np.hypot(x2 - x1, y2 - y1))
        angle = float(np.arctan2(y2 - y1, x2 - x1))
        if angle >= np.pi / 2:
            angle -= np.pi
        elif angle < -np.pi / 2:
            angle += np.pi
        normal = angle + np.pi / 2
        rho = float(x1 * np.cos(normal) + y1 * np.sin(normal))
        for line in lines:  # the same line found twice: keep its longest piece
            if abs(line[0] - angle) < np.radians(2) and abs(line[1] - rho) < 4:
                if length > line[2]:
                    line[:] = [angle, rho, length]
                break
        else:
            lines.append([angle, rho, length])
    horizontal = _longest_and_outermost([l for l in lines if abs(l[0]) < np.pi / 4], w / 2, h, vertical=False)
    vertical = _longest_and_outermost([l for l in lines if abs(l[0]) >= np.pi / 4], h / 2, w, vertical=True)
    ranked: list[tuple[float, np.ndarray]] = []
    for i, top in enumerate(horizontal):
        for bottom in horizontal[i + 1:]:
            if abs(top[1] - bottom[1]) < 0.2 * h or abs(top[0] - bottom[0]) > np.radians(20):
                continue
            for j, left in enumerate(vertical):
                for right in vertical[j + 1:]:
                    if abs(left[1] - right[1]) < 0.2 * w or abs(left[0] - right[0]) > np.radians(20):
                        continue
                    corners = [_intersect(a, b) for a, b in ((top, left), (top, right), (bottom, right), (bottom, left))]
                    if any(c is None for c in corners):
                        continue
                    quad = order_corners(np.array(corners))
                    margin = 0.25
                    if (quad[:, 0] < -margin * w).any() or (quad[:, 0] > (1 + margin) * w).any() or \
                            (quad[:, 1] < -margin * h).any() or (quad[:, 1] > (1 + margin) * h).any():
                        continue
                    ranked.append((top[2] + bottom[2] + left[2] + right[2], quad))
    ranked.sort(key=lambda item: -item[0])
    return [(quad, "lines") for _length, quad in ranked[:150]]


def _longest_and_outermost(lines: list[list[float]], middle: float, size: float, *, vertical: bool,
                           longest: int = 10, outermost: int = 2, border: float = 0.035) -> list[list[float]]:
    """The longest lines, and the outermost ones close to the picture's border on each side.
    Rows of leader dots print long unbroken lines across a card, longer than its own edge where
    that edge steps a pixel sideways every few dozen and a thin strip of background leaves it
    little contrast (a card skewed a little and all but filling a scan); but the card's edge
    lies outside everything printed on it. Only near the border: further in, the outermost
    lines of a photo are the table's or a sheet's under the card."""
    def position(line: list[float]) -> float:
        normal = line[0] + np.pi / 2
        if vertical:
            return (line[1] - middle * np.sin(normal)) / (np.cos(normal) or 1e-9)
        return (line[1] - middle * np.cos(normal)) / (np.sin(normal) or 1e-9)

    chosen = sorted(lines, key=lambda l: -l[2])[:longest]
    by_position = sorted(lines, key=position)
    # The picture's own border (padding, a JPEG's last column) is no card's edge.
    near = [l for l in by_position[:outermost] if 3 < position(l) < border * size] + \
        [l for l in by_position[-outermost:] if (1 - border) * size < position(l) < size - 4]
    for line in near:
        if not any(line is c for c in chosen):
            chosen.append(line)
    return chosen


def _intersect(a: list[float], b: list[float]) -> Optional[np.ndarray]:
    na, nb = a[0] + np.pi / 2, b[0] + np.pi / 2
    matrix = np.array([[np.cos(na), np.sin(na)], [np.cos(nb), np.sin(nb)]])
    if abs(np.linalg.det(matrix)) < 1e-6:
        return None
    return np.linalg.solve(matrix, np.array([a[1], b[1]]))


@dataclass
class _Frame:
    """The downscaled picture and its gradients, shared by the scoring of every proposal."""

    lab: np.ndarray
    magnitude: np.ndarray
    gx: np.ndarray
    gy: np.ndarray
    strong: float


def _frame(rgb_small: np.ndarray) -> _Frame:
    gray = cv2.cvtColor(rgb_small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gray = cv2.GaussianBlur(gray, (3, 3), 0)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    lab = cv2.cvtColor(rgb_small, cv2.COLOR_RGB2LAB).astype(np.float32)
    return _Frame(lab, magnitude, gx, gy, float(np.percentile(magnitude, 90)) + 1.0)


_T = np.linspace(0.08, 0.92, 36)
_NEAR = np.array([(dy, dx) for dy in (-2, -1, 0, 1, 2) for dx in (-2, -1, 0, 1, 2)])  # (dy, dx) offsets


def _edge_metrics(a: np.ndarray, b: np.ndarray, inward: np.ndarray, frame: _Frame
                  ) -> Optional[tuple[float, float]]:
    """(support, contrast) of the straight edge a-b: the share of its points lying on a strong
    gradient across it, and the colour difference between just inside and just outside.
    None when too little of it lies inside the picture (a cut-off part neither helps nor hurts)."""
    h, w = frame.magnitude.shape[:2]
    points = a + (b - a) * _T[:, None]
    xs, ys = np.rint(points[:, 0]).astype(int), np.rint(points[:, 1]).astype(int)
    keep = (xs >= 2) & (xs < w - 2) & (ys >= 2) & (ys < h - 2)
    if keep.sum() < 6:
        return None
    xs, ys = xs[keep], ys[keep]
    # Per point, the strongest gradient within two pixels (the first of equals, in the order of
    # _NEAR), and how squarely it crosses the edge: all 25 neighbours gathered at once.
    rows, cols = ys[None, :] + _NEAR[:, :1], xs[None, :] + _NEAR[:, 1:]
    gx, gy = frame.gx[rows, cols], frame.gy[rows, cols]
    strength = np.hypot(gx, gy)
    pick = np.argmax(strength, axis=0)[None, :]
    best_strength = np.take_along_axis(strength, pick, axis=0)[0].astype(np.float64)
    gx, gy, strength = (np.take_along_axis(v, pick, axis=0)[0] for v in (gx, gy, strength))
    best_across = np.where(best_strength > 0, np.abs(gx * inward[0] + gy * inward[1]) / (strength + 1e-6), 0.0)
    support = float(((best_strength > 0.5 * frame.strong) & (best_across > 0.8)).mean())
    inside = np.rint(points[keep] + inward * 5).astype(int)
    outside = np.rint(points[keep] - inward * 5).astype(int)
    ok = (inside[:, 0] >= 0) & (inside[:, 0] < w) & (inside[:, 1] >= 0) & (inside[:, 1] < h) & \
         (outside[:, 0] >= 0) & (outside[:, 0] < w) & (outside[:, 1] >= 0) & (outside[:, 1] < h)
    contrast = 0.0
    if ok.any():
        diff = frame.lab[inside[ok, 1], inside[ok, 0]] - frame.lab[outside[ok, 1], outside[ok, 0]]
        contrast = float(np.median(np.linalg.norm(diff, axis=1)))
    return support, contrast


def _inward(quad: np.ndarray, i: int) -> np.ndarray:
    a, b = quad[i], quad[(i + 1) % 4]
    direction = (b - a) / (np.linalg.norm(b - a) + 1e-6)
    normal = np.array([-direction[1], direction[0]])
    if np.dot(quad.mean(axis=0) - (a + b) / 2, normal) < 0:
        normal = -normal
    return normal


def refine(quad: np.ndarray, frame: _Frame) -> np.ndarray:
    """Move each edge outwards to the card's own edge when the chosen outline is a frame
    printed inside the card: the outermost parallel line, close by, that still shows a strong
    colour change across it."""
    size = max(_quad_size(quad))
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        inward = _inward(quad, i)
        found = []
        for d in range(-2, int(0.04 * size) + 1):
            metrics = _edge_metrics(a - inward * d, b - inward * d, inward, frame)
            if metrics is not None:
                found.append((d, metrics[0], metrics[1]))
        if not found:
            lines.append((a, b))
            continue
        strongest = max(c for _d, _s, c in found)
        outer = [d for d, support, contrast in found if contrast >= 0.6 * strongest and support >= 0.35]
        d = max(outer) if outer else 0
        lines.append((a - inward * d, b - inward * d))
    corners = []
    for i in range(4):
        (a1, b1), (a2, b2) = lines[i - 1], lines[i]
        corner = _line_intersection(a1, b1, a2, b2)
        corners.append(corner if corner is not None else quad[i])
    refined = order_corners(np.array(corners))
    return refined if abs(cv2.contourArea(refined)) >= abs(cv2.contourArea(quad.astype(np.float32))) else quad


def _line_intersection(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> Optional[np.ndarray]:
    d1, d2 = b1 - a1, b2 - a2
    matrix = np.array([[d1[0], -d2[0]], [d1[1], -d2[1]]])
    if abs(np.linalg.det(matrix)) < 1e-9:
        return None
    t, _u = np.linalg.solve(matrix, a2 - a1)
    return a1 + d1 * t


def _score(quad: np.ndarray, frame: _Frame) -> float:
    """How card-like a quadrilateral is: its outline runs along edges of the picture with a
    change of colour across it, it is large, convex, and shaped like a card."""
    h, w = frame.magnitude.shape[:2]
    area = abs(cv2.contourArea(quad.astype(np.float32)))
    fraction = area / float(h * w)
    if fraction < 0.1 or not cv2.isContourConvex(quad.astype(np.float32).reshape(-1, 1, 2)):
        return 0.0
    aspect = _aspect(quad)
    if aspect < 1.1 or aspect > 2.3:
        return 0.0
    aspect_score = 1.0 if ASPECT_RANGE[0] <= aspect <= ASPECT_RANGE[1] else 0.6
    metrics = [m for i in range(4) if (m := _edge_metrics(quad[i], quad[(i + 1) % 4], _inward(quad, i), frame))]
    if len(metrics) < 2:
        return 0.0
    # Every edge of a card shows, and changes colour across (a row of leader dots printed on the
    # card runs as straight and as long as its edge, but with paper on both sides): the weakest
    # edge counts as much as the average one, for both.
    support = _average_and_weakest([m[0] for m in metrics])
    contrast = min(1.0, _average_and_weakest([m[1] for m in metrics]) / 12.0)
    return 0.45 * support + 0.2 * contrast + 0.25 * min(1.0, fraction / 0.6) + 0.1 * aspect_score


def _average_and_weakest(values: Sequence[float]) -> float:
    return 0.5 * float(np.mean(values)) + 0.5 * float(np.min(values))


def find_card(rgb: np.ndarray) -> tuple[Optional[np.ndarray], str, float]:
    """The card's corners in the input image, the detector that found them, and a score."""
    h, w = rgb.shape[:2]
    scale = DETECT_SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    frame = _frame(small)
    edge_maps = _edges(gray)
    proposals = _line_proposals(gray, edge_maps) + _edge_proposals(gray) + _colour_proposals(small)
    scored = [(quad, method, _score(quad, frame)) for quad, method in proposals]
    scored = [item for item in scored if item[2] > 0]
    top = max((item[2] for item in scored), default=0.0)
    if top < 0.85:
        # No clear outline: the line search again on the edge maps thickened by a pixel. The
        # edge of a slightly skewed card steps sideways a pixel every few dozen, and on a
        # one-pixel map that staircase can break into pieces too short to count (a pale card on
        # pale paper was found by no line). Thickened lines are a pixel less exact, and the
        # score tells a card from a frame printed inside it less well there: only an all but
        # perfect outline found so is taken, the largest of the nearly best (the card's edge
        # lies outside every line printed on it).
        thick = [cv2.dilate(edges, np.ones((3, 3), np.uint8)) for edges in edge_maps]
        sure = [(quad, method, score) for quad, method in _line_proposals(gray, thick)
                if (score := _score(quad, frame)) >= 0.94]
        if sure:
            best_score = max(item[2] for item in sure)
            chosen = max((item for item in sure if item[2] >= best_score - 0.03),
                         key=lambda item: abs(cv2.contourArea(item[0].astype(np.float32))))
            scored, top = [chosen], chosen[2]
    if top < 0.85:
        # Still no clear outline: let a colour segmentation vote, and propose its own outline.
        mask = _grabcut_mask(small)
        if mask is not None:
            quad = _mask_quad(mask)
            if quad is not None:
                scored.append((quad, "grabcut", _score(quad, frame)))
            scored = [(q, m, 0.6 * sc + 0.4 * _iou(q, mask)) for q, m, sc in scored if sc > 0]
    best: tuple[Optional[np.ndarray], str, float] = (None, "whole", 0.0)
    if scored:
        best = max(scored, key=lambda item: item[2])
    if best[0] is None or best[2] < 0.5:
        return None, "whole", best[2]
    refined = refine(best[0], frame)
    refined_score = _score(refined, frame)
    if refined_score >= best[2] - 0.02:
        best = (refined, best[1], max(best[2], refined_score))
    sh, sw = gray.shape[:2]
    whole = np.array([[0, 0], [sw - 1, 0], [sw - 1, sh - 1], [0, sh - 1]], dtype=np.float32)
    # A quadrilateral that is the frame itself says nothing: treat it as "no card found".
    if np.abs(best[0] - whole).max() < 0.02 * max(sh, sw):
        return None, "whole", best[2]
    return best[0] / scale, best[1], best[2]


def align_card(rgb: np.ndarray) -> Alignment:
    """Find the card, unwarp it, turn it landscape, scale it to CARD_WIDTH and straighten the
    text lines. Whether it is upside down is decided later, from the text."""
    quad, method, score = find_card(rgb)
    if quad is not None:
        card, matrix = unwarp_with_matrix(rgb, quad)
        skew_range = 3.0
    else:
        card, matrix = resize_to_width(rgb), _scale_matrix(rgb.shape[1], CARD_WIDTH)
        skew_range = 20.0
    rotation = 0
    if card.shape[0] > card.shape[1]:
        h = card.shape[0]
        matrix = np.array([[0.0, -1.0, h - 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]) @ matrix
        card, rotation = rotate(card, 90), 90
    matrix = _scale_matrix(card.shape[1], CARD_WIDTH) @ matrix
    card = resize_to_width(card)
    gray = cv2.cvtColor(card, cv2.COLOR_RGB2GRAY)
    angle = estimate_skew(gray, skew_range)
    if abs(angle) >= DESKEW_FROM:
        h, w = card.shape[:2]
        matrix = np.vstack([cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), [0.0, 0.0, 1.0]]) @ matrix
    card = deskew(card, angle)
    return Alignment(image=card, quad=quad, method=method, score=score, rotation=rotation, skew=angle,
                     matrix=matrix)


def _scale_matrix(width: int, target: int) -> np.ndarray:
    s = target / width
    return np.diag([s, s, 1.0])


# --- unwarping, rotation and skew ----------------------------------------------------------------
def unwarp(rgb: np.ndarray, quad: np.ndarray) -> np.ndarray:
    return unwarp_with_matrix(rgb, quad)[0]


def unwarp_with_matrix(rgb: np.ndarray, quad: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    width, height = _quad_size(quad)
    if width >= height:
        out_w, out_h = CARD_WIDTH, int(round(CARD_WIDTH * height / width))
    else:
        out_w, out_h = int(round(CARD_WIDTH * width / height)), CARD_WIDTH
    target = np.array([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    card = cv2.warpPerspective(rgb, matrix, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return card, matrix


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
    if abs(angle) < DESKEW_FROM:
        return rgb
    h, w = rgb.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(rgb, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
