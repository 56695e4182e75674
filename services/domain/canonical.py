"""Canonical forms of field values: two values are "the same" when their canonical forms are.

The rules, per field kind (see `services.domain.schema.FieldKind`):
- every value: Unicode NFC, case folded, runs of white space collapsed, ends stripped;
- plates: letters and digits only (`30A-123.45` == `30A12345`);
- dates: the calendar date, whatever the writing (`5/06/2012` == `05/06/2012` ==
  `ngày 05 tháng 06 năm 2012`);
- numbers: the number (`05` == `5`, `1.250` == `1250`, `550 kg` == `550`; `109,5` is 109.5);
- codes: the integer (`001` == `1`);
- certificate numbers: digits only; engine and chassis numbers: without spaces.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Optional

from services.domain.schema import FIELD_KINDS, FieldKind

_SPACES = re.compile(r"\s+")
_DATE_NUMERIC = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DATE_WORDS = re.compile(r"ng[aà]y\D{0,12}?(\d{1,2})\D{1,20}?(\d{1,2})\D{1,20}?(\d{4})", re.IGNORECASE)


def clean_text(value: str) -> str:
    """NFC, collapsed white space, stripped; case kept (values are shown as printed)."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value or "")).strip()


def canonical_text(value: str) -> str:
    return clean_text(value).casefold()


def canonical_plate(value: str) -> str:
    return "".join(ch for ch in canonical_text(value) if ch.isalnum()).upper()


def parse_date(value: str) -> Optional[date]:
    text = clean_text(value)
    for pattern, order in ((_DATE_NUMERIC, "dmy"), (_DATE_ISO, "ymd"), (_DATE_WORDS, "dmy")):
        match = pattern.search(text)
        if not match:
            continue
        parts = [int(part) for part in match.groups()]
        day, month, year = parts if order == "dmy" else (parts[2], parts[1], parts[0])
        try:
            return date(year, month, day)
        except ValueError:
            return None
    return None


def canonical_date(value: str) -> str:
    parsed = parse_date(value)
    return parsed.isoformat() if parsed else canonical_text(value)


def parse_number(value: str) -> Optional[Decimal]:
    """Vietnamese writing: `.` groups thousands, `,` marks decimals; units are ignored."""
    match = re.search(r"\d[\d.,]*", clean_text(value))
    if not match:
        return None
    digits = match.group(0).rstrip(".,")
    digits = digits.replace(".", "").replace(",", ".")
    try:
        return Decimal(digits).normalize()
    except InvalidOperation:
        return None


def canonical_number(value: str) -> str:
    number = parse_number(value)
    if number is None:
        return canonical_text(value)
    return format(number, "f")


def canonical_code(value: str) -> str:
    digits = "".join(ch for ch in value if ch.isdecimal())  # not "²", which int() refuses
    return str(int(digits)) if digits else ""


def canonical_digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def canonical_serial(value: str) -> str:
    return canonical_text(value).replace(" ", "").upper()


_BY_KIND = {
    FieldKind.TEXT: canonical_text,
    FieldKind.PLATE: canonical_plate,
    FieldKind.DATE: canonical_date,
    FieldKind.NUMBER: canonical_number,
    FieldKind.CODE: canonical_code,
    FieldKind.DIGITS: canonical_digits,
    FieldKind.SERIAL: canonical_serial,
}


def canonical_for_kind(kind: FieldKind, value: Optional[str]) -> str:
    if value is None:
        return ""
    return _BY_KIND[kind](str(value))


def canonical(field_name: str, value: Optional[str]) -> str:
    """The canonical form of a value of the named seed field (unknown names count as text)."""
    return canonical_for_kind(FIELD_KINDS.get(field_name, FieldKind.TEXT), value)


def same_value(field_name: str, a: Optional[str], b: Optional[str]) -> bool:
    return canonical(field_name, a) == canonical(field_name, b)


def same_on_both_sides(field_name: str, front: Optional[str], back: Optional[str]) -> bool:
    """Whether the two sides of a card print the same value. Plates that both show their dash
    are compared part by part: `61Z7-1424` and `61Z-714.24` have the same characters but a
    different series (a motorbike's against a car's); a plate written without separators
    (`30A12345`) is compared by its characters only."""
    if field_name == "plate":
        a, b = (clean_text(v or "").upper().replace(" ", "") for v in (front, back))
        if "-" in a and "-" in b:
            head_a, _, tail_a = a.partition("-")
            head_b, _, tail_b = b.partition("-")
            return head_a == head_b and canonical_digits(tail_a) == canonical_digits(tail_b)
    return same_value(field_name, front, back)
