"""Who acts: the roles of the review app and the signed-in principal every workflow receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional


class Role(str, Enum):
    REVIEWER = "reviewer"
    LEAD = "lead"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """Who is acting: what the app keeps in its session after sign-in."""

    id: int
    username: str
    role: Role
    language: Optional[str] = None

    @property
    def is_lead(self) -> bool:
        return self.role in (Role.LEAD, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN
