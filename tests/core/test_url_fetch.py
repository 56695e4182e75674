"""URL input: what the safe fetcher refuses, what it fetches, and that it never connects where it
refused to. Images come from a local server on 127.0.0.1; other addresses are only ever given to
a resolver stub, and a guard fails the test if any socket connects anywhere but 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Iterator

import pytest

from services.core.url_fetch import AllowList, FetchPolicy, SafeFetcher, is_public, looks_like_image
from services.domain.schema import ErrorCode, SeedError
from tests.support.api_server import ImageServer, Route, png

PRIVATE_ADDRESSES = [
    "10.1.2.3",  # 10/8
    "172.16.0.9",  # 172.16/12
    "172.31.255.1",
    "192.168.1.20",  # 192.168/16
    "169.254.169.254",  # link-local, the cloud metadata address
    "127.0.0.2",  # loopback beyond .1
    "0.0.0.0",  # unspecified: reaches this machine on Linux
    "224.0.0.251",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "100.64.0.1",  # carrier-grade NAT
    "::1",
    "fc00::1",  # unique local (fc00::/7)
    "fd12:3456::1",
    "fe80::1",  # link-local
    "ff02::1",  # multicast
    "::",  # unspecified
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "::ffff:127.0.0.1",
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]


def resolver_to(*addresses: str):
    def resolve(host: str) -> list[str]:
        return list(addresses)

    return resolve


def fetcher(allow: tuple[str, ...] = (), resolver=None, **policy: object) -> SafeFetcher:
    kwargs = {"timeout": 2.0, "max_bytes": 200_000, **policy}
    if resolver is None:
        return SafeFetcher(FetchPolicy(allow=AllowList.parse(allow), **kwargs))  # type: ignore[arg-type]
    return SafeFetcher(FetchPolicy(allow=AllowList.parse(allow), **kwargs), resolver=resolver)  # type: ignore[arg-type]


def refused(call, *args: object) -> str:
    with pytest.raises(SeedError) as caught:
        call(*args)
    assert caught.value.code == ErrorCode.URL_UNAVAILABLE
    return caught.value.detail


@pytest.fixture
def images() -> Iterator[ImageServer]:
    with ImageServer() as server:
        server.image("/card.png", png())
        yield server


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_a_host_resolving_to_a_private_address_is_refused_without_connecting(address: str, only_loopback) -> None:
    detail = refused(fetcher(resolver=resolver_to(address)).fetch, "http://images.test/card.png")
    assert "private or reserved" in detail
    assert only_loopback == []


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "[::1]", "[fd00::1]", "0.0.0.0", "224.0.0.1"])
def test_a_private_ip_literal_is_refused_without_connecting(address: str, only_loopback) -> None:
    refused(fetcher().fetch, f"http://{address}/card.png")
    assert only_loopback == []


def test_a_host_with_one_public_and_one_private_address_is_refused(only_loopback) -> None:
    detail = refused(fetcher(resolver=resolver_to("93.184.216.34", "10.0.0.7")).fetch, "http://mixed.test/x.png")
    assert "10.0.0.7" in detail
    assert only_loopback == []


def test_loopback_is_refused_while_the_allow_list_is_empty(images: ImageServer, only_loopback) -> None:
    refused(fetcher().fetch, images.url("/card.png"))
    assert images.hits == [] and only_loopback == []


def test_loopback_is_fetched_when_its_address_is_allow_listed(images: ImageServer, only_loopback) -> None:
    assert fetcher(("127.0.0.1",)).fetch(images.url("/card.png")) == png()


def test_an_allow_listed_network_admits_its_addresses(images: ImageServer) -> None:
    assert fetcher(("127.0.0.0/8",)).fetch(images.url("/card.png")) == png()


def test_an_allow_listed_host_name_admits_whatever_it_resolves_to(images: ImageServer, only_loopback) -> None:
    got = fetcher(("images.internal",), resolver=resolver_to("127.0.0.1")).fetch(
        f"http://images.internal:{images.port}/card.png")
    assert got == png()


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(images: ImageServer,
                                                                                 only_loopback) -> None:
    # The resolver is asked once per hop; the connection uses its answer, never a new lookup.
    calls: list[str] = []

    def resolve(host: str) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    fetcher(("127.0.0.1",), resolver=resolve).fetch(f"http://cards.test:{images.port}/card.png")
    assert calls == ["cards.test"]
    assert [a[0] for a in only_loopback] == ["127.0.0.1"]


@pytest.mark.parametrize("url", [
    "ftp://127.0.0.1/card.png",
    "file:///etc/passwd",
    "gopher://127.0.0.1/",
    "/relative/card.png",
    "data:image/png;base64,AAAA",
])
def test_schemes_other_than_http_and_https_are_refused(url: str, only_loopback) -> None:
    assert "http" in refused(fetcher(("127.0.0.1",)).fetch, url)
    assert only_loopback == []


def test_a_url_with_credentials_is_refused(images: ImageServer, only_loopback) -> None:
    url = f"http://user:secret@127.0.0.1:{images.port}/card.png"
    assert "credentials" in refused(fetcher(("127.0.0.1",)).fetch, url)
    assert images.hits == []


def test_a_redirect_to_a_private_address_is_refused_before_following_it(images: ImageServer, only_loopback) -> None:
    images.routes["/hop"] = Route(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    detail = refused(fetcher(("127.0.0.1",)).fetch, images.url("/hop"))
    assert "169.254.169.254" in detail
    assert images.hits == ["/hop"]


def test_a_redirect_to_a_host_resolving_privately_is_refused(images: ImageServer, only_loopback) -> None:
    images.routes["/hop"] = Route(301, headers={"Location": "http://intranet.test/card.png"})

    def resolve(host: str) -> list[str]:
        return ["192.168.0.10"]

    refused(fetcher(("127.0.0.1",), resolver=resolve).fetch, images.url("/hop"))


def test_checked_redirects_are_followed(images: ImageServer) -> None:
    images.routes["/a"] = Route(302, headers={"Location": "/b"})
    images.routes["/b"] = Route(307, headers={"Location": images.url("/card.png")})
    assert fetcher(("127.0.0.1",)).fetch(images.url("/a")) == png()


def test_a_redirect_loop_ends_with_a_clear_error(images: ImageServer) -> None:
    images.routes["/loop"] = Route(302, headers={"Location": "/loop"})
    assert "redirects" in refused(fetcher(("127.0.0.1",), max_redirects=3).fetch, images.url("/loop"))
    assert len(images.hits) == 4


def test_a_server_that_does_not_answer_in_time_is_given_up(images: ImageServer) -> None:
    images.routes["/slow"] = Route(body=png(), headers={"Content-Type": "image/png"}, delay=5)
    started = time.monotonic()
    assert "within" in refused(fetcher(("127.0.0.1",), timeout=1.0).fetch, images.url("/slow"))
    assert time.monotonic() - started < 3


def test_an_html_page_is_not_an_image(images: ImageServer) -> None:
    images.routes["/page"] = Route(body=b"<html><body>hello</body></html>", headers={"Content-Type": "text/html"})
    assert "text/html" in refused(fetcher(("127.0.0.1",)).fetch, images.url("/page"))


def test_an_untyped_body_that_is_not_an_image_is_refused(images: ImageServer) -> None:
    images.routes["/blob"] = Route(body=b"%PDF-1.7 not an image", headers={"Content-Type": "application/octet-stream"})
    assert "did not return an image" in refused(fetcher(("127.0.0.1",)).fetch, images.url("/blob"))


def test_an_error_status_is_reported(images: ImageServer) -> None:
    assert "404" in refused(fetcher(("127.0.0.1",)).fetch, images.url("/missing.png"))


def test_a_body_over_the_size_cap_is_refused(images: ImageServer) -> None:
    images.image("/big.png", png(900, 900, text="big") + b"\0" * 300_000)
    assert "larger than" in refused(fetcher(("127.0.0.1",), max_bytes=100_000).fetch, images.url("/big.png"))


def test_a_refused_connection_is_unavailable(only_loopback) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused
        assert "connect" in refused(fetcher(("127.0.0.1",)).fetch, f"http://127.0.0.1:{port}/x.png")


@pytest.mark.parametrize("address", PRIVATE_ADDRESSES)
def test_every_private_range_is_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def test_image_signatures_are_recognised() -> None:
    assert looks_like_image(png()[:16])
    assert looks_like_image(png(fmt="JPEG")[:16])
    assert not looks_like_image(b"<!doctype html>")
