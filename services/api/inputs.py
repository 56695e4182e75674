"""Request decoding: `format_type` and the request's images, as the seed's clients send them.

Two steps, so that nothing costly happens before the request is known to be well formed and the
key's quota is counted: `read_sources` checks the shape of the request and returns where each
image is (a URL, a file, a base64 string); `materialise` turns each into bytes (fetching URLs,
decoding base64), which is where codes 2 and 3 come from.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Optional, Sequence

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

from services.domain.schema import ErrorCode, SeedError


class FormatType(str, Enum):
    URL = "url"
    FILE = "file"
    BASE64 = "base64"


ONE_SIDE = ("img",)
TWO_SIDES = ("img1", "img2")
_TRUE = {"true", "1", "yes", "on"}


def parse_format_type(raw: Optional[str]) -> FormatType:
    if raw is None or not raw.strip():
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, "format_type is missing: use url, file or base64")
    try:
        return FormatType(raw.strip().lower())
    except ValueError:
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, f"unknown format_type {raw[:40]!r}: use url, file or base64"
                        ) from None


def parse_flag(raw: Optional[str], default: bool) -> bool:
    """`true`/`1`/`yes` are true; anything else given is false (the seed documents true/false)."""
    if raw is None or not raw.strip():
        return default
    return raw.strip().lower() in _TRUE


@dataclass(frozen=True)
class Source:
    """Where one image of the request is, before it is read."""

    name: str  # img, img1, img2
    url: Optional[str] = None
    upload: Optional[UploadFile] = None
    text: Optional[str] = None  # base64

    @property
    def label(self) -> str:
        """What the stored document records as its source (never the image itself)."""
        if self.url is not None:
            return self.url
        if self.upload is not None:
            return self.upload.filename or self.name
        return f"{self.name} (base64)"

    @property
    def filename(self) -> str:
        if self.upload is not None and self.upload.filename:
            return self.upload.filename
        if self.url is not None:
            return self.url.rsplit("/", 1)[-1].split("?", 1)[0][:255]
        return ""


@dataclass
class RequestInput:
    """The request's image sources. Uploads in them stay open until the request is closed
    (`Request.close()` closes the parsed form)."""

    format_type: FormatType
    sources: list[Source]


def _missing(name: str, names: Sequence[str], present: Callable[[str], bool]) -> SeedError:
    """Code 1 for an image the call needs but the request lacks (no photo, no content)."""
    if names == TWO_SIDES:
        hint = "the two-sided call needs img1 (front) and img2 (back)"
        if present("img"):
            hint += "; img belongs to /vehicle_registration"
    else:
        hint = "the one-side call needs img (front or back)"
        if present("img1") or present("img2"):
            hint += "; img1 and img2 belong to /vehicle_registrations"
    return SeedError(ErrorCode.NO_CONTENT, f"{name} is missing: {hint}")


def _media_type(request: Request) -> str:
    return (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()


def _is_form(media_type: str) -> bool:
    return media_type in ("multipart/form-data", "application/x-www-form-urlencoded")


async def _json_object(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, "the body is not valid JSON") from None
    if not isinstance(value, dict):
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, "the JSON body must be an object like {\"img\": \"...\"}")
    return value


async def _form(request: Request, max_part_size: int) -> FormData:
    try:
        return await request.form(max_files=4, max_fields=32, max_part_size=max_part_size)
    except MultiPartException as exc:
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, f"the form body is malformed ({exc.message})") from None
    except HTTPException as exc:  # Starlette's wrapping of MultiPartException inside an app
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, f"the form body is malformed ({exc.detail})") from None
    except (AssertionError, ValueError, KeyError) as exc:
        # Starlette and python-multipart raise these for some malformed bodies.
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, "the form body is malformed") from exc


def _text_value(name: str, value: Any) -> Optional[str]:
    """A JSON or form value meant as text; None when absent or empty."""
    if value is None:
        return None
    if isinstance(value, UploadFile):
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE, f"{name} is a file upload: send it with format_type=file")
    if not isinstance(value, str):
        raise SeedError(ErrorCode.BAD_IMAGE, f"{name} must be a string, not {type(value).__name__}")
    return value if value.strip() else None


async def read_sources(request: Request, format_type: FormatType, names: Sequence[str], *,
                       body_cap: int) -> RequestInput:
    """The request's image sources; raises SeedError 6 (shape) or 1 (an image missing)."""
    method = request.method.upper()
    media_type = _media_type(request)
    if method == "GET" and format_type != FormatType.URL:
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE,
                        f"GET takes image URLs (format_type=url); send format_type={format_type.value} with POST")

    if format_type == FormatType.URL:
        values: dict[str, Any] = {n: request.query_params.get(n) for n in names}
        present_elsewhere = lambda n: request.query_params.get(n) is not None  # noqa: E731
        if method == "POST" and not any(values.values()):
            # POST with format_type=url: the URLs may also come in a JSON or form body.
            if _is_form(media_type):
                form = await _form(request, max_part_size=64 * 1024)
                values = {n: form.get(n) for n in names}
                present_elsewhere = lambda n: form.get(n) is not None  # noqa: E731
            elif media_type in ("", "application/json") or media_type.endswith("+json"):
                body = await _json_object(request)
                values = {n: body.get(n) for n in names}
                present_elsewhere = lambda n: body.get(n) is not None  # noqa: E731
            if not any(values.values()):
                raise SeedError(ErrorCode.BAD_FORMAT_TYPE,
                                "format_type=url but the request carries no image URL "
                                f"({', '.join(names)} in the query string)")
        sources = []
        for name in names:
            url = _text_value(name, values.get(name))
            if url is None:
                raise _missing(name, names, present_elsewhere)
            sources.append(Source(name=name, url=url.strip()))
        return RequestInput(format_type, sources)

    if format_type == FormatType.FILE:
        if media_type != "multipart/form-data":
            raise SeedError(ErrorCode.BAD_FORMAT_TYPE,
                            "format_type=file needs a multipart/form-data body with the image files "
                            f"({', '.join(names)}), not {media_type or 'an untyped body'}")
        form = await _form(request, max_part_size=64 * 1024)
        sources = []
        for name in names:
            value = form.get(name)
            if value is None or (isinstance(value, str) and not value.strip()):
                raise _missing(name, names, lambda n: form.get(n) is not None)
            if not isinstance(value, UploadFile):
                raise SeedError(ErrorCode.BAD_FORMAT_TYPE,
                                f"{name} is a text field: with format_type=file send it as a file part")
            sources.append(Source(name=name, upload=value))
        return RequestInput(format_type, sources)

    # base64: a JSON object as in the seed, or form text fields.
    if _is_form(media_type):
        form = await _form(request, max_part_size=body_cap)
        lookup: Callable[[str], Any] = form.get
    elif media_type in ("", "application/json", "text/plain") or media_type.endswith("+json"):
        body = await _json_object(request)
        lookup = body.get
    else:
        raise SeedError(ErrorCode.BAD_FORMAT_TYPE,
                        f"format_type=base64 needs a JSON body like {{\"{names[0]}\": \"...\"}}, not {media_type}")
    sources = []
    for name in names:
        text = _text_value(name, lookup(name))
        if text is None:
            raise _missing(name, names, lambda n: lookup(n) is not None)
        sources.append(Source(name=name, text=text))
    return RequestInput(format_type, sources)


