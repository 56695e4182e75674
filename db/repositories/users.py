"""Users and API keys."""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from db.models import ApiKey, User


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> Optional[User]:
        return self.session.get(User, user_id)

    def by_username(self, username: str) -> Optional[User]:
        return self.session.scalar(select(User).where(User.username == username))

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    def list(self) -> Sequence[User]:
        return self.session.scalars(select(User).order_by(User.username)).all()

    def count_active_admins(self) -> int:
        return self.session.scalar(
            select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
        ) or 0

    def names(self, user_ids: Iterable[int]) -> dict[int, str]:
        ids = {i for i in user_ids if i is not None}
        if not ids:
            return {}
        rows = self.session.execute(select(User.id, User.username).where(User.id.in_(ids)))
        return {row.id: row.username for row in rows}


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_key_id(self, key_id: str) -> Optional[ApiKey]:
        return self.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))

    def add(self, key: ApiKey) -> ApiKey:
        self.session.add(key)
        self.session.flush()
        return key

    def list(self) -> Sequence[ApiKey]:
        return self.session.scalars(select(ApiKey).order_by(ApiKey.created_at)).all()

    def consume(self, key_pk: int) -> bool:
        """Count one request against the key's quota; False when the quota is used up.

        One conditional UPDATE, so concurrent requests can never overrun the quota.
        """
        result = self.session.execute(
            update(ApiKey)
            .where(
                ApiKey.id == key_pk,
                ApiKey.active.is_(True),
                or_(ApiKey.quota.is_(None), ApiKey.request_count < ApiKey.quota),
            )
            .values(request_count=ApiKey.request_count + 1)
        )
        return result.rowcount == 1

    def refund(self, key_pk: int) -> None:
        """Give back a request that was refused before it reached the engine."""
        self.session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_pk, ApiKey.request_count > 0)
            .values(request_count=ApiKey.request_count - 1)
        )
