"""Each seed error code, and each HTTP status the server uses, from a live server on 127.0.0.1.

The extractor here is scripted (tests.support.api_server): these tests are about the API's answers,
not about reading cards. Bad inputs (damaged files, bombs, oversized files, base64 garbage, bad
URLs, missing sides, unknown format_type, huge query strings) are one corpus sent to every entry
point in tests/hardening/test_inputs.py.
"""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from db.session import Database
from services.accounts.api_keys import ApiKeyService
from services.domain.schema import ErrorCode
from tests.support.api_server import (
    NO_CONTENT_WIDTH,
    ImageServer,
    LiveServer,
    answer,
    b64,
    count_rows,
    live_server,
    png,
    seed_post,
    server_settings,
)
from tests.support.factories import plate_checker

ONE = "vehicle_registration"
TWO = "vehicle_registrations"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(server_settings(tmp_path_factory.mktemp("api-errors")), checker=plate_checker) as live:
        yield live


@pytest.fixture(scope="module")
def images() -> Iterator[ImageServer]:
    with ImageServer() as image_server:
        image_server.image("/card.png", png())
        yield image_server


@pytest.fixture
def database(server: LiveServer) -> Iterator[Database]:
    database = server.database()
    yield database
    database.dispose()


def assert_error(response: requests.Response, code: ErrorCode, status: int = 200) -> str:
    assert response.status_code == status, response.text
    body = answer(response)
    assert body["errorCode"] == str(int(code)), body
    assert body["data"] == []
    assert body["errorMessage"].startswith(code.message), body
    return body["errorMessage"]


# Code 0 ----------------------------------------------------------------------------------------

def test_a_good_image_gets_code_0_with_every_field_of_its_side(server: LiveServer) -> None:
    response = seed_post(server, ONE, "file", files={"img": ("card.png", png())})
    body = answer(response)
    assert response.status_code == 200
    assert body["errorCode"] == "0" and body["errorMessage"] == "Success"
    from services.domain.schema import SeedItem, validate_item

    [item] = body["data"]
    validate_item(SeedItem.model_validate(item))
    assert item["info"]["image"] == ""  # get_thumb=false


def test_get_thumb_true_returns_the_aligned_images_of_both_sides(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{TWO}?format_type=file&get_thumb=true", auth=server.auth,
                             files={"img1": png(), "img2": png()}, timeout=60)
    [item] = answer(response)["data"]
    assert item["type"] == "vehicle_registrations"
    for key in ("image1", "image2"):
        import base64

        assert base64.b64decode(item["info"][key])[:3] == b"\xff\xd8\xff"  # JPEG


# Code 1 ----------------------------------------------------------------------------------------

def test_an_image_without_content_gets_code_1_and_is_stored_as_a_failed_extraction(
        server: LiveServer, database: Database) -> None:
    before = count_rows(database)
    response = seed_post(server, ONE, "file", files={"img": png(NO_CONTENT_WIDTH, 100)})
    assert_error(response, ErrorCode.NO_CONTENT)
    after = count_rows(database)
    assert after["documents"] == before["documents"] + 1
    assert after["extractions"] == before["extractions"] + 1


def test_img_sent_to_the_two_sided_call_is_pointed_to_the_one_side_call(server: LiveServer) -> None:
    message = assert_error(seed_post(server, TWO, "base64", json={"img": b64(png())}), ErrorCode.NO_CONTENT)
    assert "img belongs to /vehicle_registration" in message


# Code 2 ----------------------------------------------------------------------------------------

def test_a_url_that_answers_404_gets_code_2_and_nothing_is_stored(server: LiveServer, images: ImageServer,
                                                                  database: Database) -> None:
    before = count_rows(database)
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={images.url('/nothing.png')}&format_type=url",
                            auth=server.auth, timeout=30)
    assert "404" in assert_error(response, ErrorCode.URL_UNAVAILABLE)
    assert count_rows(database) == before


# Code 3 --------------------------------------------------------------------------------------------
# Files that are not whole images, bombs, files over the limit and base64 garbage: the bad-input
# corpus, in every input mode (tests/hardening/test_inputs.py).

def test_a_json_value_that_is_not_a_string_gets_code_3(server: LiveServer) -> None:
    assert_error(seed_post(server, ONE, "base64", json={"img": 12345}), ErrorCode.BAD_IMAGE)


# Code 4 ----------------------------------------------------------------------------------------

def test_a_key_past_its_quota_gets_code_4_and_refused_inputs_do_not_count(server: LiveServer,
                                                                           database: Database) -> None:
    created = ApiKeyService(database).create("quota-test", quota=1)
    auth = (created.key_id, created.secret)
    url = f"{server.url}/api/v2/ocr/{ONE}?format_type=file&get_thumb=false"
    refused = requests.post(url, auth=auth, files={"img": b"not an image"}, timeout=30)
    assert_error(refused, ErrorCode.BAD_IMAGE)
    assert answer(requests.post(url, auth=auth, files={"img": png()}, timeout=30))["errorCode"] == "0"
    assert_error(requests.post(url, auth=auth, files={"img": png()}, timeout=30), ErrorCode.OUT_OF_REQUESTS)
    [info] = [k for k in ApiKeyService(database).list() if k.key_id == created.key_id]
    assert info.request_count == 1


# Code 5 ----------------------------------------------------------------------------------------

def test_a_wrong_secret_gets_code_5(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type=file", auth=(server.auth[0], "wrong"),
                             files={"img": png()}, timeout=30)
    assert_error(response, ErrorCode.BAD_CREDENTIALS)


def test_an_unknown_key_gets_code_5(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type=file", auth=("vr_nobody", "x"),
                             files={"img": png()}, timeout=30)
    assert_error(response, ErrorCode.BAD_CREDENTIALS)


