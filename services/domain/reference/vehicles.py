"""Closed lists of what the brand, model, type and colour rows of a certificate say.

Brands are printed upper-case as registered (`TOYOTA`, `MERCEDES-BENZ`); models (the
`Số loại` row, or `Loại xe` on cards without it) upper-case too. Lists cover makes sold or
assembled in Vietnam since the 1990s with their common models; they are not exhaustive, so a
reader should treat a miss as "check", not as "wrong".
"""

from __future__ import annotations

from typing import Mapping

from services.domain.schema import VehicleKind

CAR_MODELS: Mapping[str, tuple[str, ...]] = {
    "TOYOTA": ("VIOS", "COROLLA ALTIS", "COROLLA CROSS", "CAMRY", "INNOVA", "FORTUNER", "HILUX", "YARIS",
               "WIGO", "RAIZE", "VELOZ", "AVANZA", "ZACE", "LAND CRUISER", "LAND CRUISER PRADO", "HIACE"),
    "HYUNDAI": ("GRAND I10", "I10", "ACCENT", "ELANTRA", "TUCSON", "SANTA FE", "CRETA", "STARIA", "SOLATI",
                "GETZ", "VERNA", "PORTER", "MIGHTY", "COUNTY", "HD72"),
    "KIA": ("MORNING", "SOLUTO", "K3", "CERATO", "SONET", "SELTOS", "SPORTAGE", "SORENTO", "CARNIVAL",
            "SEDONA", "CARENS", "FORTE", "K200", "K250", "FRONTIER"),
    "MAZDA": ("MAZDA2", "MAZDA3", "MAZDA6", "CX-3", "CX-5", "CX-8", "CX-30", "BT-50", "323", "626"),
    "HONDA": ("CITY", "CIVIC", "ACCORD", "CR-V", "HR-V", "BR-V", "BRIO"),
    "FORD": ("RANGER", "EVEREST", "TRANSIT", "ECOSPORT", "FOCUS", "FIESTA", "TERRITORY", "LASER", "ESCAPE",
             "MONDEO"),
    "MITSUBISHI": ("XPANDER", "ATTRAGE", "MIRAGE", "OUTLANDER", "PAJERO SPORT", "PAJERO", "TRITON", "JOLIE",
                   "XFORCE", "GRANDIS", "CANTER"),
    "VINFAST": ("FADIL", "LUX A2.0", "LUX SA2.0", "PRESIDENT", "VF E34", "VF 3", "VF 5", "VF 6", "VF 7",
                "VF 8", "VF 9"),
    "NISSAN": ("NAVARA", "ALMERA", "SUNNY", "TERRA", "X-TRAIL", "KICKS", "GRAND LIVINA"),
    "SUZUKI": ("SWIFT", "ERTIGA", "XL7", "CIAZ", "VITARA", "CARRY", "SUPER CARRY TRUCK", "CARRY PRO"),
    "CHEVROLET": ("SPARK", "AVEO", "CRUZE", "COLORADO", "TRAILBLAZER", "CAPTIVA", "ORLANDO", "VIVANT"),
    "DAEWOO": ("MATIZ", "LACETTI", "GENTRA", "LANOS", "NUBIRA", "MAGNUS", "LEGANZA"),
    "ISUZU": ("D-MAX", "MU-X", "HI LANDER", "QKR", "NMR", "NQR", "FRR", "FVR"),
    "MERCEDES-BENZ": ("C200", "C300", "E200", "E300", "GLC 300", "GLE 450", "S450", "SPRINTER", "MB140"),
    "BMW": ("320I", "520I", "730LI", "X3", "X5"),
    "LEXUS": ("ES 250", "RX 350", "GX 460", "LX 570"),
    "PEUGEOT": ("2008", "3008", "5008", "408"),
    "SUBARU": ("FORESTER", "OUTBACK", "XV"),
    "HINO": ("XZU720L", "XZU730L", "FC9JLSW", "FG8JPSB", "FL8JTSA"),
    "THACO": ("TOWNER", "OLLIN", "FORLAND", "AUMAN", "FRONTIER", "TB120S", "MOBIHOME"),
    "DONGFENG": ("B170", "L315", "B180"),
    "JAC": ("HFC1030", "HFC1083", "N350"),
    "SAMCO": ("FELIX", "PRIMAS", "ALLERGO"),
    "VEAM": ("VT250", "VPT095", "STAR"),
}

