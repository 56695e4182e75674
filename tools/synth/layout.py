"""Where every word of a certificate side goes: rows of labels and values, fitted to the card.

A side is a list of rows (two cells side by side, one full-width cell, a header, a title, and a
bottom band with the signature block). A cell is a run of segments (label, English label, value)
set left to right; a long value wraps at its commas onto the next line, as addresses do on real
cards. Sizes shrink or spacing grows until the rows fill the card. The output is a flat list of
placed texts with their boxes, which `render` draws and from which the truth is read: the truth
of a field is exactly the text placed for it.

What varies per card (`CardStyle`): fonts, one or two columns, label wording and abbreviations,
English on or off, colons, dotted leaders, tab-aligned values, values below their label,
a value layer printed slightly off the pre-printed form, typewriter jitter, sizes and spacing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Optional, Sequence

from PIL import ImageFont

from services.domain.schema import Side, VehicleKind
from tools.synth.fonts import FontFace, FontSet, load_font
from tools.synth.values import CardValues

Color = tuple[int, int, int]


class Role(str, Enum):
    LABEL = "label"  # pre-printed Vietnamese label
    LABEL_EN = "label_en"  # pre-printed English, italic
    HEADING = "heading"  # pre-printed bold: national header, title
    VALUE = "value"  # typed value
    VALUE_BOLD = "value_bold"  # the plate
    STAMP = "stamp"  # red: signer's title, rank and name


@dataclass(frozen=True)
class Seg:
    text: str
    role: Role
    field: Optional[str] = None  # the truth field this text belongs to
    label_of: Optional[str] = None  # for labels: the field they introduce
    scale: float = 1.0
    wrap: str = ""  # "," wraps after commas, " " after spaces; "" never wraps (shrinks instead)
    newline: bool = False  # start on a new line (a value printed below its label)
    gap: float = 0.4  # space before, in label ems
    leader: bool = False  # dotted leader from here to the end of the cell (pre-printed forms)


@dataclass(frozen=True)
class Placed:
    text: str
    role: Role
    face: FontFace
    size: int
    x: float  # left of the text's origin
    y: float  # baseline
    color: Color
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the ink
    field: Optional[str] = None
    label_of: Optional[str] = None
    stroke: int = 0  # emboldening of faces without a bold file
    jitter: bool = False  # typed character by character, each a little off the line


@dataclass(frozen=True)
class SealSpec:
    cx: float
    cy: float
    radius: float
    ring_text: str  # upper-case unit name around the ring
    bottom_text: str


@dataclass(frozen=True)
class SignatureSpec:
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class SideLayout:
    side: Side
    width: int
    height: int
    items: list[Placed] = field(default_factory=list)
    leaders: list[tuple[float, float, float, Color]] = field(default_factory=list)  # x0, x1, y, colour
    rules: list[tuple[float, float, float, float, Color]] = field(default_factory=list)
    seal: Optional[SealSpec] = None
    signature: Optional[SignatureSpec] = None

    def field_items(self, name: str) -> list[Placed]:
        return [item for item in self.items if item.field == name]


# ---- per-card style -------------------------------------------------------------------------

LAYOUTS = ("two_column", "one_column")
# Layout families. `standard` is what every development and evaluation set so far was drawn
# with; `alt` is kept out of development and used only to measure: other label wordings and
# abbreviations, glosses mostly missing, every value on the line below its label, the plate and
# first-registration rows at the top, the date line at the top right, the signature block and
# seal on the left, narrower or wider cards.
FAMILIES = ("standard", "alt")


@dataclass(frozen=True)
class CardStyle:
    layout: str
    fonts: FontSet
    width: int
    height: int
    english: bool
    colon: bool
    leaders: bool
    tab_align: bool
    value_below: bool  # the address (and a long owner name) below its label
    value_offset: tuple[float, float]  # the typed layer off the pre-printed form, px
    jitter: bool
    label_color: Color
    value_color: Color
    red: Color
    label_size: float  # px at the flat card's resolution
    value_scale: float
    plate_scale: float
    line_factor: float
    split: float  # two columns: where the right column starts, as a share of the width
    variant: dict[str, int]  # label wording per row key
    issuer_caps: bool  # issuing unit printed in capitals (header / signature block) or as a row
    front_header: str  # "split": unit top-left and national motto top-right; "centered"
    model_row: bool  # cars: a "Số loại" row besides "Loại xe"
    extra_id_row: bool  # the owner's ID number row (a distractor for the certificate number)
    origin_row: bool
    hoa_spelling: str  # "hoá" (old tone placement) or "hóa"
    family: str = "standard"
    all_below: bool = False  # every value on the line below its label
    plate_first: bool = False  # plate and first registration at the top of the detail side
    date_on_top: bool = False  # "<Place>, ngày .. tháng .. năm .." at the top right
    band_mirror: bool = False  # signature block and seal on the left, the band's rows on the right


def choose_style(rng: random.Random, fonts: FontSet, kind: VehicleKind, layout: Optional[str] = None,
                 family: str = "standard") -> CardStyle:
    if family not in FAMILIES:
        raise ValueError(f"unknown layout family {family!r}; expected one of {FAMILIES}")
    style = _standard_style(rng, fonts, kind, layout)
    if family == "standard":
        return style
    # Drawn after the standard style's choices, so that a standard card never changes.
    height = int(round(style.width / (rng.uniform(1.26, 1.34) if rng.random() < 0.5 else rng.uniform(1.56, 1.66))))
    return replace(
        style, family="alt", height=height, label_size=height * rng.uniform(0.024, 0.03),
        english=rng.random() < 0.3, all_below=rng.random() < 0.6, plate_first=rng.random() < 0.6,
        date_on_top=rng.random() < 0.5, band_mirror=rng.random() < 0.5, leaders=False, tab_align=False,
        variant={key: rng.randrange(len(options)) for key, options in ALT_LABELS.items()},
    )


def _standard_style(rng: random.Random, fonts: FontSet, kind: VehicleKind, layout: Optional[str]) -> CardStyle:
    width = rng.randrange(1400, 1641, 2)
    height = int(round(width / rng.uniform(1.40, 1.44)))
    form = rng.random() < 0.55  # a pre-printed form filled by a printer
    ink = rng.randint(10, 45)
    navy = rng.random() < 0.6
    drawn_layout = rng.choices(LAYOUTS, weights=(60, 40))[0]  # drawn even when overridden
    return CardStyle(
        layout=layout or drawn_layout,
        fonts=fonts,
        width=width,
        height=height,
        english=rng.random() < 0.8,
        colon=rng.random() < 0.8,
        leaders=form and rng.random() < 0.6,
        tab_align=rng.random() < 0.45,
        value_below=rng.random() < 0.2,
        value_offset=(rng.uniform(-10, 10), rng.uniform(-6, 5)) if form else (0.0, 0.0),
        jitter=form and rng.random() < 0.5,
        label_color=(rng.randint(15, 40), rng.randint(25, 55), rng.randint(90, 130)) if navy
        else (rng.randint(20, 50),) * 3,
        value_color=(ink, ink, ink + rng.randint(0, 15)),
        red=(rng.randint(185, 225), rng.randint(20, 60), rng.randint(30, 70)),
        label_size=height * rng.uniform(0.022, 0.028),
        value_scale=rng.uniform(0.95, 1.15),
        plate_scale=rng.uniform(1.3, 1.7),
        line_factor=rng.uniform(1.45, 1.8),
        split=rng.uniform(0.54, 0.61),
        variant={key: rng.randrange(len(options)) for key, options in LABELS.items()},
        issuer_caps=rng.random() < 0.6,
        front_header=rng.choice(("split", "centered")),
        model_row=kind == VehicleKind.MOTORBIKE or rng.random() < 0.5,
        extra_id_row=rng.random() < 0.25,
        origin_row=rng.random() < 0.2,
        hoa_spelling=rng.choice(("hoá", "hóa")),
    )


# Label wordings per row: (Vietnamese, English or None).
LABELS: dict[str, tuple[tuple[str, Optional[str]], ...]] = {
    "name": (("Tên chủ xe", "Owner's full name"), ("Tên chủ xe", "Owner's full name"), ("Tên chủ xe", None),
             ("Họ tên chủ xe", "Owner's full name"), ("Chủ xe", "Owner")),
    "address": (("Địa chỉ", "Address"), ("Địa chỉ", "Address"), ("Địa chỉ thường trú", "Address"),
                ("Địa chỉ", None)),
    "brand": (("Nhãn hiệu", "Brand"), ("Nhãn hiệu", None), ("Nhãn hiệu xe", "Brand")),
    "model": (("Số loại", "Model code"), ("Số loại", "Model"), ("Số loại", None)),
    "type": (("Loại xe", "Type"), ("Loại xe", None)),
    "color": (("Màu sơn", "Color"), ("Màu sơn", "Colour"), ("Màu sơn", None)),
    "year": (("Năm sản xuất", "Year of manufacture"), ("Năm sản xuất", None), ("Năm SX", None)),
    "engine": (("Số máy", "Engine N°"), ("Số máy", None), ("Số động cơ", "Engine N°"), ("Số máy", "Engine No")),
    "chassis": (("Số khung", "Chassis N°"), ("Số khung", None), ("Số khung", "Chassis No")),
    "engine_name": (("Tên động cơ", "B. of E."), ("Nhãn hiệu động cơ", None)),
    "capacity": (("Dung tích", "Capacity"), ("Dung tích xi lanh", "Capacity"), ("Dung tích", None)),
    "power": (("Công suất", "Horsepower"), ("Công suất", None)),
    "weight": (("Tự trọng", "Empty weight"), ("Khối lượng bản thân", None)),
    "plate": (("Biển số đăng ký", "N° Plate"), ("Biển số", None), ("Biển kiểm soát", "N° Plate"),
              ("Biển số đăng ký", "Plate N°")),
    "first": (("Đăng ký lần đầu ngày", "Date of first registration"), ("Đăng ký lần đầu", None),
              ("Ngày đăng ký lần đầu", None)),
    "valid": (("Đăng ký xe có giá trị đến", "Valid until"), ("Đăng ký xe có giá trị đến", None)),
    "issued_by": (("Nơi đăng ký", "Registered at"), ("Cơ quan đăng ký", "Registration office"),
                  ("Cơ quan cấp", None)),
    "id_no": (("Số CMND/Hộ chiếu", "ID card/Passport N°"), ("Số CCCD/CMND", None),
              ("Số định danh cá nhân", None)),
    "origin": (("Nguồn gốc", "Origin"), ("Nguồn gốc xe", None)),
    "number": (("Số", "N°"), ("Số", None)),
}
# The alt family's wordings and abbreviations (every key of LABELS).
ALT_LABELS: dict[str, tuple[tuple[str, Optional[str]], ...]] = {
    "name": (("Chủ phương tiện", None), ("Họ và tên chủ xe", "Owner"), ("Tên chủ sở hữu", None)),
    "address": (("Nơi thường trú", None), ("Địa chỉ thường trú", "Permanent address"), ("Đ/c", None)),
    "brand": (("Hiệu xe", None), ("Nhãn hiệu (hãng)", None)),
    "model": (("Kiểu loại", None), ("Số loại (kiểu)", None)),
    "type": (("Loại phương tiện", None),),
    "color": (("Màu", None), ("Màu xe", "Colour")),
    "year": (("Năm SX", None), ("Sản xuất năm", None)),
    "engine": (("SM", None), ("Số động cơ", None)),
    "chassis": (("SK", None), ("Số khung (VIN)", None)),
    "engine_name": (("Hiệu động cơ", None),),
    "capacity": (("Dung tích xi-lanh", None), ("DT xi lanh", None)),
    "power": (("Công suất tối đa", None),),
    "weight": (("Khối lượng bản thân", None),),
    "plate": (("BKS", None), ("Biển số xe", None), ("Biển số", "Plate")),
    "first": (("Ngày ĐK lần đầu", None), ("Ngày đăng ký lần đầu", None)),
    "valid": (("Hạn đăng ký", None), ("Có giá trị đến", None)),
    "issued_by": (("Đơn vị đăng ký", None), ("Nơi cấp", None)),
    "id_no": (("CCCD/CMND", None),),
    "origin": (("Xuất xứ", None),),
    "number": (("Số", None), ("Số giấy", None)),
}


# ---- typesetting ----------------------------------------------------------------------------

class Typesetter:
    """Measures and places segments for one side at one size (the fitting loop makes several)."""

    def __init__(self, style: CardStyle, size_factor: float, spacing_factor: float) -> None:
        self.style = style
        self.label_size = style.label_size * size_factor
        self.line_factor = style.line_factor * spacing_factor
        self.items: list[Placed] = []
        self.leaders: list[tuple[float, float, float, Color]] = []
        self.rules: list[tuple[float, float, float, float, Color]] = []

    # -- fonts
    def face(self, role: Role) -> FontFace:
        fonts = self.style.fonts
        return {
            Role.LABEL: fonts.label,
            Role.LABEL_EN: fonts.label_italic,
            Role.HEADING: fonts.label_bold,
            Role.VALUE: fonts.value,
            Role.VALUE_BOLD: fonts.value_bold,
            Role.STAMP: fonts.label_bold,
        }[role]

    def size(self, role: Role, scale: float = 1.0) -> int:
        base = self.label_size
        if role in (Role.VALUE, Role.VALUE_BOLD):
            base *= self.style.value_scale
        if role == Role.LABEL_EN:
            base *= 0.92
        return max(8, int(round(base * scale)))

    def font(self, role: Role, scale: float = 1.0) -> ImageFont.FreeTypeFont:
        return load_font(self.face(role).path, self.size(role, scale))

    def width(self, text: str, role: Role, scale: float = 1.0) -> float:
        return self.font(role, scale).getlength(text)

    def color(self, role: Role) -> Color:
        if role in (Role.VALUE, Role.VALUE_BOLD):
            return self.style.value_color
        if role == Role.STAMP:
            return self.style.red
        return self.style.label_color

    @property
    def em(self) -> float:
        return self.label_size

    def line_height(self, scale: float = 1.0) -> float:
        return self.label_size * self.style.value_scale * max(1.0, scale) * self.line_factor

    # -- placing
    def place(self, text: str, role: Role, x: float, y: float, scale: float = 1.0, *, field_name: Optional[str] = None,
              label_of: Optional[str] = None) -> Placed:
        typed = role in (Role.VALUE, Role.VALUE_BOLD)
        if typed:
            x += self.style.value_offset[0]
            y += self.style.value_offset[1]
        face = self.face(role)
        size = self.size(role, scale)
        font = load_font(face.path, size)
        x0, y0, x1, y1 = font.getbbox(text, anchor="ls")
        stroke = max(1, size // 22) if face.fake_bold else 0
        item = Placed(text=text, role=role, face=face, size=size, x=x, y=y, color=self.color(role),
                      box=(x + x0 - stroke, y + y0 - stroke - (2 if typed and self.style.jitter else 0),
                           x + x1 + stroke, y + y1 + stroke + (2 if typed and self.style.jitter else 0)),
                      field=field_name, label_of=label_of, stroke=stroke, jitter=typed and self.style.jitter)
        self.items.append(item)
        return item

    def set_cell(self, segs: Sequence[Seg], x0: float, x1: float, baseline: float, *, tab: Optional[float] = None,
                 indent: Optional[float] = None) -> int:
        """Set segments left to right from x0; returns the number of lines used."""
        indent_x = x0 + (indent if indent is not None else 1.2 * self.em)
        line_h = self.line_height(max((s.scale for s in segs), default=1.0))
        x, y, lines = x0, baseline, 1
        at_line_start = True
        for seg in segs:
            if seg.newline and not at_line_start:
                x, y, lines, at_line_start = indent_x, y + line_h, lines + 1, True
            start = x if at_line_start else x + seg.gap * self.em
            if seg.role in (Role.VALUE, Role.VALUE_BOLD) and tab is not None and not seg.newline and start < tab:
                start = tab
            width = self.width(seg.text, seg.role, seg.scale)
            if start + width <= x1:
                self.place(seg.text, seg.role, start, y, seg.scale, field_name=seg.field, label_of=seg.label_of)
                x, at_line_start = start + width, False
                if seg.leader:
                    self.leaders.append((x + 0.3 * self.em, x1, y, self.style.label_color))
                continue
            if seg.wrap:
                x, y, lines = self._wrap(seg, start, x1, y, lines, indent_x if tab is None else tab, line_h)
                at_line_start = False
                continue
            if not at_line_start and indent_x + width <= x1:
                x, y, lines = indent_x, y + line_h, lines + 1
                self.place(seg.text, seg.role, x, y, seg.scale, field_name=seg.field, label_of=seg.label_of)
                x, at_line_start = x + width, False
                continue
            room = max(x1 - start, 0.35 * width)
            shrunk = replace(seg, scale=seg.scale * max(0.55, room / width))
            self.place(shrunk.text, shrunk.role, start, y, shrunk.scale, field_name=seg.field, label_of=seg.label_of)
            x, at_line_start = start + self.width(shrunk.text, shrunk.role, shrunk.scale), False
        return lines

    def _wrap(self, seg: Seg, start: float, x1: float, y: float, lines: int, cont_x: float,
              line_h: float) -> tuple[float, float, int]:
        """Set a long value over several lines, breaking after its separators (and, for a piece
        longer than the column, at its spaces). The pieces joined with spaces give the value back."""
        units = _split_units(seg.text, seg.wrap)
        x = start
        piece = ""
        while units:
            candidate = piece + units[0] if piece else units[0].lstrip()
            if x + self.width(candidate.rstrip(), seg.role, seg.scale) <= x1:
                piece = candidate
                units.pop(0)
                continue
            if piece:  # the line is full: set it and go on below
                self.place(piece.rstrip(), seg.role, x, y, seg.scale, field_name=seg.field)
                x, y, lines, piece = cont_x, y + line_h, lines + 1, ""
                continue
            if x > cont_x + 1:  # not even one piece fits after the label: start below
                x, y, lines = cont_x, y + line_h, lines + 1
                continue
            words = _split_units(units[0].lstrip(), " ")
            if len(words) > 1:
                units[0:1] = words
                continue
            word = units.pop(0).strip()  # one word wider than the column: shrink it
            scale = seg.scale * max(0.5, (x1 - x) / max(1.0, self.width(word, seg.role, seg.scale)))
            self.place(word, seg.role, x, y, scale, field_name=seg.field)
            if units:
                x, y, lines = cont_x, y + line_h, lines + 1
            else:
                x += self.width(word, seg.role, scale)
        if piece:
            self.place(piece.rstrip(), seg.role, x, y, seg.scale, field_name=seg.field)
            x += self.width(piece.rstrip(), seg.role, seg.scale)
        return x, y, lines

    def centered(self, text: str, role: Role, cx: float, y: float, max_width: float, scale: float = 1.0, *,
                 field_name: Optional[str] = None, underline: bool = False) -> None:
        width = self.width(text, role, scale)
        if width > max_width:
            scale *= max_width / width
            width = self.width(text, role, scale)
        item = self.place(text, role, cx - width / 2, y, scale, field_name=field_name)
        if underline:
            third = width / 3
            y_rule = item.box[3] + 0.25 * self.em
            self.rules.append((cx - third / 2 if width > 6 * self.em else cx - width / 2, y_rule,
                               cx + third / 2 if width > 6 * self.em else cx + width / 2, y_rule,
                               self.style.label_color))


def _split_units(text: str, separator: str) -> list[str]:
    """'a, b, c' -> ['a,', ' b,', ' c']: wrap points after each separator, text unchanged when joined."""
    parts: list[str] = []
    current = ""
    for ch in text:
        current += ch
        if ch == separator.strip() and separator.strip():
            parts.append(current)
            current = ""
        elif separator == " " and ch == " ":
            parts.append(current[:-1])
            current = " "
    if current:
        parts.append(current)
    return [p for p in parts if p]


# ---- rows -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pair:
    left: tuple[Seg, ...]
    right: tuple[Seg, ...]


@dataclass(frozen=True)
class Full:
    segs: tuple[Seg, ...]
    align: str = "left"  # "left", "right" (from the middle), "center"


@dataclass(frozen=True)
class Header:
    kind: str  # "split" or "centered"
    unit_lines: tuple[str, ...]  # issuing unit in capitals (split header), "" when not printed here


@dataclass(frozen=True)
class Title:
    lines: tuple[tuple[str, Role, float], ...]


@dataclass(frozen=True)
class Band:
    left: tuple[tuple[Seg, ...], ...]
    date_line: tuple[Seg, ...]  # "<Place>, ngày .. tháng .. năm .." heading the signature block
    unit_caps: str  # issuing unit in capitals above the title ("" when printed elsewhere)
    title: tuple[str, ...]
    signer: str
    seal_text: str  # the unit's name around the seal


Row = Pair | Full | Header | Title | Band


class Labeller:
    """Label segments in the card's wording."""

    def __init__(self, style: CardStyle) -> None:
        self.style = style

    def label(self, key: str, field_name: Optional[str] = None, *, colon: Optional[bool] = None,
              leader: bool = False) -> list[Seg]:
        options = (ALT_LABELS if self.style.family == "alt" else LABELS)[key]
        vi, en = options[self.style.variant[key] % len(options)]
        colon = self.style.colon if colon is None else colon
        segs: list[Seg] = []
        if en and self.style.english:
            segs.append(Seg(vi, Role.LABEL, label_of=field_name))
            segs.append(Seg(f"({en})" + (":" if colon else ""), Role.LABEL_EN, label_of=field_name, gap=0.25,
                            leader=leader))
        else:
            segs.append(Seg(vi + (":" if colon else ""), Role.LABEL, label_of=field_name, leader=leader))
        return segs

    def row(self, key: str, value: str, field_name: Optional[str], *, wrap: str = "", below: bool = False,
            role: Role = Role.VALUE, scale: float = 1.0) -> tuple[Seg, ...]:
        below = below or (self.style.all_below and bool(value))
        segs = self.label(key, field_name, leader=self.style.leaders and not below)
        if value:
            segs.append(Seg(value, role, field=field_name, wrap=wrap, newline=below, scale=scale, gap=0.5))
        else:
            segs.append(Seg("..........", Role.LABEL, gap=0.5))
        return tuple(segs)


