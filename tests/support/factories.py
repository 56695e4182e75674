"""Small builders for test data: users, images and extraction outcomes of invented people."""

from __future__ import annotations

import io
import re
from typing import Mapping, Optional

from PIL import Image, ImageDraw

from db.session import Database
from services.accounts.users import UserService
from services.domain.people import Principal, Role
from services.domain.results import ExtractionOutcome, FieldReading, SideReading
from services.domain.schema import BACK_FIELDS, FRONT_FIELDS, Side, VehicleKind
from services.review.intake import ImageInput, IntakeService, Submission
from services.review.workflow import ReviewService

BACK_VALUES = {
    "name": "NGUYỄN VĂN AN",
    "address": "Số 12 Ngõ 5, Phường Láng Hạ, Quận Đống Đa, Hà Nội",
    "address_town_code": "01",
    "address_district_code": "006",
    "address_ward_code": "00199",
    "address_town": "Thành phố Hà Nội",
    "address_district": "Quận Đống Đa",
    "address_ward": "Phường Láng Hạ",
    "engine": "JF83E1234567",
    "chassis": "RLHJF8300KY123456",
    "brand": "HONDA",
    "model": "VISION",
    "color": "Đỏ Đen",
    "capacity": "110",
    "issued_at": "Phòng CSGT Công an TP Hà Nội",
    "issued_at_code": "01",
    "last_issue_date": "08/01/2020",
    "first_issue_date": "08/01/2020",
    "plate": "29B1-123.45",
    "pay_load": "",
    "year_of_manufacture": "",
    "lie": "",
    "sit": "",
    "stand": "",
}
FRONT_VALUES = {k: BACK_VALUES[k] for k in ("name", "address", "plate", "issued_at")} | {"id": "012345"}


def png_bytes(text: str = "card", size: tuple[int, int] = (320, 200)) -> bytes:
    image = Image.new("RGB", size, (220, 235, 245))
    ImageDraw.Draw(image).text((10, 10), text, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def side_reading(side: Side, values: Optional[Mapping[str, str]] = None,
                 confidences: Optional[Mapping[str, float]] = None, default_confidence: float = 0.97) -> SideReading:
    specs = FRONT_FIELDS if side == Side.FRONT else BACK_FIELDS
    values = dict(values if values is not None else (FRONT_VALUES if side == Side.FRONT else BACK_VALUES))
    confidences = confidences or {}
    reading = SideReading(side=side, kind=VehicleKind.MOTORBIKE)
    for spec in specs:
        reading.fields[spec.name] = FieldReading(
            name=spec.name,
            value=values.get(spec.name, ""),
            confidence=confidences.get(spec.name, default_confidence) if spec.has_confidence else None,
            box=(10, 10, 100, 20),
        )
    return reading


def outcome(*sides: SideReading) -> ExtractionOutcome:
    return ExtractionOutcome(sides=list(sides), two_sided=len(sides) == 2, engine="test", engine_version="1")


PLATE = re.compile(r"^\d{2}[A-Z]{1,2}\d?-\d{3}\.?\d{2}$|^\d{2}[A-Z]-\d{4}$")


def plate_checker(values: Mapping[str, Mapping[str, str]], kind: str) -> dict[tuple[str, str], str]:
    """A small stand-in for the engine's checks: plates must match the printed patterns."""
    failures = {}
    for side, fields in values.items():
        plate = fields.get("plate")
        if plate is not None and not PLATE.match(plate):
            failures[(side, "plate")] = "not a plate number"
    return failures


def no_derivation(side: str, name: str, value: str) -> dict[str, str]:
    return {}


def make_user(database: Database, username: str, role: Role = Role.REVIEWER) -> Principal:
    return UserService(database).create(username, "correct horse battery", role)


def review_service(database: Database, **kwargs) -> ReviewService:
    kwargs.setdefault("checker", plate_checker)
    kwargs.setdefault("deriver", no_derivation)
    return ReviewService(database, **kwargs)


def intake(database: Database) -> IntakeService:
    return IntakeService(database, max_bytes=10_000_000, max_pixels=10_000_000)


def extracted_document(database: Database, *, confidences: Optional[Mapping[str, float]] = None,
                       back_values: Optional[Mapping[str, str]] = None, source_detail: str = "card.png") -> int:
    """A document that went through intake and extraction and now waits for review."""
    service = intake(database)
    document_id = service.submit(Submission(images=[ImageInput(png_bytes(source_detail), "back", source_detail)],
                                            source="upload", source_detail=source_detail))
    service.record_outcome(document_id, outcome(side_reading(Side.BACK, back_values, confidences)),
                           checker=plate_checker, thresholds={}, default_threshold=0.8)
    return document_id
