"""Invented owners and vehicles: every value a synthetic certificate prints.

Values come from the reference lists (real administrative units with their GSO codes, the real
plate-prefix table, real brands and colours) combined at random, so the combinations describe
no real person or vehicle. Constraints that real cards obey hold here too: the plate prefix
belongs to the registering unit's province; first registration <= issue date; year of
manufacture <= first registration year; motorbikes carry no year, seat or pay-load rows; modern
cars have a 17-character VIN without I, O or Q.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Optional

from services.domain.reference import admin_units, issuers, names, plate_codes, vehicles
from services.domain.reference.admin_units import District, Province, Ward
from services.domain.schema import VehicleKind

# ---- people ---------------------------------------------------------------------------------

_COMPANY_FORMS = ("CÔNG TY TNHH", "CÔNG TY CỔ PHẦN", "CÔNG TY TNHH MTV", "HỢP TÁC XÃ", "DOANH NGHIỆP TƯ NHÂN")
_COMPANY_TRADES = ("THƯƠNG MẠI VÀ DỊCH VỤ", "VẬN TẢI", "XÂY DỰNG", "DU LỊCH", "VẬN TẢI HÀNH KHÁCH",
                   "ĐẦU TƯ PHÁT TRIỂN", "KỸ THUẬT", "")
_COMPANY_NAMES = ("HOÀNG LONG", "MINH PHÁT", "THÀNH CÔNG", "ĐẠI VIỆT", "PHÚ THÀNH", "AN KHANG", "TÂN PHÚ",
                  "SAO MAI", "HƯNG THỊNH", "NAM VIỆT", "KIM NGÂN", "TRƯỜNG SƠN", "BẮC HÀ", "THUẬN PHÁT")


def person_name(rng: random.Random) -> str:
    """A Vietnamese full name as typed on the card: upper-case, with its diacritics."""
    surnames = list(names.SURNAME_WEIGHTS)
    surname = rng.choices(surnames, weights=[names.SURNAME_WEIGHTS[s] for s in surnames])[0]
    female = rng.random() < 0.45
    middle_pool = names.FEMALE_MIDDLE if female else names.MALE_MIDDLE
    given = rng.choice(names.FEMALE_GIVEN if female else names.MALE_GIVEN)
    parts = [surname, rng.choice(middle_pool)]
    if rng.random() < 0.2:  # a second middle name: "Nguyễn Thị Ngọc Anh"
        parts.append(rng.choice([m for m in middle_pool if m not in parts]))
    parts.append(given)
    return " ".join(parts).upper()


def company_name(rng: random.Random) -> str:
    words = [rng.choice(_COMPANY_FORMS), rng.choice(_COMPANY_TRADES), rng.choice(_COMPANY_NAMES)]
    return " ".join(w for w in words if w)


def signer_name(rng: random.Random) -> str:
    """The signing officer, written in title case under the rank."""
    return person_name(rng).title()


# ---- addresses ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Address:
    text: str  # as printed, on one line
    province: Province
    district: District
    ward: Ward


_SOUTH_FROM = 70  # GSO codes of the South-east and the Mekong delta start at 70
_NORTH_WEST = {"02", "04", "06", "08", "10", "11", "12", "14", "15", "17", "20"}


def _street_part(rng: random.Random, ward: Ward, province: Province) -> str:
    number = rng.randint(1, 420)
    if ward.type == "Phường" or rng.random() < 0.15:
        street = rng.choice(names.STREETS)
        forms = (
            f"Số {number} {street}",
            f"{number} {street}",
            f"{number}/{rng.randint(1, 60)} {street}",
            f"Số {number} Ngõ {rng.randint(1, 200)} {street}",
            f"Số {number}, Ngõ {rng.randint(1, 200)}",
            f"Số {number} ngách {rng.randint(1, 90)}/{rng.randint(1, 60)} {street}",
            f"{number} đường {street}",
            f"Tổ {rng.randint(1, 40)}",
            f"Khu phố {rng.randint(1, 12)}",
        )
        return rng.choice(forms)
    code = int(province.code)
    if code >= _SOUTH_FROM:
        word = rng.choice(("Ấp", "Ấp", "Khóm", "Tổ"))
    elif province.code in _NORTH_WEST:
        word = rng.choice(("Bản", "Thôn", "Xóm", "Tổ"))
    else:
        word = rng.choice(("Thôn", "Xóm", "Tổ", "Tổ dân phố", "Khu"))
    name = str(rng.randint(1, 15)) if rng.random() < 0.55 else rng.choice(names.HAMLET_NAMES)
    return f"{word} {name}"


_WARD_ABBR = {"Phường": ("P.", "P. ", "Phường "), "Xã": ("X.", "X. ", "Xã "), "Thị trấn": ("TT.", "TT. ", "Thị trấn ")}
_DISTRICT_ABBR = {"Quận": ("Q.", "Q. ", "Quận "), "Huyện": ("H.", "H. ", "Huyện "), "Thị xã": ("TX.", "TX. ", "Thị xã "),
                  "Thành phố": ("TP.", "TP. ", "Thành phố ")}


def _province_text(rng: random.Random, province: Province, style: str) -> str:
    if province.code == "79" and rng.random() < 0.3:
        return rng.choice(("TP.HCM", "TP HCM", "TP. HCM"))
    if province.code == "46" and rng.random() < 0.5:
        return rng.choice(("Thừa Thiên Huế", "T.T.Huế", "Tỉnh Thừa Thiên Huế"))
    if style == "official":
        return province.name
    if style == "lower":
        for word in ("Tỉnh ", "Thành phố "):
            if province.name.startswith(word):
                return word.lower() + province.name[len(word):]
        return province.name
    if style == "bare":
        return province.short_name
    # abbreviated
    if province.is_city:
        return rng.choice(("TP ", "TP. ", "TP.")) + province.short_name
    return rng.choice(("Tỉnh ", "T. ", "")) + province.short_name


def _unit_text(rng: random.Random, name: str, short: str, unit_type: str, style: str,
               table: dict[str, tuple[str, ...]]) -> str:
    if style == "official":
        return name
    if style == "lower":
        return f"{unit_type.lower()} {short}"
    if style == "bare":
        return short if not short.isdigit() else f"{table[unit_type][0]}{short}"
    return f"{rng.choice(table[unit_type])}{short}"


def address_text(rng: random.Random, ward: Ward, district: District, province: Province) -> str:
    """One of the ways cards write an address: "Số 12 Ngõ 5, P. Láng Hạ, Q. Đống Đa, TP Hà Nội"."""
    style = rng.choices(("official", "lower", "abbreviated", "bare"), weights=(35, 15, 40, 10))[0]
    parts = [
        _street_part(rng, ward, province),
        _unit_text(rng, ward.name, ward.short_name, ward.type, style, _WARD_ABBR),
        _unit_text(rng, district.name, district.short_name, district.type, style, _DISTRICT_ABBR),
        _province_text(rng, province, style),
    ]
    text = ", ".join(parts)
    if rng.random() < 0.08:
        text = text.upper()
    return " ".join(text.split())


def pick_address(rng: random.Random, province: Province, *, district: Optional[District] = None) -> Address:
    """A real ward of the province, written in a varied way that the offline parser maps back to the
    same three codes (so the truth's codes are recoverable from the printed text)."""
    for _ in range(60):
        chosen_district = district or rng.choice([d for d in admin_units.districts(province.code)
                                                  if admin_units.wards(d.code)])
        ward = rng.choice(admin_units.wards(chosen_district.code))
        text = address_text(rng, ward, chosen_district, province)
        parsed = admin_units.parse_legacy_address(text)
        if (parsed.province_code, parsed.district_code, parsed.ward_code) == (
                province.code, chosen_district.code, ward.code):
            return Address(text=text, province=province, district=chosen_district, ward=ward)
    raise RuntimeError(f"no parseable address found in {province.name}")


# ---- vehicles -------------------------------------------------------------------------------

# Engine-family prefixes of the kind printed before the serial (plausible, not a registry).
_CAR_ENGINE_CODES = {
    "TOYOTA": ("1NZ", "2NZ", "2NR", "1ZZ", "2ZR", "2AZ", "2AR", "1TR", "2TR", "2KD", "1GD", "2GD", "1KR"),
    "HYUNDAI": ("G4LA", "G4FA", "G4FC", "G4FG", "G4NA", "G4KE", "D4CB", "D4HA", "D4BH"),
    "KIA": ("G4LA", "G4HG", "G4FG", "G4NA", "D4HB", "J3"),
    "MAZDA": ("ZY", "Z6", "PE", "PY", "P5", "WL", "R2"),
    "HONDA": ("L15A", "L15Z", "R18Z", "R20A", "K24Z", "L15B"),
    "MITSUBISHI": ("4A91", "4B11", "4N15", "4D56", "4G69", "4M40"),
    "NISSAN": ("HR15", "QR25", "YD25", "MR20"),
    "SUZUKI": ("K14B", "K15B", "F10A", "G16A"),
    "ISUZU": ("4JA1", "4JK1", "4JB1", "4HK1", "6HK1"),
    "HINO": ("N04C", "J05E", "J08E"),
}
# Motorbike engine-family codes (Honda "JC52E", Yamaha "5C64"): also the frame-number prefix.
_BIKE_ENGINE_CODES = {
    "HONDA": ("JC52E", "JC43E", "JA39E", "JF58E", "JF83E", "JK03E", "KF08E", "JF63E", "HC12E"),
    "YAMAHA": ("5C64", "1FC1", "E3X9E", "G3D4E", "2ND1", "B5V1", "5P11"),
    "SUZUKI": ("F10A", "E451", "B909", "FW110"),
    "SYM": ("VMVUA", "VDEM", "VUA4"),
    "PIAGGIO": ("M451M", "M454M", "C364M"),
    "KYMCO": ("KN25", "SH25", "CA10"),
}
# World manufacturer identifiers seen on cars sold in Vietnam (the first three VIN characters).
_WMIS = {
    "TOYOTA": ("RL4", "MHF", "MR0", "JTM"), "HYUNDAI": ("RLU", "KMH", "MAL"), "KIA": ("RNY", "KNA"),
    "MAZDA": ("RP8", "JMZ"), "HONDA": ("MRH", "RLH"), "FORD": ("RL0", "MNB", "MPB"), "MITSUBISHI": ("MMB", "RLA"),
    "VINFAST": ("RLL",), "NISSAN": ("MNT", "JN1"), "SUZUKI": ("MA3", "RLS"), "CHEVROLET": ("KL1", "RL9"),
    "MERCEDES-BENZ": ("WDD", "RLM"), "BMW": ("WBA",), "LEXUS": ("JTJ",), "ISUZU": ("MPA", "JAA"),
}
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
_VIN_YEARS = "ABCDEFGHJKLMNPRSTVWXY123456789"  # model-year codes from 1980, cycling every 30 years
_ELECTRIC_MODELS = {("VINFAST", m) for m in ("VF E34", "VF 3", "VF 5", "VF 6", "VF 7", "VF 8", "VF 9")} | {
    ("VINFAST", m) for m in ("KLARA", "FELIZ", "EVO200", "THEON", "VENTO", "IMPES", "LUDO")}

# Which models go with which body, so a truck is a HINO or a PORTER and not a GRAND I10.
_TRUCKS = {
    "HYUNDAI": ("PORTER", "MIGHTY", "HD72"), "KIA": ("K200", "K250", "FRONTIER"),
    "SUZUKI": ("CARRY", "SUPER CARRY TRUCK", "CARRY PRO"), "MITSUBISHI": ("CANTER",),
    "ISUZU": ("QKR", "NMR", "NQR", "FRR", "FVR"), "HINO": vehicles.CAR_MODELS["HINO"],
    "THACO": ("TOWNER", "OLLIN", "FORLAND", "AUMAN", "FRONTIER"), "DONGFENG": vehicles.CAR_MODELS["DONGFENG"],
    "JAC": vehicles.CAR_MODELS["JAC"], "VEAM": vehicles.CAR_MODELS["VEAM"],
}
_BUSES = {
    "SAMCO": vehicles.CAR_MODELS["SAMCO"], "THACO": ("TB120S", "MOBIHOME"), "HYUNDAI": ("COUNTY", "SOLATI"),
    "FORD": ("TRANSIT",), "MERCEDES-BENZ": ("SPRINTER", "MB140"),
}
_PICKUPS = {
    "FORD": ("RANGER",), "TOYOTA": ("HILUX",), "MITSUBISHI": ("TRITON",), "NISSAN": ("NAVARA",),
    "ISUZU": ("D-MAX",), "MAZDA": ("BT-50",), "CHEVROLET": ("COLORADO",),
}
_VANS = {"SUZUKI": ("CARRY",), "TOYOTA": ("HIACE",), "FORD": ("TRANSIT",), "HYUNDAI": ("STARIA", "SOLATI")}


def _pairs(table: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return sorted((brand, model) for brand, models in table.items() for model in models)


def _passenger_pairs() -> list[tuple[str, str]]:
    taken = set(_pairs(_TRUCKS)) | set(_pairs(_BUSES)) | set(_pairs(_PICKUPS))
    return [pair for pair in _pairs(dict(vehicles.CAR_MODELS))
            if pair not in taken and pair[0] not in ("HINO", "DONGFENG", "JAC", "VEAM", "SAMCO", "THACO")]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _vin(rng: random.Random, brand: str, model_year: int) -> str:
    wmi = rng.choice(_WMIS.get(brand, ("RL" + rng.choice("0123456789ABCDEFGH"),)))
    vds = "".join(rng.choice(_VIN_CHARS) for _ in range(5))
    check = rng.choice("0123456789X")
    year_code = _VIN_YEARS[(model_year - 1980) % 30]
    plant = rng.choice(_VIN_CHARS)
    return wmi + vds + check + year_code + plant + _digits(rng, 6)


@dataclass(frozen=True)
class Vehicle:
    kind: VehicleKind
    brand: str
    model: str  # the model name (printed in "Số loại", or in "Loại xe" on cards without that row)
    body: str  # "Ô tô con", "Ô tô tải", ...; "Xe máy" for motorbikes
    electric: bool
    engine: str
    chassis: str
    capacity: str  # as printed; "" when the row is blank (electric)
    engine_name: str  # "Tên động cơ" row of cars
    power: str
    empty_weight: str
    length: str
    width: str
    height: str
    year: str  # "" for motorbikes
    sit: str
    stand: str
    lie: str
    pay_load: str


def _thousands(n: int, rng: random.Random, dotted: float = 0.5) -> str:
    """Numbers as Vietnamese forms print them: 1.250 (dot groups thousands) or plain 1250."""
    if n >= 1000 and rng.random() < dotted:
        return f"{n:,}".replace(",", ".")
    return str(n)


def _seats(n: int, rng: random.Random) -> str:
    if rng.random() < 0.1:
        return f"{n} chỗ"
    return f"{n:02d}" if rng.random() < 0.65 else str(n)


def _car(rng: random.Random, first_year: int) -> Vehicle:
    roll = rng.random()
    if roll < 0.55:
        body, pool = "Ô tô con", _passenger_pairs()
    elif roll < 0.63:
        body, pool = "Ô tô tải (pick up cabin kép)", _pairs(_PICKUPS)
    elif roll < 0.68:
        body, pool = "Ô tô tải VAN", _pairs(_VANS)
    elif roll < 0.88:
        body = rng.choice(("Ô tô tải", "Ô tô tải (có mui)", "Ô tô tải (thùng kín)"))
        pool = _pairs(_TRUCKS)
    else:
        body, pool = rng.choice(("Ô tô khách", "Ô tô chở người")), _pairs(_BUSES)
    brand, model = rng.choice(pool)
    electric = (brand, model) in _ELECTRIC_MODELS
    if brand == "VINFAST":
        first_year = max(first_year, 2019)
    year_of_manufacture = first_year - rng.choices((0, 1, 2, 3, 5), weights=(60, 25, 8, 5, 2))[0]
    code = rng.choice(_CAR_ENGINE_CODES.get(brand, ("".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(2))
                                                    + rng.choice("0123456789"),)))
    if electric:
        engine = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(3)) + _digits(rng, 8)
    elif rng.random() < 0.07:
        engine = _digits(rng, 7)  # old engines stamped with a bare serial: "0519128"
    else:
        engine = code + rng.choice(("", "-", "")) + _digits(rng, rng.choice((6, 7)))
    if year_of_manufacture >= 2000:
        chassis = _vin(rng, brand, year_of_manufacture)
    else:  # older cars: a maker's frame number of 10-12 characters, e.g. "F30000087321"
        chassis = rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") + _digits(rng, rng.randint(9, 11))
    if body.startswith("Ô tô con") or "pick up" in body or "VAN" in body:
        cc = rng.choice((998, 1198, 1248, 1298, 1329, 1396, 1497, 1498, 1591, 1598, 1798, 1998, 2359, 2393,
                         2488, 2494, 2499, 2694, 2755, 2982))
        sit = rng.choice((4, 5, 5, 5, 7, 7, 8)) if body == "Ô tô con" else rng.choice((2, 3, 5))
        stand, lie = "", ""
        load = "" if body == "Ô tô con" else _thousands(rng.randrange(450, 1000, 5), rng)
        weight = rng.randrange(900, 2200, 5)
    elif body.startswith("Ô tô tải"):
        cc = rng.choice((1299, 2499, 2771, 2999, 3456, 3908, 4009, 4899, 5193, 7684))
        sit = rng.choice((2, 3, 3))
        stand, lie = "", ""
        load = _thousands(rng.randrange(750, 15500, 50), rng, dotted=0.7)
        weight = rng.randrange(1500, 9000, 10)
    else:
        cc = rng.choice((2497, 2956, 3907, 3933, 5899, 7640, 11149))
        sleeper = rng.random() < 0.3
        sit = rng.choice((2, 3)) if sleeper else rng.choice((16, 24, 29, 34, 45, 47))
        stand = "" if sleeper or rng.random() < 0.6 else str(rng.choice((10, 15, 20, 30)))
        lie = str(rng.choice((36, 38, 40, 41))) if sleeper else ""
        load = ""
        weight = rng.randrange(3000, 12000, 10)
    length = rng.uniform(3.5, 5.0) if weight < 2300 else rng.uniform(5.0, 12.0)
    return Vehicle(
        kind=VehicleKind.CAR,
        brand=brand,
        model=model,
        body=body,
        electric=electric,
        engine=engine,
        chassis=chassis,
        capacity="" if electric else _thousands(cc, rng),
        engine_name=code if not electric and rng.random() < 0.6 else brand,
        power=f"{rng.randint(45, 220)} kW" if rng.random() < 0.6 else f"{rng.randint(60, 300)} HP",
        empty_weight=_thousands(weight, rng) + " kg",
        length=f"{length:.2f}".replace(".", ","),
        width=f"{rng.uniform(1.5, 2.5):.2f}".replace(".", ","),
        height=f"{rng.uniform(1.4, 3.5):.2f}".replace(".", ","),
        year=str(year_of_manufacture),
        sit=_seats(sit, rng),
        stand=stand,
        lie=lie,
        pay_load=load,
    )