MOTORBIKE_MODELS: Mapping[str, tuple[str, ...]] = {
    "HONDA": ("WAVE ALPHA", "WAVE RSX", "WAVE S", "BLADE", "FUTURE", "DREAM", "SUPER DREAM", "AIR BLADE",
              "VISION", "LEAD", "SH", "SH MODE", "PCX", "WINNER X", "VARIO", "CUB"),
    "YAMAHA": ("SIRIUS", "JUPITER", "EXCITER", "NOUVO", "GRANDE", "JANUS", "NVX", "LATTE", "FREEGO",
               "TAURUS", "MIO", "LUVIAS"),
    "SUZUKI": ("VIVA", "RAIDER", "AXELO", "SMASH", "HAYATE", "IMPULSE", "SATRIA", "BEST"),
    "SYM": ("ATTILA", "ANGELA", "ELEGANT", "GALAXY", "SHARK", "ELIZABETH", "STAR"),
    "PIAGGIO": ("VESPA LX", "VESPA SPRINT", "VESPA PRIMAVERA", "LIBERTY", "FLY", "MEDLEY", "ZIP"),
    "VINFAST": ("KLARA", "FELIZ", "EVO200", "THEON", "VENTO", "IMPES", "LUDO"),
    "KYMCO": ("LIKE", "CANDY", "JOCKEY", "PEOPLE"),
}

# What the `Loại xe (Type)` row says on a card that also has a `Số loại` row.
CAR_TYPES: tuple[str, ...] = (
    "Ô tô con",
    "Ô tô tải",
    "Ô tô tải (có mui)",
    "Ô tô tải (thùng kín)",
    "Ô tô tải (pick up cabin kép)",
    "Ô tô tải VAN",
    "Ô tô khách",
    "Ô tô chở người",
    "Ô tô chuyên dùng",
    "Ô tô đầu kéo",
)
MOTORBIKE_TYPES: tuple[str, ...] = ("Xe máy", "Mô tô", "Xe gắn máy", "Xe máy điện")

# Colour words as printed in the `Màu sơn` row.
BASIC_COLOURS: tuple[str, ...] = (
    "Trắng", "Đen", "Bạc", "Đỏ", "Xanh", "Vàng", "Ghi", "Nâu", "Xám", "Cam", "Be", "Tím", "Hồng",
)
COMPOUND_COLOURS: tuple[str, ...] = (
    "Bạc Đen", "Đỏ Đen", "Trắng Đen", "Xanh Đen", "Đen Bạc", "Trắng Bạc", "Đỏ Trắng", "Xanh Trắng",
    "Vàng Đen", "Cam Đen", "Xám Đen", "Đen Đỏ", "Trắng Đỏ", "Xanh Bạc", "Nâu Vàng", "Xanh lam",
    "Xanh lục", "Xanh dương", "Đỏ đậm", "Ghi bạc", "Vàng cát", "Trắng ngọc trai",
)
COLOURS: tuple[str, ...] = BASIC_COLOURS + COMPOUND_COLOURS


def models_of(brand: str, kind: VehicleKind) -> tuple[str, ...]:
    table = CAR_MODELS if kind == VehicleKind.CAR else MOTORBIKE_MODELS
    return table.get(brand.upper(), ())


def brands(kind: VehicleKind | None = None) -> tuple[str, ...]:
    """Every brand of that kind (both kinds when None), upper-case, sorted."""
    if kind == VehicleKind.CAR:
        return tuple(sorted(CAR_MODELS))
    if kind == VehicleKind.MOTORBIKE:
        return tuple(sorted(MOTORBIKE_MODELS))
    return tuple(sorted(set(CAR_MODELS) | set(MOTORBIKE_MODELS)))
