"""The seed API's schema, defined once.

Field names, their order, the response wrapper and the error codes follow
`shared/seed-api.md` exactly. The server, the client, the engine, the review app and the
benchmarks all import from here, so a field added or renamed here is added or renamed everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any, Literal, Mapping, Optional

from pydantic import BaseModel, ConfigDict, Field, create_model


class Side(str, Enum):
    FRONT = "front"
    BACK = "back"


class VehicleKind(str, Enum):
    """What the certificate registers. The engine tells a motorbike from a car (ô tô); a
    reviewer may say more precisely that a car is a truck or a bus."""

    CAR = "car"
    MOTORBIKE = "motorbike"
    TRUCK = "truck"
    BUS = "bus"
    UNKNOWN = "unknown"


FRONT_TYPE = "vehicle_registration_front"
BACK_TYPE = "vehicle_registration_back"
TWO_SIDED_TYPE = "vehicle_registrations"
ItemType = Literal["vehicle_registration_front", "vehicle_registration_back", "vehicle_registrations"]


class FieldKind(str, Enum):
    """How a value is written, compared and checked."""

    TEXT = "text"  # free text as printed: names, addresses, brands, units
    PLATE = "plate"  # 30A-123.45, 59X2-328.98, 14N-5985
    DATE = "date"  # dd/mm/yyyy
    NUMBER = "number"  # 1.250, 05, 550
    SERIAL = "serial"  # engine and chassis numbers: upper-case letters and digits
    DIGITS = "digits"  # certificate number, digits only
    CODE = "code"  # administrative (GSO) code, digits as a string


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: FieldKind
    # Codes and official unit names are derived from the address (the issuing province's code
    # from the issuing unit): set from that field, never read or corrected on their own, and the
    # seed gives them no confidence of their own.
    derived_from: Optional[str] = None
    # Every card of this side prints it; the others may be absent (a motorbike has no seats).
    required: bool = False

    @property
    def derived(self) -> bool:
        return self.derived_from is not None

    @property
    def has_confidence(self) -> bool:
        return self.derived_from is None


_T, _P, _D, _N, _S, _G, _C = (
    FieldKind.TEXT,
    FieldKind.PLATE,
    FieldKind.DATE,
    FieldKind.NUMBER,
    FieldKind.SERIAL,
    FieldKind.DIGITS,
    FieldKind.CODE,
)

_REQ = {"required": True}
_FROM_ADDRESS = {"derived_from": "address"}

FRONT_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", _T, **_REQ),
    FieldSpec("address", _T, **_REQ),
    FieldSpec("id", _G, **_REQ),
    FieldSpec("plate", _P, **_REQ),
    FieldSpec("issued_at", _T, **_REQ),
)

BACK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", _T, **_REQ),
    FieldSpec("address", _T, **_REQ),
    FieldSpec("address_town_code", _C, **_FROM_ADDRESS),
    FieldSpec("address_district_code", _C, **_FROM_ADDRESS),
    FieldSpec("address_ward_code", _C, **_FROM_ADDRESS),
    FieldSpec("address_town", _T, **_FROM_ADDRESS),
    FieldSpec("address_district", _T, **_FROM_ADDRESS),
    FieldSpec("address_ward", _T, **_FROM_ADDRESS),
    FieldSpec("engine", _S, **_REQ),
    FieldSpec("chassis", _S, **_REQ),
    FieldSpec("brand", _T, **_REQ),
    FieldSpec("model", _T),
    FieldSpec("color", _T, **_REQ),
    FieldSpec("capacity", _N),
    FieldSpec("issued_at", _T),
    FieldSpec("issued_at_code", _C, derived_from="issued_at"),
    FieldSpec("last_issue_date", _D, **_REQ),
    FieldSpec("first_issue_date", _D, **_REQ),
    FieldSpec("plate", _P, **_REQ),
    FieldSpec("pay_load", _N),
    FieldSpec("year_of_manufacture", _N),
    FieldSpec("lie", _N),
    FieldSpec("sit", _N),
    FieldSpec("stand", _N),
)

SIDE_FIELDS: Mapping[Side, tuple[FieldSpec, ...]] = {Side.FRONT: FRONT_FIELDS, Side.BACK: BACK_FIELDS}
SIDE_TYPES: Mapping[Side, str] = {Side.FRONT: FRONT_TYPE, Side.BACK: BACK_TYPE}
TYPE_SIDES: Mapping[str, Side] = {FRONT_TYPE: Side.FRONT, BACK_TYPE: Side.BACK}

# A two-sided answer is one record: every back field, plus the certificate number that only the
# front carries. Fields printed on both sides take the reading with the higher confidence.
# Each side's aligned card goes in `image1` (front) and `image2` (back), named after the request's
# `img1` / `img2`.
TWO_SIDED_FIELDS: tuple[FieldSpec, ...] = (FieldSpec("id", _G),) + BACK_FIELDS
TWO_SIDED_IMAGE_KEYS = ("image1", "image2")

FIELD_KINDS: Mapping[str, FieldKind] = {
    spec.name: spec.kind for spec in FRONT_FIELDS + BACK_FIELDS
}
SPECS_BY_NAME: Mapping[str, FieldSpec] = {spec.name: spec for spec in FRONT_FIELDS + BACK_FIELDS}
# Which fields each side must carry, and which fields follow from which: read off the specs above.
REQUIRED: Mapping[Side, tuple[str, ...]] = {
    side: tuple(spec.name for spec in specs if spec.required) for side, specs in SIDE_FIELDS.items()
}
DERIVED_FROM: Mapping[str, tuple[str, ...]] = {
    source: tuple(spec.name for spec in BACK_FIELDS if spec.derived_from == source)
    for source in dict.fromkeys(spec.derived_from for spec in BACK_FIELDS if spec.derived_from)
}


def confidence_key(name: str) -> str:
    return f"{name}_confidence"


def info_keys(specs: tuple[FieldSpec, ...], image_keys: tuple[str, ...] = ("image",)) -> list[str]:
    """The keys of one `info` object, in the seed's order."""
    keys: list[str] = []
    for spec in specs:
        keys.append(spec.name)
        if spec.has_confidence:
            keys.append(confidence_key(spec.name))
    keys.extend(image_keys)
    return keys


