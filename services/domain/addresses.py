"""Matching a printed address (or an issuing unit) to official administrative units and codes.

The package's exact parser is tried first; OCR slips ("Láng Hạa", "Đống Đ") make it miss, so a
fuzzy matcher follows the hierarchy: the province at the end, then one of that province's
districts, then one of that district's wards. Unit names found this way also repair the
address text (tone marks on unit names), and the repair is noted.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional, Sequence

from rapidfuzz import fuzz, process

from services.domain.reference import admin_units as units
from services.domain.vietnamese import fold_key

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
        choices[fold_key(province.short_name)] = province.code
        for alias in units.PROVINCE_ALIASES.get(province.code, ()):
            choices[fold_key(alias)] = province.code
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
    folded = fold_key(text)
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
    return {fold_key(item.short_name): item.code for item in items}  # type: ignore[attr-defined]


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
        query = _strip_type_words(fold_key(segment), _DISTRICT_WORDS)
        found = _best(query, district_choices, 78)
        if found and (district_hit is None or found[1] > district_hit[1]):
            district_hit = (found[0], found[1], index)
    if district_hit is None:
        return AddressMatch(province_code, province.name, score=province_score * 0.5)
    district = units.district(district_hit[0])
    ward_choices = _unit_choices(units.wards(district.code))
    ward_hit: Optional[tuple[str, float]] = None
    for segment in rest[: district_hit[2]]:
        query = _strip_type_words(fold_key(segment), _WARD_WORDS)
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


_SEPARATOR = re.compile(r"[,;/()]")
UNIT_TYPE_WORDS = ("Thành phố", "Thị trấn", "Thị xã", "Phường", "Quận", "Huyện", "Tỉnh", "Xã")
_LETTERS = re.compile(r"[^\W\d_]+")


def cased(official: str, printed: str) -> str:
    """The official word written the way the printed one is (capitals or not)."""
    if len(printed) > 1 and printed.isupper():
        return official.upper()
    if printed[:1].isupper():
        return official[:1].upper() + official[1:]
    return official.lower() if printed.islower() else official


def respell(text: str, names: Sequence[str], *, cutoff: float = 80, exact_only: Sequence[str] = (),
            keep: Sequence[str] = (), unit_words: Sequence[str] = ()) -> tuple[str, list[str]]:
    """Give words of `text` the spelling of `names` where they match loosely (tone marks, one
    letter), leaving punctuation, abbreviations and case as printed. Each name respells one
    place, its best match (the rightmost on a tie: unit names run from ward to province).

    - A place matched is taken, whether or not its spelling changed: no later name (an alias such
      as "Khánh Hoà" after the official "Khánh Hòa") respells it again. Names are compared by
      their letters only ("Thừa Thiên - Huế" is three words).
    - `keep` (other writings of a name: "Khánh Hoà", "TP HCM") go first and take only a place
      printed exactly as they are, which then stays as printed; a name that a kept writing
      holds ("Huế" in "Thừa Thiên Huế") has been found there.
    - `exact_only` (fixed words: "Công an", "Tỉnh") must match without diacritics exactly; a
      name never takes a place that is one of them by a loose match ("Công an" is no "Long An").
    - `unit_words` (Phường, Quận) must match without diacritics exactly, and only right before
      a place a name took or before a number: "Phường" in "Nguyễn Tri Phương" is a street's.
    """
    tokens = list(_LETTERS.finditer(text))
    taken: set[int] = set()
    kept: list[str] = []
    for name in keep:
        parts = [unicodedata.normalize("NFC", p).casefold() for p in _LETTERS.findall(name)]
        size = len(parts)
        for start in range(len(tokens) - size, -1, -1) if size else ():
            span = range(start, start + size)
            if not any(i in taken for i in span) and \
                    [unicodedata.normalize("NFC", tokens[i].group(0)).casefold() for i in span] == parts:
                taken.update(span)
                kept.append(f" {fold_key(' '.join(parts))} ")
                break
    replacements: dict[int, str] = {}
    changes: list[str] = []
    named: set[int] = set()  # places taken by `names`

    def unit_word_place(start: int, size: int) -> bool:
        after = text[tokens[start + size - 1].end():]
        if re.match(r"[\s.:]*\d", after):
            return True
        following = start + size
        return following in named and re.fullmatch(r"[\s.]*", text[tokens[start + size - 1].end():
                                                                  tokens[following].start()]) is not None

    fixed = {fold_key(" ".join(_LETTERS.findall(word))) for word in list(exact_only) + list(unit_words)}
    plan = [(n, "name") for n in names] + [(n, "exact") for n in exact_only] + [(n, "unit") for n in unit_words]
    folded_names = [fold_key(" ".join(_LETTERS.findall(n))) for n in names]
    for index, (name, how) in enumerate(plan):
        parts = _LETTERS.findall(name)
        size = len(parts)
        if not size:
            continue
        target = fold_key(" ".join(parts))
        # Names alike but for tone marks (ward Cẩm Giang, district Cẩm Giàng) are told apart by
        # their order, not by how each place is spelled now (that would swap them back and
        # forth): of twins, the larger unit, named first, takes the rightmost place that matches.
        twin_after = how == "name" and target in folded_names[index + 1:]
        if how == "name" and any(f" {target} " in place for place in kept):
            continue
        loose = how == "name" and len(target) >= 5
        best: Optional[tuple[float, int]] = None
        for start in range(0, len(tokens) - size + 1):
            if any(i in taken for i in range(start, start + size)):
                continue
            if size > 1 and _SEPARATOR.search(text[tokens[start].end():tokens[start + size - 1].start()]):
                continue  # one name never runs across a comma ("Trần Phú, Quảng Ngãi")
            if how == "unit" and not unit_word_place(start, size):
                continue
            key = fold_key(" ".join(t.group(0) for t in tokens[start:start + size]))
            score = 100.0 if key == target else (fuzz.ratio(key, target) if loose and key not in fixed else 0.0)
            if score < 100.0 and any(fuzz.ratio(fold_key(t.group(0)), fold_key(part)) < 60
                                     for t, part in zip(tokens[start:start + size], parts)):
                continue  # each word must resemble its counterpart: "ĐấtTỉnhBà" is no "Bà"
            if score >= cutoff and (best is None or score >= best[0] or twin_after):
                best = (score, start)
        if best is None:
            continue
        start = best[1]
        span = tokens[start:start + size]
        taken.update(range(start, start + size))
        if how == "name":
            named.update(range(start, start + size))
        printed = " ".join(t.group(0) for t in span)
        spelled = [cased(part, token.group(0)) for part, token in zip(parts, span)]
        for offset, (token, new) in enumerate(zip(span, spelled)):
            if new != token.group(0):
                replacements[start + offset] = new
        if printed != " ".join(spelled):
            changes.append(f"{printed} -> {' '.join(spelled)}")
    if not replacements:
        return text, []
    out, last = [], 0
    for index, token in enumerate(tokens):
        if index in replacements:
            out.append(text[last:token.start()])
            out.append(replacements[index])
            last = token.end()
    out.append(text[last:])
    return "".join(out), changes


def unit_name_spellings(match: AddressMatch) -> tuple[str, ...]:
    """The official short names of a matched address's units, and the province's other writings."""
    if not match.province_code:
        return ()
    names = [units.province(match.province_code).short_name, *units.PROVINCE_ALIASES.get(match.province_code, ())]
    if match.district_code:
        names.append(units.district(match.district_code).short_name)
    if match.ward_code:
        names.append(units.ward(match.ward_code).short_name)
    return tuple(names)


def repair_unit_names(text: str, match: AddressMatch) -> tuple[str, list[str]]:
    """Put the official spelling of matched unit names into the printed address, keeping how
    it was printed otherwise (abbreviations, order, case). Returns the text and what changed."""
    if not match.province_code:
        return text, []
    names = [units.province(match.province_code).short_name]
    if match.district_code:
        names.append(units.district(match.district_code).short_name)
    if match.ward_code:
        names.append(units.ward(match.ward_code).short_name)
    # Other writings of the province (Khánh Hoà, TP HCM, T.T.Huế) stay as printed. Unit type
    # words are a closed vocabulary too, but short: only their tone marks are fixed, and only
    # where they name a unit.
    aliases = tuple(units.PROVINCE_ALIASES.get(match.province_code, ()))
    return respell(text, names, keep=aliases, unit_words=UNIT_TYPE_WORDS)


_DISTRICT_UNIT = re.compile(r"\b(huyen|quan|thi xa)\b")
_PROVINCE_UNIT = re.compile(r"\b(tinh|tp|thanh pho)\b")


def issuer_district(text: str) -> Optional[units.District]:
    """The district whose police is the issuing unit ("Công an huyện Củ Chi"), named exactly."""
    district = units.find_unique_district(text or "")
    return district if district is not None and district.type in ("Huyện", "Quận", "Thị xã") else None


def match_issuer(text: str) -> Optional[tuple[str, float]]:
    """(GSO code, score) of the province of an issuing unit ("Công an tỉnh Lâm Đồng",
    "Phòng CSGT Công an TP Hà Nội", "Công an huyện Củ Chi")."""
    from services.domain.reference.issuers import issuer_province_code

    # The exact reading first: it knows district units, which name no province.
    code = issuer_province_code(text)
    if code:
        return code, 1.0
    folded = fold_key(text)
    if _DISTRICT_UNIT.search(folded) and not _PROVINCE_UNIT.search(folded):
        # A district's police whose name was misread: a province guessed from that name
        # ("Đông Ahn" -> Long An) would be wrong.
        return None
    return match_province(text)


@lru_cache(maxsize=1)
def unit_name_syllables() -> frozenset[str]:
    """Words of official unit names that break Vietnamese spelling rules (minority-language
    names: Đắk Lắk, Kon Tum, Cư Jút) or of the usual short writings of provinces (HCM, BRVT),
    lower case: accepted as they are in addresses."""
    from services.domain.vietnamese import is_syllable

    words: set[str] = set()
    for province in units.provinces():
        names = [province.short_name]
        for district in units.districts(province.code):
            names.append(district.short_name)
            names.extend(ward.short_name for ward in units.wards(district.code))
        names.extend(units.PROVINCE_ALIASES.get(province.code, ()))  # TP HCM, BR-VT, Daklak
        for name in names:
            for word in re.findall(r"[^\W\d_]+", name):
                if not is_syllable(word):
                    words.add(word.lower())
    return frozenset(words)
