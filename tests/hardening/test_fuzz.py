"""Fuzzing: schemathesis against the API's own OpenAPI schema, and Hypothesis properties of the
request decoders (base64, multipart and JSON bodies, credentials, URL checks). No 500s, no
hangs, and nothing but the documented errors.

The server here is the scripted one (tests.support.api_server) so that a few hundred requests stay
quick. Its URL input has an empty allow-list and a resolver stub that answers a reserved
address, and a guard fails the test if any socket connects anywhere but 127.0.0.1: a generated
URL is refused, never fetched. (The engine's normalisers are fuzzed in tests/domain/ and tests/extraction/.)
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import time
from dataclasses import replace
from typing import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from starlette.requests import Request

from services.api.auth import Credentials, parse_basic
from services.api.inputs import (
    ONE_SIDE,
    TWO_SIDES,
    FormatType,
    decode_base64_image,
    materialise,
    parse_flag,
    parse_format_type,
    read_sources,
)
from services.core.url_fetch import AllowList, FetchPolicy, SafeFetcher, is_public
from services.domain.schema import ErrorCode, SeedError
from tests.support.api_server import LiveServer, live_server, server_settings
from tests.support.factories import plate_checker

# Every answer of the fuzzed server comes within this many seconds.
ANSWER_WITHIN = 10.0
RESERVED = "192.0.2.1"  # TEST-NET-1: never global, so always refused before any connection


def reserved_resolver(host: str) -> list[str]:
    return [RESERVED]


# --- schemathesis against the live server ---------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings_ = replace(server_settings(tmp_path_factory.mktemp("api-fuzz")), url_allowlist=(),
                        max_upload_bytes=256 * 1024)
    with live_server(settings_, checker=plate_checker, resolver=reserved_resolver) as live:
        yield live


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer):
    document = requests.get(f"{fuzz_server.url}/openapi.json", timeout=10).json()
    return schemathesis.openapi.from_dict(document)


# The four seed routes; 60 generated requests each (schemathesis' own pytest plugin does not run
# under pytest 9, so its strategies drive Hypothesis directly).
OPERATIONS = [("/api/v2/ocr/vehicle_registration", "GET"), ("/api/v2/ocr/vehicle_registration", "POST"),
              ("/api/v2/ocr/vehicle_registrations", "GET"), ("/api/v2/ocr/vehicle_registrations", "POST")]


@pytest.mark.parametrize("path, method", OPERATIONS, ids=[f"{m} {p}" for p, m in OPERATIONS])
def test_no_generated_request_gets_a_server_error_or_hangs(api_schema, fuzz_server: LiveServer, path: str,
                                                           method: str, only_loopback: list) -> None:  # noqa: F811
    operation = api_schema[path][method]
    session = requests.Session()

    @given(case=operation.as_strategy())
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def run(case) -> None:
        # Authenticated, so that generated requests get past the key check to the decoders.
        started = time.monotonic()
        response = case.call(base_url=fuzz_server.url, session=session, auth=fuzz_server.auth,
                             timeout=ANSWER_WITHIN + 5)
        elapsed = time.monotonic() - started
        case.validate_response(response, checks=[not_a_server_error])
        assert elapsed < ANSWER_WITHIN, (case.as_curl_command(), elapsed)
        content_type = response.headers.get("content-type") or [""]
        if content_type[0].startswith("application/json"):
            body = response.json()
            if isinstance(body, dict) and "errorCode" in body:
                assert set(body) == {"data", "errorCode", "errorMessage"}
                assert int(body["errorCode"]) in {code.value for code in ErrorCode}

    try:
        run()
    finally:
        session.close()
    assert all(address[0] == "127.0.0.1" for address in only_loopback)


def test_after_fuzzing_the_server_still_answers(fuzz_server: LiveServer) -> None:
    assert requests.get(f"{fuzz_server.url}/healthz", timeout=10).json()["status"] == "ok"


# --- base64 ---------------------------------------------------------------------------------------

ENCODINGS = {
    "plain": lambda b: base64.b64encode(b).decode(),
    "encodebytes": lambda b: base64.encodebytes(b).decode(),  # the seed's demo: newlines
    "urlsafe": lambda b: base64.urlsafe_b64encode(b).decode(),
    "unpadded": lambda b: base64.b64encode(b).decode().rstrip("="),
    "data url": lambda b: "data:image/jpeg;base64," + base64.b64encode(b).decode(),
    "data url with charset": lambda b: "data:image/png;charset=utf-8;base64," + base64.b64encode(b).decode(),
    "crlf and spaces": lambda b: "  " + base64.encodebytes(b).decode().replace("\n", "\r\n") + " ",
}


@given(data=st.binary(min_size=1, max_size=3000), encoding=st.sampled_from(sorted(ENCODINGS)))
@settings(max_examples=300, deadline=None)
def test_every_way_clients_encode_base64_decodes_to_the_same_bytes(data: bytes, encoding: str) -> None:
    assert decode_base64_image(ENCODINGS[encoding](data), max_bytes=len(data)) == data


@given(text=st.text(max_size=400) | st.from_regex(r"[A-Za-z0-9+/=_\-\s]{0,80}", fullmatch=True))
@settings(max_examples=400, deadline=None)
def test_any_text_decodes_or_gets_code_1_or_3(text: str) -> None:
    try:
        decoded = decode_base64_image(text, max_bytes=1000)
    except SeedError as error:
        assert error.code in (ErrorCode.NO_CONTENT, ErrorCode.BAD_IMAGE)
        assert error.detail
    else:
        assert isinstance(decoded, bytes) and decoded


@given(size=st.integers(min_value=1, max_value=5000), limit=st.integers(min_value=1, max_value=4000))
@settings(max_examples=200, deadline=None)
def test_base64_over_the_limit_is_refused_before_decoding(size: int, limit: int) -> None:
    text = base64.b64encode(b"\0" * size).decode()
    try:
        decoded = decode_base64_image(text, max_bytes=limit)
    except SeedError as error:
        assert error.code == ErrorCode.BAD_IMAGE and size > limit
    else:
        # A cheap check on the text's length, before decoding: it may let through one base64
        # group and its slack (at most 5 bytes) over the limit, never more. The exact limit is
        # the intake's, on the decoded bytes.
        assert len(decoded) <= limit + 5


@pytest.mark.parametrize("text", ["this is not base64!", "@@@@", "QUJD$$$", "A", "AAAAA", "QUJD=QUJD"])
def test_known_base64_garbage_gets_code_3(text: str) -> None:
    with pytest.raises(SeedError) as caught:
        decode_base64_image(text)
    assert caught.value.code == ErrorCode.BAD_IMAGE


# --- query parameters and credentials ---------------------------------------------------------------

@given(st.none() | st.text(max_size=60))
def test_format_type_is_one_of_three_or_code_6(raw) -> None:
    try:
        value = parse_format_type(raw)
    except SeedError as error:
        assert error.code == ErrorCode.BAD_FORMAT_TYPE
    else:
        assert value in FormatType and raw.strip().lower() == value.value


@given(st.none() | st.text(max_size=20), st.booleans())
def test_a_flag_is_always_a_boolean(raw, default: bool) -> None:
    assert parse_flag(raw, default) in (True, False)


@given(st.text(max_size=300))
def test_any_authorization_header_parses_or_is_refused_without_an_error(header: str) -> None:
    assert parse_basic(header) is None or isinstance(parse_basic(header), Credentials)


@given(key=st.text(min_size=1, max_size=60).filter(lambda k: ":" not in k), secret=st.text(max_size=200))
def test_basic_credentials_round_trip(key: str, secret: str) -> None:
    header = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    assert parse_basic(header) == Credentials(key, secret)


# --- request bodies (multipart, JSON, form) through the decoder ------------------------------------

def request_for(body: bytes, content_type: str, *, method: str = "POST") -> Request:
    scope = {"type": "http", "method": method, "path": "/", "query_string": b"",
             "headers": [(b"content-type", content_type.encode("latin-1")),
                         (b"content-length", str(len(body)).encode())]}
    sent = False

    async def receive() -> dict:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


async def _decode(body: bytes, content_type: str, format_type: FormatType, names) -> list[bytes]:
    request = request_for(body, content_type)
    try:
        found = await read_sources(request, format_type, names, body_cap=1 << 20)

        async def no_fetch(url: str) -> bytes:
            raise SeedError(ErrorCode.URL_UNAVAILABLE, "not fetched in this test")

        return [await materialise(s, fetch=no_fetch, max_bytes=1 << 20) for s in found.sources]
    finally:
        await request.close()


def decode_body(body: bytes, content_type: str, format_type: FormatType, names=ONE_SIDE) -> list[bytes]:
    return asyncio.run(_decode(body, content_type, format_type, names))


BOUNDARY = "fuzzboundary7d3"


def multipart(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


PART_NAMES = st.sampled_from(["img", "img1", "img2", "image", "IMG", ""]) | st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='"\\'), max_size=10)


@given(parts=st.lists(st.tuples(PART_NAMES, st.none() | st.sampled_from(["a.jpg", "x.png", ""]),
                                st.binary(max_size=300)), max_size=5),
       names=st.sampled_from([ONE_SIDE, TWO_SIDES]))
@settings(max_examples=200, deadline=None)
def test_any_multipart_body_decodes_to_its_files_or_gets_a_seed_error(parts, names) -> None:
    body = multipart(parts)
    try:
        images = decode_body(body, f"multipart/form-data; boundary={BOUNDARY}", FormatType.FILE, names)
    except SeedError as error:
        assert error.code in (ErrorCode.NO_CONTENT, ErrorCode.BAD_IMAGE, ErrorCode.BAD_FORMAT_TYPE)
    else:
        # Each image is the content of the last part of its name (as for any repeated form
        # field), which is a non-empty file.
        for name, data in zip(names, images):
            _name, filename, content = [p for p in parts if p[0] == name][-1]
            assert filename is not None and data == content and data


@given(body=st.binary(max_size=600), content_type=st.sampled_from([
    f"multipart/form-data; boundary={BOUNDARY}", "multipart/form-data", "multipart/form-data; boundary=",
    "application/json", "application/x-www-form-urlencoded", "text/plain", "", "image/png"]),
       format_type=st.sampled_from(list(FormatType)))
@settings(max_examples=300, deadline=None)
def test_any_body_bytes_get_a_seed_error_or_images_never_another_exception(body: bytes, content_type: str,
                                                                           format_type: FormatType) -> None:
    try:
        decode_body(body, content_type, format_type)
    except SeedError as error:
        assert error.code in (ErrorCode.NO_CONTENT, ErrorCode.URL_UNAVAILABLE, ErrorCode.BAD_IMAGE,
                              ErrorCode.BAD_FORMAT_TYPE)


@given(value=st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda children: st.lists(children, max_size=3) | st.dictionaries(
                              st.sampled_from(["img", "img1", "img2", "x"]), children, max_size=3), max_leaves=8))
@settings(max_examples=200, deadline=None)
def test_any_json_body_gets_a_seed_error_or_images(value) -> None:
    import json

    try:
        decode_body(json.dumps(value).encode(), "application/json", FormatType.BASE64)
    except SeedError as error:
        assert error.code in (ErrorCode.NO_CONTENT, ErrorCode.BAD_IMAGE, ErrorCode.BAD_FORMAT_TYPE)


# --- URL checks ------------------------------------------------------------------------------------

def checker(*addresses: str, allow: tuple[str, ...] = ()) -> SafeFetcher:
    return SafeFetcher(FetchPolicy(allow=AllowList.parse(allow), timeout=1.0),
                       resolver=lambda host: list(addresses))


@given(url=st.text(max_size=120) | st.from_regex(r"(https?|ftp|file|gopher)://[^\s]{0,60}", fullmatch=True))
@settings(max_examples=300, deadline=None)
def test_any_url_is_refused_with_code_2_or_leads_only_to_public_addresses(url: str) -> None:
    # check() resolves (here: a stub answering a reserved address) but never connects.
    try:
        target = checker(RESERVED).check(url)
    except SeedError as error:
        assert error.code == ErrorCode.URL_UNAVAILABLE and error.detail
    else:
        assert target.scheme in ("http", "https")
        assert target.addresses and all(is_public(ipaddress.ip_address(a)) for a in target.addresses)


@given(address=st.ip_addresses())
@settings(max_examples=400, deadline=None)
def test_a_host_is_accepted_only_when_every_address_is_global(address) -> None:
    try:
        target = checker(str(address)).check("http://images.example/card.png")
    except SeedError as error:
        assert error.code == ErrorCode.URL_UNAVAILABLE
        assert not is_public(address)
    else:
        assert target.addresses == (str(address),)
        assert address.is_global
        mapped = getattr(address, "ipv4_mapped", None)
        assert mapped is None or mapped.is_global


@given(address=st.ip_addresses(v=4))
@settings(max_examples=200, deadline=None)
def test_ipv4_and_its_ipv6_forms_are_judged_alike(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")
    if not is_public(address):
        assert not is_public(mapped)
        six_to_four = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
        assert not is_public(six_to_four)


@given(user=st.text(alphabet="abcxyz", min_size=1, max_size=8), password=st.text(alphabet="abc123", max_size=8))
def test_a_url_with_credentials_is_always_refused(user: str, password: str) -> None:
    with pytest.raises(SeedError, match="credentials"):
        checker("93.184.216.34").check(f"http://{user}:{password}@images.example/card.png")
