"""Client of the seed API: the cloud service, or our own server (`python -m services.api`).

The six calls of the seed, by name:

| call | seed route | input |
|---|---|---|
| `registration_url(url)` | GET `/vehicle_registration` | an image URL |
| `registration_file(image)` | POST `/vehicle_registration` multipart | bytes, a path or a file |
| `registration_base64(image)` | POST `/vehicle_registration` JSON | bytes, a path or a file |
| `registrations_url(front, back)` | GET `/vehicle_registrations` | two URLs |
| `registrations_file(front, back)` | POST `/vehicle_registrations` multipart | two images |
| `registrations_base64(front, back)` | POST `/vehicle_registrations` JSON | two images |

Each returns the `SeedResponse` of a success, and raises otherwise: a seed error code becomes
the exception class of that code (`NoContentError`, ..., `FormatTypeError`, all `OcrApiError`
carrying `code` and the seed's `message`); a failure of the transport or of HTTP itself becomes
`OcrUnavailableError` (after retries) or `OcrHttpError`.

Retries: only where a second try can succeed and cannot count twice — a connection that could
not be made, and HTTP 5xx answers — with exponential backoff. A read timeout is not retried: the
server may still be working on the request, and a retry would spend the quota twice.
"""

from __future__ import annotations

import base64
import logging
import os
import random
import time
from pathlib import Path
from typing import IO, Any, Mapping, Optional, Sequence, Union

import requests
from pydantic import ValidationError

from services.domain.schema import ErrorCode, SeedResponse

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://cloud.computervision.com.vn"
ONE_SIDE_PATH = "/api/v2/ocr/vehicle_registration"
TWO_SIDES_PATH = "/api/v2/ocr/vehicle_registrations"

ImageArg = Union[bytes, bytearray, str, os.PathLike, IO[bytes]]


class OcrClientError(Exception):
    """Any failure of a call."""


class OcrApiError(OcrClientError):
    """The service answered with one of the seed's error codes."""

    code: ErrorCode = ErrorCode.NO_CONTENT

    def __init__(self, message: str = "", *, http_status: int = 200) -> None:
        self.message = message or self.code.message
        self.http_status = http_status
        super().__init__(f"{int(self.code)}: {self.message}")

    @property
    def detail(self) -> str:
        """What follows the seed's message (our server adds one), or the whole message."""
        prefix = self.code.message + ": "
        return self.message[len(prefix):] if self.message.startswith(prefix) else self.message


class NoContentError(OcrApiError):
    code = ErrorCode.NO_CONTENT


class UrlUnavailableError(OcrApiError):
    code = ErrorCode.URL_UNAVAILABLE


class BadImageError(OcrApiError):
    code = ErrorCode.BAD_IMAGE


class OutOfRequestsError(OcrApiError):
    code = ErrorCode.OUT_OF_REQUESTS


class AuthenticationError(OcrApiError):
    code = ErrorCode.BAD_CREDENTIALS


class FormatTypeError(OcrApiError):
    code = ErrorCode.BAD_FORMAT_TYPE


ERRORS_BY_CODE: Mapping[ErrorCode, type[OcrApiError]] = {
    cls.code: cls
    for cls in (NoContentError, UrlUnavailableError, BadImageError, OutOfRequestsError, AuthenticationError,
                FormatTypeError)
}


class OcrHttpError(OcrClientError):
    """An HTTP answer that is neither a success nor a seed error (e.g. 404, or a 5xx after the
    retries)."""

    def __init__(self, status: int, body: str) -> None:
        self.status = status
        self.body = body
        super().__init__(f"HTTP {status}: {body[:200]}")


class OcrUnavailableError(OcrClientError):
    """The service could not be reached (after the retries), or did not answer in time."""


def error_for(response: SeedResponse, http_status: int = 200) -> OcrApiError:
    try:
        code = response.error_code
    except ValueError:
        return NoContentError(f"unknown error code {response.errorCode!r}: {response.errorMessage}",
                              http_status=http_status)
    return ERRORS_BY_CODE[code](response.errorMessage, http_status=http_status)


def _read_image(image: ImageArg) -> bytes:
    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    if isinstance(image, (str, os.PathLike)):
        return Path(image).read_bytes()
    return image.read()


def _filename(image: ImageArg, default: str) -> str:
    if isinstance(image, (str, os.PathLike)):
        return Path(image).name
    name = getattr(image, "name", None)
    return Path(name).name if isinstance(name, str) else default


class OcrClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str = "",
        api_secret: str = "",
        *,
        timeout: float = 120.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        session: Optional[requests.Session] = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth = (api_key, api_secret)
        self.timeout = (connect_timeout, timeout)
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.session = session or requests.Session()
        self.attempts = 0  # HTTP attempts made, retries included (for figures and tests)

    @classmethod
    def for_cloud(cls, settings: Any) -> "OcrClient":
        return cls(settings.ocr_cloud_url, settings.ocr_cloud_key, settings.ocr_cloud_secret,
                   timeout=settings.ocr_client_timeout, retries=settings.ocr_client_retries)

    @classmethod
    def for_server(cls, settings: Any) -> "OcrClient":
        return cls(settings.ocr_server_url, settings.ocr_server_key, settings.ocr_server_secret,
                   timeout=settings.ocr_client_timeout, retries=settings.ocr_client_retries)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "OcrClient":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()

    # The six calls of the seed.
    def registration_url(self, url: str, *, thumb: bool = False) -> SeedResponse:
        return self._call("GET", ONE_SIDE_PATH, "url", thumb, params={"img": url})

    def registration_file(self, image: ImageArg, *, thumb: bool = False) -> SeedResponse:
        return self._call("POST", ONE_SIDE_PATH, "file", thumb,
                          files={"img": (_filename(image, "img.jpg"), _read_image(image))})

    def registration_base64(self, image: ImageArg, *, thumb: bool = False) -> SeedResponse:
        return self._call("POST", ONE_SIDE_PATH, "base64", thumb,
                          json={"img": base64.b64encode(_read_image(image)).decode("ascii")})

    def registrations_url(self, front_url: str, back_url: str, *, thumb: bool = False) -> SeedResponse:
        return self._call("GET", TWO_SIDES_PATH, "url", thumb, params={"img1": front_url, "img2": back_url})

    def registrations_file(self, front: ImageArg, back: ImageArg, *, thumb: bool = False) -> SeedResponse:
        return self._call("POST", TWO_SIDES_PATH, "file", thumb, files={
            "img1": (_filename(front, "front.jpg"), _read_image(front)),
            "img2": (_filename(back, "back.jpg"), _read_image(back)),
        })

    def registrations_base64(self, front: ImageArg, back: ImageArg, *, thumb: bool = False) -> SeedResponse:
        return self._call("POST", TWO_SIDES_PATH, "base64", thumb, json={
            "img1": base64.b64encode(_read_image(front)).decode("ascii"),
            "img2": base64.b64encode(_read_image(back)).decode("ascii"),
        })

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> SeedResponse:
        """One image: one side; two: front then back. Sent as files (no base64 overhead)."""
        if len(images) == 1:
            return self.registration_file(images[0], thumb=thumb)
        if len(images) == 2:
            return self.registrations_file(images[0], images[1], thumb=thumb)
        raise ValueError("a certificate has one or two images")

    def _call(self, method: str, path: str, format_type: str, thumb: bool, *,
              params: Optional[dict[str, str]] = None, **body: Any) -> SeedResponse:
        query = dict(params or {})
        query.update(format_type=format_type, get_thumb="true" if thumb else "false")
        response = self._send(method, self.base_url + path, params=query, **body)
        return self._parse(response)

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        attempt = 0
        while True:
            self.attempts += 1
            retry_after: Optional[float] = None
            try:
                response = self.session.request(method, url, auth=self.auth, timeout=self.timeout, **kwargs)
            except requests.ConnectionError as exc:
                # ConnectTimeout is a ConnectionError too; a ReadTimeout is not (see the module doc).
                if attempt >= self.retries:
                    raise OcrUnavailableError(f"cannot reach {self.base_url}: {type(exc).__name__}") from exc
                reason = type(exc).__name__
            except requests.Timeout as exc:
                raise OcrUnavailableError(f"{self.base_url} did not answer within {self.timeout[1]:g} s"
                                          ) from exc
            else:
                if response.status_code < 500 or attempt >= self.retries:
                    return response
                reason = f"HTTP {response.status_code}"
                retry_after = _retry_after(response)
                response.close()
            delay = min(self.max_backoff, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)
            if retry_after is not None:
                delay = min(self.max_backoff, max(delay, retry_after))
            log.info("OCR call to %s failed (%s); retry %d/%d in %.1f s", self.base_url, reason, attempt + 1,
                     self.retries, delay)
            time.sleep(delay)
            attempt += 1

    @staticmethod
    def _parse(response: requests.Response) -> SeedResponse:
        try:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("errorCode"), int):
                body["errorCode"] = str(body["errorCode"])  # documented as a string; be lenient
            seed = SeedResponse.model_validate(body)
        except (ValueError, ValidationError):
            raise OcrHttpError(response.status_code, response.text) from None
        if response.status_code >= 500:
            raise OcrHttpError(response.status_code, seed.errorMessage)
        if seed.errorCode != str(int(ErrorCode.SUCCESS)):
            raise error_for(seed, response.status_code)
        if response.status_code != 200:
            raise OcrHttpError(response.status_code, response.text)
        return seed


def _retry_after(response: requests.Response) -> Optional[float]:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