def _date_words(style: CardStyle, place: str, day: int, month: int, year: int, field_name: Optional[str],
                english: bool) -> tuple[Seg, ...]:
    """"Hà Nội, ngày (date) 08 tháng 01 năm 2009": place and numbers typed, words pre-printed."""
    segs = [Seg(place + ",", Role.VALUE, gap=0)]
    segs.append(Seg("ngày", Role.LABEL, field=field_name))
    if english:
        segs.append(Seg("(date)", Role.LABEL_EN, field=field_name, gap=0.25))
    segs += [
        Seg(f"{day:02d}", Role.VALUE, field=field_name),
        Seg("tháng", Role.LABEL, field=field_name),
        Seg(f"{month:02d}", Role.VALUE, field=field_name),
        Seg("năm", Role.LABEL, field=field_name),
        Seg(str(year), Role.VALUE, field=field_name),
    ]
    return tuple(segs)


def _first_date_text(rng: random.Random, values: CardValues) -> str:
    d = values.first_issue
    day = f"{d.day}" if rng.random() < 0.25 else f"{d.day:02d}"  # "5/06/2012" is seen on real cards
    return f"{day}/{d.month:02d}/{d.year}"


def back_rows(values: CardValues, style: CardStyle, rng: random.Random) -> list[Row]:
    lab = Labeller(style)
    v = values.vehicle
    car = values.kind == VehicleKind.CAR
    long_name = len(values.owner) > 28
    name = lab.row("name", values.owner, "name", wrap=" ", below=style.value_below and long_name)
    address = lab.row("address", values.address.text, "address", wrap=",", below=style.value_below)
    brand = lab.row("brand", v.brand, "brand")
    color = lab.row("color", _colour(rng, values), "color")
    capacity = lab.row("capacity", v.capacity, "capacity")
    engine = lab.row("engine", v.engine, "engine")
    chassis = lab.row("chassis", v.chassis, "chassis")
    left: list[tuple[Seg, ...]] = [name, address]
    right: list[tuple[Seg, ...]] = [engine, chassis]
    if style.extra_id_row:
        left.append(lab.row("id_no", values.national_id, None))
    if car:
        left.append(brand)
        if style.model_row:
            left.append(lab.row("model", v.model, "model"))
            left.append(lab.row("type", v.body, None))
        else:
            left.append(lab.row("type", v.model, "model"))
        left += [color, lab.row("year", v.year, "year_of_manufacture")]
        right += [lab.row("engine_name", v.engine_name, None), capacity, lab.row("power", v.power, None),
                  lab.row("weight", v.empty_weight, None)]
    else:
        shorts = [brand, lab.row("model", v.model, "model"), color, capacity]
        # The short rows sit under the owner on some cards, beside it on others.
        cut = rng.choice((2, 3, 4))
        left += shorts[:cut]
        right += shorts[cut:]
    if style.origin_row:
        (right if len(right) < len(left) else left).append(lab.row("origin", values.origin, None))

    rows: list[Row] = []
    if style.layout == "two_column":
        for i in range(max(len(left), len(right))):
            rows.append(Pair(left[i] if i < len(left) else (), right[i] if i < len(right) else ()))
    else:
        order = left + right if rng.random() < 0.6 else _interleave(left, right)
        rows += [Full(cell) for cell in order]

    if car:
        dims = [Seg("Kích thước bao:", Role.LABEL)]
        for word, en, value in (("Dài", "Length", v.length), ("Rộng", "Width", v.width), ("Cao", "Height", v.height)):
            dims.append(Seg(word, Role.LABEL))
            if style.english:
                dims.append(Seg(f"({en})", Role.LABEL_EN, gap=0.25))
            dims.append(Seg(f"{value} m", Role.VALUE))
        rows.append(Full(tuple(dims)))
        load = [Seg("Tải trọng:", Role.LABEL)]
        hang = f"Hàng {style.hoa_spelling}"
        for word, en, value, name_ in (("Số chỗ ngồi", "Sit", v.sit, "sit"), ("đứng", "Stand", v.stand, "stand"),
                                       ("nằm", "Lie", v.lie, "lie"), (hang, "Goods", v.pay_load, "pay_load")):
            load.append(Seg(word, Role.LABEL, label_of=name_))
            if style.english:
                load.append(Seg(f"({en})", Role.LABEL_EN, label_of=name_, gap=0.25))
            load.append(Seg(value, Role.VALUE, field=name_) if value else Seg("....", Role.LABEL))
        load.append(Seg("kg", Role.LABEL, gap=0.3))
        rows.append(Full(tuple(load)))

    valid = lab.label("valid", colon=False)
    if values.valid_until:
        d = values.valid_until
        valid += [Seg("ngày", Role.LABEL), Seg(f"{d.day:02d}", Role.VALUE), Seg("tháng", Role.LABEL),
                  Seg(f"{d.month:02d}", Role.VALUE), Seg("năm", Role.LABEL), Seg(str(d.year), Role.VALUE)]
    else:
        valid += [Seg("ngày ......", Role.LABEL), Seg("tháng ......", Role.LABEL), Seg("năm ..........", Role.LABEL)]
    rows.append(Full(tuple(valid)))

    if not style.issuer_caps:
        rows.append(Full(lab.row("issued_by", values.issuer, "issued_at", wrap=" ")))

    d = values.last_issue
    date_line = _date_words(style, values.place, d.day, d.month, d.year, "last_issue_date", style.english)
    plate = lab.row("plate", values.plate, "plate", role=Role.VALUE_BOLD, scale=style.plate_scale)
    first = lab.row("first", _first_date_text(rng, values), "first_issue_date")
    band_left: list[tuple[Seg, ...]] = [plate, first] if rng.random() < 0.7 else [first, plate]
    if style.plate_first:
        rows[:0] = [Full(cell) for cell in band_left]
        band_left = []
    if style.date_on_top:
        rows.insert(0, Full(date_line, align="right"))
        date_line = ()
    rows.append(Band(left=tuple(band_left), date_line=date_line,
                     unit_caps=values.issuer.upper() if style.issuer_caps else "",
                     title=values.signer_title, signer=f"{values.signer_rank} {values.signer_name}",
                     seal_text=_seal_text(values)))
    return rows