def _motorbike(rng: random.Random) -> Vehicle:
    brand = rng.choice(list(vehicles.MOTORBIKE_MODELS))
    model = rng.choice(vehicles.MOTORBIKE_MODELS[brand])
    electric = (brand, model) in _ELECTRIC_MODELS
    code = rng.choice(_BIKE_ENGINE_CODES.get(brand, ("".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(3)),)))
    if electric:
        engine = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(2)) + _digits(rng, 8)
    else:
        engine = code + rng.choice(("-", "", "")) + _digits(rng, 7 if len(code) <= 4 else rng.choice((6, 7)))
    frame = code.rstrip("E") if len(code) > 3 else code
    chassis = frame + _digits(rng, rng.randint(10, 12) - len(frame))
    cc = rng.choice((50, 97, 100, 108, 109, 110, 110, 110, 113, 124, 125, 125, 149, 150, 155))
    capacity = "" if electric else (str(cc) if rng.random() < 0.9 else f"{cc - 1},{rng.randint(1, 9)}")
    return Vehicle(kind=VehicleKind.MOTORBIKE, brand=brand, model=model, body="Xe máy", electric=electric,
                   engine=engine, chassis=chassis, capacity=capacity, engine_name="", power="", empty_weight="",
                   length="", width="", height="", year="", sit="", stand="", lie="", pay_load="")


