"""Sheets of random text drawn like a card: the card's paper, emblem and frame, lines of random
Vietnamese syllables, serials, numbers and glosses in random families of a font pool (upright,
italic, bold, typed with a wobbling head now and then), the red seal and signature over some of
them; then captured and aligned like a card, and cut into lines like a card's texts."""

from __future__ import annotations

import random
from typing import Iterator, Sequence

import numpy as np

from services.core.images import decode
from services.domain.schema import Side, VehicleKind
from services.extraction import align
from services.extraction.charset import covered, normalise
from services.extraction.cleanup import clean
from services.extraction.prepare import ocr_gray
from tools.synth.capture import capture
from tools.synth.fonts import choose_font_set, label_faces, load_font, pool_families, value_faces
from tools.synth.layout import Placed, Role, SealSpec, SideLayout, SignatureSpec, choose_style
from tools.synth.render import draw_layout
from tools.train_recognizer.lines import MAX_CORNER_ERROR, Line, _box, _cut, alignment_error, card_to_aligned
from tools.train_recognizer.texts import random_text, syllable


def _faces(pool: str, family: str, mono: bool):
    if mono:
        regular, bold = value_faces(family) if pool == "curated" else _pool_value(pool, family)
        return regular, regular, bold
    return label_faces(family) if pool == "curated" else _pool_label(pool, family)


def _pool_label(pool: str, family: str):
    from tools.synth.fonts import _pool

    return _pool(pool).label[family]


def _pool_value(pool: str, family: str):
    from tools.synth.fonts import _pool

    return _pool(pool).value[family]


def sheet_layout(rng: random.Random, pool: str) -> tuple[SideLayout, object]:
    style = choose_style(rng, choose_font_set(rng, pool=pool), VehicleKind.CAR)
    layout = SideLayout(side=Side.BACK, width=style.width, height=style.height)
    labels, values = pool_families(pool)
    y = style.height * rng.uniform(0.06, 0.12)
    while y < style.height * 0.93:
        size = int(style.label_size * rng.uniform(0.8, 1.7))
        y += size * rng.uniform(1.2, 1.9)
        x = style.width * rng.uniform(0.03, 0.12)
        for _ in range(rng.randint(1, 3)):
            mono = rng.random() < 0.5
            family = rng.choice(values if mono else labels)
            regular, italic, bold = _faces(pool, family, mono)
            face = rng.choices((regular, italic, bold), weights=(0.65, 0.15, 0.2))[0]
            text = random_text(rng)
            font = load_font(face.path, size)
            x0, y0, x1, y1 = font.getbbox(text, anchor="ls")
            if x + x1 > style.width * 0.97:
                break
            stroke = max(1, size // 22) if face.fake_bold else 0
            role = Role.VALUE if mono else rng.choice((Role.LABEL, Role.LABEL_EN, Role.HEADING))
            jitter = mono and rng.random() < 0.25
            colour = style.value_color if mono else style.label_color
            layout.items.append(Placed(text=text, role=role, face=face, size=size, x=x, y=y, color=colour,
                                       box=(x + x0 - stroke, y + y0 - stroke - (2 if jitter else 0),
                                            x + x1 + stroke, y + y1 + stroke + (2 if jitter else 0)),
                                       stroke=stroke, jitter=jitter))
            x += x1 + size * rng.uniform(0.8, 4.0)
        if rng.random() < 0.2:
            layout.leaders.append((x, style.width * 0.95, y, style.label_color))
    if rng.random() < 0.6:
        radius = style.height * rng.uniform(0.12, 0.17)
        layout.seal = SealSpec(cx=style.width * rng.uniform(0.2, 0.85), cy=style.height * rng.uniform(0.3, 0.85),
                               radius=radius, ring_text=" ".join(syllable(rng).upper() for _ in range(5)),
                               bottom_text=syllable(rng).upper())
    if rng.random() < 0.6:
        x0, y0 = style.width * rng.uniform(0.1, 0.6), style.height * rng.uniform(0.2, 0.8)
        layout.signature = SignatureSpec(x0=x0, y0=y0, x1=x0 + style.width * rng.uniform(0.15, 0.3),
                                         y1=y0 + style.height * rng.uniform(0.06, 0.12))
    return layout, style


def sheet_lines(seed: int, index: int, *, pool: str = "training",
                conditions: Sequence[str] = ("scan", "photo", "hard")) -> Iterator[Line]:
    rng = random.Random(f"sheet-{seed}-{index}")
    nprng = np.random.default_rng([seed & 0xFFFFFFFF, index, 7])
    layout, style = sheet_layout(rng, pool)
    flat = draw_layout(layout, style, rng, nprng)
    condition = rng.choice(list(conditions))
    shot = capture(np.asarray(flat.image), flat.mask, condition, nprng)
    rgb, _meta = decode(shot.encoded)
    alignment = align.align_card(rgb)
    matrix = card_to_aligned(flat.size, shot.corners, alignment)
    if alignment_error(flat.size, matrix, alignment.image.shape) > MAX_CORNER_ERROR:
        return
    gray = clean(ocr_gray(alignment.image))
    for item in layout.items:
        text = normalise(item.text)
        if not text or not covered(text):
            continue
        crop = _cut(gray, _box(item, rng.random() < 0.5), matrix, rng)
        if crop is not None:
            yield Line(crop, text, "sheet", "", condition, item.face.family)
