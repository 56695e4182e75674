"""Fetch an image by URL without letting a caller reach our private network (SSRF).

Every hop (the URL given and each redirect) is checked the same way: http or https only, no
credentials in the URL, and every address the host resolves to must be public unless the host or
the address is in the allow-list. The connection then goes to the very address that was checked,
with the original host name in the `Host` header and in TLS (SNI and certificate check), so a
DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect it.

Failures raise `SeedError(URL_UNAVAILABLE)` with a detail that says what went wrong.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence, Union
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from services.core.config import Settings
from services.domain.schema import ErrorCode, SeedError

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
# host name -> its addresses, as strings. Tests pass a stub so that no real lookup happens.
Resolver = Callable[[str], Sequence[str]]

REDIRECT_STATUSES = {301, 302, 303, 307, 308}
CHUNK = 64 * 1024
USER_AGENT = "vehicle-registration-ocr/1 (+url input)"

# Leading bytes of the formats the engine accepts (services.core.images), so that an
# HTML error page served as 200 is refused here as "not an image" rather than later as a
# damaged one.
_SIGNATURES: tuple[tuple[int, bytes], ...] = (
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"\x89PNG\r\n\x1a\n"),
    (8, b"WEBP"),  # RIFF....WEBP
    (0, b"BM"),
    (0, b"II*\x00"),  # TIFF, little-endian
    (0, b"MM\x00*"),  # TIFF, big-endian
)


def looks_like_image(head: bytes) -> bool:
    return any(head[offset:offset + len(magic)] == magic for offset, magic in _SIGNATURES)


def system_resolver(host: str) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise SeedError(ErrorCode.URL_UNAVAILABLE, f"the host {host!r} could not be resolved") from exc
    # Keep the resolver's order (it puts the preferred family first) without duplicates.
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class AllowList:
    """Hosts and networks that URL input may reach although they are private."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Sequence[str]) -> "AllowList":
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            entry = entry.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)


