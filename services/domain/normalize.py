"""Normalising and checking each field, following shared/card-formats.md's conventions.

Each normaliser takes what OCR read and returns the value in the product's convention, whether it
passes its checks, why not, and a note of anything it corrected (`O read as 0`). A corrected
value keeps its note; a value that fails a check is reported, and gets low confidence later.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Optional, Sequence

from rapidfuzz import fuzz, process

from services.domain import addresses
from services.domain.canonical import clean_text, parse_date, parse_number
from services.domain.reference import admin_units as units
from services.domain.reference import plate_codes, vehicles
from services.domain.vietnamese import fold, invalid_syllables, is_syllable, surname_spelling

TODAY_YEAR = date.today().year
EARLIEST_YEAR = 1950


@dataclass
class Normalized:
    value: str
    ok: bool = True
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    # Extra evidence for the confidence model: how far the value had to be bent to fit.
    corrections: int = 0
    derived: dict[str, str] = field(default_factory=dict)
    match_score: Optional[float] = None  # closed-list or unit-name match, 0..1

    def fail(self, reason: str) -> "Normalized":
        self.ok = False
        self.reason = reason if not self.reason else f"{self.reason}; {reason}"
        return self

    @property
    def note(self) -> str:
        return "; ".join(self.notes)


# OCR confusions between letters and digits, in both directions.
_AS_DIGIT = {"O": "0", "Q": "0", "D": "0", "U": "0", "I": "1", "L": "1", "|": "1", "Z": "2", "S": "5",
             "B": "8", "G": "6", "T": "7", "A": "4", "g": "9", "q": "9", "o": "0", "l": "1", "i": "1", "s": "5",
             "z": "2", "b": "6", "?": "7"}
_AS_LETTER = {"0": "D", "1": "T", "2": "Z", "4": "A", "5": "S", "6": "G", "7": "T", "8": "B"}


def _digits(text: str, notes: list[str]) -> str:
    out = []
    for ch in text:
        if ch.isdigit():
            out.append(ch)
        elif ch in _AS_DIGIT:
            out.append(_AS_DIGIT[ch])
            notes.append(f"{ch} read as {_AS_DIGIT[ch]}")
        else:
            out.append(ch)
    return "".join(out)


# --- plates ------------------------------------------------------------------------------------
def normalize_plate(raw: str, *, motorbike: Optional[bool] = None, province: str = "") -> Normalized:
    """`30A-123.45`, `14N-5985` (old cars), `59X2-328.98` (motorbikes), with the province prefix
    checked against the table of plate codes, and against `province` (the GSO code of the
    registering unit's province, when it is known: that unit issued the plate)."""
    text = clean_text(raw).upper().replace(" ", "")
    text = re.sub(r"^(BIỂNSỐ|BIENSO|BSĐK|BS)[:.]?", "", text)
    text = text.strip(".,:;-_")
    result = Normalized(value=text)
    # Letters left over from the label ("N.P", "BS") before the province digits are not the plate.
    residue = re.match(r"^([A-ZĐ.:/|\-]{1,5})(?=\d{2}[A-ZĐ])", text)
    if residue:
        text = text[residue.end():]
        result = Normalized(value=text)
        result.notes.append(f"dropped {residue.group(1)} before the plate")
    # Motorbike: 2 digits, letter + digit series, 5 digits. Car: 2 digits, 1-2 letters, 4-5 digits.
    compact = re.sub(r"[^0-9A-ZĐ]", "", text)
    if len(compact) < 6:
        return result.fail("too short for a plate")
    prefix_raw, rest = compact[:2], compact[2:]
    prefix = _digits(prefix_raw, result.notes)
    series_len = _series_length(rest, motorbike)
    series_raw, number_raw = rest[:series_len], rest[series_len:]
    series = ""
    for i, ch in enumerate(series_raw):
        if i == 0 or not (motorbike or (len(series_raw) == 2 and series_raw[1].isdigit())):
            letter = _AS_LETTER.get(ch, ch) if ch.isdigit() else ch
            if letter != ch:
                result.notes.append(f"{ch} read as {letter}")
            series += letter
        else:
            series += _AS_DIGIT.get(ch, ch) if not ch.isdigit() and motorbike else ch
    number = _digits(number_raw, result.notes)
    result.corrections = len(result.notes)
    if not (prefix.isdigit() and number.isdigit()):
        return result.fail("a plate is digits, a series, then digits")
    if len(number) == 5:
        formatted_number = f"{number[:3]}.{number[3:]}"
    elif len(number) == 4:
        formatted_number = number
    else:
        result.value = f"{prefix}{series}-{number}"
        return result.fail(f"{len(number)} digits after the series (4 or 5 expected)")
    result.value = f"{prefix}{series}-{formatted_number}"
    if not plate_codes.PLATE_PATTERN.match(result.value):
        return result.fail("not one of the printed plate forms")
    if not plate_codes.is_known_prefix(prefix):
        return result.fail(f"no province has plate prefix {prefix}")
    if province and plate_codes.province_of_prefix(prefix) not in (None, province):
        return result.fail(f"plate prefix {prefix} is not the registering province's ({province})")
    return result


def _series_length(rest: str, motorbike: Optional[bool]) -> int:
    """How many characters after the prefix form the series (A, LD, X2); `rest` is the series
    and the number, 4 or 5 digits."""
    if motorbike:
        return 2
    if len(rest) >= 2 and rest[1].isalpha():
        if len(rest) == 7:
            return 2  # two letters and five digits (51LD-123.45): one letter would leave six
        if len(rest) == 6 and (rest[1] not in "OQDIZSBGT" or rest[:2] in plate_codes.SPECIAL_SERIES):
            return 2  # two letters and four digits (61LD-5672), unless the second looks like a digit
    if motorbike is None and len(rest) == 7:
        return 2  # X2 + five digits
    return 1


# --- engine and chassis numbers ------------------------------------------------------------------
_SERIAL_CHARS = re.compile(r"[^0-9A-Z\-]")


def normalize_serial(raw: str, *, chassis: bool) -> Normalized:
    text = clean_text(raw).upper().replace(" ", "")
    text = text.replace("—", "-").replace("–", "-").strip(".,:;-_")
    cleaned = _SERIAL_CHARS.sub("", unicodedata.normalize("NFKD", text))
    result = Normalized(value=cleaned)
    if cleaned != text:
        result.notes.append("dropped characters that are not letters, digits or -")
        result.corrections += 1
    if chassis and len(cleaned) == 17:
        # A VIN never holds I, O or Q: they are 1, 0, 0 misread.
        fixed = cleaned.replace("I", "1").replace("O", "0").replace("Q", "0")
        if fixed != cleaned:
            result.notes.append("I/O/Q in a VIN read as 1/0/0")
            result.corrections += sum(a != b for a, b in zip(fixed, cleaned))
            result.value = cleaned = fixed
    if not cleaned:
        return result.fail("empty")
    low, high = (6, 17) if chassis else (5, 17)
    if not low <= len(cleaned.replace("-", "")) <= high:
        return result.fail(f"{len(cleaned)} characters ({low}-{high} expected)")
    if not any(ch.isdigit() for ch in cleaned):
        return result.fail("no digit")
    return result


# --- dates and numbers ---------------------------------------------------------------------------
def normalize_date(raw: str) -> Normalized:
    notes: list[str] = []
    text = clean_text(raw)
    # A slash read as a comma, a backslash or a bar between digits (before a bar becomes a 1).
    separated = re.sub(r"(\d)\s*[,\\|]\s*(\d)", r"\1/\2", text)
    fixed = re.sub(r"[OoQDIl|]", lambda m: _AS_DIGIT.get(m.group(0), m.group(0)), separated)
    if fixed != separated:
        notes.append("letters in a date read as digits")
    parsed = parse_date(fixed) or _date_from_groups(fixed)
    result = Normalized(value=text, notes=notes, corrections=len(notes))
    if parsed is None:
        return result.fail("not a date")
    result.value = parsed.strftime("%d/%m/%Y")
    if not EARLIEST_YEAR <= parsed.year <= TODAY_YEAR + 1:
        return result.fail(f"year {parsed.year} out of range")
    return result


def _date_from_groups(text: str) -> Optional[date]:
    """`ngày 27 tháng 08 năm 2009` with the words garbled: the last day, month and year numbers."""
    groups = re.findall(r"\d+", text)
    if len(groups) < 3 or len(groups[-1]) != 4 or not all(1 <= len(g) <= 2 for g in groups[-3:-1]):
        return None
    try:
        return date(int(groups[-1]), int(groups[-2]), int(groups[-3]))
    except ValueError:
        return None


_NUMBER = re.compile(r"[0-9][0-9.,]*")


_DIGIT_LIKE = re.compile("[0-9.," + re.escape("".join(_AS_DIGIT)) + "]+")


def _number_run(text: str, notes: list[str]) -> str:
    """The first run of digits and digit look-alikes that holds a real digit, look-alikes read
    as digits; what follows it (a unit: `kg`, `cm3`, `chỗ`) is left alone, and unnoted."""
    for run in _DIGIT_LIKE.finditer(text):
        if re.search(r"[0-9]", run.group(0)):
            return _digits(run.group(0), notes)
    return text


def normalize_number(raw: str, *, low: float, high: float, digits_only: bool = False) -> Normalized:
    """A number as printed (`1.250`, `05`), without unit; checked against a plausible range."""
    text = clean_text(re.sub(r"\([^)]*\)?", " ", raw))
    notes: list[str] = []
    if not re.search(r"[0-9OoQDIl|]", text) or re.fullmatch(r"[.\-–_…\s]*", text):
        return Normalized(value="")  # a row printed with dots, a dash or a bare unit for "none"
    fixed = _number_run(text.replace(" ", ""), notes) if re.search(r"[0-9]", text) else text
    match = _NUMBER.search(fixed)
    result = Normalized(value=text, notes=notes, corrections=len(notes))
    if not match:
        return result.fail("no number")
    value = match.group(0).rstrip(".,")
    if digits_only:
        value = re.sub(r"\D", "", value)
    result.value = value
    try:
        number = float(value.replace(".", "").replace(",", "."))
    except ValueError:
        return result.fail("not a number")
    if not low <= number <= high:
        return result.fail(f"{value} is outside {low:g}-{high:g}")
    return result


def normalize_load(raw: str) -> Normalized:
    """The goods load in kg. No load is under 10 kg: a lone digit on the row's leader dots is a
    dot read as one, so the value is the blank the row prints, with the check failed (the
    reviewer looks)."""
    result = normalize_number(raw, low=0, high=60000)
    if result.ok and result.value:
        number = parse_number(result.value)
        if number is not None and number < 10:
            result.notes.append(f"{result.value} dropped: no load is under 10 kg")
            result.value = ""
            result.fail("a load under 10 kg")
    return result


def normalize_year(raw: str) -> Normalized:
    result = normalize_number(raw, low=EARLIEST_YEAR, high=TODAY_YEAR + 1, digits_only=True)
    if result.ok and result.value and len(result.value) != 4:
        result.fail("a year has four digits")
    return result


# `Số:` / `Số (N°):` before a certificate number: its S is no 5, its o no 0.
_NUMBER_LABEL = re.compile(r"^\W*s[oòóỏõọôồốổỗộ](?![0-9a-z])\W*(?:n[o°º]?\W*)?", re.IGNORECASE)


def normalize_digits(raw: str) -> Normalized:
    notes: list[str] = []
    text = clean_text(re.sub(r"\([^)]*\)?", " ", raw))
    text = _NUMBER_LABEL.sub("", text).replace(" ", "")
    fixed = _digits(text, notes)
    value = re.sub(r"\D", "", fixed)
    result = Normalized(value=value, notes=notes, corrections=len(notes))
    if not 4 <= len(value) <= 12:
        return result.fail(f"{len(value)} digits (4-12 expected)")
    return result


# --- text fields ---------------------------------------------------------------------------------
# Abbreviations in company owners' names (CÔNG TY TNHH MTV ...), folded.
_COMPANY_ABBREVIATIONS = frozenset("tnhh mtv cp dntn htx xnk tm dv sx xd vn jsc ltd co".split())


def normalize_name(raw: str) -> Normalized:
    text = clean_text(re.sub(r"[^\w\s]", " ", raw.replace("_", " "))).upper()
    digits = re.findall(r"\d", text)
    text = re.sub(r"\d", "", text).strip()
    result = Normalized(value=clean_text(text))
    if digits:
        # A digit in a name is a misread letter (B3O for BẢO): dropping it leaves a doubt.
        result.notes.append("dropped digits: " + "".join(digits))
        result.corrections += len(digits)
    words = result.value.split()
    if words:
        # The family name comes first; one that matches a known name but for its tone marks
        # is respelled (ĐĂNG -> ĐẶNG), since such a misreading is far likelier than a rare name.
        known = surname_spelling(words[0])
        if known and known.upper() != words[0]:
            result.notes.append(f"{words[0]} -> {known.upper()}")
            result.corrections += 1
            words[0] = known.upper()
            result.value = " ".join(words)
    if len(words) < 2:
        return result.fail("a full name has at least two words")
    bad = invalid_syllables(result.value, ignore=_COMPANY_ABBREVIATIONS)
    if bad:
        return result.fail("not Vietnamese syllables: " + " ".join(bad))
    return result


def drop_stray_dots(text: str) -> str:
    """Leader dots left under a typed value stick to its words ("Thôn. Phước.. Lộc"). A dot
    after a word is such a stray unless the word is an abbreviation written with one (P., TP.,
    TX.); so is a dot after a house number before a word ("221. Âu Cơ"). A dot inside a token
    stays (P.SONG, 2.0). Dashed leaders are read as runs of dashes and dots between the words
    ("Nguyễn.-Văn--Cừ"), or a single dash joining two words ("Tiên-Yên"): spaces, but an
    abbreviation's own hyphen stays (TT-Huế, BR-VT)."""
    text = text.replace("„", ",")  # a low comma: the comma printed on the dotted line
    text = re.sub(r"[‹›]", " ", text)  # never printed in a value: a leader's broken dot
    text = re.sub(r"\s*[-–—~_.]*[-–—~_][-–—~_.]*(?=\d)", lambda m: " " if len(m.group(0).strip()) > 1 else m.group(0),
                  text)  # "Số --69": a dashed leader before the number
    text = re.sub(r"(?<=[^\W_])\s*(?:[-–—~_.]{2,})\s*(?=[^\W_])", " ", text)
    text = re.sub(r"(?<=[^\W\d_])[-–—](?=[^\W\d_])",
                  lambda m: m.group(0) if _abbreviation_before(text, m.start()) else " ", text)
    text = re.sub(r"\s*\.{2,}\s*", " ", text)
    text = re.sub(r"(?<![\d.,/])(\d+)\.(?=\s*[^\W\d_])", r"\1 ", text)  # "221. Âu Cơ"
    # A dot after a word is a leader dot unless the word is an abbreviation that is written with
    # one (X.Giang Sơn, TP.Đà Nẵng, P.5): dropped before a space, a comma or the end, a space
    # where it joins the next word or number ("Xã.An.Mỹ" is "Xã An Mỹ", "Ngõ.25" "Ngõ 25").
    text = re.sub(r"([^\W\d_]+)\.(?=([\s,]|$|[^\W_]))", _word_dot, text)
    # A dot at the start of a word, or alone between commas, is a leader dot too.
    text = re.sub(r"(?<=[\s,])\.+(?=[^\W_])", "", text)
    text = re.sub(r",(\s*[.,])+", ",", text)
    return clean_text(text)


def _word_dot(match: re.Match[str]) -> str:
    """drop_stray_dots' replacement for a word and the dot after it."""
    word, following = match.group(1), match.group(2)
    if fold(word) in _DOTTED_ABBREVIATIONS:
        return match.group(0)
    return word + (" " if following and not following.isspace() and following != "," else "")


def _abbreviation_before(text: str, index: int) -> bool:
    """The word ending at `index` is in capitals (TT, BR): an abbreviation, hyphened as printed."""
    word = re.search(r"[^\W\d_]+$", text[:index])
    return word is not None and word.group(0).isupper() and len(word.group(0)) <= 3


# Abbreviations of unit types and street words that cards write with a dot.
_DOTTED_ABBREVIATIONS = frozenset("p q h x t tp tx tt kp kdc kcn tdp dt ql tl".split())


# Address tokens that are not syllables but are normal on cards (folded).
_ADDRESS_ABBREVIATIONS = frozenset(
    "p q h tp tx tt x t kp kdc kcn khu pho so ngo ngach hem kiet to ap thon xom ban duong dt ql tl "
    "ct cc bt lk nv tdp".split()
)


_LETTER_RUN = re.compile(r"[^\W\d_]+")
# Words that start the street part of addresses, spelled right; matched without diacritics.
_ADDRESS_WORDS = ("Tổ dân phố", "Khu phố", "Tiểu khu", "Khu dân cư", "Ngõ", "Ngách", "Hẻm", "Kiệt", "Xóm",
                  "Thôn", "Ấp", "Khóm", "Bản", "Buôn", "Đường", "Phố")


def _respell_address_words(text: str, units: Sequence[str] = ()) -> str:
    """Street words spelled right; the places of `units` (the matched unit names, as printed)
    are left alone: "Quận Dương Kinh" holds no "Đường". A word is respelled only when it is in
    doubt: printed without marks, no syllable, or followed by a number ("Ngô 192" is "Ngõ 192",
    but "Ngô Quyền" is a street named after a person)."""
    fixed, _changes = addresses.respell(text, [], exact_only=_ADDRESS_WORDS, keep=units)
    old, new = list(_LETTER_RUN.finditer(text)), list(_LETTER_RUN.finditer(fixed))
    if len(old) == len(new) and fixed != text:
        out, last = [], 0
        for printed, spelled in zip(old, new):
            word = printed.group(0)
            doubtful = (fold(word) == word.lower() or not is_syllable(word)
                        or re.match(r"\s*\d", text[printed.end():]) is not None)
            out += [text[last:printed.start()], spelled.group(0) if doubtful else word]
            last = printed.end()
        out.append(text[last:])
        text = "".join(out)
    # "Tổ 12" (a residential group) is misread with other tone marks.
    text = re.sub(r"\b[Tt][OoÔôỐốỒồỔổỖỗỘộÓóÒòỎỏÕõỌọ](?=\s+\d)", lambda m: addresses.cased("Tổ", m.group(0)), text)
    # ... and so is "Tổ" before "dân phố", and as the address's first word before a name ("Tố
    # Mường"); "Tô" stays there, a family name that streets are named after (Tô Hiến Thành).
    text = re.sub(r"\b[Tt][OoỐốỒồỖỗỘộÓóÒòỎỏÕõỌọ](?=\s+d[âa]n\s+ph[ốo])", lambda m: addresses.cased("Tổ", m.group(0)),
                  text, flags=re.IGNORECASE)
    text = re.sub(r"^[Tt][ỐốỒồỖỗỘộÓóÒòỎỏÕõỌọ](?=\s+[^\W\d_])", lambda m: addresses.cased("Tổ", m.group(0)), text)
    # "Ấp" as the first word, its hat lost ("Áp Tây").
    return re.sub(r"^[AaÁáÂâẤấẬậ]p(?=\s+[^\W_])", lambda m: addresses.cased("Ấp", m.group(0)), text)


# The start of an administrative unit inside an address: its type word, or the type's
# abbreviation with its dot. "Tỉnh lộ" and "Thành phố" after a street word are roads, not units.
_UNIT_HEAD = re.compile(
    r"(?:Phường|Xã|Thị trấn|Thị xã|Quận|Huyện|Thành phố|Tỉnh(?! lộ)|TP\b|TX\b|TT\b|[PXHQT]\.)",
    re.IGNORECASE)
# A unit that follows one of these words is a street's name ("Đường Xã Đàn", "Phố Huyện").
_STREET_HEADS = frozenset("duong pho ngo ngach hem kiet".split())


# A house number, and the lane numbers that may follow or stand for it ("Số 291 ngách 62/31").
_HOUSE_NUMBER = re.compile(r"\s*(?:(?:số\s+)?\d+[\w/]*|(?:ngõ|ngách|hẻm|kiệt)\s+\d+[\w/]*)"
                           r"(?:\s+(?:ngõ|ngách|hẻm|kiệt)\s+\d+[\w/]*)*[\s.]*", re.IGNORECASE)


def _separate_units(text: str) -> str:
    """Cards separate the parts of an address with commas ("Khóm 2, Xã An Ninh, Huyện Đức Hòa");
    a comma lost in reading, or read as a dot, is put back before a unit's type word, and every
    comma is followed by one space."""
    out, last = [], 0
    for head in _UNIT_HEAD.finditer(text):
        before = text[:head.start()]
        previous = re.search(r"([^\W_]+)([\s.]*)$", before)  # the word before, and the gap
        if previous is None or not previous.group(2):
            continue  # the address's start, a comma already, or glued to a word ("T.T.Huế")
        word = fold(previous.group(1))
        if "." in previous.group(2) and word in _DOTTED_ABBREVIATIONS:
            continue  # an abbreviation's own dot ("TP. HCM")
        if word in _STREET_HEADS:
            continue
        if _HOUSE_NUMBER.fullmatch(before[before.rfind(",") + 1:]):
            continue  # after a house number: a street named after a unit ("67 Xã Đàn")
        out += [text[last:previous.end(1)], ", "]
        last = head.start()
    out.append(text[last:])
    return re.sub(r"\s*,\s*", ", ", "".join(out))


def normalize_address(raw: str) -> Normalized:
    text = drop_stray_dots(clean_text(raw)).strip(" ,.;:")
    # A unit's one-letter abbreviation is no part of its own: its dot was read as a comma or a
    # colon ("X:Cai Bộ", "T, Cao Bằng").
    text = re.sub(r"(?<![^\s,])([PXHQT]|TP|TX|TT)\s?[,:;](\s*)(?=[^\W_])", r"\1.\2", text)
    # ... or lost, a lone capital before the unit's name being that abbreviation ("X Thủy Thanh").
    text = re.sub(r"(?<![^\s,])([PXHQT])(?=\s+[^\W\d_])", r"\1.", text)
    # A unit's type word is never a part alone: a comma after it is a stain ("Huyện, Yên Minh").
    text = re.sub(r"\b(Phường|Xã|Quận|Huyện|Tỉnh|Thị trấn|Thị xã|Thành phố)\s*,\s*(?=[^\W_])", r"\1 ", text,
                  flags=re.IGNORECASE)
    # A street word glued to its number ("Ấp4"): the space was too narrow to read.
    text = re.sub(r"\b(Ấp|Tổ|Thôn|Xóm|Khóm|Khu|Ngõ|Ngách|Hẻm|Kiệt|Số)(?=\d)", r"\1 ", text, flags=re.IGNORECASE)
    # A capital O or D read as "0" before its own small letter ("Quốc 0oai", "Xuân 0du").
    text = re.sub(r"(?<=\s)0([oôơd])(?=[^\W\d_]*\b)", lambda m: m.group(1).upper(), text)
    text = _separate_units(text)
    result = Normalized(value=text)
    if len(text) < 8:
        return result.fail("too short for an address")
    match = addresses.match_address(_respell_address_words(text))
    result.match_score = match.score
    if match.complete:
        # Only a full match (ward within district within province) vouches for the names it
        # would put in; a partial one could respell a street after the wrong province.
        repaired, changes = addresses.repair_unit_names(text, match)
        if changes:
            # A name respelled from what was read as a unit's abbreviation keeps no dot of it
            # ("H. Nội" is "Hà Nội", not "Hà. Nội").
            text = drop_stray_dots(repaired)
            result.notes.append("unit names spelled as official: " + "; ".join(changes))
            result.corrections += len(changes)
    result.value = _respell_address_words(text, addresses.unit_name_spellings(match) if match.complete else ())
    # Again once respelled: a unit's type word may only now stand apart ("xãThị" read glued).
    result.value = _separate_units(result.value)
    result.derived = match.derived_fields()
    if not match.complete:
        missing = [n for n, c in (("province", match.province_code), ("district", match.district_code),
                                  ("ward", match.ward_code)) if not c]
        result.fail("no official " + ", ".join(missing) + " found")
    extra = addresses.unit_name_syllables()
    bad = [w for w in invalid_syllables(result.value, ignore=_ADDRESS_ABBREVIATIONS) if w.lower() not in extra]
    if bad:
        result.fail("not Vietnamese syllables: " + " ".join(bad))
    return result


# Words of issuing units (police departments), spelled right; matched without diacritics.
_ISSUER_WORDS = ("Cảnh sát giao thông", "Công an", "Phòng", "Đội", "Cục", "CSGT", "Tỉnh", "Thành phố", "Quận",
                 "Huyện", "Thị xã")


def normalize_issuer(raw: str) -> Normalized:
    """The registering unit as printed; its province gives `issued_at_code`."""
    # Brackets, quotes and bars are stains or seal strokes read as characters.
    # An apostrophe inside a name (Cư M'gar, Ea H'leo) is printed; anywhere else it is a stain too.
    text = re.sub(r"[()\[\]{}|\"`“”«»¡¿†‡§~^*_=<>]", " ", raw)
    text = re.sub(r"(?<![^\W\d_])['´‘’]|['´‘’](?![^\W\d_])", " ", text)
    text = drop_stray_dots(clean_text(text)).strip(" ,.;:-")
    # No comma is printed after "TP" in a unit's name: it is the abbreviation's dot.
    text = re.sub(r"\b(TP|Tp|TX|Q|H),\s*(?=[^\W\d_])", r"\1. ", text)
    result = Normalized(value=text)
    hit = addresses.match_issuer(text)
    if hit is None:
        result.derived = {"issued_at_code": ""}
        return result.fail("no province in the issuing unit")
    code, score = hit
    result.match_score = score
    result.derived = {"issued_at_code": code}
    province = units.province(code)
    # A district's police prints the district's name, not the province's; the province's other
    # writings (Khánh Hoà, TP HCM) stay as printed.
    district = addresses.issuer_district(text)
    name = district.short_name if district is not None and district.province_code == code else province.short_name
    aliases = tuple(units.PROVINCE_ALIASES.get(code, ()))
    repaired, changes = addresses.respell(text, [name], exact_only=_ISSUER_WORDS, keep=aliases)
    if changes:
        result.value = repaired
        result.notes.append("spelled as official: " + "; ".join(changes))
        result.corrections += len(changes)
    aliases_and_name = (name,) + aliases
    repaired_head = _repair_issuer_head(result.value, aliases_and_name)
    if repaired_head is not None:
        result.notes.append(f"unit words read as {repaired_head[1]!r}, written {repaired_head[2]!r}")
        result.value = repaired_head[0]
        result.corrections += 1
    folded = fold(result.value)
    if "cong an" not in folded and "csgt" not in folded and "canh sat" not in folded:
        result.fail("an issuing unit names the police (Công an, CSGT)")
    bad = invalid_syllables(result.value, ignore=frozenset({"csgt", "tp", "pc", "q", "h", "tx"}))
    bad = [w for w in bad if w.lower() not in addresses.unit_name_syllables()]
    if bad:
        result.fail("not Vietnamese syllables: " + " ".join(bad))
    return result


# The words before the place in a unit's name are few and fixed: "[Phòng CSGT | Phòng Cảnh sát
# giao thông | Đội CSGT] Công an [tỉnh | thành phố | TP | TP. | quận | huyện | thị xã]".
# Keyed by their folded form, which a misreading is compared with.
_ISSUER_HEADS = {
    fold(head + "Công an " + unit_type).strip(): head + "Công an " + unit_type
    for head in ("", "Phòng CSGT ", "Phòng Cảnh sát giao thông ", "Đội CSGT ")
    for unit_type in ("", "tỉnh ", "thành phố ", "TP ", "TP. ", "quận ", "huyện ", "thị xã ")
}
_HEAD_SIMILARITY = 80


def _repair_issuer_head(text: str, place_names: Sequence[str]) -> Optional[tuple[str, str, str]]:
    """(repaired text, words read, words written) when the words before the place name are a
    misreading of one of the fixed unit heads; None when they already are one, or are no head."""
    folded = fold(text)
    if len(folded) != len(text):
        return None  # positions would not line up
    starts = [folded.rfind(fold(place)) for place in place_names if place]
    starts = [i for i in starts if i > 0]
    if not starts:
        return None
    start = min(starts)  # the longest writing of the place ("Thừa Thiên Huế", not "Huế")
    head_read = text[:start]
    # "TP." and "TP" are both printed: a dot after the unit type is kept for the comparison.
    key = re.sub(r"\s+", " ", fold(head_read).replace("-", " ")).lstrip(" ,.;:").rstrip(" ,;:")
    best = process.extractOne(key, list(_ISSUER_HEADS), scorer=fuzz.ratio)
    if best is None or best[1] < _HEAD_SIMILARITY:
        return None
    head = _ISSUER_HEADS[best[0]]
    letters = [ch for ch in head_read if ch.isalpha()]
    if letters and sum(ch.isupper() for ch in letters) > len(letters) / 2:
        head = head.upper()
    if head.strip() == head_read.strip():
        return None
    return head + text[start:].lstrip(), head_read.strip(), head.strip()


def _closed_list(raw: str, choices: tuple[str, ...], *, cutoff: float, upper: bool) -> Normalized:
    text = clean_text(raw).strip(" ,.;:")
    if upper:
        text = text.upper()
    result = Normalized(value=text)
    if not text:
        return result.fail("empty")
    folded_choices = {fold(c): c for c in choices}
    found = process.extractOne(fold(text), list(folded_choices), scorer=fuzz.ratio)
    if found is None:
        return result.fail("not a known value")
    key, score, _ = found
    result.match_score = score / 100.0
    if score >= cutoff:
        official = folded_choices[key]
        if official != text:
            result.notes.append(f"{text} -> {official}")
            result.corrections += 1
            result.value = official
    else:
        result.fail("not in the list of known values")
    return result


def normalize_brand(raw: str) -> Normalized:
    result = _closed_list(raw, vehicles.brands(), cutoff=80, upper=True)
    if not result.ok and result.value and re.fullmatch(r"[A-Z0-9\- ]{2,30}", result.value):
        # An unlisted make is possible: keep it, marked for a look, not as wrong.
        result.ok, result.reason = True, ""
        result.match_score = 0.0
    return result


# Colour words (folded) and the modifiers that follow them on cards.
_COLOUR_WORDS = {fold(w): w for w in vehicles.BASIC_COLOURS}
_COLOUR_WORDS.update({fold(w): w for w in ("lam", "lục", "dương", "đậm", "nhạt", "ngọc", "trai", "cát", "rêu",
                                           "bạc", "sữa", "kem", "đồng", "vàng", "tươi", "ánh", "kim")})


def normalize_colour(raw: str) -> Normalized:
    text = clean_text(re.sub(r"[^\w\s\-]", " ", raw)).strip()
    result = Normalized(value=text)
    # Stray marks read as one-letter words are not part of a colour.
    words = [w for w in text.split() if len(w) > 1 or fold(w) in _COLOUR_WORDS]
    if not words:
        return result.fail("empty")
    fixed = []
    scores = []
    for word in words:
        found = process.extractOne(fold(word), list(_COLOUR_WORDS), scorer=fuzz.ratio)
        if found and found[1] >= 75:
            official = _COLOUR_WORDS[found[0]]
            # Keep the printed capitals: the whole word (ĐEN), the first letter (Đen) or none.
            if len(word) > 1 and word.isupper():
                official = official.upper()
            else:
                official = official[0].upper() + official[1:] if word[:1].isupper() else official.lower()
            scores.append(found[1] / 100.0)
            if official != word:
                result.notes.append(f"{word} -> {official}")
                result.corrections += 1
            fixed.append(official)
        else:
            scores.append(0.0)
            fixed.append(word)
    result.value = " ".join(fixed)
    result.match_score = min(scores)
    if min(scores) == 0.0:
        result.fail("not a colour word: " + " ".join(w for w, s in zip(words, scores) if s == 0.0))
    return result


def normalize_model(raw: str, *, brand: str = "") -> Normalized:
    """The model as printed; a near miss of a known model of the same make is respelled."""
    text = clean_text(raw).strip(" ,.;:")
    result = Normalized(value=text)
    if not text:
        return result.fail("empty")
    if len(text) > 40:
        return result.fail("too long for a model")
    known = [m for kind in (vehicles.VehicleKind.CAR, vehicles.VehicleKind.MOTORBIKE)
             for m in vehicles.models_of(brand, kind)] if brand else []
    if known:
        found = process.extractOne(text.upper(), known, scorer=fuzz.ratio)
        if found and found[1] >= 80 and found[0] != text.upper() and text.isupper():
            result.notes.append(f"{text} -> {found[0]}")
            result.corrections += 1
            result.value = found[0]
        result.match_score = (found[1] / 100.0) if found else 0.0
    return result


def normalize_text(raw: str) -> Normalized:
    return Normalized(value=clean_text(raw).strip(" ,;:"))


NORMALISERS: dict[str, Callable[[str], Normalized]] = {
    "name": normalize_name,
    "address": normalize_address,
    "id": normalize_digits,
    "plate": normalize_plate,
    "issued_at": normalize_issuer,
    "engine": lambda raw: normalize_serial(raw, chassis=False),
    "chassis": lambda raw: normalize_serial(raw, chassis=True),
    "brand": normalize_brand,
    "model": normalize_model,
    "color": normalize_colour,
    "capacity": lambda raw: normalize_number(raw, low=40, high=20000),
    "last_issue_date": normalize_date,
    "first_issue_date": normalize_date,
    "pay_load": normalize_load,
    "year_of_manufacture": normalize_year,
    "lie": lambda raw: normalize_number(raw, low=0, high=60, digits_only=True),
    "sit": lambda raw: normalize_number(raw, low=0, high=90, digits_only=True),
    "stand": lambda raw: normalize_number(raw, low=0, high=120, digits_only=True),
}


def normalize(name: str, raw: str, **options: object) -> Normalized:
    """Normalise a value of the named field. Options: `motorbike` and `province` (plates),
    `brand` (models)."""
    if name == "plate":
        return normalize_plate(raw, motorbike=options.get("motorbike"),  # type: ignore[arg-type]
                               province=str(options.get("province") or ""))
    if name == "model":
        return normalize_model(raw, brand=str(options.get("brand") or ""))
    return NORMALISERS.get(name, normalize_text)(raw)