# ---- plates, numbers, dates -----------------------------------------------------------------

def plate_text(rng: random.Random, kind: VehicleKind, prefix: int, first_year: int) -> str:
    """The plate in one of the three printed forms: 14N-5985, 30A-123.45, 59X2-328.98."""
    letter = rng.choice(plate_codes.SERIES_LETTERS)
    if kind == VehicleKind.MOTORBIKE:
        return f"{prefix:02d}{letter}{rng.randint(1, 9)}-{_digits(rng, 3)}.{_digits(rng, 2)}"
    if rng.random() < 0.05:
        letter = "LD"  # a foreign-invested company's car
    if first_year < 2010 and rng.random() < 0.65:
        return f"{prefix:02d}{letter}-{rng.randint(1, 9999):04d}"
    return f"{prefix:02d}{letter}-{_digits(rng, 3)}.{_digits(rng, 2)}"


def certificate_number(rng: random.Random, prefix: int) -> str:
    """As printed after "Số": "012345", "86013462" or "49 010012" (plate prefix + serial)."""
    serial = _digits(rng, 6)
    return rng.choice((serial, f"{prefix:02d}{serial}", f"{prefix:02d} {serial}"))


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


# ---- the card -------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardValues:
    kind: VehicleKind
    owner: str
    owner_is_company: bool
    address: Address
    national_id: str  # owner's ID number, printed on some cards as a distractor
    certificate_no: str  # as printed after "Số"
    plate: str
    issuer: str  # the registering unit, as written in running text
    issuer_province: Province
    issuer_district: Optional[District]
    place: str  # the place in "<Place>, ngày .. tháng .. năm .."
    vehicle: Vehicle
    first_issue: date
    last_issue: date
    valid_until: Optional[date]
    origin: str
    signer_rank: str
    signer_name: str
    signer_title: tuple[str, ...]  # "TRƯỞNG PHÒNG"; "KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"


