"""Font discovery and glyph coverage for the synthetic certificates.

Labels use a sans or serif family (regular, italic for the English, bold for headers); values
use a typewriter-like monospace (regular, bold for the plate). Families come from Debian font
packages; a family is used only when each of its files has every glyph Vietnamese needs
(checked in the font's cmap with fontTools): a font that lacks `ư` would silently draw a box,
and the truth would no longer match the picture. `skipped_families()` says what was left out and
why.

Three pools of families (`choose_font_set(rng, pool=...)`):
- `curated` (the default, what every set drawn so far used): the families listed below;
- `training`: every family installed under FONT_ROOTS whose faces cover Vietnamese (discovered
  from the fonts' own name tables), except the held-out ones; what the recogniser learns from;
- `heldout`: `HELD_OUT_LABEL_FAMILIES` and `HELD_OUT_VALUE_FAMILIES` only, never trained on:
  the cards every held-out-font figure is measured on.
The Debian packages the discovery expects are `TRAINING_FONT_PACKAGES` (`make train-deps`).
"""

from __future__ import annotations

import logging
import random
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional

from fontTools.ttLib import TTFont
from PIL import ImageFont

FONT_ROOTS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype"),
    Path("/usr/share/fonts/opentype"),
    Path("/usr/share/texmf/fonts/opentype/public"),
)

# family -> (regular, italic, bold) as paths relative to one of FONT_ROOTS.
LABEL_FAMILIES: Mapping[str, tuple[str, str, str]] = {
    "DejaVu Sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Oblique.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "DejaVu Sans Condensed": ("dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSansCondensed-Oblique.ttf",
                              "dejavu/DejaVuSansCondensed-Bold.ttf"),
    "DejaVu Serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Italic.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "Liberation Sans": ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Italic.ttf",
                        "liberation2/LiberationSans-Bold.ttf"),
    "Liberation Serif": ("liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Italic.ttf",
                         "liberation2/LiberationSerif-Bold.ttf"),
    "FreeSans": ("freefont/FreeSans.ttf", "freefont/FreeSansOblique.ttf", "freefont/FreeSansBold.ttf"),
    "FreeSerif": ("freefont/FreeSerif.ttf", "freefont/FreeSerifItalic.ttf", "freefont/FreeSerifBold.ttf"),
    "Noto Sans": ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Italic.ttf", "noto/NotoSans-Bold.ttf"),
    "Noto Serif": ("noto/NotoSerif-Regular.ttf", "noto/NotoSerif-Italic.ttf", "noto/NotoSerif-Bold.ttf"),
    "Arimo": ("croscore/Arimo-Regular.ttf", "croscore/Arimo-Italic.ttf", "croscore/Arimo-Bold.ttf"),
    "Tinos": ("croscore/Tinos-Regular.ttf", "croscore/Tinos-Italic.ttf", "croscore/Tinos-Bold.ttf"),
    "TeX Gyre Heros": ("tex-gyre/texgyreheros-regular.otf", "tex-gyre/texgyreheros-italic.otf",
                       "tex-gyre/texgyreheros-bold.otf"),
    "TeX Gyre Termes": ("tex-gyre/texgyretermes-regular.otf", "tex-gyre/texgyretermes-italic.otf",
                        "tex-gyre/texgyretermes-bold.otf"),
    "TeX Gyre Pagella": ("tex-gyre/texgyrepagella-regular.otf", "tex-gyre/texgyrepagella-italic.otf",
                         "tex-gyre/texgyrepagella-bold.otf"),
    "Courier Prime Sans": ("courier-prime/Courier Prime Sans.otf", "courier-prime/Courier Prime Sans Italic.otf",
                           "courier-prime/Courier Prime Sans Bold.otf"),
}

# family -> (regular, bold); an empty bold means "embolden the regular with a stroke".
VALUE_FAMILIES: Mapping[str, tuple[str, str]] = {
    "Cousine": ("croscore/Cousine-Regular.ttf", "croscore/Cousine-Bold.ttf"),
    "FreeMono": ("freefont/FreeMono.ttf", "freefont/FreeMonoBold.ttf"),
    "Liberation Mono": ("liberation2/LiberationMono-Regular.ttf", "liberation2/LiberationMono-Bold.ttf"),
    "Noto Mono": ("noto/NotoMono-Regular.ttf", ""),
    "Noto Sans Mono": ("noto/NotoSansMono-Regular.ttf", "noto/NotoSansMono-Bold.ttf"),
    "TeX Gyre Cursor": ("tex-gyre/texgyrecursor-regular.otf", "tex-gyre/texgyrecursor-bold.otf"),
    "Courier Prime": ("courier-prime/Courier Prime.otf", "courier-prime/Courier Prime Bold.otf"),
    "DejaVu Sans Mono": ("dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf"),
}


