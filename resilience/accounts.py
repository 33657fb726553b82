"""Users, roles, granted divisions and API tokens; who may see and change what.

Passwords are hashed with Argon2 (argon2-cffi). API tokens are long random strings, so a
SHA-256 digest is enough to store them and lets every API request check one in microseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session, relationship

from resilience import passwords
from resilience.codes import EDITING_ROLES, ROLES
from resilience.divisions import Division, covers, division_prefix
from resilience.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
from resilience.model import Base, UTCDateTime, now

TOKEN_PREFIX = "rsl_"
MIN_PASSWORD = 8
_hasher = PasswordHasher()


class User(Base):
    """A person who signs in; what they see is limited by role and granted divisions."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    divisions: Mapped[list[UserDivision]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class UserDivision(Base):
    """A division granted to a user (with everything below it)."""

    __tablename__ = "user_divisions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    division_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), primary_key=True)


class ApiToken(Base):
    """A revocable, expiring bearer token; only its digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str | None] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginAttempt(Base):
    """A failed password sign-in, kept (in the database, so every worker sees it) until the
    account signs in or an admin unlocks it; resilience.logins counts them to throttle."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now, index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # as typed
    address: Mapped[str | None] = mapped_column(String(45), index=True)


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the domain sees them: role and division prefixes.

    The role says what a user may do, the divisions where: an admin granted 上城区 manages
    上城区 only. ``everywhere`` marks a grant of a root division (the province the registry
    was initialised under): such a user also sees records that lie in no division at all.
    """

    user_id: int
    username: str
    role: str
    prefixes: tuple[str, ...]
    everywhere: bool = False

    @property
    def is_admin(self) -> bool:
        """The admin role: users, schemes and retiring records — within the granted divisions."""
        return self.role == "admin"

    @property
    def can_edit_assets(self) -> bool:
        """Roles allowed to create, change and retire registry records."""
        return self.role in EDITING_ROLES

    def sees(self, division_code: str | None) -> bool:
        """True when a record in this division is visible to the user."""
        return self.everywhere or covers(self.prefixes, division_code)

    def covers_all(self, codes: list[str] | tuple[str, ...] | set[str]) -> bool:
        """True when every one of these divisions is within the grant (an empty set is the
        whole registry's business, so only an everywhere user covers it)."""
        return self.everywhere or (bool(codes) and all(covers(self.prefixes, c) for c in codes))

    def require_read(self, division_code: str | None) -> None:
        """Raise Forbidden when the record's division is not granted."""
        if not self.sees(division_code):
            raise Forbidden("division not granted", division=division_code)

    def require_everywhere(self) -> None:
        """Raise Forbidden unless the grant is the whole registry: what changes every
        division at once (the city's risk schemes and tables) is no district's to change."""
        if not self.everywhere:
            raise Forbidden("whole registry only", [Problem("division", "whole_registry_only",
                                                            {})])

    def require_edit(self, division_code: str | None) -> None:
        """Raise Forbidden unless the role may edit and the division is granted."""
        if not self.can_edit_assets:
            raise Forbidden("role may not edit", role=self.role)
        self.require_read(division_code)


SYSTEM = Principal(0, "system", "admin", (), everywhere=True)
CONSOLE = Principal(0, "cli", "admin", (), everywhere=True)  # whoever holds the server's shell


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    """The principal for a user row (in a session: whether a grant is a root is looked up)."""
    codes = {d.division_code for d in user.divisions}
    prefixes = tuple(sorted({division_prefix(c) for c in codes}))
    session = object_session(user)
    everywhere = bool(codes) and session is not None and session.scalar(
        select(Division.code).where(Division.code.in_(codes), Division.parent_code.is_(None))
        .limit(1)) is not None
    return Principal(user.id, user.username, user.role, prefixes, everywhere)


def add_user(
    session: Session,
    username: str,
    *,
    role: str,
    password: str | None = None,
    divisions: list[str] | tuple[str, ...] = (),
    display_name: str | None = None,
    policy: bool = False,
) -> User:
    """Create a user after checking role, name and divisions; raises with every problem.

    ``policy``: hold the password to resilience.passwords (what people choose); without it
    only a technical minimum (the demo's and the tests' seeded users).
    """
    problems: list[Problem] = []
    if not username or len(username) > 64 or not username.replace("_", "").replace(".", "")\
            .replace("-", "").isalnum():
        problems.append(Problem("username", "invalid_username", {"value": username}))
    if role not in ROLES:
        problems.append(Problem("role", "unknown_code", {"value": role, "allowed": ROLES.values()}))
    if password is not None and policy:
        problems.extend(passwords.problems(password, username))
    elif password is not None and len(password) < MIN_PASSWORD:
        problems.append(Problem("password", "password_too_short", {"min": MIN_PASSWORD}))
    for code in divisions:
        if session.get(Division, code) is None:
            problems.append(Problem("division", "unknown_division", {"value": code}))
    if problems:
        raise InvalidInput("invalid user", problems)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("user exists", [Problem("username", "duplicate", {"value": username})])
    user = User(
        username=username,
        role=role,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        divisions=[UserDivision(division_code=c) for c in divisions],
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """A user by name, or NotFound."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no such user", [Problem("username", "not_found", {"value": username})])
    return user


def issue_token(
    session: Session, username: str, *, days: int = 90, name: str | None = None
) -> tuple[ApiToken, str]:
    """A new token for the user; the plain text is returned once and never stored."""
    user = get_user(session, username)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        digest=_digest(plain),
        expires_at=now() + timedelta(days=days) if days > 0 else None,
    )
    session.add(token)
    session.flush()
    return token, plain


def revoke_token(session: Session, token_id: int) -> None:
    """Revoke a token by id so it stops working at once."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("no such token")
    token.revoked_at = now()
    session.flush()


def authenticate_token(session: Session, plain: str) -> Principal | None:
    """The principal behind a bearer token, if it exists, is unexpired and unrevoked.

    One query (token, user and granted divisions joined): it runs on every API request.
    """
    if not plain.startswith(TOKEN_PREFIX):
        return None
    t, u, d = ApiToken.__table__, User.__table__, UserDivision.__table__
    v = Division.__table__
    stmt = (
        select(u.c.id, u.c.username, u.c.role, u.c.active, t.c.expires_at, t.c.revoked_at,
               d.c.division_code, v.c.parent_code.is_(None).label("root"))
        .select_from(t.join(u, u.c.id == t.c.user_id).outerjoin(d, d.c.user_id == u.c.id)
                     .outerjoin(v, v.c.code == d.c.division_code))
        .where(t.c.digest == _digest(plain))
    )
    rows = session.execute(stmt).all()
    if not rows:
        return None
    first = rows[0]
    if not first.active or first.revoked_at is not None:
        return None
    if first.expires_at is not None and first.expires_at <= now():
        return None
    prefixes = tuple(sorted({division_prefix(r.division_code) for r in rows if r.division_code}))
    everywhere = any(r.division_code and r.root for r in rows)
    return Principal(first.id, first.username, first.role, prefixes, everywhere)


class _PasswordCache:
    """Remembers recent successful Basic logins for a minute.

    Argon2 costs tens of milliseconds by design; QGIS and GDAL send the password with
    every request, so without this each map pan would pay it again.
    """

    def __init__(self, ttl: float = 60.0):
        self.ttl = ttl
        self._key = secrets.token_bytes(32)
        self._entries: dict[bytes, tuple[float, int, str]] = {}
        self._lock = threading.Lock()

    def _k(self, username: str, password: str) -> bytes:
        return hmac.new(self._key, f"{username}\0{password}".encode(), "sha256").digest()

    def get(self, username: str, password: str, password_hash: str) -> bool:
        entry = self._entries.get(self._k(username, password))
        return bool(entry and entry[0] > time.monotonic() and entry[2] == password_hash)

    def put(self, username: str, password: str, user_id: int, password_hash: str) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[self._k(username, password)] = (
                time.monotonic() + self.ttl, user_id, password_hash
            )


_password_cache = _PasswordCache()


def authenticate_password(session: Session, username: str, password: str) -> Principal | None:
    """The principal for a user name and password (or a token given as the password)."""
    if password.startswith(TOKEN_PREFIX):
        principal = authenticate_token(session, password)
        return principal if principal and principal.username == username else None
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not user.password_hash:
        _hasher_dummy_verify(password)
        return None
    if _password_cache.get(username, password, user.password_hash):
        return principal_of(user)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    _password_cache.put(username, password, user.id, user.password_hash)
    return principal_of(user)


_DUMMY_HASH = None


def _hasher_dummy_verify(password: str) -> None:
    """Spend the same time on unknown users as on wrong passwords (no user enumeration)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash("not a real password")
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass
