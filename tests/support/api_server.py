"""Test helpers for the API server: live servers on 127.0.0.1, an image server, test cards, and a
scripted extractor for the tests that are about routing, auth and error codes (not about reading).

Every server here listens on 127.0.0.1 and every request goes to 127.0.0.1.
"""

from __future__ import annotations

import base64
import contextlib
import io
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, Optional, Sequence

import requests
import uvicorn
from PIL import Image, ImageDraw

from db.session import Database, UnitOfWork
from services.api.app import create_app
from services.core.config import Settings
from services.core.url_fetch import Resolver, system_resolver
from services.domain.results import ExtractionOutcome
from services.domain.schema import ErrorCode, Side
from services.review.intake import Checker
from tests.support.factories import outcome, side_reading
from tools.local_processes import LOOPBACK, free_port  # noqa: F401 - re-exported for tests

# The scripted extractor's behaviour is chosen by the width of the image it gets, so that a test
# picks it by the image it sends (the extractor runs in another process).
NO_CONTENT_WIDTH = 171  # answers code 1, as the engine does for a card with nothing on it
SLOW_WIDTH = 173  # takes SLOW_SECONDS
HANG_WIDTH = 179  # never finishes (time-limit test)
CRASH_WIDTH = 181  # raises (a programming error in an extractor)
SLOW_SECONDS = 1.5


def png(width: int = 320, height: int = 200, text: str = "card", fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", (width, height), (220, 235, 245))
    ImageDraw.Draw(image).text((10, 10), text, fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


class ScriptedExtractor:
    """Fixed readings (tests.support.factories' invented owner), with a few behaviours chosen by image
    width. Test-only: the real reading is tested with the local engine."""

    name = "scripted"

    def extract(self, images: Sequence[bytes], *, thumb: bool = False) -> ExtractionOutcome:
        widths = [Image.open(io.BytesIO(data)).size[0] for data in images]
        if NO_CONTENT_WIDTH in widths:
            return ExtractionOutcome(error=ErrorCode.NO_CONTENT, detail="no card found", engine=self.name)
        if SLOW_WIDTH in widths:
            time.sleep(SLOW_SECONDS)
        if HANG_WIDTH in widths:
            time.sleep(3600)
        if CRASH_WIDTH in widths:
            raise RuntimeError("scripted crash")
        if len(images) == 2:
            result = outcome(side_reading(Side.FRONT), side_reading(Side.BACK))
        else:
            result = outcome(side_reading(Side.BACK))
        result.engine = self.name
        if thumb:
            for side in result.sides:
                side.aligned_jpeg = png(100, 70, fmt="JPEG")
        return result


def make_scripted_extractor(settings: Settings) -> ScriptedExtractor:
    return ScriptedExtractor()


SCRIPTED = "tests.support.api_server:make_scripted_extractor"


def server_settings(tmp_dir: Path, **overrides: object) -> Settings:
    """Settings of a test server: its own fresh SQLite file (migrated by the server at start)."""
    base = Settings(
        data_dir=tmp_dir,
        database_url=f"sqlite:///{tmp_dir / 'api.db'}",
        ocr_api_key="test-key",
        ocr_api_secret="test-secret",
        url_allowlist=(LOOPBACK,),
        max_upload_bytes=1024 * 1024,
        url_fetch_timeout=2.0,
        api_workers=2,
        api_extract_timeout=60.0,
        api_auth_max_failures=1000,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@dataclass
class LiveServer:
    """The API app served by uvicorn in a thread of the test process, on 127.0.0.1."""

    settings: Settings
    extractor: str = SCRIPTED
    checker: Optional[Checker] = None
    resolver: Resolver = system_resolver
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        app = create_app(self.settings, extractor=self.extractor, checker=self.checker, resolver=self.resolver)
        config = uvicorn.Config(app, host=LOOPBACK, port=self.port, log_level="warning",
                                timeout_graceful_shutdown=5, h11_max_incomplete_event_size=64 * 1024)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"api-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.settings.ocr_api_key, self.settings.ocr_api_secret)

    def start(self, timeout: float = 180.0) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the API server failed to start (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start in time")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)

    def database(self) -> Database:
        return Database(self.settings.database_url)


@contextlib.contextmanager
def live_server(settings: Settings, **kwargs: object) -> Iterator[LiveServer]:
    server = LiveServer(settings, **kwargs).start()  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()


# What the image server sends for a path: status, headers, body, and a delay before answering.
@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ImageServer:
    """A small HTTP server on 127.0.0.1 serving fixed routes, counting the requests it gets."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.hits.append(self.path)
                route = outer.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.port}{path}"

    def image(self, path: str, data: bytes, content_type: str = "image/png") -> str:
        self.routes[path] = Route(body=data, headers={"Content-Type": content_type})
        return self.url(path)

    def __enter__(self) -> "ImageServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def count_rows(database: Database) -> dict[str, int]:
    from sqlalchemy import func, select

    from db.models import AuditEntry, Document, Extraction
    from db.models import Image as ImageRow

    with UnitOfWork(database, write=False) as uow:
        return {
            "audit": uow.session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            "documents": uow.session.scalar(select(func.count()).select_from(Document)) or 0,
            "images": uow.session.scalar(select(func.count()).select_from(ImageRow)) or 0,
            "extractions": uow.session.scalar(select(func.count()).select_from(Extraction)) or 0,
        }


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seed_post(server: LiveServer, path: str, format_type: str, **kwargs: object) -> requests.Response:
    kwargs.setdefault("timeout", 60)
    kwargs.setdefault("auth", server.auth)
    return requests.post(f"{server.url}/api/v2/ocr/{path}?format_type={format_type}&get_thumb=false",
                         **kwargs)  # type: ignore[arg-type]


def answer(response: requests.Response) -> dict:
    body = response.json()
    assert set(body) == {"data", "errorCode", "errorMessage"}, body
    return body


# Certificates for the tests that go through the real engine: the project's generator.
@dataclass(frozen=True)
class CardFiles:
    front: bytes
    back: bytes
    front_name: str
    back_name: str
    truth: dict[str, dict[str, str]]


def card_images(seed: int = 1, index: int = 0, condition: str = "scan") -> CardFiles:
    """Both sides of generated certificate `index` of set `seed`, as the files a user uploads."""
    from tools.synth import generate_card

    card = generate_card(seed, index, condition=condition)
    front, back = card.sides[Side.FRONT], card.sides[Side.BACK]
    return CardFiles(front.image, back.image, card.file_name(Side.FRONT), card.file_name(Side.BACK),
                     {"front": front.truth, "back": back.truth})