def _vietnamese_letters() -> str:
    vowels = "aăâeêioôơuưy"
    tones = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
    letters = {unicodedata.normalize("NFC", v + t) for v in vowels for t in tones}
    letters |= set("bcdđfghjklmnpqrstvwxz")
    return "".join(sorted(letters | {ch.upper() for ch in letters}))


# Everything a card may draw: every Vietnamese letter in both cases (precomposed, NFC), digits
# and the punctuation of labels and values.
REQUIRED_CHARS = _vietnamese_letters() + "0123456789" + " .,:;-/()'°"

POOLS = ("curated", "training", "heldout")
# Kept out of every training set: the recogniser is measured on cards drawn with these alone.
# Chosen among the discovered families that no curated set uses: a typewriter face, a coding
# monospace and a geometric one for values; a humanist sans and two serifs for labels.
HELD_OUT_VALUE_FAMILIES = ("CMU Typewriter Text", "JetBrains Mono", "League Mono")
HELD_OUT_LABEL_FAMILIES = ("Open Sans", "Charis SIL", "Vollkorn")
# Debian packages whose families the training pool discovers (on top of the test fonts).
TRAINING_FONT_PACKAGES = (
    "fonts-agave", "fonts-cantarell", "fonts-clear-sans", "fonts-cmu", "fonts-crosextra-carlito",
    "fonts-dejavu-extra", "fonts-ebgaramond", "fonts-freefont-otf", "fonts-inter", "fonts-jetbrains-mono",
    "fonts-junicode", "fonts-jura", "fonts-lato", "fonts-league-mono", "fonts-league-spartan",
    "fonts-linuxlibertine", "fonts-manrope", "fonts-noto-extra", "fonts-open-sans", "fonts-quicksand",
    "fonts-roboto-unhinted", "fonts-roboto-slab", "fonts-sil-andika", "fonts-sil-charis", "fonts-sil-doulos",
    "fonts-sil-gentium", "fonts-sil-gentium-basic", "fonts-vollkorn", "fonts-yanone-kaffeesatz",
)
_WIDTHS = {1: "UltraCondensed", 2: "ExtraCondensed", 3: "Condensed", 4: "SemiCondensed", 6: "SemiExpanded",
           7: "Expanded", 8: "ExtraExpanded", 9: "UltraExpanded"}


@dataclass(frozen=True)
class FontFace:
    path: str
    family: str
    style: str  # "regular", "italic", "bold"
    fake_bold: bool = False  # drawn with a stroke because the family has no bold file


@dataclass(frozen=True)
class FontSet:
    label: FontFace
    label_italic: FontFace
    label_bold: FontFace
    value: FontFace
    value_bold: FontFace

    @property
    def families(self) -> dict[str, str]:
        return {"label": self.label.family, "value": self.value.family}


class MissingGlyph(ValueError):
    """A text was about to be drawn with a font that lacks one of its characters."""


@lru_cache(maxsize=None)
def codepoints(path: str) -> frozenset[int]:
    """The code points a font maps to a glyph (its best cmap)."""
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def missing_chars(path: str, text: str) -> str:
    """The characters of `text` (NFC, white space ignored) the font at `path` has no glyph for."""
    mapped = codepoints(path)
    seen = dict.fromkeys(ch for ch in unicodedata.normalize("NFC", text) if not ch.isspace())
    return "".join(ch for ch in seen if ord(ch) not in mapped)


def _find(relative: str) -> Optional[Path]:
    for root in FONT_ROOTS:
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class _Catalogue:
    label: dict[str, tuple[FontFace, FontFace, FontFace]]
    value: dict[str, tuple[FontFace, FontFace]]
    skipped: dict[str, str]


def _check(family: str, relatives: tuple[str, ...], skipped: dict[str, str]) -> Optional[list[Path]]:
    paths: list[Path] = []
    for relative in relatives:
        path = _find(relative)
        if path is None:
            skipped[family] = f"{relative} is not installed"
            return None
        missing = missing_chars(str(path), REQUIRED_CHARS)
        if missing:
            skipped[family] = f"{path.name} lacks {len(missing)} glyphs, e.g. {missing[:12]}"
            return None
        paths.append(path)
    return paths


