"""What an extraction produced, richer than the seed's answer and convertible to it.

Every backend (local engine, self-hosted server, cloud API) returns an `ExtractionOutcome`; the
review workflow stores it and the API server turns it into the seed's JSON. Boxes, check results
and notes exist only here: the seed format has no place for them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Optional

from services.domain.canonical import same_on_both_sides
from services.domain.schema import (
    BACK_TYPE,
    FRONT_TYPE,
    SIDE_FIELDS,
    SIDE_TYPES,
    TWO_SIDED_FIELDS,
    TWO_SIDED_TYPE,
    TYPE_SIDES,
    ErrorCode,
    SeedItem,
    SeedResponse,
    Side,
    VehicleKind,
    confidence_key,
    empty_info,
)

Box = tuple[int, int, int, int]  # x, y, width, height on the aligned card
Point = tuple[float, float]


@dataclass
class FieldReading:
    name: str
    value: str = ""
    confidence: Optional[float] = None  # None for derived fields (codes, official unit names)
    box: Optional[Box] = None
    check_ok: bool = True
    check_reason: str = ""
    note: str = ""  # what normalisation changed, e.g. "O read as 0 in a serial"


@dataclass
class SideReading:
    side: Side
    kind: VehicleKind = VehicleKind.UNKNOWN
    fields: dict[str, FieldReading] = field(default_factory=dict)
    aligned_jpeg: Optional[bytes] = None
    timings: dict[str, float] = field(default_factory=dict)
    # The card's top-left, top-right, bottom-right and bottom-left corners as it was read (the
    # way up its text was read), in the pixels of the picture given: which way the engine
    # turned the card, and where it found it.
    card_corners: Optional[tuple[Point, Point, Point, Point]] = None

    def value(self, name: str) -> str:
        reading = self.fields.get(name)
        return reading.value if reading else ""

    def to_info(self, *, thumb: bool) -> dict[str, Any]:
        info = empty_info(SIDE_TYPES[self.side])
        for spec in SIDE_FIELDS[self.side]:
            reading = self.fields.get(spec.name)
            if reading is None:
                continue
            info[spec.name] = reading.value
            if spec.has_confidence:
                info[confidence_key(spec.name)] = _rounded(reading.confidence)
        if thumb and self.aligned_jpeg:
            info["image"] = base64.b64encode(self.aligned_jpeg).decode("ascii")
        return info

    @classmethod
    def from_info(cls, item_type: str, info: dict[str, Any]) -> "SideReading":
        """Read one side back from a seed `info` object (for remote backends)."""
        side = TYPE_SIDES[item_type]
        reading = cls(side=side)
        for spec in SIDE_FIELDS[side]:
            confidence = info.get(confidence_key(spec.name)) if spec.has_confidence else None
            reading.fields[spec.name] = FieldReading(
                name=spec.name,
                value=str(info.get(spec.name) or ""),
                confidence=float(confidence) if confidence is not None else None,
            )
        image = info.get("image")
        if isinstance(image, str) and image:
            reading.aligned_jpeg = _b64_or_none(image)
        return reading


@dataclass
class ExtractionOutcome:
    """The result of one request: one or two sides, or an error code."""

    error: ErrorCode = ErrorCode.SUCCESS
    detail: str = ""
    sides: list[SideReading] = field(default_factory=list)
    two_sided: bool = False
    engine: str = ""
    engine_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error == ErrorCode.SUCCESS

    def side(self, side: Side) -> Optional[SideReading]:
        for reading in self.sides:
            if reading.side == side:
                return reading
        return None

    def to_seed(self, *, thumb: bool = False) -> SeedResponse:
        if not self.ok:
            return SeedResponse.failure(self.error, self.detail)
        if self.two_sided:
            return SeedResponse.success([SeedItem(type=TWO_SIDED_TYPE, info=self.merged_info(thumb=thumb))])
        return SeedResponse.success(
            [SeedItem(type=SIDE_TYPES[s.side], info=s.to_info(thumb=thumb)) for s in self.sides]
        )

    def merged_info(self, *, thumb: bool) -> dict[str, Any]:
        info = empty_info(TWO_SIDED_TYPE)
        merged = merge_sides(self.side(Side.FRONT), self.side(Side.BACK))
        for spec in TWO_SIDED_FIELDS:
            reading = merged.get(spec.name)
            if reading is None:
                continue
            info[spec.name] = reading.value
            if spec.has_confidence:
                info[confidence_key(spec.name)] = _rounded(reading.confidence)
        if thumb:
            for key, side in (("image1", Side.FRONT), ("image2", Side.BACK)):
                reading_side = self.side(side)
                if reading_side and reading_side.aligned_jpeg:
                    info[key] = base64.b64encode(reading_side.aligned_jpeg).decode("ascii")
        return info

    @classmethod
    def from_seed(cls, response: SeedResponse, *, engine: str, engine_version: str = "") -> "ExtractionOutcome":
        """Turn a remote backend's answer into an outcome (images decoded, fields unchecked)."""
        if response.error_code != ErrorCode.SUCCESS:
            return cls(error=response.error_code, detail=response.errorMessage, engine=engine,
                       engine_version=engine_version)
        outcome = cls(engine=engine, engine_version=engine_version)
        for item in response.data:
            if item.type in (FRONT_TYPE, BACK_TYPE):
                outcome.sides.append(SideReading.from_info(item.type, item.info))
            elif item.type == TWO_SIDED_TYPE:
                outcome.two_sided = True
                outcome.sides.extend(_split_two_sided(item.info))
        return outcome


def combine_confidences(chosen: Optional[float], other: Optional[float], agree: bool) -> Optional[float]:
    """Confidence of a value read on both sides, treating the two readings as independent.

    Agreeing readings are wrong only if both are; when they disagree, the chosen one is right
    with probability c1 (1 - c2) / (1 - c1 c2).
    """
    if chosen is None or other is None:
        return chosen if other is None else other
    if agree:
        return min(0.999, 1.0 - (1.0 - chosen) * (1.0 - other))
    denominator = 1.0 - chosen * other
    if denominator <= 0:
        return 0.5
    return chosen * (1.0 - other) / denominator


def merge_sides(front: Optional[SideReading], back: Optional[SideReading]) -> dict[str, FieldReading]:
    """One record from both sides: back fields, the front's certificate number, and for fields
    printed on both sides the reading with the higher confidence."""
    merged: dict[str, FieldReading] = {}
    if back is not None:
        merged.update(back.fields)
    if front is None:
        return merged
    for name, reading in front.fields.items():
        existing = merged.get(name)
        if existing is None or not existing.value:
            merged[name] = reading
            continue
        if not reading.value:
            continue
        agree = same_on_both_sides(name, existing.value, reading.value)
        first, second = (
            (existing, reading)
            if (existing.confidence or 0.0) >= (reading.confidence or 0.0)
            else (reading, existing)
        )
        merged[name] = FieldReading(
            name=name,
            value=first.value,
            confidence=combine_confidences(first.confidence, second.confidence, agree),
            box=first.box,
            check_ok=first.check_ok and (agree or not second.value),
            check_reason=first.check_reason or ("" if agree else "front and back disagree"),
            note=first.note,
        )
    return merged


def _split_two_sided(info: dict[str, Any]) -> list[SideReading]:
    """A remote two-sided answer is one merged record: keep it as a back side plus the front's
    certificate number, which is the only front field not on the back."""
    back = SideReading.from_info(BACK_TYPE, {k: v for k, v in info.items() if k not in ("image1", "image2")})
    front = SideReading(side=Side.FRONT)
    for name in ("id", "name", "address", "plate", "issued_at"):
        source = info.get(name)
        conf = info.get(confidence_key(name))
        front.fields[name] = FieldReading(
            name=name, value=str(source or ""), confidence=float(conf) if conf is not None else None
        )
    if isinstance(info.get("image1"), str) and info["image1"]:
        front.aligned_jpeg = _b64_or_none(info["image1"])
    if isinstance(info.get("image2"), str) and info["image2"]:
        back.aligned_jpeg = _b64_or_none(info["image2"])
    return [front, back]


def _rounded(confidence: Optional[float]) -> float:
    return round(float(confidence), 4) if confidence is not None else 0.0


def _b64_or_none(text: str) -> Optional[bytes]:
    try:
        return base64.b64decode(text, validate=False)
    except (ValueError, TypeError):
        return None