def specs_for_type(item_type: str) -> tuple[FieldSpec, ...]:
    if item_type == FRONT_TYPE:
        return FRONT_FIELDS
    if item_type == BACK_TYPE:
        return BACK_FIELDS
    if item_type == TWO_SIDED_TYPE:
        return TWO_SIDED_FIELDS
    raise ValueError(f"unknown item type {item_type!r}")


def image_keys_for_type(item_type: str) -> tuple[str, ...]:
    return TWO_SIDED_IMAGE_KEYS if item_type == TWO_SIDED_TYPE else ("image",)


def empty_info(item_type: str) -> dict[str, Any]:
    """An `info` object with every key present: empty values, zero confidences, no image."""
    info: dict[str, Any] = {}
    for spec in specs_for_type(item_type):
        info[spec.name] = ""
        if spec.has_confidence:
            info[confidence_key(spec.name)] = 0.0
    for key in image_keys_for_type(item_type):
        info[key] = ""
    return info


class ErrorCode(IntEnum):
    SUCCESS = 0
    NO_CONTENT = 1
    URL_UNAVAILABLE = 2
    BAD_IMAGE = 3
    OUT_OF_REQUESTS = 4
    BAD_CREDENTIALS = 5
    BAD_FORMAT_TYPE = 6

    @property
    def message(self) -> str:
        return ERROR_MESSAGES[self]


ERROR_MESSAGES: Mapping[ErrorCode, str] = {
    ErrorCode.SUCCESS: "Success",
    ErrorCode.NO_CONTENT: "The photo does not contain content",
    ErrorCode.URL_UNAVAILABLE: "Url is unavailable",
    ErrorCode.BAD_IMAGE: "Incorrect image format",
    ErrorCode.OUT_OF_REQUESTS: "Out of requests",
    ErrorCode.BAD_CREDENTIALS: "Incorrect api_key or api_secret",
    ErrorCode.BAD_FORMAT_TYPE: "Incorrect format type",
}


class SeedError(Exception):
    """An error that reaches the API edge as one of the seed's codes.

    `detail` says what exactly was wrong, for logs and for the app; the seed's message stays the
    `errorMessage` so clients that compare messages keep working.
    """

    def __init__(self, code: ErrorCode, detail: str = "") -> None:
        super().__init__(f"{code.message}: {detail}" if detail else code.message)
        self.code = code
        self.detail = detail


class SeedItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: ItemType
    info: dict[str, Any]


class SeedResponse(BaseModel):
    """`{"data": [...], "errorCode": "0", "errorMessage": "Success"}`."""

    data: list[SeedItem] = Field(default_factory=list)
    errorCode: str
    errorMessage: str

    @classmethod
    def success(cls, items: list[SeedItem]) -> "SeedResponse":
        return cls(data=items, errorCode=str(int(ErrorCode.SUCCESS)), errorMessage=ErrorCode.SUCCESS.message)

    @classmethod
    def failure(cls, code: ErrorCode, detail: str = "") -> "SeedResponse":
        message = code.message
        # The seed's message comes first, unchanged; the detail follows for humans.
        if detail:
            message = f"{message}: {detail}"
        return cls(data=[], errorCode=str(int(code)), errorMessage=message)

    @property
    def error_code(self) -> ErrorCode:
        return ErrorCode(int(self.errorCode))


def _info_model(model_name: str, item_type: str) -> type[BaseModel]:
    """A pydantic model of one `info` object, for validation and the OpenAPI page."""
    definitions: dict[str, Any] = {}
    for spec in specs_for_type(item_type):
        definitions[spec.name] = (str, "")
        if spec.has_confidence:
            definitions[confidence_key(spec.name)] = (float, Field(0.0, ge=0.0, le=1.0))
    for key in image_keys_for_type(item_type):
        definitions[key] = (str, "")
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **definitions)


FrontInfo = _info_model("FrontInfo", FRONT_TYPE)
BackInfo = _info_model("BackInfo", BACK_TYPE)
TwoSidedInfo = _info_model("TwoSidedInfo", TWO_SIDED_TYPE)
INFO_MODELS: Mapping[str, type[BaseModel]] = {
    FRONT_TYPE: FrontInfo,
    BACK_TYPE: BackInfo,
    TWO_SIDED_TYPE: TwoSidedInfo,
}


def validate_item(item: SeedItem) -> None:
    """Raise `pydantic.ValidationError` unless the item carries exactly the schema's keys."""
    model = INFO_MODELS[item.type]
    missing = set(model.model_fields) - set(item.info)
    if missing:
        raise ValueError(f"{item.type} lacks {sorted(missing)}")
    model.model_validate(item.info)
