"""One synthetic certificate: values, both sides drawn and captured, and the truth of each side.

`generate_card(seed, index)` depends only on its two arguments (and the installed fonts): every
random choice comes from generators seeded with (seed, index, side), never from a shared stream,
so card 17 is the same whether it is made alone or as part of a set of 200.

The truth of a side is read from what was drawn: the text placed for each field, white space
collapsed, with the field conventions of card-formats.md (dates dd/mm/yyyy, `id` digits only,
absent rows ""). Derived codes and official unit names come from the chosen administrative units.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from services.domain.canonical import clean_text, parse_date
from services.domain.schema import SIDE_FIELDS, FieldKind, Side, VehicleKind
from tools.synth.capture import CONDITIONS, DEFAULT_MIX, Captured, capture
from tools.synth.fonts import choose_font_set
from tools.synth.layout import LAYOUTS, CardStyle, choose_style
from tools.synth.render import Box, FlatSide, render_side
from tools.synth.values import CardValues, invent_values

KINDS = (VehicleKind.CAR, VehicleKind.MOTORBIKE)
SIDES = (Side.FRONT, Side.BACK)


@dataclass
class SideImage:
    side: Side
    image: bytes  # the encoded upload (JPEG or PNG)
    extension: str
    image_size: tuple[int, int]
    card_size: tuple[int, int]  # the flat card, before capture
    corners: list[list[float]]  # TL, TR, BR, BL of the card in image pixels
    truth: dict[str, str]
    boxes: dict[str, Box]  # each field's value on the flat card: x, y, width, height
    label_boxes: dict[str, Box]
    glyphs: dict[str, str]  # font file -> every character drawn with it
    capture: dict[str, Any]
    flat: Optional[FlatSide] = None  # kept only when asked (tests)


@dataclass
class Card:
    card_id: str
    seed: int
    index: int
    kind: VehicleKind
    layout: str
    fonts: dict[str, str]
    condition: str
    base_condition: str
    rotation: int
    values: CardValues
    style: CardStyle
    sides: dict[Side, SideImage] = field(default_factory=dict)

    def file_name(self, side: Side) -> str:
        return f"{self.card_id}_{side.value}.{self.sides[side].extension}"

    def record(self) -> dict[str, Any]:
        """The card's line of truth.jsonl."""
        return {
            "card_id": self.card_id,
            "seed": self.seed,
            "index": self.index,
            "kind": self.kind.value,
            "layout": self.layout,
            # Only the alt family says so: standard sets stay byte for byte what they were.
            **({"family": self.style.family} if self.style.family != "standard" else {}),
            "fonts": {**self.fonts, "files": sorted({path for s in self.sides.values() for path in s.glyphs})},
            "condition": self.condition,
            "base_condition": self.base_condition,
            "rotation": self.rotation,
            "sides": {
                side.value: {
                    "file": self.file_name(side),
                    "truth": image.truth,
                    "image_size": list(image.image_size),
                    "card_size": list(image.card_size),
                    "corners": image.corners,
                    "boxes": {name: list(box) for name, box in image.boxes.items()},
                    "label_boxes": {name: list(box) for name, box in image.label_boxes.items()},
                    "capture": image.capture,
                }
                for side, image in self.sides.items()
            },
        }


def card_rng(seed: int, index: int, salt: str = "") -> random.Random:
    # String seeds are hashed with SHA-512 by `random`: stable across runs and Python builds.
    return random.Random(f"vr-synth:{seed}:{index}:{salt}")


def card_np_rng(seed: int, index: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(index), int(salt)])


def choose_condition(rng: random.Random, mix: Optional[dict[str, float]] = None) -> str:
    mix = mix or DEFAULT_MIX
    names = [c for c in CONDITIONS if mix.get(c, 0) > 0]
    return rng.choices(names, weights=[mix[c] for c in names])[0]


