"""Who gets in, and where URL input may go: a server with an empty allow-list refuses loopback
URLs, and an address that keeps failing to authenticate is refused for a while."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterator

import pytest
import requests

from services.accounts.api_keys import VerifiedKey
from services.api.auth import Credentials, VerifiedCache, parse_basic
from services.core.limiter import FailureLimiter
from tests.support.api_server import ImageServer, LiveServer, answer, b64, live_server, png, seed_post, server_settings
from tests.support.factories import plate_checker

ONE = "vehicle_registration"
MAX_FAILURES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = replace(server_settings(tmp_path_factory.mktemp("api-strict")), url_allowlist=(),
                       api_auth_max_failures=MAX_FAILURES, api_auth_window_seconds=120, api_workers=1)
    with live_server(settings, checker=plate_checker) as live:
        yield live


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_loopback_url_is_refused_while_the_allow_list_is_empty(server: LiveServer) -> None:
    with ImageServer() as images:
        url = images.image("/card.png", png())
        for host in ("127.0.0.1", "localhost"):
            response = requests.get(f"{server.url}/api/v2/ocr/{ONE}",
                                    params={"img": url.replace("127.0.0.1", host), "format_type": "url"},
                                    auth=server.auth, timeout=30)
            body = answer(response)
            assert body["errorCode"] == "2" and "private" in body["errorMessage"]
        assert images.hits == []


def test_repeated_auth_failures_from_one_address_are_refused_with_429_even_with_the_right_key(
        server: LiveServer) -> None:
    for _ in range(MAX_FAILURES):
        assert answer(seed_post(server, ONE, "file", files={"img": png()}, auth=("test-key", "guess")))[
            "errorCode"] == "5"
    blocked = seed_post(server, ONE, "file", files={"img": png()})  # the right key, too late
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    body = answer(blocked)
    assert body["errorCode"] == "5" and "too many failed attempts" in body["errorMessage"]


def test_the_limiter_lets_an_address_back_once_its_failures_leave_the_window() -> None:
    clock = FakeClock()
    limiter = FailureLimiter(3, window=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("1.2.3.4") is None
        limiter.record_failure("1.2.3.4")
    assert limiter.retry_after("1.2.3.4") == pytest.approx(60)
    assert limiter.retry_after("5.6.7.8") is None  # other addresses are not affected
    clock.now += 61
    assert limiter.retry_after("1.2.3.4") is None


def test_the_limiter_keeps_bounded_memory_under_a_flood_of_addresses() -> None:
    limiter = FailureLimiter(3, window=60, clock=FakeClock(), max_clients=100)
    for n in range(1000):
        limiter.record_failure(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) <= 100


def test_verified_keys_are_remembered_only_for_the_cache_lifetime() -> None:
    clock = FakeClock()
    cache = VerifiedCache(30, clock=clock)
    credentials = Credentials("vr_a", "s3cret")
    cache.put(credentials, VerifiedKey(pk=1, key_id="vr_a"))
    assert cache.get(credentials) is not None
    assert cache.get(Credentials("vr_a", "other")) is None
    clock.now += 31
    assert cache.get(credentials) is None


@pytest.mark.parametrize("header, expected", [
    ("Basic " + b64(b"key:secret"), Credentials("key", "secret")),
    ("basic " + b64(b"key:se:cret"), Credentials("key", "se:cret")),
    ("Basic " + b64(b":secret"), None),
    ("Basic " + b64(b"nocolon"), None),
    ("Basic", None),
    ("Digest abc", None),
    ("", None),
])
def test_basic_auth_headers_are_parsed_strictly(header: str, expected: Credentials | None) -> None:
    assert parse_basic(header) == expected
