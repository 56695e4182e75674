"""The ways a client may send images: URLs, files, base64 in every form clients produce."""

from __future__ import annotations

import base64
from typing import Iterator

import pytest
import requests

from services.api.inputs import decode_base64_image, parse_flag, parse_format_type
from services.domain.schema import ErrorCode, SeedError
from tests.support.api_server import ImageServer, LiveServer, answer, b64, live_server, png, seed_post, server_settings
from tests.support.factories import plate_checker

ONE = "vehicle_registration"
TWO = "vehicle_registrations"
IMAGE = png(fmt="JPEG")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(server_settings(tmp_path_factory.mktemp("api-inputs")), checker=plate_checker) as live:
        yield live


@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    with ImageServer() as image_server:
        image_server.image("/front.jpg", IMAGE, "image/jpeg")
        image_server.image("/back.png", png(), "image/png")
        image_server.image("/untyped", png(), "application/octet-stream")
        yield image_server


# base64 as clients write it --------------------------------------------------------------------

@pytest.mark.parametrize("encoded", [
    base64.encodebytes(IMAGE).decode("ascii"),  # the seed's own demo: newlines every 76 characters
    base64.b64encode(IMAGE).decode("ascii"),
    base64.urlsafe_b64encode(IMAGE).decode("ascii"),
    base64.b64encode(IMAGE).decode("ascii").rstrip("="),
    "data:image/jpeg;base64," + base64.b64encode(IMAGE).decode("ascii"),
    "data:image/jpeg;charset=utf-8;base64," + base64.encodebytes(IMAGE).decode("ascii"),
    "  " + base64.b64encode(IMAGE).decode("ascii") + "\r\n",
])
def test_every_common_base64_form_decodes_to_the_image(encoded: str) -> None:
    assert decode_base64_image(encoded) == IMAGE


@pytest.mark.parametrize("text", ["abc$", "A", "QUJD=A", "QU+J-D", "data:image/png;base64,***"])
def test_malformed_base64_is_code_3(text: str) -> None:
    with pytest.raises(SeedError) as caught:
        decode_base64_image(text)
    assert caught.value.code == ErrorCode.BAD_IMAGE


def test_base64_longer_than_the_size_limit_is_refused_before_decoding() -> None:
    with pytest.raises(SeedError) as caught:
        decode_base64_image("A" * 4000, max_bytes=1000)
    assert "larger than" in caught.value.detail


@pytest.mark.parametrize("raw, expected", [("url", "url"), ("FILE", "file"), (" base64 ", "base64")])
def test_format_type_is_read_without_regard_to_case_or_spaces(raw: str, expected: str) -> None:
    assert parse_format_type(raw).value == expected


@pytest.mark.parametrize("raw", [None, "", "jpeg", "urls"])
def test_a_missing_or_unknown_format_type_is_code_6(raw: str | None) -> None:
    with pytest.raises(SeedError) as caught:
        parse_format_type(raw)
    assert caught.value.code == ErrorCode.BAD_FORMAT_TYPE


@pytest.mark.parametrize("raw, expected", [("true", True), ("True", True), ("1", True), ("false", False),
                                           ("no", False), (None, False), ("", False)])
def test_get_thumb_reads_true_and_false(raw: str | None, expected: bool) -> None:
    assert parse_flag(raw, False) is expected


# The six routes with each input ------------------------------------------------------------------

def test_one_side_by_url(server: LiveServer, images: ImageServer) -> None:
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}",
                            params={"img": images.url("/front.jpg"), "format_type": "url", "get_thumb": "false"},
                            auth=server.auth, timeout=30)
    assert answer(response)["errorCode"] == "0"