@lru_cache(maxsize=1)
def _catalogue() -> _Catalogue:
    skipped: dict[str, str] = {}
    label: dict[str, tuple[FontFace, FontFace, FontFace]] = {}
    for family, files in LABEL_FAMILIES.items():
        paths = _check(family, files, skipped)
        if paths:
            regular, italic, bold = paths
            label[family] = (FontFace(str(regular), family, "regular"), FontFace(str(italic), family, "italic"),
                             FontFace(str(bold), family, "bold"))
    value: dict[str, tuple[FontFace, FontFace]] = {}
    for family, (regular_rel, bold_rel) in VALUE_FAMILIES.items():
        paths = _check(family, (regular_rel,) + ((bold_rel,) if bold_rel else ()), skipped)
        if paths:
            regular = FontFace(str(paths[0]), family, "regular")
            bold = (FontFace(str(paths[1]), family, "bold") if bold_rel
                    else FontFace(str(paths[0]), family, "bold", fake_bold=True))
            value[family] = (regular, bold)
    if not label or not value:
        raise RuntimeError(
            "no usable fonts: install fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-croscore "
            f"(skipped: {skipped})"
        )
    return _Catalogue(label=label, value=value, skipped=skipped)


@dataclass(frozen=True)
class _Face:
    path: str
    family: str  # the typographic family, without its width
    subfamily: str
    width: int  # OS/2 width class, 5 normal
    weight: int
    italic: bool
    mono: bool


def _read_face(path: Path) -> Optional[_Face]:
    logging.getLogger("fontTools").setLevel(logging.ERROR)  # odd metrics in some fonts are no concern here
    try:
        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            subfamily = names.getDebugName(17) or names.getDebugName(2) or ""
            os2 = font["OS/2"] if "OS/2" in font else None
            weight = int(os2.usWeightClass) if os2 is not None else 400
            width = int(os2.usWidthClass) if os2 is not None else 5
            italic = bool(os2.fsSelection & 1) if os2 is not None else bool(font["head"].macStyle & 2)
            cmap, metrics = font.getBestCmap() or {}, font["hmtx"]
            # Fixed pitch by the advances themselves: many monospaced fonts leave the flag unset.
            advances = {metrics[cmap[ord(ch)]][0] for ch in "imW0." if ord(ch) in cmap}
            mono = bool(font["post"].isFixedPitch) or len(advances) == 1
    except Exception:  # noqa: BLE001 - a file fontTools cannot read is no font for us
        return None
    if not family:
        return None
    return _Face(str(path), family, subfamily, width, weight, italic, mono)


def _family_names(faces: list[_Face]) -> dict[str, list[_Face]]:
    """Faces by family, a family's other widths as families of their own ("Noto Sans Mono
    Condensed"); the width of its plain "Regular" face keeps the bare name."""
    by_family: dict[str, list[_Face]] = {}
    for face in faces:
        by_family.setdefault(face.family, []).append(face)
    named: dict[str, list[_Face]] = {}
    for family, members in by_family.items():
        plain = [f.width for f in members if f.subfamily.lower() in ("regular", "book", "roman", "normal")]
        base = plain[0] if plain else (5 if any(f.width == 5 for f in members) else members[0].width)
        for face in members:
            name = family if face.width == base else f"{family} {_WIDTHS.get(face.width, f'w{face.width}')}"
            named.setdefault(name, []).append(face)
    return named


@lru_cache(maxsize=1)
def _discovered() -> _Catalogue:
    """Every installed family with a regular face covering Vietnamese: its regular, italic (the
    regular when it has none) and bold (a stroked regular when it has none)."""
    files = sorted({p.resolve() for root in FONT_ROOTS if root.is_dir() for p in root.rglob("*")
                    if p.suffix.lower() in (".ttf", ".otf")})
    covering = [face for face in map(_read_face, files)
                if face is not None and not missing_chars(face.path, REQUIRED_CHARS)]
    families = _family_names(covering)
    label: dict[str, tuple[FontFace, FontFace, FontFace]] = {}
    value: dict[str, tuple[FontFace, FontFace]] = {}
    for family, faces in sorted(families.items()):
        upright = [f for f in faces if not f.italic]
        if not upright:
            continue
        regular = min(upright, key=lambda f: (abs(f.weight - 400), f.path))
        italics = [f for f in faces if f.italic]
        italic = min(italics, key=lambda f: (abs(f.weight - regular.weight), f.path)) if italics else regular
        bolds = [f for f in upright if f.weight >= regular.weight + 200]
        bold = min(bolds, key=lambda f: (abs(f.weight - 700), f.path)) if bolds else None
        regular_face = FontFace(regular.path, family, "regular")
        bold_face = (FontFace(bold.path, family, "bold") if bold
                     else FontFace(regular.path, family, "bold", fake_bold=True))
        label[family] = (regular_face, FontFace(italic.path, family, "italic"), bold_face)
        if regular.mono:
            value[family] = (regular_face, bold_face)
    return _Catalogue(label=label, value=value, skipped={})


