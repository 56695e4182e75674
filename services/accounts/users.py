"""Users: sign-in with lock-out, roles, the first admin.

Guessing is braked twice: an account is locked for a while after MAX_FAILED_LOGINS wrong
passwords in a row, and a client address is refused for a while after MAX_FAILED_LOGINS_PER_CLIENT
failed sign-ins within LOCKOUT, whichever names it tried (this bounds trying one password on
many accounts, and guessing names).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from db.models import User
from db.session import Database, UnitOfWork
from services.accounts.passwords import hash_secret, needs_rehash, new_password, verify_secret
from services.core.limiter import FailureLimiter
from services.domain.people import Principal, Role

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)
MAX_FAILED_LOGINS_PER_CLIENT = 20
MIN_PASSWORD_LENGTH = 8


class AuthError(Exception):
    """Sign-in refused. The message never says whether the user exists."""


class UserError(ValueError):
    pass


def _principal(user: User) -> Principal:
    return Principal(id=user.id, username=user.username, role=Role(user.role), language=user.language)


class UserService:
    def __init__(self, database: Database, *, client_limiter: Optional[FailureLimiter] = None) -> None:
        self.database = database
        # In memory, per process: the app's services (and so this) are one per server process.
        self.client_limiter = client_limiter or FailureLimiter(MAX_FAILED_LOGINS_PER_CLIENT,
                                                               LOCKOUT.total_seconds())

    def authenticate(self, username: str, password: str, *, client: str = "local",
                     now: Optional[datetime] = None) -> Principal:
        """Check a password. Repeated failures lock the account for a while, and refuse the
        client address for a while, which bounds how fast anyone can guess."""
        if self.client_limiter.retry_after(client) is not None:
            raise AuthError("Too many failed attempts; try again in a few minutes")
        try:
            return self._authenticate(username, password, now or datetime.now(timezone.utc))
        except AuthError:
            self.client_limiter.record_failure(client)
            raise

    def _authenticate(self, username: str, password: str, now: datetime) -> Principal:
        username = username.strip()
        with UnitOfWork(self.database) as uow:
            user = uow.users.by_username(username)
            if user is None:
                verify_secret(None, password)  # same cost as a real check
                raise AuthError("Wrong user name or password")
            if user.locked_until and user.locked_until > now:
                raise AuthError("Too many failed attempts; try again in a few minutes")
            if not user.active or not verify_secret(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= MAX_FAILED_LOGINS:
                    user.locked_until = now + LOCKOUT
                    user.failed_logins = 0
                uow.audit.record(actor=username[:64], action="login_failed", user_id=user.id)
                uow.commit()
                raise AuthError("Wrong user name or password")
            user.failed_logins = 0
            user.locked_until = None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_secret(password)
            uow.audit.record(actor=user.username, action="login", user_id=user.id)
            uow.commit()
            return _principal(user)

    def create(self, username: str, password: str, role: Role, *, by: Optional[Principal] = None,
               language: Optional[str] = None) -> Principal:
        username = username.strip()
        if not username or len(username) > 64 or not username.isprintable():
            raise UserError("User names are 1-64 printable characters")
        if len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(f"Passwords have at least {MIN_PASSWORD_LENGTH} characters")
        with UnitOfWork(self.database) as uow:
            if uow.users.by_username(username):
                raise UserError(f"User {username!r} exists already")
            user = uow.users.add(User(username=username, password_hash=hash_secret(password),
                                      role=Role(role).value, language=language))
            uow.audit.record(actor=by.username if by else "system", user_id=by.id if by else None,
                             action="user_created", new_value=f"{username} ({Role(role).value})")
            uow.commit()
            return _principal(user)

    def ensure_admin(self, username: str, password: Optional[str]) -> Optional[str]:
        """Create the first admin if there is no active one.

        Returns the password when one was generated (to print once), else None.
        """
        with UnitOfWork(self.database, write=False) as uow:
            if uow.users.count_active_admins() > 0:
                return None
        generated = None
        if not password:
            password = generated = new_password()
        self.create(username or "admin", password, Role.ADMIN)
        return generated

    def update(self, username: str, *, by: Principal, role: Optional[Role] = None,
               active: Optional[bool] = None, password: Optional[str] = None,
               language: Optional[str] = None) -> None:
        with UnitOfWork(self.database) as uow:
            user = uow.users.by_username(username)
            if user is None:
                raise UserError(f"No user {username!r}")
            removing_admin = user.role == Role.ADMIN.value and (
                (role is not None and role != Role.ADMIN) or active is False
            )
            if removing_admin and uow.users.count_active_admins() <= 1:
                raise UserError("The last active admin cannot be demoted or deactivated")
            if role is not None and role.value != user.role:
                uow.audit.record(actor=by.username, user_id=by.id, action="user_role",
                                 old_value=user.role, new_value=role.value, detail=username)
                user.role = role.value
            if active is not None and active != user.active:
                uow.audit.record(actor=by.username, user_id=by.id, action="user_active",
                                 old_value=str(user.active), new_value=str(active), detail=username)
                user.active = active
            if password is not None:
                if len(password) < MIN_PASSWORD_LENGTH:
                    raise UserError(f"Passwords have at least {MIN_PASSWORD_LENGTH} characters")
                user.password_hash = hash_secret(password)
                user.failed_logins = 0
                user.locked_until = None
                uow.audit.record(actor=by.username, user_id=by.id, action="user_password", detail=username)
            if language is not None:
                user.language = language
            uow.commit()

    def list(self) -> list[dict[str, object]]:
        with UnitOfWork(self.database, write=False) as uow:
            return [
                {"username": u.username, "role": u.role, "active": u.active,
                 "language": u.language or "", "created_at": u.created_at}
                for u in uow.users.list()
            ]

    def get(self, user_id: int) -> Optional[Principal]:
        with UnitOfWork(self.database, write=False) as uow:
            user = uow.users.get(user_id)
            return _principal(user) if user and user.active else None
