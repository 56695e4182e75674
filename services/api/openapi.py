"""Models and descriptions for the OpenAPI page (/docs): the seed's answers, field by field.

The routes build their answers from `ExtractionOutcome.to_seed`; these models only describe
them, from the same schema (`services.domain.schema`), so the page cannot drift from the answers.
"""

from __future__ import annotations

from typing import Any, Literal, Union

from pydantic import BaseModel, Field

from services.domain.schema import BackInfo, FrontInfo, TwoSidedInfo


class FrontItem(BaseModel):
    type: Literal["vehicle_registration_front"]
    info: FrontInfo  # type: ignore[valid-type]


class BackItem(BaseModel):
    type: Literal["vehicle_registration_back"]
    info: BackInfo  # type: ignore[valid-type]


class TwoSidedItem(BaseModel):
    type: Literal["vehicle_registrations"]
    info: TwoSidedInfo  # type: ignore[valid-type]


_CODE_DOC = ("0 success, 1 the photo does not contain content (or an image is missing), 2 URL unavailable, "
             "3 incorrect image format, 4 out of requests, 5 incorrect api_key or api_secret, "
             "6 incorrect format type")


class OneSideAnswer(BaseModel):
    """Answer of /vehicle_registration: one item, of the side that was read."""

    data: list[Union[FrontItem, BackItem]] = Field(default_factory=list)
    errorCode: str = Field(description=_CODE_DOC, examples=["0"])
    errorMessage: str = Field(examples=["Success"])


class TwoSidedAnswer(BaseModel):
    """Answer of /vehicle_registrations: one merged record of both sides."""

    data: list[TwoSidedItem] = Field(default_factory=list)
    errorCode: str = Field(description=_CODE_DOC, examples=["0"])
    errorMessage: str = Field(examples=["Success"])


class ErrorAnswer(BaseModel):
    data: list[Any] = Field(default_factory=list)
    errorCode: str
    errorMessage: str


def request_body(names: tuple[str, ...]) -> dict[str, Any]:
    """The two body forms of POST: multipart files (format_type=file) or JSON base64
    (format_type=base64)."""
    files = {n: {"type": "string", "format": "binary"} for n in names}
    texts = {n: {"type": "string", "description": "base64 of the image (newlines, data: prefix and "
                                                      "URL-safe alphabet accepted)"} for n in names}
    return {
        "required": False,
        "content": {
            "multipart/form-data": {"schema": {"type": "object", "properties": files}},
            "application/json": {"schema": {"type": "object", "properties": texts}},
        },
    }


def error_responses() -> dict[int | str, dict[str, Any]]:
    return {
        413: {"model": ErrorAnswer, "description": "Body over the size limit (errorCode 3)"},
        414: {"model": ErrorAnswer, "description": "Query string over the limit (errorCode 2)"},
        429: {"model": ErrorAnswer, "description": "Too many failed logins from this address (errorCode 5)"},
        500: {"model": ErrorAnswer, "description": "Internal error (errorCode 4); retry later"},
        503: {"model": ErrorAnswer, "description": "No extraction worker available (errorCode 4); retry later"},
    }