def test_two_sides_by_url_fetch_both_images(server: LiveServer, images: ImageServer) -> None:
    before = len(images.hits)
    response = requests.get(f"{server.url}/api/v2/ocr/{TWO}",
                            params={"img1": images.url("/front.jpg"), "img2": images.url("/untyped"),
                                    "format_type": "url"}, auth=server.auth, timeout=30)
    body = answer(response)
    assert body["errorCode"] == "0" and body["data"][0]["type"] == "vehicle_registrations"
    assert sorted(images.hits[before:]) == ["/front.jpg", "/untyped"]


def test_url_input_also_works_on_post_with_the_urls_in_a_json_body(server: LiveServer, images: ImageServer) -> None:
    response = seed_post(server, ONE, "url", json={"img": images.url("/back.png")})
    assert answer(response)["errorCode"] == "0"


def test_a_url_returning_html_is_code_2(server: LiveServer, images: ImageServer) -> None:
    from tests.support.api_server import Route

    images.routes["/page.html"] = Route(body=b"<html>no</html>", headers={"Content-Type": "text/html"})
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={images.url('/page.html')}&format_type=url",
                            auth=server.auth, timeout=30)
    assert answer(response)["errorCode"] == "2"


def test_a_url_that_times_out_is_code_2_within_the_fetch_timeout(server: LiveServer, images: ImageServer) -> None:
    import time

    from tests.support.api_server import Route

    images.routes["/slow.png"] = Route(body=png(), headers={"Content-Type": "image/png"}, delay=8)
    started = time.monotonic()
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={images.url('/slow.png')}&format_type=url",
                            auth=server.auth, timeout=30)
    assert answer(response)["errorCode"] == "2"
    assert time.monotonic() - started < server.settings.url_fetch_timeout + 3


def test_a_url_with_credentials_is_code_2(server: LiveServer, images: ImageServer) -> None:
    url = f"http://user:pw@127.0.0.1:{images.port}/front.jpg"
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}", params={"img": url, "format_type": "url"},
                            auth=server.auth, timeout=30)
    body = answer(response)
    assert body["errorCode"] == "2" and "credentials" in body["errorMessage"]


def test_a_redirect_to_a_loopback_address_outside_the_allow_list_is_code_2(server: LiveServer,
                                                                             images: ImageServer) -> None:
    from tests.support.api_server import Route

    # 127.0.0.2 is loopback (so even a failure of the check would stay on this machine) but is
    # not in this server's allow-list (127.0.0.1).
    images.routes["/hop"] = Route(302, headers={"Location": f"http://127.0.0.2:{images.port}/front.jpg"})
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={images.url('/hop')}&format_type=url",
                            auth=server.auth, timeout=30)
    body = answer(response)
    assert body["errorCode"] == "2" and "127.0.0.2" in body["errorMessage"]


def test_one_side_by_file(server: LiveServer) -> None:
    assert answer(seed_post(server, ONE, "file", files={"img": ("x.jpg", IMAGE, "image/jpeg")}))["errorCode"] == "0"


def test_two_sides_by_files(server: LiveServer) -> None:
    response = seed_post(server, TWO, "file", files={"img1": IMAGE, "img2": png()})
    assert answer(response)["data"][0]["type"] == "vehicle_registrations"


def test_one_side_by_base64_json(server: LiveServer) -> None:
    assert answer(seed_post(server, ONE, "base64", json={"img": b64(IMAGE)}))["errorCode"] == "0"


def test_two_sides_by_base64_json_with_the_seed_demo_encoding(server: LiveServer) -> None:
    response = seed_post(server, TWO, "base64", json={"img1": base64.encodebytes(IMAGE).decode("ascii"),
                                                      "img2": base64.encodebytes(png()).decode("ascii")})
    assert answer(response)["errorCode"] == "0"


def test_base64_also_works_as_form_fields(server: LiveServer) -> None:
    assert answer(seed_post(server, ONE, "base64", data={"img": b64(IMAGE)}))["errorCode"] == "0"


def test_a_trailing_slash_on_the_route_still_works(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}/?format_type=file", auth=server.auth,
                             files={"img": IMAGE}, timeout=30)
    assert answer(response)["errorCode"] == "0"