def _seal_text(values: CardValues) -> str:
    # The stamp names the police of the province or district, not the traffic department.
    if values.issuer_district is not None:
        return values.issuer.upper()
    return "CÔNG AN " + values.issuer.split("Công an ", 1)[-1].upper()


def front_rows(values: CardValues, style: CardStyle, rng: random.Random) -> list[Row]:
    lab = Labeller(style)
    car = values.kind == VehicleKind.CAR
    rows: list[Row] = []
    header_unit = style.front_header == "split" and style.issuer_caps
    rows.append(Header(kind=style.front_header, unit_lines=(values.issuer.upper(),) if header_unit else ()))
    title = "GIẤY CHỨNG NHẬN ĐĂNG KÝ XE Ô TÔ" if car else "GIẤY CHỨNG NHẬN ĐĂNG KÝ XE MÔ TÔ, XE MÁY"
    title_lines: list[tuple[str, Role, float]] = [(title, Role.HEADING, 1.45)]
    if style.english:
        title_lines.append(("(VEHICLE REGISTRATION CERTIFICATE)" if rng.random() < 0.5
                            else "(CERTIFICATE OF VEHICLE REGISTRATION)", Role.LABEL_EN, 1.0))
    rows.append(Title(tuple(title_lines)))
    number = lab.label("number", "id", colon=True) + [Seg(values.certificate_no, Role.VALUE, field="id", scale=1.15)]
    rows.append(Full(tuple(number), align=rng.choice(("center", "right", "left"))))
    long_name = len(values.owner) > 28
    rows.append(Full(lab.row("name", values.owner, "name", wrap=" ", below=style.value_below and long_name)))
    rows.append(Full(lab.row("address", values.address.text, "address", wrap=",", below=style.value_below)))
    if style.extra_id_row:
        rows.append(Full(lab.row("id_no", values.national_id, None)))
    if not header_unit and not style.issuer_caps:
        rows.append(Full(lab.row("issued_by", values.issuer, "issued_at", wrap=" ")))
    d = values.last_issue
    date_line = _date_words(style, values.place, d.day, d.month, d.year, None, style.english)
    plate = lab.row("plate", values.plate, "plate", role=Role.VALUE_BOLD, scale=style.plate_scale)
    if style.date_on_top:
        rows.insert(2, Full(date_line, align="right"))  # under the header and the title
        date_line = ()
    rows.append(Band(left=(plate,), date_line=date_line,
                     unit_caps=values.issuer.upper() if style.issuer_caps and not header_unit else "",
                     title=values.signer_title, signer=f"{values.signer_rank} {values.signer_name}",
                     seal_text=_seal_text(values)))
    return rows


