"""Password and API-secret hashing (argon2id) and secret generation."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verifying against this when a user does not exist keeps the time of a failed login the same
# whether or not the name exists.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(stored_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, secret) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def new_password() -> str:
    return secrets.token_urlsafe(12)


def new_api_key() -> tuple[str, str]:
    """A key id (public, looked up) and a secret (shown once, stored hashed)."""
    return "vr_" + secrets.token_hex(10), secrets.token_urlsafe(24)
