"""Password sign-ins: throttled per account and per address, and written to the audit trail.

Failed attempts are rows (``accounts.LoginAttempt``) so that every gunicorn worker sees them.
An account (or an address) whose last ``failures`` failures fell within ``window`` is refused
for 1 minute after the last one, then 2, 4… as failures go on (at most a day); a refused
attempt is not checked and not counted. Only failures count and a success clears them (the
name's, and the address's count, while other names keep theirs), so people who sign in
often are never slowed down. An unknown user name is throttled and
audited like a known one: what the client sees never says whether the user exists.

Audit entries have collection ``logins``, action ``login`` or ``login_failed``, the name as
typed for actor, the user's id (0 when there is none) and the address and channel in
``after``. Basic-auth successes are not audited one by one (QGIS sends the password with
every tile) unless they end a run of failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Result, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from resilience import accounts, audit
from resilience.accounts import LoginAttempt, Principal, User
from resilience.audit import AuditEntry
from resilience.errors import Problem, ResilienceError
from resilience.model import now

COLLECTION = "logins"
_KEPT = 64  # failures looked at per key: enough to reach the longest lock


@dataclass(frozen=True)
class Throttle:
    """How many failures lock an account or an address, and for how long."""

    failures: int = 5
    address_failures: int = 20  # an office behind one NAT address shares it
    window: timedelta = timedelta(minutes=15)
    first_lock: timedelta = timedelta(minutes=1)
    longest_lock: timedelta = timedelta(days=1)

    def until(self, failures: list[datetime], limit: int, at: datetime) -> datetime | None:
        """When a key with these failure times (oldest first) may try again, if it is locked."""
        if limit <= 0 or len(failures) < limit or failures[-limit] < failures[-1] - self.window:
            return None
        lock = min(self.first_lock * 2 ** min(len(failures) - limit, 20), self.longest_lock)
        end = failures[-1] + lock
        return end if end > at else None


class TooManyAttempts(ResilienceError):
    """Too many failed sign-ins: refused, correct password or not, until ``until``."""

    code = "too_many_attempts"

    def __init__(self, until: datetime, at: datetime):
        self.until = until
        self.retry_after = max(1, int((until - at).total_seconds() + 0.999))
        minutes = -(-self.retry_after // 60)
        super().__init__("too many failed sign-ins; try again later",
                         [Problem("credentials", "too_many_attempts", {"minutes": minutes})],
                         retry_after=self.retry_after)


def _failures(session: Session, column: InstrumentedAttribute[Any], value: str,
              since: datetime) -> list[datetime]:
    stmt = (select(LoginAttempt.at).where(column == value, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc()).limit(_KEPT))
    return list(reversed(session.scalars(stmt).all()))


def locked_until(session: Session, username: str, address: str | None,
                 throttle: Throttle = Throttle(), at: datetime | None = None) -> datetime | None:
    """When this name (or this address) may try again, if it is locked now."""
    at = at or now()
    since = at - throttle.longest_lock
    ends = [throttle.until(_failures(session, LoginAttempt.username, username, since),
                           throttle.failures, at)]
    if address:
        ends.append(throttle.until(_failures(session, LoginAttempt.address, address, since),
                                   throttle.address_failures, at))
    return max((e for e in ends if e is not None), default=None)


def _audit(session: Session, action: str, username: str, user_id: int, address: str | None,
           via: str) -> None:
    audit.record(session, actor=username[:64], action=action, collection=COLLECTION,
                 record_id=user_id, division_code=None, before=None,
                 after={"address": address, "via": via})


def sign_in(session: Session, username: str, password: str, *, address: str | None, via: str,
            throttle: Throttle = Throttle(), audit_success: bool = True) -> Principal | None:
    """The principal for a name and password, or None; TooManyAttempts while locked.

    Writes the failure (or clears the failures) in the caller's transaction, which the caller
    commits even when the answer is None.
    """
    at = now()
    until = locked_until(session, username, address, throttle, at)
    if until is not None:
        raise TooManyAttempts(until, at)
    principal = accounts.authenticate_password(session, username, password)
    if principal is None:
        session.add(LoginAttempt(at=at, username=username[:64], address=address))
        user_id = session.scalar(select(User.id).where(User.username == username))
        _audit(session, "login_failed", username, user_id or 0, address, via)
        return None
    mine = LoginAttempt.username == username
    if address:
        mine = or_(mine, LoginAttempt.address == address)
    cleared = 0
    # Only when there is something to clear: a success is then a pure read, and the requests
    # that sign in every time (HTTP Basic: QGIS, scripts) never become writers (on SQLite a
    # reader that writes can meet "database is locked" under load).
    if session.scalar(select(LoginAttempt.id).where(mine).limit(1)) is not None:
        cleared = _rowcount(session.execute(delete(LoginAttempt)
                                            .where(LoginAttempt.username == username)))
        if address:  # the address starts afresh; other names' failures still count for them
            cleared += _rowcount(session.execute(update(LoginAttempt)
                                                 .where(LoginAttempt.address == address)
                                                 .values(address=None)))
    if audit_success or cleared:
        _audit(session, "login", username, principal.user_id, address, via)
    return principal


def _rowcount(result: Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def unlock(session: Session, username: str) -> int:
    """Forget a name's failed sign-ins (an admin's unlock); how many there were."""
    return _rowcount(session.execute(delete(LoginAttempt)
                                     .where(LoginAttempt.username == username)))


def locked_names(session: Session, throttle: Throttle = Throttle()) -> dict[str, datetime]:
    """Every locked user name with when it may try again (for the admin's users page)."""
    at = now()
    names = session.scalars(select(LoginAttempt.username).distinct()
                            .where(LoginAttempt.at > at - throttle.longest_lock))
    locks = {n: locked_until(session, n, None, throttle, at) for n in names}
    return {n: u for n, u in locks.items() if u is not None}


def recent(session: Session, username: str | None = None, limit: int = 200,
           among: set[str] | None = None) -> list[AuditEntry]:
    """The latest sign-ins and failed ones, newest first, of one name or of everyone
    (``among``: only these names, a district admin's users; None: no bound)."""
    stmt = select(AuditEntry).where(AuditEntry.collection == COLLECTION)
    if username:
        stmt = stmt.where(AuditEntry.actor == username)
    if among is not None:
        stmt = stmt.where(AuditEntry.actor.in_(sorted(among)))
    return list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(limit)))
