"""HTTP basic authentication against the API keys, with a brake on guessing.

The seed's clients send `auth=(api_key, api_secret)`: HTTP basic. A wrong or missing pair is
the seed's code 5. A client address that fails too often within a window is refused outright
(HTTP 429, code 5) until the window has passed, whatever it sends, so secrets cannot be guessed
at speed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Optional

from starlette.concurrency import run_in_threadpool

from services.accounts.api_keys import ApiKeyService, VerifiedKey
from services.api.responses import HttpSeedError
from services.core.limiter import Clock, FailureLimiter
from services.domain.schema import ErrorCode, SeedError


@dataclass(frozen=True)
class Credentials:
    key_id: str
    secret: str


def parse_basic(header: Optional[str]) -> Optional[Credentials]:
    """The key and secret of an `Authorization: Basic ...` header; None if absent or malformed."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    key_id, sep, secret = decoded.partition(":")
    if not sep or not key_id or len(decoded) > 1024:
        return None
    return Credentials(key_id, secret)


class VerifiedCache:
    """Key/secret pairs verified recently, so argon2 does not run on every request.

    Keyed by a SHA-256 of the pair: the secrets are long random tokens, so a fast hash is enough
    here and no secret is kept in memory as such.
    """

    def __init__(self, ttl: float, *, clock: Clock = time.monotonic, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, tuple[VerifiedKey, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _digest(credentials: Credentials) -> str:
        return hashlib.sha256(f"{credentials.key_id}\0{credentials.secret}".encode()).hexdigest()

    def get(self, credentials: Credentials) -> Optional[VerifiedKey]:
        if self.ttl <= 0:
            return None
        with self._lock:
            entry = self._entries.get(self._digest(credentials))
            if entry is None or entry[1] < self.clock():
                return None
            return entry[0]

    def put(self, credentials: Credentials, key: VerifiedKey) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[self._digest(credentials)] = (key, self.clock() + self.ttl)

    def forget(self, credentials: Credentials) -> None:
        with self._lock:
            self._entries.pop(self._digest(credentials), None)


class Authenticator:
    def __init__(self, api_keys: ApiKeyService, limiter: FailureLimiter, cache: VerifiedCache) -> None:
        self.api_keys = api_keys
        self.limiter = limiter
        self.cache = cache

    async def authenticate(self, authorization: Optional[str], client: str) -> tuple[VerifiedKey, Credentials]:
        """The verified key, or SeedError 5 (HTTP 429 when the address is being refused)."""
        wait = self.limiter.retry_after(client)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise HttpSeedError(ErrorCode.BAD_CREDENTIALS,
                                f"too many failed attempts from this address; retry in {seconds} s",
                                429, {"Retry-After": str(seconds)})
        credentials = parse_basic(authorization)
        if credentials is None:
            self.limiter.record_failure(client)
            raise SeedError(ErrorCode.BAD_CREDENTIALS, "send the key and secret with HTTP basic auth")
        key = self.cache.get(credentials)
        if key is None:
            # argon2 takes about 0.1 s of CPU: off the event loop.
            key = await run_in_threadpool(self.api_keys.verify, credentials.key_id, credentials.secret)
            if key is None:
                self.limiter.record_failure(client)
                raise SeedError(ErrorCode.BAD_CREDENTIALS)
            self.cache.put(credentials, key)
        return key, credentials

    async def consume(self, key: VerifiedKey, credentials: Credentials) -> None:
        """Count one request against the key's quota; SeedError 4 when it is used up.

        A key revoked since it was cached also fails here (the count needs an active key), and
        is then told apart from a spent quota by verifying it again.
        """
        if await run_in_threadpool(self.api_keys.consume, key):
            return
        self.cache.forget(credentials)
        if await run_in_threadpool(self.api_keys.verify, credentials.key_id, credentials.secret) is None:
            raise SeedError(ErrorCode.BAD_CREDENTIALS, "the key has been revoked")
        raise SeedError(ErrorCode.OUT_OF_REQUESTS, "the key's quota is used up")

    async def refund(self, key: VerifiedKey) -> None:
        await run_in_threadpool(self.api_keys.refund, key)
