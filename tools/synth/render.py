"""Drawing one flat side of a certificate: paper, pre-printed labels, typed values, seal, signature.

The flat card is what a perfect scanner would see, in card pixels; `capture` then photographs it.
Every text is checked against its font's glyphs before it is drawn (`fonts.require_glyphs`), and
the characters drawn per font are returned so tests can check coverage independently.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageDraw

from services.domain.schema import Side
from tools.synth import textures
from tools.synth.fonts import load_font, require_glyphs
from tools.synth.layout import CardStyle, Placed, SealSpec, SideLayout, SignatureSpec, layout_side
from tools.synth.values import CardValues

Box = tuple[int, int, int, int]  # x, y, width, height on the flat card


@dataclass
class FlatSide:
    side: Side
    image: Image.Image  # RGB, the card only
    mask: np.ndarray  # uint8, 255 inside the card's rounded outline
    layout: SideLayout
    glyphs: dict[str, set[str]] = field(default_factory=dict)  # font file -> characters drawn with it

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size

    def boxes(self) -> dict[str, Box]:
        """Each field's value: the union of the boxes of the texts placed for it."""
        return _union_boxes(self.layout.items, lambda item: item.field, self.image.size)

    def label_boxes(self) -> dict[str, Box]:
        return _union_boxes(self.layout.items, lambda item: item.label_of, self.image.size)


def _union_boxes(items, key, size) -> dict[str, Box]:
    found: dict[str, list[float]] = {}
    for item in items:
        name = key(item)
        if not name:
            continue
        x0, y0, x1, y1 = item.box
        if name in found:
            b = found[name]
            found[name] = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]
        else:
            found[name] = [x0, y0, x1, y1]
    width, height = size
    out: dict[str, Box] = {}
    for name, (x0, y0, x1, y1) in found.items():
        x0, y0 = max(0, math.floor(x0)), max(0, math.floor(y0))
        x1, y1 = min(width, math.ceil(x1)), min(height, math.ceil(y1))
        out[name] = (x0, y0, x1 - x0, y1 - y0)
    return out


def render_side(values: CardValues, style: CardStyle, side: Side, rng: random.Random,
                nprng: np.random.Generator) -> FlatSide:
    """Lay out and draw one side of the card."""
    return draw_layout(layout_side(side, values, style, rng), style, rng, nprng)