def generate_card(seed: int, index: int, *, condition: Optional[str] = None, kind: Optional[VehicleKind | str] = None,
                  layout: Optional[str] = None, sides: Sequence[Side] = SIDES, keep_flat: bool = False,
                  mix: Optional[dict[str, float]] = None, fonts: str = "curated", family: str = "standard") -> Card:
    """Invent, draw and capture card `index` of the set made with `seed`.

    `condition` ("scan", "photo", "hard", "rotated"), `kind` and `layout` ("two_column",
    "one_column") override the random choice; `fonts` is the font pool (`curated`, `training`,
    `heldout`: see `tools.synth.fonts`); `family` the layout family (`standard`, or `alt`: kept
    out of development, see `tools.synth.layout.FAMILIES`); `keep_flat` keeps the flat renders.
    """
    rng = card_rng(seed, index)
    # Every choice is drawn whether or not it is overridden, so an override changes nothing else.
    drawn_condition = choose_condition(rng, mix)
    drawn_kind = rng.choice(KINDS)
    drawn_base = rng.choice(("scan", "photo"))
    drawn_rotation = rng.choice((90, 180, 270))
    chosen_condition = condition or drawn_condition
    if chosen_condition not in CONDITIONS:
        raise ValueError(f"unknown condition {chosen_condition!r}")
    chosen_kind = VehicleKind(kind) if kind else drawn_kind
    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {LAYOUTS}")
    base_condition, rotation = chosen_condition, 0
    if chosen_condition == "rotated":
        base_condition, rotation = drawn_base, drawn_rotation
    values = invent_values(card_rng(seed, index, "values"), chosen_kind)
    style_rng = card_rng(seed, index, "style")
    style = choose_style(style_rng, choose_font_set(style_rng, pool=fonts), chosen_kind, layout, family)
    card = Card(card_id=f"s{seed}-{index:04d}", seed=seed, index=index, kind=chosen_kind, layout=style.layout,
                fonts=style.fonts.families, condition=chosen_condition, base_condition=base_condition,
                rotation=rotation, values=values, style=style)
    for side in sides:
        salt = SIDES.index(side)
        flat = render_side(values, style, side, card_rng(seed, index, f"render-{side.value}"),
                           card_np_rng(seed, index, 10 + salt))
        shot: Captured = capture(np.asarray(flat.image), flat.mask, chosen_condition, card_np_rng(seed, index, 20 + salt),
                                 base_condition=base_condition, rotation=rotation)
        card.sides[side] = SideImage(
            side=side,
            image=shot.encoded,
            extension=shot.extension,
            image_size=shot.size,
            card_size=flat.size,
            corners=shot.corners,
            truth=side_truth(flat, values, side),
            boxes=flat.boxes(),
            label_boxes=flat.label_boxes(),
            glyphs={path: "".join(sorted(chars)) for path, chars in flat.glyphs.items()},
            capture=shot.params,
            flat=flat if keep_flat else None,
        )
    return card


def side_truth(flat: FlatSide, values: CardValues, side: Side) -> dict[str, str]:
    """Every field of the side, as drawn on it."""
    truth: dict[str, str] = {}
    for spec in SIDE_FIELDS[side]:
        if spec.derived:
            continue
        drawn = clean_text(" ".join(item.text for item in flat.layout.field_items(spec.name)))
        if spec.kind == FieldKind.DATE and drawn:
            expected = values.first_issue if spec.name == "first_issue_date" else values.last_issue
            if parse_date(drawn) != expected:  # the drawing and the values disagree: a generator bug
                raise AssertionError(f"{spec.name} drawn as {drawn!r} but meant {expected}")
            drawn = expected.strftime("%d/%m/%Y")
        elif spec.kind == FieldKind.DIGITS:
            drawn = "".join(ch for ch in drawn if ch.isdigit())
        truth[spec.name] = drawn
    if side == Side.BACK:
        address = values.address
        truth.update(
            address_town_code=address.province.code,
            address_district_code=address.district.code,
            address_ward_code=address.ward.code,
            address_town=address.province.name,
            address_district=address.district.name,
            address_ward=address.ward.name,
            issued_at_code=values.issuer_province.code,
        )
    return {spec.name: truth.get(spec.name, "") for spec in SIDE_FIELDS[side]}