def _is_held_out(family: str) -> bool:
    return any(family == name or family.startswith(name + " ")
               for name in HELD_OUT_LABEL_FAMILIES + HELD_OUT_VALUE_FAMILIES)


@lru_cache(maxsize=None)
def _pool(pool: str) -> _Catalogue:
    if pool == "curated":
        return _catalogue()
    found = _discovered()
    if pool == "training":
        label = {k: v for k, v in found.label.items() if not _is_held_out(k)}
        value = {k: v for k, v in found.value.items() if not _is_held_out(k)}
    elif pool == "heldout":
        label = {k: v for k, v in found.label.items() if k in HELD_OUT_LABEL_FAMILIES}
        value = {k: v for k, v in found.value.items() if k in HELD_OUT_VALUE_FAMILIES}
        missing = set(HELD_OUT_LABEL_FAMILIES + HELD_OUT_VALUE_FAMILIES) - set(label) - set(value)
        if missing:
            raise RuntimeError(f"held-out font families not installed: {sorted(missing)} (make train-deps)")
    else:
        raise ValueError(f"unknown font pool {pool!r}; expected one of {POOLS}")
    if not label or not value:
        packages = " ".join(TRAINING_FONT_PACKAGES)
        raise RuntimeError(f"the {pool!r} font pool is empty: install its fonts (make train-deps, or "
                           f"apt-get install {packages})")
    return _Catalogue(label=label, value=value, skipped={})


def pool_families(pool: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(label families, value families) of a pool."""
    catalogue = _pool(pool)
    return tuple(catalogue.label), tuple(catalogue.value)


def label_families() -> tuple[str, ...]:
    return tuple(_catalogue().label)


def value_families() -> tuple[str, ...]:
    return tuple(_catalogue().value)


def label_faces(family: str) -> tuple[FontFace, FontFace, FontFace]:
    """Regular, italic and bold faces of a usable label family."""
    return _catalogue().label[family]


def value_faces(family: str) -> tuple[FontFace, FontFace]:
    """Regular and bold faces of a usable value family."""
    return _catalogue().value[family]


def skipped_families() -> dict[str, str]:
    """Family -> why it is not used (not installed, or a missing glyph)."""
    return dict(_catalogue().skipped)


def choose_font_set(rng: random.Random, *, proportional_values: float = 0.12, pool: str = "curated") -> FontSet:
    """A label family and a value family of the pool; now and then values in a proportional face,
    as some newer printers do."""
    catalogue = _pool(pool)
    label_name = rng.choice(sorted(catalogue.label))
    label, italic, bold = catalogue.label[label_name]
    if rng.random() < proportional_values:
        value_name = rng.choice(sorted(catalogue.label))
        value_regular, _, value_bold = catalogue.label[value_name]
    else:
        value_name = rng.choice(sorted(catalogue.value))
        value_regular, value_bold = catalogue.value[value_name]
    return FontSet(label=label, label_italic=italic, label_bold=bold, value=value_regular, value_bold=value_bold)


@lru_cache(maxsize=512)
def load_font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size=max(6, int(size)))


def require_glyphs(face: FontFace, text: str) -> None:
    """Raise `MissingGlyph` unless the face draws every character of `text`."""
    missing = missing_chars(face.path, text)
    if missing:
        raise MissingGlyph(f"{Path(face.path).name} has no glyph for {missing!r} in {text!r}")


if __name__ == "__main__":  # `python -m tools.synth.fonts --training-packages`: for make train-deps
    import sys

    if sys.argv[1:] == ["--training-packages"]:
        print(" ".join(TRAINING_FONT_PACKAGES))
    else:
        for name in POOLS:
            labels, values = pool_families(name)
            print(f"{name}: {len(labels)} label families, {len(values)} value families")
            print(f"  values: {', '.join(values)}")