def draw_layout(layout: SideLayout, style: CardStyle, rng: random.Random, nprng: np.random.Generator) -> FlatSide:
    """Draw a laid-out side: paper, emblem, frame, leaders and rules, texts, seal and signature."""
    side = layout.side
    W, H = layout.width, layout.height
    paper = textures.card_background(nprng, W, H)
    emblem = textures.emblem_mask(nprng, W, H)
    emblem_colour = np.array([235, 150, 120], dtype=np.float32) if rng.random() < 0.6 else np.array(
        [150, 180, 220], dtype=np.float32)
    alpha = rng.uniform(0.10, 0.22)
    weight = (alpha * emblem)[..., None]
    paper += weight * (emblem_colour - paper)
    _frame(paper, rng, style)
    image = Image.fromarray(paper.clip(0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    glyphs: dict[str, set[str]] = {}

    for x0, x1, y, colour in layout.leaders:
        step = max(4.0, style.label_size * 0.3)
        x = x0
        while x < x1:
            draw.ellipse((x, y - 1.5, x + 1.6, y + 0.1), fill=colour)
            x += step
    for x0, y0, x1, y1, colour in layout.rules:
        draw.line((x0, y0, x1, y1), fill=colour, width=max(1, int(style.label_size / 14)))
    for item in layout.items:
        _draw_text(draw, item, rng, glyphs)

    overlay = np.zeros((H, W), dtype=np.float32)
    if layout.seal is not None:
        _seal(overlay, layout.seal, style, rng, nprng, glyphs)
    if layout.signature is not None:
        _signature(overlay, layout.signature, rng)
    red = np.array(style.red, dtype=np.float32) / 255.0
    strength = rng.uniform(0.7, 0.95)
    pixels = np.asarray(image, dtype=np.float32)
    rows, cols = np.nonzero(overlay.any(axis=1))[0], np.nonzero(overlay.any(axis=0))[0]
    if rows.size:  # red ink multiplies what is under it, so dark print stays readable through it
        y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        ink = overlay[y0:y1, x0:x1, None]
        pixels[y0:y1, x0:x1] *= 1.0 - strength * ink * (1.0 - red[None, None, :])
    pixels += 2.0 * nprng.standard_normal((H, W, 1), dtype=np.float32)
    np.clip(pixels, 0, 255, out=pixels)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")

    mask = np.zeros((H, W), dtype=np.uint8)
    radius = int(W * rng.uniform(0.015, 0.04))
    cv2.rectangle(mask, (radius, 0), (W - 1 - radius, H - 1), 255, -1)
    cv2.rectangle(mask, (0, radius), (W - 1, H - 1 - radius), 255, -1)
    for cx, cy in ((radius, radius), (W - 1 - radius, radius), (radius, H - 1 - radius), (W - 1 - radius, H - 1 - radius)):
        cv2.circle(mask, (cx, cy), radius, 255, -1, cv2.LINE_AA)
    return FlatSide(side=side, image=image, mask=mask, layout=layout, glyphs=glyphs)


def _frame(paper: np.ndarray, rng: random.Random, style: CardStyle) -> None:
    """A printed double frame near the edge, as on security forms."""
    if rng.random() < 0.3:
        return
    H, W = paper.shape[:2]
    inset = int(min(W, H) * rng.uniform(0.012, 0.025))
    colour = tuple(float(c) * 0.75 for c in paper[H // 2, inset + 2])
    thickness = max(2, int(W / 500))
    cv2.rectangle(paper, (inset, inset), (W - inset, H - inset), colour, thickness, cv2.LINE_AA)
    gap = int(inset * 0.6) + thickness
    cv2.rectangle(paper, (inset + gap, inset + gap), (W - inset - gap, H - inset - gap), colour, 1, cv2.LINE_AA)


def _draw_text(draw: ImageDraw.ImageDraw, item: Placed, rng: random.Random, glyphs: dict[str, set[str]]) -> None:
    require_glyphs(item.face, item.text)
    glyphs.setdefault(item.face.path, set()).update(ch for ch in item.text if not ch.isspace())
    font = load_font(item.face.path, item.size)
    if not item.jitter:
        draw.text((item.x, item.y), item.text, font=font, fill=item.color, anchor="ls",
                  stroke_width=item.stroke, stroke_fill=item.color)
        return
    # A typewriter or dot-matrix head: each character a little off the line, ink uneven.
    x = item.x
    for ch in item.text:
        if not ch.isspace():
            fade = rng.randint(0, 55)
            colour = tuple(min(255, c + fade) for c in item.color)
            draw.text((x + rng.uniform(-0.6, 0.6), item.y + rng.uniform(-1.5, 1.5)), ch, font=font, fill=colour,
                      anchor="ls", stroke_width=item.stroke, stroke_fill=colour)
        x += font.getlength(ch)


def _seal(overlay: np.ndarray, seal: SealSpec, style: CardStyle, rng: random.Random, nprng: np.random.Generator,
          glyphs: dict[str, set[str]]) -> None:
    """A round red stamp: two rings, the unit's name around, a star in the middle."""
    H, W = overlay.shape
    r = seal.radius
    size = int(2 * r + 8)
    stamp = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(stamp)
    c = size / 2
    ring = max(2, int(r * 0.045))
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=ring)
    inner = r * 0.7
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=255, width=max(1, ring // 2))
    star = []
    for k in range(10):
        angle = -math.pi / 2 + math.pi * k / 5
        rr = inner * (0.42 if k % 2 == 0 else 0.17)
        star.append((c + math.cos(angle) * rr, c + math.sin(angle) * rr))
    draw.polygon(star, fill=255)
    face = style.fonts.label_bold
    text_size = max(8, int(r * 0.17))
    font = load_font(face.path, text_size)
    text_r = (r + inner) / 2
    for text, top in ((seal.ring_text, True), (seal.bottom_text, False)):
        if not text:
            continue
        require_glyphs(face, text)
        glyphs.setdefault(face.path, set()).update(ch for ch in text if not ch.isspace())
        span = min(math.radians(230 if top else 100), (len(text) + 1) * text_size * 0.62 / text_r)
        for i, ch in enumerate(text):
            t = (i + 0.5) / len(text)
            angle = (-math.pi / 2 - span / 2 + t * span) if top else (math.pi / 2 + span / 2 - t * span)
            glyph = Image.new("L", (text_size * 2, text_size * 2), 0)
            ImageDraw.Draw(glyph).text((text_size, text_size), ch, font=font, fill=255, anchor="mm")
            rotation = -math.degrees(angle + math.pi / 2) if top else -math.degrees(angle - math.pi / 2)
            glyph = glyph.rotate(rotation, resample=Image.BILINEAR)
            gx, gy = c + math.cos(angle) * text_r - text_size, c + math.sin(angle) * text_r - text_size
            stamp.paste(255, (int(gx), int(gy)), glyph)
    mark = np.asarray(stamp, dtype=np.float32) / 255.0
    # Stamps print unevenly: patchy ink.
    ink = 0.55 + 0.45 * textures.smooth_noise(nprng, size, size, 6)
    mark = mark * ink
    angle = rng.uniform(-25, 25)
    rot = cv2.getRotationMatrix2D((size / 2, size / 2), angle, 1.0)
    mark = cv2.warpAffine(mark, rot, (size, size))
    x0, y0 = int(seal.cx - size / 2), int(seal.cy - size / 2)
    _add(overlay, mark, x0, y0)


def _signature(overlay: np.ndarray, sig: SignatureSpec, rng: random.Random) -> None:
    """A quick pen flourish across the signature space."""
    H, W = overlay.shape
    # Drawn in a window around the signature space, not on a whole-card layer.
    pad = 40
    ox, oy = max(0, int(sig.x0) - pad), max(0, int(sig.y0) - pad)
    ex, ey = min(W, int(sig.x1) + pad), min(H, int(sig.y1) + pad)
    if ex <= ox or ey <= oy:
        return
    layer = Image.new("L", (ex - ox, ey - oy), 0)
    draw = ImageDraw.Draw(layer)
    points = []
    n = rng.randint(5, 9)
    for i in range(n):
        t = i / (n - 1)
        points.append((sig.x0 + t * (sig.x1 - sig.x0) + rng.uniform(-15, 15),
                       sig.y0 + rng.uniform(0.1, 0.9) * (sig.y1 - sig.y0)))
    smooth = []
    for i in range(len(points) - 1):
        (xa, ya), (xb, yb) = points[i], points[i + 1]
        for k in range(8):
            t = k / 8
            wobble = math.sin(t * math.pi) * rng.uniform(-12, 12)
            smooth.append((xa + (xb - xa) * t, ya + (yb - ya) * t + wobble))
    width = rng.randint(2, 4)
    draw.line([(x - ox, y - oy) for x, y in smooth], fill=255, width=width, joint="curve")
    y = sig.y1 - rng.uniform(0, 0.3) * (sig.y1 - sig.y0)
    draw.line((sig.x0 + 10 - ox, y - oy, sig.x1 - rng.uniform(0, 60) - ox, y - rng.uniform(-10, 10) - oy), fill=255,
              width=max(1, width - 1))
    _add(overlay, np.asarray(layer, dtype=np.float32) / 255.0, ox, oy)


def _add(overlay: np.ndarray, mark: np.ndarray, x0: int, y0: int) -> None:
    H, W = overlay.shape
    h, w = mark.shape
    xa, ya = max(0, x0), max(0, y0)
    xb, yb = min(W, x0 + w), min(H, y0 + h)
    if xa >= xb or ya >= yb:
        return
    region = overlay[ya:yb, xa:xb]
    np.maximum(region, mark[ya - y0:yb - y0, xa - x0:xb - x0], out=region)