@pytest.mark.parametrize("header", [None, "Bearer abc", "Basic !!!notbase64", "Basic " + b64(b"no-colon")])
def test_missing_or_malformed_credentials_get_code_5(server: LiveServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type=file", headers=headers,
                             files={"img": png()}, timeout=30)
    assert_error(response, ErrorCode.BAD_CREDENTIALS)


def test_a_revoked_key_gets_code_5(server: LiveServer, database: Database) -> None:
    keys = ApiKeyService(database)
    created = keys.create("revoked-test")
    auth = (created.key_id, created.secret)
    url = f"{server.url}/api/v2/ocr/{ONE}?format_type=file"
    assert answer(requests.post(url, auth=auth, files={"img": png()}, timeout=30))["errorCode"] == "0"
    keys.revoke(created.key_id)
    # Within the verification cache's lifetime too: counting the request needs an active key.
    assert_error(requests.post(url, auth=auth, files={"img": png()}, timeout=30), ErrorCode.BAD_CREDENTIALS)


def test_credentials_are_checked_before_anything_else(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}?format_type=nonsense", auth=("x", "y"), timeout=30)
    assert_error(response, ErrorCode.BAD_CREDENTIALS)


# Code 6 ----------------------------------------------------------------------------------------

def test_a_missing_format_type_gets_code_6(server: LiveServer) -> None:
    response = requests.post(f"{server.url}/api/v2/ocr/{ONE}", auth=server.auth, files={"img": png()}, timeout=30)
    assert "missing" in assert_error(response, ErrorCode.BAD_FORMAT_TYPE)


def test_format_type_file_with_a_json_body_gets_code_6(server: LiveServer) -> None:
    assert_error(seed_post(server, ONE, "file", json={"img": b64(png())}), ErrorCode.BAD_FORMAT_TYPE)


def test_format_type_base64_with_a_file_upload_gets_code_6(server: LiveServer) -> None:
    assert_error(seed_post(server, ONE, "base64", files={"img": png()}), ErrorCode.BAD_FORMAT_TYPE)


def test_format_type_file_with_a_text_field_gets_code_6(server: LiveServer) -> None:
    assert_error(seed_post(server, ONE, "file", data={"img": b64(png())}, files={"other": b"x"}),
                 ErrorCode.BAD_FORMAT_TYPE)


@pytest.mark.parametrize("format_type", ["file", "base64"])
def test_get_with_a_body_format_gets_code_6(server: LiveServer, format_type: str) -> None:
    response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img=x&format_type={format_type}", auth=server.auth,
                            timeout=30)
    assert_error(response, ErrorCode.BAD_FORMAT_TYPE)


def test_format_type_url_on_post_without_a_url_gets_code_6(server: LiveServer) -> None:
    assert "no image URL" in assert_error(seed_post(server, ONE, "url"), ErrorCode.BAD_FORMAT_TYPE)


def test_a_body_that_is_not_json_gets_code_6(server: LiveServer) -> None:
    response = seed_post(server, ONE, "base64", data=b"{not json", headers={"Content-Type": "application/json"})
    assert "JSON" in assert_error(response, ErrorCode.BAD_FORMAT_TYPE)


def test_a_json_body_that_is_not_an_object_gets_code_6(server: LiveServer) -> None:
    assert_error(seed_post(server, ONE, "base64", json=["img"]), ErrorCode.BAD_FORMAT_TYPE)


# HTTP statuses ---------------------------------------------------------------------------------

def test_a_body_over_the_cap_gets_413_before_it_is_read(server: LiveServer) -> None:
    oversized = b"\0" * (server.settings.api_body_cap + 1)
    response = seed_post(server, ONE, "file", files={"img": oversized})
    assert "larger than" in assert_error(response, ErrorCode.BAD_IMAGE, status=413)


def test_a_chunked_body_over_the_cap_gets_413(server: LiveServer) -> None:
    cap = server.settings.api_body_cap
    chunk = b"A" * 65536

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        for _ in range(cap // len(chunk) + 2):
            yield chunk

    try:
        response = seed_post(server, ONE, "base64", data=body(), headers={"Content-Type": "application/json"})
    except requests.ConnectionError:
        pytest.fail("the server dropped the connection instead of answering 413")
    assert_error(response, ErrorCode.BAD_IMAGE, status=413)


def test_a_request_head_over_64_kb_gets_400_and_the_server_keeps_serving(server: LiveServer) -> None:
    # Past h11's limit uvicorn answers 400 and closes; the client may see the close (reset)
    # before the answer, as it is still sending.
    try:
        response = requests.get(f"{server.url}/api/v2/ocr/{ONE}?img={'a' * 200_000}&format_type=url",
                                auth=server.auth, timeout=30)
    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
        pass
    else:
        assert response.status_code == 400
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200


def test_the_server_keeps_serving_after_every_kind_of_refusal(server: LiveServer) -> None:
    assert answer(seed_post(server, ONE, "file", files={"img": png()}))["errorCode"] == "0"


def test_the_openapi_page_documents_the_seed_answers(server: LiveServer) -> None:
    assert requests.get(f"{server.url}/docs", timeout=10).status_code == 200
    schema = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    assert set(schema["paths"]) == {"/api/v2/ocr/vehicle_registration", "/api/v2/ocr/vehicle_registrations"}
    components = schema["components"]["schemas"]
    assert "plate_confidence" in components["BackInfo"]["properties"]
    assert "image1" in components["TwoSidedInfo"]["properties"]
    assert schema["components"]["securitySchemes"]["HTTPBasic"]["scheme"] == "basic"