def _colour(rng: random.Random, values: CardValues) -> str:
    from services.domain.reference.vehicles import BASIC_COLOURS, COMPOUND_COLOURS

    pool = COMPOUND_COLOURS if values.kind == VehicleKind.MOTORBIKE and rng.random() < 0.6 else BASIC_COLOURS
    colour = rng.choice(pool)
    return colour.upper() if rng.random() < 0.15 else colour


def _interleave(left: list, right: list) -> list:
    out = []
    for i in range(max(len(left), len(right))):
        if i < len(left):
            out.append(left[i])
        if i < len(right):
            out.append(right[i])
    return out


# ---- fitting rows onto the card -------------------------------------------------------------

def _column_tab(ts: Typesetter, cells: Sequence[tuple[Seg, ...]], x0: float, x1: float) -> Optional[float]:
    """Values aligned at one x per column, after the longest label, when that leaves room."""
    widths = []
    for cell in cells:
        x = 0.0
        for seg in cell:
            if seg.role in (Role.VALUE, Role.VALUE_BOLD) or seg.newline:
                break
            x += ts.width(seg.text, seg.role, seg.scale) + seg.gap * ts.em
        widths.append(x)
    if not widths:
        return None
    tab = x0 + max(widths) + 0.6 * ts.em
    return tab if x1 - tab > 0.45 * (x1 - x0) else None


