"""The bad-input corpus: small files made by the tests, and what each entry point must answer.

Every entry is built here in memory (nothing is downloaded or kept in git). `Case.expect` maps an
entry point to the answer it must give:

- `file`, `base64`, `url`: the API's three input modes; the answer is a seed error code, or
  `1*` for an image that is valid but holds no card (the engine's code 1: stored as a failed
  extraction, as is every request that reaches the engine);
- `app`: the review app's upload; `refused` (a reason shown, nothing stored) or `accepted`
  (stored and queued for extraction).

A mode missing from `expect` does not apply to that input (base64 garbage cannot be uploaded).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Optional

from tests.support.api_server import png

# The size limit the corpus is sent against (server and app settings use the same).
MAX_UPLOAD_BYTES = 1024 * 1024
# Every answer comes within this many seconds (the slowest is the URL that never answers,
# bounded by a 2 s fetch timeout).
ANSWER_WITHIN = 10.0
FETCH_TIMEOUT = 2.0

ENGINE_NO_CARD = "1*"


def decompression_bomb(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header announcing 2.5 gigapixels, in a few kilobytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * (1 + width // 8) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def _wrong_crc() -> bytes:
    good = png()
    return good[:29] + b"\0\0\0\0" + good[33:]  # the IHDR chunk's CRC


@dataclass(frozen=True)
class Case:
    name: str
    data: Optional[bytes] = None  # the file, or the body a URL serves
    text: Optional[str] = None  # base64 text sent as is (garbage)
    content_type: str = "image/png"  # what the URL's server claims
    expect: dict[str, str] = field(default_factory=dict)
    message: str = ""  # a fragment the answer's message must contain, in every mode it applies to


FILES: tuple[Case, ...] = (
    # Empty base64 is a missing image (code 1), as the seed has it.
    Case("empty file", b"", expect={"file": "3", "base64": "1", "url": "2", "app": "refused"}),
    Case("truncated JPEG", png(640, 400, fmt="JPEG")[:2000], content_type="image/jpeg",
         expect={"file": "3", "base64": "3", "url": "3", "app": "refused"}),
    Case("PNG with a wrong CRC", _wrong_crc(), expect={"file": "3", "base64": "3", "url": "3", "app": "refused"}),
    Case("text file named .jpg", b"this is a text file, not a photo\n", content_type="image/jpeg",
         expect={"file": "3", "base64": "3", "url": "2", "app": "refused"}),
    Case("PDF", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
         content_type="application/pdf", expect={"file": "3", "base64": "3", "url": "2", "app": "refused"}),
    Case("1x1 image", png(1, 1),
         expect={"file": ENGINE_NO_CARD, "base64": ENGINE_NO_CARD, "url": ENGINE_NO_CARD, "app": "accepted"}),
    Case("decompression bomb", decompression_bomb(),
         expect={"file": "3", "base64": "3", "url": "3", "app": "refused"}, message="pixels"),
    Case("file over the size limit", png() + b"\0" * MAX_UPLOAD_BYTES,
         expect={"file": "3", "base64": "3", "url": "2", "app": "refused"}, message="larger than"),
    Case("base64 with garbage", text="QUJD$$$ not base64!", expect={"base64": "3"}, message="base64"),
    Case("base64 of a non-image", data=b"<html><body>hello</body></html>", expect={"base64": "3"}),
)

# URLs: the path the local image server answers on, and how it answers.
URLS: tuple[tuple[str, str, str], ...] = (
    # (name, what it does, fragment of the answer's message)
    ("URL that times out", "timeout", "no answer within"),
    ("URL that returns HTML", "html", "did not return an image"),
    ("URL redirecting to a private address", "redirect-private", "private or reserved"),
    ("URL redirecting to the cloud metadata address", "redirect-metadata", "private or reserved"),
    ("URL with credentials in it", "credentials", "credentials"),
    ("URL that is not http", "scheme", "only http and https"),
)


def cases_for(mode: str) -> list[Case]:
    return [case for case in FILES if mode in case.expect]
