"""Managing a real office's users: list, reset a password, disable, grant divisions, change role.

The administrator's use cases behind ``resilience users …`` and the admin page. Each change is
audited (collection ``users``, the user's id) with the actor and what changed — a password's
change is recorded, never the password. Callers own the transaction.

An admin manages the users within their own grant: a user is theirs when every division the
user holds lies within the admin's divisions, and the admin grants only divisions within
their own (an admin granted 上城区 cannot make anyone a city-wide user, themselves included).
Users with no division at all are the whole registry's business (a root-granted admin's).
``actor`` defaults to the console: whoever holds the server's shell manages everyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from resilience import audit, logins, passwords
from resilience.accounts import (
    CONSOLE,
    ApiToken,
    Principal,
    User,
    UserDivision,
    add_user,
    get_user,
    hash_password,
)
from resilience.codes import ROLES
from resilience.divisions import Division
from resilience.errors import Forbidden, InvalidInput, Problem
from resilience.model import now


def list_users(session: Session, actor: Principal = CONSOLE) -> list[User]:
    """The users the actor manages, with their granted divisions, by name."""
    users = session.scalars(select(User).options(selectinload(User.divisions))
                            .order_by(User.username))
    return [u for u in users if manages(actor, u)]


def manages(actor: Principal, user: User) -> bool:
    """Whether every division the user holds lies within the actor's grant."""
    return actor.covers_all({d.division_code for d in user.divisions})


def _managed(session: Session, username: str, actor: Principal) -> User:
    """A user the actor manages; someone else's user is refused without telling them apart
    from a name that does not exist (a district admin learns nothing of other districts)."""
    user = get_user(session, username)
    if not manages(actor, user):
        raise Forbidden("user not managed", [Problem("username", "user_not_managed",
                                                     {"value": username})])
    return user


def _grantable(actor: Principal, codes: list[str]) -> None:
    """Refuse divisions beyond the actor's own grant, naming each."""
    beyond = [c for c in codes if not actor.sees(c)]
    if beyond:
        raise Forbidden("division not granted", [Problem("division", "division_not_granted",
                                                         {"value": c}) for c in beyond])
    if not codes and not actor.everywhere:
        raise Forbidden("division required", [Problem("division", "division_required", {})])


def root_divisions(session: Session) -> list[str]:
    """The divisions with no parent: granting one makes a user see the whole registry."""
    return list(session.scalars(select(Division.code).where(Division.parent_code.is_(None))
                                .order_by(Division.code)))


def snapshot(user: User) -> dict[str, Any]:
    """A user's audited fields (never the password hash)."""
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "active": user.active, "divisions": sorted(d.division_code for d in user.divisions),
            "has_password": bool(user.password_hash)}


def _record(session: Session, user: User, before: dict[str, Any], by: str, action: str,
            reason: str | None = None) -> None:
    session.flush()
    audit.record(session, actor=by, action=action, collection="users", record_id=user.id,
                 division_code=None, before=before, after=snapshot(user), reason=reason)


def add(session: Session, username: str, *, role: str, password: str | None,
        divisions: list[str], by: str, display_name: str | None = None,
        actor: Principal = CONSOLE) -> User:
    """Create a user (every problem named at once) and audit it."""
    _grantable(actor, divisions)
    user = add_user(session, username, role=role, password=password, divisions=divisions,
                    display_name=display_name, policy=True)
    session.refresh(user, ["divisions"])
    audit.record(session, actor=by, action="create", collection="users", record_id=user.id,
                 division_code=None, before=None, after=snapshot(user))
    return user


def set_password(session: Session, username: str, password: str, *, by: str,
                 actor: Principal = CONSOLE) -> User:
    """Give a user a new password (an office resetting a forgotten one), held to the policy."""
    user = _managed(session, username, actor)
    passwords.check(password, user.username)
    before = snapshot(user)
    user.password_hash = hash_password(password)
    _record(session, user, before, by, "update", "password reset")
    return user


def set_active(session: Session, username: str, active: bool, *, by: str,
               actor: Principal = CONSOLE) -> User:
    """Disable a user (sign-in and every token stop at once) or enable them again."""
    user = _managed(session, username, actor)
    before = snapshot(user)
    user.active = active
    if not active:  # a departed colleague's scripts must stop too
        session.execute(update(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None))
                        .values(revoked_at=now()))
    _record(session, user, before, by, "update", "enabled" if active else "disabled")
    return user


def _known(session: Session, codes: list[str]) -> None:
    unknown = [c for c in codes if session.get(Division, c) is None]
    if unknown:
        raise InvalidInput("unknown division", [Problem("division", "unknown_division",
                                                        {"value": c}) for c in unknown])


def grant(session: Session, username: str, codes: list[str], *, by: str,
          replace: bool = False, actor: Principal = CONSOLE) -> User:
    """Grant divisions (with everything below them); ``replace`` sets exactly these."""
    _known(session, codes)
    user = _managed(session, username, actor)
    if codes or replace:  # replacing with nothing leaves the user no division: refused below
        _grantable(actor, codes)
    before = snapshot(user)
    have = {d.division_code for d in user.divisions}
    if replace:
        user.divisions = [d for d in user.divisions if d.division_code in codes]
        have = {d.division_code for d in user.divisions}
    user.divisions.extend(UserDivision(division_code=c) for c in codes if c not in have)
    _record(session, user, before, by, "update", "divisions granted")
    return user


def revoke(session: Session, username: str, codes: list[str], *, by: str,
           actor: Principal = CONSOLE) -> User:
    """Take divisions away from a user (never the last one unless the actor sees everything:
    a user with no division is the whole registry's business)."""
    user = _managed(session, username, actor)
    if not actor.everywhere and not [d for d in user.divisions if d.division_code not in codes]:
        raise Forbidden("division required", [Problem("division", "division_required", {})])
    before = snapshot(user)
    user.divisions = [d for d in user.divisions if d.division_code not in codes]
    _record(session, user, before, by, "update", "divisions revoked")
    return user


def set_role(session: Session, username: str, role: str, *, by: str,
             actor: Principal = CONSOLE) -> User:
    """Change what a user may do."""
    if role not in ROLES:
        raise InvalidInput("invalid role", [Problem("role", "unknown_code",
                                                    {"value": role, "allowed": ROLES.values()})])
    user = _managed(session, username, actor)
    before = snapshot(user)
    user.role = role
    _record(session, user, before, by, "update", "role changed")
    return user


def unlock(session: Session, username: str, *, by: str, actor: Principal = CONSOLE) -> int:
    """Let a user locked out by failed sign-ins try again at once; how many failures were
    forgotten (audited when there were any)."""
    user = _managed(session, username, actor)
    forgotten = logins.unlock(session, user.username)
    if forgotten:
        before = snapshot(user)
        _record(session, user, before, by, "update", f"unlocked ({forgotten} failed sign-ins)")
    return forgotten
