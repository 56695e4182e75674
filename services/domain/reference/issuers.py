"""Names of the police units that register vehicles, and the province each belongs to.

Cars are registered by the provincial traffic police (`Phòng CSGT Công an tỉnh X`, often printed
as just `Công an tỉnh X`); since 2020 district police also register motorbikes
(`Công an huyện Củ Chi`). Centrally-governed cities are written `TP` (`Công an TP Hà Nội`,
`Phòng CSGT Công an TP. Hồ Chí Minh`). A card's `issued_at_code` is the GSO code of the unit's
province, which `issuer_province_code` finds in the printed name.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

from services.domain.reference.admin_units import District, Province, find_province, find_unique_district

# Words that open an issuing unit's name; a line starting with one of them names the issuer.
UNIT_PREFIXES: tuple[str, ...] = (
    "Phòng Cảnh sát giao thông",
    "Phòng CSGT",
    "Đội Cảnh sát giao thông",
    "Đội CSGT",
    "Công an",
)

# Thừa Thiên Huế became Thành phố Huế on 1 January 2025; cards issued before say the old name.
_HUE_CODE = "46"
_HUE_RENAMED = date(2025, 1, 1)


def province_unit_name(province: Province, *, when: Optional[date] = None, style: int = 0) -> str:
    """The province as a police unit's name writes it: "tỉnh Lâm Đồng", "TP Hà Nội".

    `style` picks among the usual writings of a city: 0 "TP X", 1 "TP. X", 2 "thành phố X".
    """
    if province.code == _HUE_CODE and (when is None or when < _HUE_RENAMED):
        return "tỉnh Thừa Thiên Huế"
    if province.is_city:
        return ("TP {}", "TP. {}", "thành phố {}")[style % 3].format(province.short_name)
    return f"tỉnh {province.short_name}"


def provincial_issuer_names(province: Province, *, when: Optional[date] = None) -> tuple[str, ...]:
    """Every usual writing of the provincial registering unit."""
    names: list[str] = []
    styles = (0, 1, 2) if province.is_city else (0,)
    for style in styles:
        unit = province_unit_name(province, when=when, style=style)
        names.extend((f"Công an {unit}", f"Phòng CSGT Công an {unit}",
                      f"Phòng Cảnh sát giao thông Công an {unit}"))
    return tuple(dict.fromkeys(names))


def district_issuer_name(district: District) -> str:
    """"Công an huyện Củ Chi", "Công an quận Đống Đa", "Công an thị xã Sơn Tây"."""
    return f"Công an {district.type.lower()} {district.short_name}"


def issuer_province_code(text: str) -> Optional[str]:
    """The GSO code of the province of an issuing unit, from its printed name; None if unknown.

    A rural or urban district whose name exists in one province only wins ("Công an huyện Củ
    Chi" -> "79"); otherwise the province named in the text ("Phòng CSGT Công an TP Hà Nội" ->
    "01"); otherwise a provincial city ("Công an thành phố Thủ Dầu Một" -> "74").
    """
    district = find_unique_district(text or "")
    # A district-level unit first: "Công an huyện Hòa Bình" is in Bạc Liêu, not Hòa Bình province.
    if district is not None and district.type in ("Huyện", "Quận", "Thị xã"):
        return district.province_code
    found = find_province(text or "")
    if found is not None:
        return found.code
    return district.province_code if district is not None else None