def _set_rows(ts: Typesetter, rows: Sequence[Row], style: CardStyle, margins: tuple[float, float, float, float],
              rng_state: random.Random, side_layout: SideLayout) -> float:
    """Place every row from the top; returns the y reached."""
    W, H = style.width, style.height
    left_m, top_m, right_m, _ = margins
    x0, x1 = left_m, W - right_m
    y = top_m
    gutter = 0.02 * W
    split_x = W * style.split
    pairs = [r for r in rows if isinstance(r, Pair)]
    fulls = [r.segs for r in rows if isinstance(r, Full) and r.align == "left"]
    tab_left = tab_right = tab_full = None
    if style.tab_align:
        tab_left = _column_tab(ts, [p.left for p in pairs if p.left], x0, split_x - gutter)
        tab_right = _column_tab(ts, [p.right for p in pairs if p.right], split_x, x1)
        tab_full = _column_tab(ts, [f for f in fulls if len(f) <= 4], x0, x1)
    for row in rows:
        if isinstance(row, Header):
            y = _set_header(ts, row, style, x0, x1, y)
        elif isinstance(row, Title):
            for text, role, scale in row.lines:
                lh = ts.line_height(scale * 0.9)
                ts.centered(text, role, W / 2, y + 0.8 * lh, x1 - x0, scale)
                y += lh
            y += 0.2 * ts.em
        elif isinstance(row, Pair):
            scale = max([s.scale for s in row.left + row.right] or [1.0])
            lh = ts.line_height(scale)
            base = y + 0.78 * lh
            n_left = ts.set_cell(row.left, x0, split_x - gutter, base, tab=tab_left) if row.left else 1
            n_right = ts.set_cell(row.right, split_x, x1, base, tab=tab_right) if row.right else 1
            y += lh * max(n_left, n_right)
        elif isinstance(row, Full):
            scale = max([s.scale for s in row.segs] or [1.0])
            lh = ts.line_height(scale)
            base = y + 0.78 * lh
            if row.align == "left":
                n = ts.set_cell(row.segs, x0, x1, base, tab=tab_full if len(row.segs) <= 4 else None)
            else:
                width = sum(ts.width(s.text, s.role, s.scale) + s.gap * ts.em for s in row.segs)
                start = (W - width) / 2 if row.align == "center" else max(x0, x1 - width - 0.05 * W)
                n = ts.set_cell(row.segs, start, x1, base)
            y += lh * n
        elif isinstance(row, Band):
            y = _set_band(ts, row, style, x0, x1, y, rng_state, side_layout)
    return y