_CITY_PLACES = {"79": ("TP. Hồ Chí Minh", "TP Hồ Chí Minh", "Hồ Chí Minh"), "01": ("Hà Nội",),
                "48": ("Đà Nẵng",), "31": ("Hải Phòng",), "92": ("Cần Thơ",)}


def _province_weights(items: tuple[Province, ...]) -> list[float]:
    # Hà Nội and TP HCM register far more vehicles than any province.
    return [12.0 if p.code in ("01", "79") else 2.0 if p.is_city else 1.0 for p in items]


@lru_cache(maxsize=None)
def district_issuers(province_code: str) -> tuple[District, ...]:
    """Districts whose police name ("Công an huyện X") identifies the province on its own."""
    return tuple(d for d in admin_units.districts(province_code)
                 if issuers.issuer_province_code(issuers.district_issuer_name(d)) == province_code
                 and admin_units.wards(d.code))


def invent_values(rng: random.Random, kind: VehicleKind) -> CardValues:
    all_provinces = admin_units.provinces()
    issuer_province = rng.choices(all_provinces, weights=_province_weights(all_provinces))[0]
    first_issue = _random_date(rng, date(1996, 1, 1), date(2024, 12, 31))
    if rng.random() < 0.5:  # newer cards are more common
        first_issue = _random_date(rng, date(2012, 1, 1), date(2024, 12, 31))
    vehicle = _car(rng, first_issue.year) if kind == VehicleKind.CAR else _motorbike(rng)
    if vehicle.brand == "VINFAST" and first_issue.year < 2019:
        first_issue = _random_date(rng, date(2019, 6, 1), date(2024, 12, 31))
    if kind == VehicleKind.CAR and vehicle.year and int(vehicle.year) > first_issue.year:
        first_issue = date(int(vehicle.year), rng.randint(1, 12), rng.randint(1, 28))
    last_issue = first_issue
    if rng.random() < 0.45:  # re-issued after a change of owner or address
        last_issue = _random_date(rng, first_issue + timedelta(days=20), date(2025, 6, 30))
    if last_issue < first_issue:
        last_issue = first_issue

    issuer_district: Optional[District] = None
    if kind == VehicleKind.MOTORBIKE and last_issue >= date(2020, 8, 1) and rng.random() < 0.3:
        candidates = district_issuers(issuer_province.code)
        if candidates:
            issuer_district = rng.choice(candidates)
    if issuer_district is not None:
        issuer = issuers.district_issuer_name(issuer_district)
        place = issuer_district.short_name if not issuer_district.short_name.isdigit() else issuer_province.short_name
        title = rng.choice(((f"TRƯỞNG CÔNG AN {issuer_district.type.upper()}",),
                            (f"KT. TRƯỞNG CÔNG AN {issuer_district.type.upper()}", "PHÓ TRƯỞNG CÔNG AN")))
    else:
        issuer = rng.choice(issuers.provincial_issuer_names(issuer_province, when=last_issue))
        if issuer_province.code == "46" and last_issue < date(2025, 1, 1):
            place = "Thừa Thiên Huế"
        else:
            place = rng.choice(_CITY_PLACES.get(issuer_province.code, (issuer_province.short_name,)))
        title = rng.choice((("TRƯỞNG PHÒNG",), ("KT. TRƯỞNG PHÒNG", "PHÓ TRƯỞNG PHÒNG"), ("TRƯỞNG PHÒNG CSGT",)))
    assert issuers.issuer_province_code(issuer) == issuer_province.code, issuer

    if rng.random() < 0.85:
        address_province = issuer_province
    else:
        address_province = rng.choice(all_provinces)
    address = pick_address(rng, address_province,
                           district=issuer_district if address_province == issuer_province and issuer_district else None)

    prefix = rng.choice(plate_codes.plate_prefixes(issuer_province.code))
    company = kind == VehicleKind.CAR and rng.random() < 0.1
    owner = company_name(rng) if company else person_name(rng)
    valid_until = None
    if company or rng.random() < 0.15:
        valid_until = date(last_issue.year + rng.choice((5, 8, 10, 20, 25)), 12, 31)
    return CardValues(
        kind=kind,
        owner=owner,
        owner_is_company=company,
        address=address,
        national_id=_digits(rng, rng.choice((9, 12))),
        certificate_no=certificate_number(rng, prefix),
        plate=plate_text(rng, kind, prefix, first_issue.year),
        issuer=issuer,
        issuer_province=issuer_province,
        issuer_district=issuer_district,
        place=place,
        vehicle=vehicle,
        first_issue=first_issue,
        last_issue=last_issue,
        valid_until=valid_until,
        origin=rng.choice(("Nhập khẩu", "Sản xuất lắp ráp trong nước", "Lắp ráp trong nước")),
        signer_rank=rng.choice(("Thiếu tá", "Trung tá", "Thượng tá", "Thượng tá", "Đại tá")),
        signer_name=signer_name(rng),
        signer_title=title,
    )
