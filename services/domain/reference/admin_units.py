"""Vietnam's legacy three-level administrative units (63 provinces, before July 2025), offline.

Certificates in circulation print addresses in these units. The tables come from the
`vietnamadminunits` package's bundled SQLite file (`data/dataset.db`, table
`admin_units_legacy`), read directly so nothing is fetched; `parse_legacy_address` wraps the
package's own offline parser. Never call the package's `convert_address`: it uses the network.

Codes are the General Statistics Office codes as strings: province 2 digits, district 3,
ward 5 (Hà Nội `01`, Quận Đống Đa `006`, Phường Láng Hạ `00199`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Optional

from services.domain.vietnamese import fold_key

_TABLE = "admin_units_legacy"


@dataclass(frozen=True)
class Province:
    code: str  # "01"
    name: str  # "Thành phố Hà Nội" (official full name)
    short_name: str  # "Hà Nội"

    @property
    def is_city(self) -> bool:
        """A centrally-governed city ("Thành phố ..."), written "TP ..." on police documents."""
        return self.name.startswith("Thành phố")


@dataclass(frozen=True)
class District:
    code: str  # "006"
    name: str  # "Quận Đống Đa"
    short_name: str  # "Đống Đa"
    type: str  # "Quận", "Huyện", "Thị xã", "Thành phố"
    province_code: str


@dataclass(frozen=True)
class Ward:
    code: str  # "00199"
    name: str  # "Phường Láng Hạ"
    short_name: str  # "Láng Hạ"
    type: str  # "Phường", "Xã", "Thị trấn"
    district_code: str
    province_code: str


@dataclass(frozen=True)
class ParsedAddress:
    """What the offline parser recognised in an address; "" where it found nothing."""

    street: str = ""
    province: str = ""
    province_code: str = ""
    district: str = ""
    district_code: str = ""
    ward: str = ""
    ward_code: str = ""


def database_path() -> Path:
    """The package's bundled SQLite table of administrative units."""
    return Path(str(resources.files("vietnamadminunits") / "data" / "dataset.db"))


def _strip_type(name: str, unit_type: Optional[str]) -> str:
    # The table's short names disambiguate duplicates ("Yên Viên (Thị trấn)"); the name minus its
    # type word is what gets printed.
    if unit_type and name.startswith(unit_type + " "):
        return name[len(unit_type) + 1 :]
    return name


@dataclass(frozen=True)
class _Tables:
    provinces: tuple[Province, ...]
    districts: dict[str, District]
    wards: dict[str, Ward]
    districts_of: dict[str, tuple[str, ...]]
    wards_of: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    uri = database_path().as_uri() + "?mode=ro"
    with sqlite3.connect(uri, uri=True) as conn:
        rows = conn.execute(
            f"SELECT province, provinceShort, provinceCode, district, districtType, districtCode, "
            f"ward, wardType, wardCode FROM [{_TABLE}] ORDER BY provinceCode, districtCode, wardCode"
        ).fetchall()
    provinces: dict[str, Province] = {}
    districts: dict[str, District] = {}
    wards: dict[str, Ward] = {}
    districts_of: dict[str, list[str]] = {}
    wards_of: dict[str, list[str]] = {}
    for p_name, p_short, p_code, d_name, d_type, d_code, w_name, w_type, w_code in rows:
        if p_code not in provinces:
            provinces[p_code] = Province(code=p_code, name=p_name, short_name=p_short)
            districts_of[p_code] = []
        if d_code and d_code not in districts:
            districts[d_code] = District(code=d_code, name=d_name, short_name=_strip_type(d_name, d_type),
                                         type=d_type, province_code=p_code)
            districts_of[p_code].append(d_code)
            wards_of[d_code] = []
        # A few island districts have no wards at all.
        if w_code and w_code not in wards:
            wards[w_code] = Ward(code=w_code, name=w_name, short_name=_strip_type(w_name, w_type), type=w_type,
                                 district_code=d_code, province_code=p_code)
            wards_of[d_code].append(w_code)
    return _Tables(
        provinces=tuple(provinces.values()),
        districts=districts,
        wards=wards,
        districts_of={k: tuple(v) for k, v in districts_of.items()},
        wards_of={k: tuple(v) for k, v in wards_of.items()},
    )


def provinces() -> tuple[Province, ...]:
    """All 63 legacy provinces, by code."""
    return _tables().provinces


def province(code: str) -> Province:
    for item in _tables().provinces:
        if item.code == code:
            return item
    raise KeyError(f"no legacy province with code {code!r}")


def districts(province_code: str) -> tuple[District, ...]:
    tables = _tables()
    return tuple(tables.districts[c] for c in tables.districts_of.get(province_code, ()))


