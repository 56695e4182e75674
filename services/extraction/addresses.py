"""Matching a printed address (or an issuing unit) to official administrative units and codes.

The package's exact parser is tried first; OCR slips ("Láng Hạa", "Đống Đ") make it miss, so a
fuzzy matcher follows the hierarchy: the province at the end, then one of that province's
districts, then one of that district's wards. Unit names found this way also repair the
address text (tone marks on unit names), and the repair is noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

from rapidfuzz import fuzz, process

from services.reference import admin_units as units
from services.reference.admin_units import fold

# Words (folded) that say what kind of unit follows, with their abbreviations.
_WARD_WORDS = ("phuong", "xa", "thi tran", "p", "tt", "x")
_DISTRICT_WORDS = ("quan", "huyen", "thi xa", "thanh pho", "q", "h", "tx", "tp")
_PROVINCE_WORDS = ("tinh", "thanh pho", "tp", "t")


@dataclass(frozen=True)
class AddressMatch:
    province_code: str = ""
    province: str = ""
    district_code: str = ""
    district: str = ""
    ward_code: str = ""
    ward: str = ""
    score: float = 0.0  # 0..1: how well the printed names matched the official ones
    exact: bool = False  # the package's exact parser agreed

    @property
    def complete(self) -> bool:
        return bool(self.province_code and self.district_code and self.ward_code)

    def derived_fields(self) -> dict[str, str]:
        return {
            "address_town_code": self.province_code,
            "address_district_code": self.district_code,
            "address_ward_code": self.ward_code,
            "address_town": self.province,
            "address_district": self.district,
            "address_ward": self.ward,
        }


def _segments(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[,;]", text) if p.strip()]
    return parts


def _strip_type_words(folded: str, words: Sequence[str]) -> str:
    for word in sorted(words, key=len, reverse=True):
        if folded.startswith(word + " "):
            return folded[len(word) + 1:]
    return folded


@lru_cache(maxsize=1)
def _province_choices() -> dict[str, str]:
    choices: dict[str, str] = {}
    for province in units.provinces():
        choices[fold(province.short_name)] = province.code
        for alias in units.PROVINCE_ALIASES.get(province.code, ()):
            choices[fold(alias)] = province.code
    return choices


def _best(query: str, choices: dict[str, str], cutoff: float) -> Optional[tuple[str, float]]:
    if not query:
        return None
    found = process.extractOne(query, list(choices), scorer=fuzz.ratio, score_cutoff=cutoff)
    if found is None:
        return None
    key, score, _ = found
    return choices[key], score / 100.0


def match_province(text: str) -> Optional[tuple[str, float]]:
    """(GSO code, score) of the province named at the end of `text`."""
    exact = units.find_province(text)
    if exact is not None:
        return exact.code, 1.0
    folded = fold(text)
    words = folded.split()
    best: Optional[tuple[str, float]] = None
    # The province ends the address: try the last one to four words, without a type word.
    for size in range(1, min(4, len(words)) + 1):
        tail = _strip_type_words(" ".join(words[-size:]), _PROVINCE_WORDS)
        found = _best(tail, _province_choices(), 80)
        if found and (best is None or found[1] > best[1]):
            best = found
    return best


def _unit_choices(items: Sequence[object]) -> dict[str, str]:
    return {fold(item.short_name): item.code for item in items}  # type: ignore[attr-defined]


def match_address(text: str) -> AddressMatch:
    text = (text or "").strip()
    if not text:
        return AddressMatch()
    parsed = units.parse_legacy_address(text)
    if parsed.province_code and parsed.district_code and parsed.ward_code:
        return AddressMatch(parsed.province_code, parsed.province, parsed.district_code, parsed.district,
                            parsed.ward_code, parsed.ward, score=1.0, exact=True)
    segments = _segments(text)
    province_hit = match_province(segments[-1] if segments else text) or match_province(text)
    if province_hit is None:
        return AddressMatch()
    province_code, province_score = province_hit
    province = units.province(province_code)
    rest = segments[:-1] if len(segments) > 1 else [text]
    district_choices = _unit_choices(units.districts(province_code))
    district_hit: Optional[tuple[str, float, int]] = None
    for index, segment in enumerate(rest):
        query = _strip_type_words(fold(segment), _DISTRICT_WORDS)
        found = _best(query, district_choices, 78)
        if found and (district_hit is None or found[1] > district_hit[1]):
            district_hit = (found[0], found[1], index)
    if district_hit is None:
        return AddressMatch(province_code, province.name, score=province_score * 0.5)
    district = units.district(district_hit[0])
    ward_choices = _unit_choices(units.wards(district.code))
    ward_hit: Optional[tuple[str, float]] = None
    for segment in rest[: district_hit[2]]:
        query = _strip_type_words(fold(segment), _WARD_WORDS)
        found = _best(query, ward_choices, 78)
        if found and (ward_hit is None or found[1] > ward_hit[1]):
            ward_hit = found
    if ward_hit is None:
        return AddressMatch(province_code, province.name, district.code, district.name,
                            score=(province_score + district_hit[1]) / 2 * 0.7)
    ward = units.ward(ward_hit[0])
    score = (province_score + district_hit[1] + ward_hit[1]) / 3
    return AddressMatch(province_code, province.name, district.code, district.name, ward.code, ward.name,
                        score=score)


def repair_unit_names(text: str, match: AddressMatch) -> tuple[str, list[str]]:
    """Put the official spelling of matched unit names into the printed address, keeping how
    it was printed otherwise (abbreviations, order). Returns the text and what changed."""
    if not match.province_code:
        return text, []
    names = [units.province(match.province_code).short_name]
    if match.district_code:
        names.append(units.district(match.district_code).short_name)
    if match.ward_code:
        names.append(units.ward(match.ward_code).short_name)
    changes: list[str] = []
    segments = re.split(r"([,;])", text)
    for i, segment in enumerate(segments):
        if segment in (",", ";"):
            continue
        words = segment.split()
        for name in names:
            size = len(name.split())
            for start in range(0, max(0, len(words) - size) + 1):
                span = " ".join(words[start:start + size])
                if span == name or not span:
                    continue
                if fold(span) == fold(name) or (fuzz.ratio(fold(span), fold(name)) >= 80 and len(fold(name)) >= 5):
                    # Keep punctuation glued to the span's ends ("Hạ." stays with its dot).
                    lead = re.match(r"^\W*", span).group(0)
                    trail = re.search(r"\W*$", span).group(0)
                    core = span[len(lead):len(span) - len(trail)] if trail else span[len(lead):]
                    if fold(core) != fold(name) and fuzz.ratio(fold(core), fold(name)) < 80:
                        continue
                    replacement = lead + name + trail
                    if replacement != span:
                        changes.append(f"{span} -> {replacement}")
                        words[start:start + size] = replacement.split()
        leading = segment[: len(segment) - len(segment.lstrip())]
        segments[i] = leading + " ".join(words) if words else segment
    return "".join(segments), changes


def match_issuer(text: str) -> Optional[tuple[str, float]]:
    """(GSO code, score) of the province of an issuing unit ("Công an tỉnh Lâm Đồng",
    "Phòng CSGT Công an TP Hà Nội")."""
    return match_province(text)


@lru_cache(maxsize=1)
def unit_name_syllables() -> frozenset[str]:
    """Words of official unit names that break Vietnamese spelling rules (minority-language
    names: Đắk Lắk, Kon Tum, Cư Jút), lower case: accepted as they are in addresses."""
    from services.extraction.vietnamese import is_syllable

    words: set[str] = set()
    for province in units.provinces():
        names = [province.short_name]
        for district in units.districts(province.code):
            names.append(district.short_name)
            names.extend(ward.short_name for ward in units.wards(district.code))
        for name in names:
            for word in re.findall(r"[^\W\d_]+", name):
                if not is_syllable(word):
                    words.add(word.lower())
    return frozenset(words)