_DATA_URL = re.compile(r"^data:[\w.+/-]*(;[\w.+-]+=[\w.+-]+)*;base64,", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
_STANDARD = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")
_URLSAFE = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


def decode_base64_image(text: str, name: str = "img", *, max_bytes: Optional[int] = None) -> bytes:
    """Bytes of a base64 image as clients send it: with the newlines of `base64.encodebytes`,
    plain, URL-safe, without padding, or behind a `data:image/...;base64,` prefix.

    Raises SeedError 3 for anything else.
    """
    compact = _WHITESPACE.sub("", _DATA_URL.sub("", text.strip(), count=1))
    if not compact:
        raise SeedError(ErrorCode.NO_CONTENT, f"{name} is empty")
    if max_bytes is not None and len(compact) > (max_bytes + 2) // 3 * 4 + 4:
        raise SeedError(ErrorCode.BAD_IMAGE, f"{name} is larger than {max_bytes // (1024 * 1024)} MB")
    if _STANDARD.match(compact):
        alphabet = "standard"
    elif _URLSAFE.match(compact):
        alphabet = "urlsafe"
    else:
        raise SeedError(ErrorCode.BAD_IMAGE, f"{name} is not valid base64")
    unpadded = compact.rstrip("=")
    if not unpadded:  # "==": padding and nothing else
        raise SeedError(ErrorCode.NO_CONTENT, f"{name} is empty")
    if len(unpadded) % 4 == 1:
        raise SeedError(ErrorCode.BAD_IMAGE, f"{name} is not valid base64 (truncated)")
    padded = unpadded + "=" * (-len(unpadded) % 4)
    try:
        if alphabet == "urlsafe":
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise SeedError(ErrorCode.BAD_IMAGE, f"{name} is not valid base64") from None


async def materialise(source: Source, *, fetch: Callable[[str], Any], max_bytes: int) -> bytes:
    """The bytes of one image: fetched (code 2 on failure), read, or decoded (code 3).

    `fetch` is an async callable taking a URL (the safe fetcher, run off the event loop).
    """
    if source.url is not None:
        return await fetch(source.url)
    if source.upload is not None:
        # One byte over the limit is enough to refuse the file (code 3) without reading it all.
        data = await source.upload.read(max_bytes + 1)
        if not data:
            raise SeedError(ErrorCode.BAD_IMAGE, f"{source.name} is an empty file")
        return data
    assert source.text is not None
    return decode_base64_image(source.text, source.name, max_bytes=max_bytes)