def district(code: str) -> District:
    return _tables().districts[code]


def wards(district_code: str) -> tuple[Ward, ...]:
    tables = _tables()
    return tuple(tables.wards[c] for c in tables.wards_of.get(district_code, ()))


def ward(code: str) -> Ward:
    return _tables().wards[code]


def all_districts() -> tuple[District, ...]:
    return tuple(_tables().districts.values())


# ---- finding units in free text -------------------------------------------------------------

# Other ways a province's name is written on documents, beyond its short name.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "79": ("TP HCM", "TPHCM", "HCM"),
    "46": ("Thừa Thiên Huế", "Thừa Thiên - Huế", "TT Huế", "TT-Huế", "T.T.Huế"),
    "77": ("Bà Rịa Vũng Tàu", "BR-VT", "BRVT"),
    "66": ("Đắc Lắc", "Đăk Lăk", "Đắk Lắc", "Daklak"),
    "67": ("Đăk Nông", "Đắc Nông"),
    "17": ("Hoà Bình",),
    "38": ("Thanh Hoá",),
    "56": ("Khánh Hoà",),
}


@lru_cache(maxsize=1)
def _province_keys() -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for item in provinces():
        names = {item.short_name, *PROVINCE_ALIASES.get(item.code, ())}
        for name in names:
            key = fold_key(name)
            if key:
                keys.append((key, item.code))
    # Longest first, so "thua thien hue" wins over "hue" at the same place.
    keys.sort(key=lambda pair: len(pair[0]), reverse=True)
    return keys


def find_province(text: str) -> Optional[Province]:
    """The province named in `text` (the rightmost mention), or None.

    Works without diacritics and with the usual abbreviations ("TP.HCM", "T.T.Huế").
    """
    folded = f" {fold_key(text)} "
    best: Optional[tuple[int, int, str]] = None  # (end position, key length, code)
    for key, code in _province_keys():
        # Keys and text are space-separated words, so " key " is a whole-word match.
        at = folded.rfind(f" {key} ")
        if at >= 0:
            candidate = (at + len(key) + 1, len(key), code)
            if best is None or candidate[:2] > best[:2]:
                best = candidate
    return province(best[2]) if best else None


_DISTRICT_TYPE_WORDS = {
    "Quận": ("quan", "q"),
    "Huyện": ("huyen", "h"),
    "Thị xã": ("thi xa", "tx"),
    "Thành phố": ("thanh pho", "tp"),
}


@lru_cache(maxsize=1)
def _district_keys() -> dict[str, set[str]]:
    """'huyen cu chi' -> {'79'}: district names with their type word, to the provinces having one."""
    keys: dict[str, set[str]] = {}
    for item in all_districts():
        for word in _DISTRICT_TYPE_WORDS.get(item.type, ()):
            keys.setdefault(f"{word} {fold_key(item.short_name)}", set()).add(item.province_code)
    return keys


def find_unique_district(text: str) -> Optional[District]:
    """A district named in `text` with its type word ("huyện Củ Chi", "Q. Đống Đa") whose name
    exists in one province only; None when there is none or the name is ambiguous (many
    provinces have a "Huyện Châu Thành")."""
    folded = f" {fold_key(text)} "
    found: list[tuple[int, str]] = []
    for key, codes in _district_keys().items():
        if len(codes) != 1:
            continue
        at = folded.rfind(f" {key} ")
        if at >= 0:
            found.append((at + len(key) + 1, key))
    if not found:
        return None
    _, key = max(found, key=lambda pair: (pair[0], len(pair[1])))
    (code,) = _district_keys()[key]
    for item in districts(code):
        if any(f"{word} {fold_key(item.short_name)}" == key for word in _DISTRICT_TYPE_WORDS.get(item.type, ())):
            return item
    return None


def parse_legacy_address(text: str) -> ParsedAddress:
    """Province, district and ward (names and codes) of a printed address, offline.

    Wraps `vietnamadminunits.parse_address(text, mode='LEGACY', level=3)`, which tolerates
    missing diacritics and the usual abbreviations ("P.", "Q.", "TP").
    """
    from vietnamadminunits import parse_address  # imported late: it loads ~3 MB of tables

    if not text or not text.strip():
        return ParsedAddress()
    unit = parse_address(text, mode="LEGACY", level=3)
    return ParsedAddress(
        street=unit.street or "",
        province=unit.province or "",
        province_code=unit.province_code or "",
        district=unit.district or "",
        district_code=unit.district_code or "",
        ward=unit.ward or "",
        ward_code=unit.ward_code or "",
    )
