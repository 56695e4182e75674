"""API keys for the HTTP server: created with a secret shown once, stored hashed, with quotas."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from db.models import ApiKey
from db.session import Database, UnitOfWork
from services.accounts.passwords import hash_secret, new_api_key, verify_secret


@dataclass(frozen=True)
class CreatedKey:
    key_id: str
    secret: str
    owner: str
    quota: Optional[int]


@dataclass(frozen=True)
class KeyInfo:
    key_id: str
    owner: str
    quota: Optional[int]
    request_count: int
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class VerifiedKey:
    pk: Optional[int]  # None for the pair from the environment (no quota)
    key_id: str


class ApiKeyService:
    def __init__(self, database: Database, env_key: str = "", env_secret: str = "") -> None:
        self.database = database
        self.env_key = env_key
        self.env_secret = env_secret

    def create(self, owner: str, quota: Optional[int] = None, *, actor: str = "cli") -> CreatedKey:
        if quota is not None and quota < 0:
            raise ValueError("quota must be positive")
        key_id, secret = new_api_key()
        with UnitOfWork(self.database) as uow:
            uow.api_keys.add(ApiKey(key_id=key_id, secret_hash=hash_secret(secret), owner=owner, quota=quota))
            uow.audit.record(actor=actor, action="api_key_created", new_value=f"{key_id} ({owner})")
            uow.commit()
        return CreatedKey(key_id=key_id, secret=secret, owner=owner, quota=quota)

    def list(self) -> list[KeyInfo]:
        with UnitOfWork(self.database, write=False) as uow:
            return [
                KeyInfo(k.key_id, k.owner, k.quota, k.request_count, k.active, k.created_at)
                for k in uow.api_keys.list()
            ]

    def revoke(self, key_id: str, *, actor: str = "cli") -> bool:
        with UnitOfWork(self.database) as uow:
            key = uow.api_keys.by_key_id(key_id)
            if key is None or not key.active:
                return False
            key.active = False
            key.revoked_at = datetime.now(timezone.utc)
            uow.audit.record(actor=actor, action="api_key_revoked", old_value=key_id)
            uow.commit()
            return True

    def set_quota(self, key_id: str, quota: Optional[int], *, actor: str) -> bool:
        with UnitOfWork(self.database) as uow:
            key = uow.api_keys.by_key_id(key_id)
            if key is None:
                return False
            uow.audit.record(actor=actor, action="api_key_quota", old_value=str(key.quota), new_value=str(quota),
                             detail=key_id)
            key.quota = quota
            uow.commit()
            return True

    def verify(self, key_id: str, secret: str) -> Optional[VerifiedKey]:
        if self.env_key and self.env_secret and hmac.compare_digest(key_id.encode(), self.env_key.encode()):
            if hmac.compare_digest(secret.encode(), self.env_secret.encode()):
                return VerifiedKey(pk=None, key_id=key_id)
            return None
        with UnitOfWork(self.database, write=False) as uow:
            key = uow.api_keys.by_key_id(key_id)
            stored = key.secret_hash if key is not None and key.active else None
            if not verify_secret(stored, secret) or key is None:
                return None
            return VerifiedKey(pk=key.id, key_id=key.key_id)

    def consume(self, key: VerifiedKey) -> bool:
        """Count one request; False when the key's quota is used up."""
        if key.pk is None:
            return True
        with UnitOfWork(self.database) as uow:
            ok = uow.api_keys.consume(key.pk)
            uow.commit()
            return ok

    def refund(self, key: VerifiedKey) -> None:
        if key.pk is None:
            return
        with UnitOfWork(self.database) as uow:
            uow.api_keys.refund(key.pk)
            uow.commit()
