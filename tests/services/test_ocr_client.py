"""The client of the seed API, against live servers on 127.0.0.1: our API server (scripted
extractor), and tiny servers that answer a fixed sequence to test retries."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest

from services.backends import make_extractor
from services.backends.ocr_client import (
    AuthenticationError,
    BadImageError,
    FormatTypeError,
    NoContentError,
    OcrApiError,
    OcrClient,
    OcrHttpError,
    OcrUnavailableError,
    OutOfRequestsError,
    UrlUnavailableError,
)
from services.backends.remote import CloudExtractor, RemoteUnavailable, ServerExtractor
from services.domain.schema import ErrorCode, SeedItem, Side, validate_item
from tests.support.api_server import NO_CONTENT_WIDTH, ImageServer, LiveServer, live_server, png, server_settings
from tests.support.factories import BACK_VALUES, plate_checker


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(server_settings(tmp_path_factory.mktemp("api-client")), checker=plate_checker) as live:
        yield live


@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    with ImageServer() as image_server:
        image_server.image("/front.png", png())
        image_server.image("/back.png", png())
        yield image_server


@pytest.fixture
def client(server: LiveServer) -> Iterator[OcrClient]:
    with OcrClient(server.url, *server.auth, timeout=30, backoff=0.01) as ocr:
        yield ocr


def success_body() -> dict:
    return {"data": [], "errorCode": "0", "errorMessage": "Success"}


class SequenceServer:
    """Answers each request with the next (status, body, delay) of its script; the last repeats."""

    def __init__(self, script: list[tuple[int, object, float]]) -> None:
        self.script = script
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                status, body, delay = outer.script[min(outer.requests, len(outer.script) - 1)]
                outer.requests += 1
                if delay:
                    time.sleep(delay)
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _answer  # noqa: N815 - http.server's naming

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def sequence() -> Iterator[list[SequenceServer]]:
    made: list[SequenceServer] = []
    yield made
    for server in made:
        server.close()


def sequence_server(made: list[SequenceServer], *script: tuple[int, object, float]) -> SequenceServer:
    server = SequenceServer(list(script))
    made.append(server)
    return server


# The six calls -----------------------------------------------------------------------------------

def assert_items(response, item_type: str) -> None:
    assert response.errorCode == "0"
    [item] = response.data
    assert item.type == item_type
    validate_item(SeedItem.model_validate(item.model_dump()))


def test_registration_url(client: OcrClient, images: ImageServer) -> None:
    assert_items(client.registration_url(images.url("/front.png")), "vehicle_registration_back")


def test_registration_file_takes_bytes_paths_and_files(client: OcrClient, tmp_path) -> None:
    path = tmp_path / "card.png"
    path.write_bytes(png())
    assert_items(client.registration_file(png()), "vehicle_registration_back")
    assert_items(client.registration_file(path), "vehicle_registration_back")
    with open(path, "rb") as handle:
        assert_items(client.registration_file(handle), "vehicle_registration_back")


def test_registration_base64(client: OcrClient) -> None:
    assert_items(client.registration_base64(png()), "vehicle_registration_back")


def test_registrations_url(client: OcrClient, images: ImageServer) -> None:
    assert_items(client.registrations_url(images.url("/front.png"), images.url("/back.png")), "vehicle_registrations")


def test_registrations_file(client: OcrClient) -> None:
    assert_items(client.registrations_file(png(), png()), "vehicle_registrations")


def test_registrations_base64_with_thumbs(client: OcrClient) -> None:
    response = client.registrations_base64(png(), png(), thumb=True)
    assert_items(response, "vehicle_registrations")
    assert response.data[0].info["image1"] and response.data[0].info["image2"]


def test_urls_with_query_strings_are_sent_encoded(client: OcrClient, images: ImageServer) -> None:
    before = len(images.hits)
    client.registration_url(images.url("/front.png") + "?size=large&v=2")
    assert images.hits[before:] == ["/front.png?size=large&v=2"]


# Seed errors become typed exceptions ------------------------------------------------------------

def test_a_wrong_secret_raises_authentication_error(server: LiveServer) -> None:
    with OcrClient(server.url, server.auth[0], "wrong") as client:
        with pytest.raises(AuthenticationError) as caught:
            client.registration_file(png())
    assert caught.value.code == ErrorCode.BAD_CREDENTIALS
    assert caught.value.message == "Incorrect api_key or api_secret"
    assert isinstance(caught.value, OcrApiError)


def test_seed_errors_raise_the_class_of_their_code(client: OcrClient, server: LiveServer) -> None:
    with pytest.raises(BadImageError) as bad:
        client.registration_file(b"not an image")
    assert bad.value.message.startswith("Incorrect image format")
    with pytest.raises(NoContentError):
        client.registration_file(png(NO_CONTENT_WIDTH, 80))
    with pytest.raises(UrlUnavailableError) as url:
        client.registration_url("http://127.0.0.1:9/none.png")
    assert url.value.detail  # our server says what went wrong after the seed's message


def test_a_spent_quota_raises_out_of_requests(server: LiveServer) -> None:
    from services.accounts.api_keys import ApiKeyService

    database = server.database()
    try:
        created = ApiKeyService(database).create("client-quota", quota=0)
    finally:
        database.dispose()
    with OcrClient(server.url, created.key_id, created.secret) as client:
        with pytest.raises(OutOfRequestsError):
            client.registration_file(png())


def test_code_6_raises_format_type_error_without_retrying(sequence) -> None:
    tiny = sequence_server(sequence, (200, {"data": [], "errorCode": "6", "errorMessage": "Incorrect format type"}, 0))
    with OcrClient(tiny.url, "k", "s", backoff=0.01) as client:
        with pytest.raises(FormatTypeError):
            client.registration_file(png())
    assert tiny.requests == 1


# Retries -----------------------------------------------------------------------------------------

def test_5xx_answers_are_retried_until_success(sequence) -> None:
    tiny = sequence_server(sequence, (503, b"busy", 0), (500, b"oops", 0), (200, success_body(), 0))
    with OcrClient(tiny.url, "k", "s", retries=3, backoff=0.01) as client:
        assert client.registration_file(png()).errorCode == "0"
        assert client.attempts == 3
    assert tiny.requests == 3


def test_5xx_answers_past_the_retries_raise_http_error(sequence) -> None:
    tiny = sequence_server(sequence, (502, b"bad gateway", 0))
    with OcrClient(tiny.url, "k", "s", retries=2, backoff=0.01) as client:
        with pytest.raises(OcrHttpError) as caught:
            client.registration_file(png())
    assert caught.value.status == 502
    assert tiny.requests == 3


@pytest.mark.parametrize("status, body, error", [
    (404, b"not found", OcrHttpError),
    (400, b"{}", OcrHttpError),
    (429, {"data": [], "errorCode": "5", "errorMessage": "Incorrect api_key or api_secret: too many"},
     AuthenticationError),
    (413, {"data": [], "errorCode": "3", "errorMessage": "Incorrect image format: too large"}, BadImageError),
    (200, {"data": [], "errorCode": "3", "errorMessage": "Incorrect image format"}, BadImageError),
])
def test_4xx_and_seed_errors_are_not_retried(sequence, status: int, body: object, error: type) -> None:
    tiny = sequence_server(sequence, (status, body, 0), (200, success_body(), 0))
    with OcrClient(tiny.url, "k", "s", retries=3, backoff=0.01) as client:
        with pytest.raises(error):
            client.registration_base64(png())
    assert tiny.requests == 1


def test_connection_errors_are_retried_then_raise_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: every connection is refused
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        with OcrClient(url, "k", "s", retries=2, backoff=0.01) as client:
            with pytest.raises(OcrUnavailableError):
                client.registration_file(png())
            assert client.attempts == 3


def test_a_read_timeout_is_not_retried(sequence) -> None:
    tiny = sequence_server(sequence, (200, success_body(), 3.0))
    with OcrClient(tiny.url, "k", "s", timeout=0.5, retries=3, backoff=0.01) as client:
        with pytest.raises(OcrUnavailableError):
            client.registration_file(png())
    assert tiny.requests == 1


# Backends over the client ------------------------------------------------------------------------

def test_the_server_backend_reads_one_side_through_a_live_server(server: LiveServer) -> None:
    settings = replace(server.settings, ocr_server_url=server.url, ocr_server_key=server.auth[0],
                       ocr_server_secret=server.auth[1])
    extractor = make_extractor("server", settings)
    assert isinstance(extractor, ServerExtractor) and extractor.name == "server"
    outcome = extractor.extract([png()])
    assert outcome.ok and outcome.engine == "server"
    assert outcome.sides[0].side == Side.BACK and outcome.sides[0].value("plate") == BACK_VALUES["plate"]


def test_the_cloud_backend_reads_two_sides_as_one_record(server: LiveServer) -> None:
    settings = replace(server.settings, ocr_cloud_url=server.url, ocr_cloud_key=server.auth[0],
                       ocr_cloud_secret=server.auth[1])
    extractor = make_extractor("cloud", settings)
    assert isinstance(extractor, CloudExtractor)
    outcome = extractor.extract([png(), png()], thumb=True)
    assert outcome.ok and outcome.two_sided
    assert {s.side for s in outcome.sides} == {Side.FRONT, Side.BACK}
    assert all(s.aligned_jpeg for s in outcome.sides)
    assert outcome.to_seed().data[0].info["plate"] == BACK_VALUES["plate"]


def test_a_remote_seed_error_is_an_outcome_not_an_exception(server: LiveServer) -> None:
    settings = replace(server.settings, ocr_server_url=server.url, ocr_server_key=server.auth[0],
                       ocr_server_secret=server.auth[1])
    outcome = make_extractor("server", settings).extract([b"not an image"])
    assert outcome.error == ErrorCode.BAD_IMAGE and outcome.detail


def test_an_unreachable_remote_raises_so_the_task_can_be_retried() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        settings = replace(server_settings_for_remote(), ocr_server_url=f"http://127.0.0.1:{sock.getsockname()[1]}",
                           ocr_client_retries=0)
        with pytest.raises(RemoteUnavailable):
            make_extractor("server", settings).extract([png()])


def test_the_cloud_backend_needs_a_key() -> None:
    with pytest.raises(ValueError, match="OCR_CLOUD_KEY"):
        make_extractor("cloud", server_settings_for_remote())


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown backend"):
        make_extractor("gpu", server_settings_for_remote())


def server_settings_for_remote():
    from services.core.config import Settings

    return Settings(database_url="sqlite://", ocr_cloud_key="", ocr_cloud_secret="")