def _set_header(ts: Typesetter, row: Header, style: CardStyle, x0: float, x1: float, y: float) -> float:
    W = style.width
    motto = ("CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
    lh = ts.line_height(0.95)
    if row.kind == "split":
        left_c, right_c = x0 + (W * 0.42 - x0) / 2, W * 0.42 + (x1 - W * 0.42) / 2
        left_w, right_w = W * 0.42 - x0 - 0.02 * W, x1 - W * 0.42
        yl = y
        for line in _wrap_caps(ts, row.unit_lines, left_w * 1.6):
            ts.centered(line, Role.HEADING, left_c, yl + 0.8 * lh, left_w, 0.9, field_name="issued_at")
            yl += lh
        if row.unit_lines:
            ts.rules.append((left_c - left_w * 0.15, yl + 0.05 * lh, left_c + left_w * 0.15, yl + 0.05 * lh,
                             style.label_color))
        ts.centered(motto[0], Role.HEADING, right_c, y + 0.8 * lh, right_w, 0.9)
        ts.centered(motto[1], Role.HEADING, right_c, y + 1.8 * lh, right_w, 0.9, underline=True)
        return max(yl, y + 2 * lh) + 0.5 * lh
    ts.centered(motto[0], Role.HEADING, W / 2, y + 0.8 * lh, x1 - x0, 0.95)
    ts.centered(motto[1], Role.HEADING, W / 2, y + 1.8 * lh, x1 - x0, 0.95, underline=True)
    return y + 2.5 * lh


def _wrap_caps(ts: Typesetter, lines: Sequence[str], max_width: float) -> list[str]:
    """Split a long unit name at a space so each line fits (the unit name reads in order)."""
    out: list[str] = []
    for line in lines:
        if ts.width(line, Role.HEADING, 0.9) <= max_width / 1.6 or " " not in line:
            out.append(line)
            continue
        words = line.split(" ")
        best = min(range(1, len(words)),
                   key=lambda i: max(ts.width(" ".join(words[:i]), Role.HEADING, 0.9),
                                     ts.width(" ".join(words[i:]), Role.HEADING, 0.9)))
        out += [" ".join(words[:best]), " ".join(words[best:])]
    return out


def _set_band(ts: Typesetter, row: Band, style: CardStyle, x0: float, x1: float, y: float,
              rng: random.Random, side_layout: SideLayout) -> float:
    """Plate and first registration on the left; place/date, unit, title, signature, rank and
    name on the right, with the seal over the lower right."""
    W, H = style.width, style.height
    block_x0 = W * rng.uniform(0.50, 0.58)
    block_c = (block_x0 + x1) / 2
    block_w = x1 - block_x0
    rows_x0, rows_x1 = x0, block_x0 - 0.01 * W
    if style.band_mirror:  # the signature block on the left, the band's rows on the right
        block_w = block_x0 - 0.01 * W - x0
        block_c = x0 + block_w / 2
        rows_x0, rows_x1 = block_x0, x1
    lh = ts.line_height()
    # The signature block, top to bottom.
    yr = y
    if row.date_line:
        date_width = sum(ts.width(s.text, s.role, s.scale) + s.gap * ts.em for s in row.date_line) + 2
        date_x = max(x0, min(block_c - date_width / 2, x1 - date_width))
        ts.set_cell(row.date_line, date_x, max(x1, date_x + date_width), yr + 0.78 * lh)
        yr += lh
    if row.unit_caps:
        for line in _wrap_caps(ts, (row.unit_caps,), block_w * 1.6):
            ts.centered(line, Role.HEADING, block_c, yr + 0.78 * lh, block_w, 0.9, field_name="issued_at")
            yr += lh
    title_top = yr
    for line in row.title:
        role = Role.STAMP if style.red[0] > 200 else Role.HEADING
        ts.centered(line, role, block_c, yr + 0.78 * lh, block_w, 0.95)
        yr += lh
    sig_h = lh * rng.uniform(1.6, 2.4)
    signature = SignatureSpec(block_c - block_w * 0.3, yr, block_c + block_w * 0.3, yr + sig_h)
    yr += sig_h
    ts.centered(row.signer, Role.STAMP, block_c, yr + 0.78 * lh, block_w, 0.95)
    yr += lh
    # The band's rows, beside the block.
    yl = y + (lh if row.date_line else 0.0)  # below the date line, which may start left of the block
    for cell in row.left:
        scale = max(s.scale for s in cell)
        lh_cell = ts.line_height(scale)
        n = ts.set_cell(cell, rows_x0, rows_x1, yl + 0.78 * lh_cell)
        yl += lh_cell * n
    radius = H * rng.uniform(0.085, 0.115)
    cx = block_c + rng.uniform(-0.55, 0.0) * block_w * 0.5
    cy = title_top + rng.uniform(0.4, 1.6) * lh
    side_layout.signature = signature
    bottom = rng.choice(("PHÒNG CSGT", "ĐĂNG KÝ XE", ""))
    if "HUYỆN" in row.seal_text or "QUẬN" in row.seal_text or "THỊ XÃ" in row.seal_text:
        bottom = bottom if bottom != "PHÒNG CSGT" else ""  # district police have no traffic department
    side_layout.seal = SealSpec(cx=cx, cy=cy, radius=radius, ring_text=row.seal_text, bottom_text=bottom)
    return max(yl, yr)


def layout_side(side: Side, values: CardValues, style: CardStyle, rng: random.Random) -> SideLayout:
    """Rows for the side, set at the size that fills the card (shrinking when they overflow,
    spreading them out when they leave much room)."""
    rows = front_rows(values, style, rng) if side == Side.FRONT else back_rows(values, style, rng)
    W, H = style.width, style.height
    margins = (W * rng.uniform(0.035, 0.06), H * rng.uniform(0.045, 0.075), W * rng.uniform(0.035, 0.06),
               H * rng.uniform(0.04, 0.07))
    available = H - margins[1] - margins[3]
    size_factor, spacing_factor = 1.0, 1.0
    seed = rng.random()
    fitting: Optional[SideLayout] = None
    for _ in range(10):
        layout = SideLayout(side=side, width=W, height=H)
        ts = Typesetter(style, size_factor, spacing_factor)
        used = _set_rows(ts, rows, style, margins, random.Random(seed), layout) - margins[1]
        layout.items, layout.leaders, layout.rules = ts.items, ts.leaders, ts.rules
        if used > available:
            size_factor *= max(0.7, min(0.97, available / used))
            continue
        fitting = layout  # grown only while it fits, so the last fitting layout is the fullest
        if used < 0.88 * available and spacing_factor < 1.3:
            spacing_factor *= min(1.3 / spacing_factor, available / used * 0.97)
        elif used < 0.88 * available and size_factor < 1.2:
            size_factor *= min(1.2 / size_factor, available / used * 0.97)
        else:
            break
    if fitting is None:
        raise RuntimeError(f"{side.value} side does not fit a {W}x{H} card")
    return fitting
