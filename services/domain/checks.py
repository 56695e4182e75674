"""Checks on a whole record: each field against its format, and fields against each other.

Used by the engine (a failed check lowers the field's confidence) and by the review workflow,
which re-checks the values a reviewer typed before letting them approve. The rules between
fields are written once, in `cross_field_problems`, for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from services.domain.canonical import canonical, parse_date, same_on_both_sides
from services.domain.kinds import applies
from services.domain.normalize import normalize
from services.domain.reference import plate_codes
from services.domain.schema import REQUIRED, SPECS_BY_NAME

FieldKey = tuple[str, str]

# Fields printed on both sides: the two readings must agree.
SHARED = ("name", "address", "plate", "issued_at")
_REQUIRED = {side.value: names for side, names in REQUIRED.items()}


@dataclass(frozen=True)
class CrossProblem:
    """Two or more fields of one side that cannot all be right. `field` is the one a record check
    blames; `involved` are all of them (the engine doubts each)."""

    field: str
    involved: tuple[str, ...]
    reason: str


def field_problem(name: str, value: str, *, kind: str = "unknown") -> str:
    """Why a value fails its field's checks, or "" when it passes."""
    if not value:
        return ""
    motorbike = {"motorbike": True, "car": False}.get(kind)
    result = normalize(name, value, motorbike=motorbike) if name == "plate" else normalize(name, value)
    if not result.ok:
        return result.reason
    if canonical(name, result.value) != canonical(name, value) and name not in ("address", "brand", "color"):
        return f"looks misread: {result.value}?"
    return ""


def check_record(values: Mapping[str, Mapping[str, str]], kind: str) -> dict[FieldKey, str]:
    """(side, field) -> reason, for every field that fails a check."""
    failures: dict[FieldKey, str] = {}
    for side, fields in values.items():
        required = _REQUIRED.get(side, ())
        for name, value in fields.items():
            spec = SPECS_BY_NAME.get(name)
            if spec is None or spec.derived or not applies(name, kind):
                continue  # a field the card's kind does not carry never fails
            problem = field_problem(name, value or "", kind=kind)
            if problem:
                failures[(side, name)] = problem
            elif not value and name in required:
                failures[(side, name)] = "missing"
        for cross in cross_field_problems(fields):
            failures.setdefault((side, cross.field), cross.reason)
    if "front" in values and "back" in values:
        for name in SHARED:
            a, b = values["front"].get(name, ""), values["back"].get(name, "")
            if a and b and not same_on_both_sides(name, a, b):
                for side in ("front", "back"):
                    failures.setdefault((side, name), DISAGREE)
    return failures


DISAGREE = "front and back disagree"


def cross_field_problems(fields: Mapping[str, str]) -> list[CrossProblem]:
    """The rules between the fields of one side: dates in order, made before registered, and the
    plate's province the issuer's (`issued_at_code`)."""
    problems: list[CrossProblem] = []
    first = parse_date(fields.get("first_issue_date", "") or "")
    last = parse_date(fields.get("last_issue_date", "") or "")
    if first and last and first > last:
        problems.append(CrossProblem("first_issue_date", ("first_issue_date", "last_issue_date"),
                                     "first registration after the issue date"))
    year_text = fields.get("year_of_manufacture", "") or ""
    if first and year_text.isdigit() and int(year_text) > first.year:
        problems.append(CrossProblem("year_of_manufacture", ("year_of_manufacture",),
                                     "made after its first registration"))
    problem = plate_province_problem(fields.get("plate", ""), fields.get("issued_at_code", ""))
    if problem:
        problems.append(CrossProblem("plate", ("plate",), problem))
    return problems


def plate_province_problem(plate: str, issued_at_code: Optional[str]) -> str:
    """A plate's prefix names the province that registered it: it must match the issuer's."""
    if not plate or not issued_at_code:
        return ""
    province = plate_codes.province_of_plate(plate)
    if province is None or province == issued_at_code:
        return ""
    return f"plate prefix {plate[:2]} is not the issuing province's ({issued_at_code})"
