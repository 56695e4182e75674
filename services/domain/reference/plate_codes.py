"""Plate prefix numbers of each province, and the special plate series.

The first two digits of a civilian plate name the province whose police registered the vehicle
(`30A-123.45`: Hà Nội). Provinces are keyed by their GSO code (the `issued_at_code` of a card),
which is a different number from the plate prefix (Hà Nội: GSO `01`, plates 29-33 and 40).

The table is the one in force for the 63 legacy provinces (Circular 58/2020/TT-BCA, kept by
24/2023/TT-BCA): prefixes 10, 13, 42, 44, 45, 46, 87, 91 and 96 belong to no province today
(13 was Hà Bắc's before it split into Bắc Giang and Bắc Ninh), and 80 is the series for vehicles
registered by the central traffic police department (Cục CSGT) for central agencies.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

# GSO province code -> plate prefixes, in the order they were assigned.
PROVINCE_PLATE_PREFIXES: Mapping[str, tuple[int, ...]] = {
    "01": (29, 30, 31, 32, 33, 40),  # Thành phố Hà Nội (33 was Hà Tây's)
    "02": (23,),  # Hà Giang
    "04": (11,),  # Cao Bằng
    "06": (97,),  # Bắc Kạn
    "08": (22,),  # Tuyên Quang
    "10": (24,),  # Lào Cai
    "11": (27,),  # Điện Biên
    "12": (25,),  # Lai Châu
    "14": (26,),  # Sơn La
    "15": (21,),  # Yên Bái
    "17": (28,),  # Hòa Bình
    "19": (20,),  # Thái Nguyên
    "20": (12,),  # Lạng Sơn
    "22": (14,),  # Quảng Ninh
    "24": (98,),  # Bắc Giang
    "25": (19,),  # Phú Thọ
    "26": (88,),  # Vĩnh Phúc
    "27": (99,),  # Bắc Ninh
    "30": (34,),  # Hải Dương
    "31": (15, 16),  # Thành phố Hải Phòng
    "33": (89,),  # Hưng Yên
    "34": (17,),  # Thái Bình
    "35": (90,),  # Hà Nam
    "36": (18,),  # Nam Định
    "37": (35,),  # Ninh Bình
    "38": (36,),  # Thanh Hóa
    "40": (37,),  # Nghệ An
    "42": (38,),  # Hà Tĩnh
    "44": (73,),  # Quảng Bình
    "45": (74,),  # Quảng Trị
    "46": (75,),  # Thừa Thiên Huế (Thành phố Huế)
    "48": (43,),  # Thành phố Đà Nẵng
    "49": (92,),  # Quảng Nam
    "51": (76,),  # Quảng Ngãi
    "52": (77,),  # Bình Định
    "54": (78,),  # Phú Yên
    "56": (79,),  # Khánh Hòa
    "58": (85,),  # Ninh Thuận
    "60": (86,),  # Bình Thuận
    "62": (82,),  # Kon Tum
    "64": (81,),  # Gia Lai
    "66": (47,),  # Đắk Lắk
    "67": (48,),  # Đắk Nông
    "68": (49,),  # Lâm Đồng
    "70": (93,),  # Bình Phước
    "72": (70,),  # Tây Ninh
    "74": (61,),  # Bình Dương
    "75": (39, 60),  # Đồng Nai
    "77": (72,),  # Bà Rịa - Vũng Tàu
    "79": (41, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59),  # Thành phố Hồ Chí Minh
    "80": (62,),  # Long An
    "82": (63,),  # Tiền Giang
    "83": (71,),  # Bến Tre
    "84": (84,),  # Trà Vinh
    "86": (64,),  # Vĩnh Long
    "87": (66,),  # Đồng Tháp
    "89": (67,),  # An Giang
    "91": (68,),  # Kiên Giang
    "92": (65,),  # Thành phố Cần Thơ
    "93": (95,),  # Hậu Giang
    "94": (83,),  # Sóc Trăng
    "95": (94,),  # Bạc Liêu
    "96": (69,),  # Cà Mau
}

PLATE_PREFIX_PROVINCE: Mapping[int, str] = {
    prefix: code for code, prefixes in PROVINCE_PLATE_PREFIXES.items() for prefix in prefixes
}

# Vehicles of central agencies, registered by the central traffic police department.
CENTRAL_PREFIX = 80

# Letters used in ordinary series: no I, J, O, Q, R (R is the trailer series) or W.
SERIES_LETTERS = "ABCDEFGHKLMNPSTUVXYZ"

# Special series printed after the two prefix digits instead of an ordinary letter.
SPECIAL_SERIES: Mapping[str, str] = {
    "CD": "xe chuyên dùng (special-purpose vehicles of the police)",
    "KT": "xe của doanh nghiệp quân đội làm kinh tế (army-owned businesses)",
    "LD": "xe của doanh nghiệp có vốn nước ngoài, xe thuê của nước ngoài (foreign-invested firms)",
    "DA": "xe của các Ban quản lý dự án nước ngoài (foreign-funded projects)",
    "R": "rơ moóc (trailers)",
    "RM": "rơ moóc, sơ mi rơ moóc (trailers, semi-trailers)",
    "MK": "máy kéo (tractors)",
    "MĐ": "xe máy điện (electric motorbikes)",
    "TĐ": "xe cơ giới sản xuất, lắp ráp trong nước thí điểm (pilot domestic vehicles)",
    "HC": "xe hạn chế phạm vi hoạt động (vehicles restricted in range)",
    "NG": "xe của cơ quan đại diện ngoại giao (diplomatic missions)",
    "NN": "xe của tổ chức, cá nhân nước ngoài (foreign organisations and individuals)",
    "QT": "xe của cơ quan đại diện tổ chức quốc tế (international organisations)",
    "T": "biển số tạm thời (temporary plates)",
}

# The three printed forms of ordinary plates (card-formats.md):
#   car, old four digits   14N-5985
#   car, five digits       30A-123.45   (also two-letter series: 51LD-123.45)
#   motorbike              59X2-328.98  (also 29AA-123.45 for mopeds)
PLATE_PATTERN = re.compile(
    r"^(?P<prefix>\d{2})"
    r"(?P<series>[A-Z]{1,2}|[A-Z]\d|MĐ\d?|TĐ)"
    r"-(?P<number>\d{3}\.\d{2}|\d{4,5})$"
)


def plate_prefixes(province_code: str) -> tuple[int, ...]:
    """The plate prefix numbers of a province, by its GSO code."""
    return PROVINCE_PLATE_PREFIXES[province_code]


def province_of_prefix(prefix: int | str) -> Optional[str]:
    """The GSO code of the province a plate prefix belongs to, or None (unused, or 80)."""
    try:
        return PLATE_PREFIX_PROVINCE.get(int(prefix))
    except (TypeError, ValueError):
        return None


def is_known_prefix(prefix: int | str) -> bool:
    """A prefix some plate may carry: a province's, or the central agencies' 80."""
    try:
        return province_of_prefix(prefix) is not None or int(prefix) == CENTRAL_PREFIX
    except (TypeError, ValueError):
        return False


def province_of_plate(plate: str) -> Optional[str]:
    """The GSO code of the province that issued a plate, from its first two digits."""
    match = re.match(r"\s*(\d{2})", plate or "")
    return province_of_prefix(match.group(1)) if match else None


def is_valid_plate(plate: str) -> bool:
    """Written in one of the printed forms, with a prefix that belongs to a province."""
    match = PLATE_PATTERN.match(plate or "")
    return bool(match) and province_of_prefix(match.group("prefix")) is not None