def is_public(address: IPAddress) -> bool:
    """False for every address a request from outside must not make us reach."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address are judged by that address.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public(embedded):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


@dataclass(frozen=True)
class FetchPolicy:
    allow: AllowList = field(default_factory=AllowList)
    timeout: float = 10.0  # seconds for the whole fetch, redirects included
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> "FetchPolicy":
        """The one policy for URL input, in the API server and the app alike."""
        return cls(allow=AllowList.parse(settings.url_allowlist), timeout=settings.url_fetch_timeout,
                   max_bytes=settings.max_upload_bytes, max_redirects=settings.url_max_redirects)


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent
    addresses: tuple[str, ...]


def _unavailable(detail: str) -> SeedError:
    return SeedError(ErrorCode.URL_UNAVAILABLE, detail)


class SafeFetcher:
    def __init__(self, policy: FetchPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self.resolver = resolver

    def check(self, url: str) -> _Target:
        """Validate one URL and resolve its host; raises unless it may be fetched."""
        if len(url) > 8192:
            raise _unavailable("the URL is too long")
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise _unavailable(f"the URL is malformed ({exc})") from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise _unavailable(f"only http and https URLs are fetched, not {scheme or 'a relative URL'!r}")
        if parts.username is not None or parts.password is not None:
            raise _unavailable("URLs with credentials in them are not accepted")
        host = parts.hostname
        if not host:
            raise _unavailable("the URL has no host")
        port = port or (443 if scheme == "https" else 80)
        addresses = self._addresses(host)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        return _Target(url=url, scheme=scheme, host=host, port=port, path=path, addresses=addresses)

    def _addresses(self, host: str) -> tuple[str, ...]:
        try:
            literal: Optional[IPAddress] = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        raw = [str(literal)] if literal is not None else list(self.resolver(host))
        if not raw:
            raise _unavailable(f"the host {host!r} has no address")
        host_allowed = self.policy.allow.allows_host(host)
        checked: list[str] = []
        for text in raw:
            try:
                address = ipaddress.ip_address(text.split("%", 1)[0])
            except ValueError as exc:
                raise _unavailable(f"the host {host!r} resolved to an invalid address") from exc
            # One refused address refuses the host: otherwise a name with a public and a private
            # address could be made to reach the private one.
            if not (host_allowed or self.policy.allow.allows_address(address) or is_public(address)):
                raise _unavailable(f"the URL's host {host!r} is a private or reserved address ({address})")
            checked.append(str(address))
        return tuple(checked)

    def fetch(self, url: str) -> bytes:
        """The body of the image at `url`, following checked redirects."""
        deadline = time.monotonic() + self.policy.timeout
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            target = self.check(current)
            location = self._get(target, deadline)
            if isinstance(location, bytes):
                return location
            current = urljoin(current, location)
        raise _unavailable(f"more than {self.policy.max_redirects} redirects")

    def _get(self, target: _Target, deadline: float) -> Union[bytes, str]:
        """The body (bytes), or the next location (str) for a redirect."""
        last_error: Optional[Exception] = None
        for address in target.addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _unavailable(f"no answer within {self.policy.timeout:g} s")
            pool = self._pool(target, address, remaining)
            try:
                response = pool.urlopen(
                    "GET",
                    target.path,
                    headers=self._headers(target),
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
            except urllib3.exceptions.NewConnectionError as exc:
                last_error = exc  # try the host's next address
                pool.close()
                continue
            except (Urllib3Error, OSError) as exc:
                pool.close()
                raise _unavailable(self._describe(exc)) from exc
            try:
                return self._read(target, response, deadline)
            finally:
                response.release_conn()
                pool.close()
        raise _unavailable(f"could not connect to {target.host}") from last_error

    def _read(self, target: _Target, response: urllib3.BaseHTTPResponse, deadline: float) -> Union[bytes, str]:
        status = response.status
        if status in REDIRECT_STATUSES:
            location = response.headers.get("Location")
            if not location:
                raise _unavailable(f"redirect ({status}) without a location")
            return location
        if not 200 <= status < 300:
            raise _unavailable(f"the server answered HTTP {status}")
        content_type = (response.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if content_type and not (content_type.startswith("image/") or content_type in (
                "application/octet-stream", "binary/octet-stream")):
            raise _unavailable(f"the URL did not return an image (Content-Type: {content_type})")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.policy.max_bytes:
            raise _unavailable(f"the image is larger than {self.policy.max_bytes} bytes")
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise _unavailable(f"the download took longer than {self.policy.timeout:g} s")
                # read1 returns what has arrived, so a server that trickles bytes cannot hold
                # us past the deadline by more than one read timeout.
                chunk = response.read1(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > self.policy.max_bytes:
                    raise _unavailable(f"the image is larger than {self.policy.max_bytes} bytes")
                chunks.append(chunk)
        except (Urllib3Error, OSError) as exc:
            raise _unavailable(self._describe(exc)) from exc
        body = b"".join(chunks)
        if not body:
            raise _unavailable("the URL returned an empty body")
        if not looks_like_image(body[:16]):
            raise _unavailable("the URL did not return an image")
        return body

    def _pool(self, target: _Target, address: str, remaining: float) -> urllib3.HTTPConnectionPool:
        timeout = urllib3.Timeout(connect=min(remaining, self.policy.timeout), read=min(remaining, self.policy.timeout))
        if target.scheme == "https":
            return urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, maxsize=1, retries=False,
                cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                server_hostname=target.host, assert_hostname=target.host,
            )
        return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1, retries=False)

    @staticmethod
    def _headers(target: _Target) -> dict[str, str]:
        default_port = 443 if target.scheme == "https" else 80
        host = f"[{target.host}]" if ":" in target.host else target.host
        if target.port != default_port:
            host = f"{host}:{target.port}"
        return {
            "Host": host,
            "User-Agent": USER_AGENT,
            "Accept": "image/*",
            # Images are compressed already; asking for identity keeps a compressed bomb out.
            "Accept-Encoding": "identity",
        }

    def _describe(self, exc: Exception) -> str:
        if isinstance(exc, (urllib3.exceptions.TimeoutError, socket.timeout, TimeoutError)):
            return f"no answer within {self.policy.timeout:g} s"
        if isinstance(exc, urllib3.exceptions.SSLError):
            return "the TLS connection failed (certificate or protocol)"
        return f"the download failed ({type(exc).__name__})"
