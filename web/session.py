"""Who is calling (browser session, Bearer token or HTTP Basic), the request's database unit, and the
app's settings and file store."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from flask import current_app, g, request, session, url_for
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from inventory import attachments
from resilience import accounts, logins
from resilience.accounts import Principal, User
from resilience.db import committing
from resilience.errors import Problem, Unauthenticated
from resilience.settings import Settings


def settings() -> Settings:
    """The app's settings."""
    return current_app.extensions["resilience"]["settings"]  # type: ignore[no-any-return]


def local_time(value: Any, *, seconds: bool = False) -> str:
    """A stored (UTC) moment as the city reads it, in its zone (RESILIENCE_TIMEZONE)."""
    from resilience.clock import format_local

    return format_local(value, settings().zone, seconds=seconds)


def public_url_for(endpoint: str, **values: Any) -> str:
    """An absolute link that phones and mail readers can open: under RESILIENCE_PUBLIC_URL when
    it is set, else on the address this request came to."""
    base = settings().public_url
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


LOOPBACK = ("localhost", "127.", "::1", "[::1]", "0.0.0.0")


def is_loopback(url: str) -> bool:
    """Whether a link points at this machine only (a printed label with it opens nothing)."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host == "localhost" or host.endswith(".localhost") or host.startswith(LOOPBACK)


def sessions() -> sessionmaker[Session]:
    """The app's session factory."""
    return current_app.extensions["resilience"]["sessions"]  # type: ignore[no-any-return]


def attachment_store() -> attachments.Store:
    """Where attached files (photos, drawings, documents) are kept, as the settings say."""
    s = settings()
    return attachments.store_for(s.attachments_url, s.instance_path, s.s3_endpoint_url or None)


@contextmanager
def unit() -> Iterator[Session]:
    """The request's unit of work: its one session, committed on success, rolled back on error."""
    with committing(db()) as s:
        yield s


def db() -> Session:
    """The request's one session (reads, then the unit of work), closed at teardown."""
    if "db" not in g:
        g.db = sessions()()
    return g.db  # type: ignore[no-any-return]


def close_db(_exc: BaseException | None = None) -> None:
    """Teardown: close the request's read session. A database lost mid-request cannot roll
    back: its connection is dropped from the pool (SQLAlchemy invalidates it), and the answer
    already given stands instead of turning into a 500 here."""
    s = g.pop("db", None)
    if s is not None:
        try:
            s.close()
        except DBAPIError:
            s.invalidate()


def _from_header(s: Session) -> tuple[Principal | None, bool]:
    """The principal from an Authorization header, and whether a header was sent."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None, False
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return accounts.authenticate_token(s, value.strip()), True
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, True
        username, sep, password = decoded.partition(":")
        if not sep:
            return None, True
        return check_password(username, password, via="basic"), True
    return None, True


def throttle() -> logins.Throttle:
    """How failed sign-ins lock an account or an address, as the settings say."""
    s = settings()
    return logins.Throttle(failures=s.login_max_failures,
                           address_failures=s.login_max_failures_per_address,
                           window=timedelta(minutes=s.login_window_minutes))


def check_password(username: str, password: str, *, via: str) -> Principal | None:
    """A password sign-in, throttled and audited; its own unit of work, so a failure is kept
    even though the request goes on to fail (TooManyAttempts while locked)."""
    with unit() as s:
        return logins.sign_in(s, username, password, address=request.remote_addr, via=via,
                              throttle=throttle(), audit_success=via != "basic")


def _from_cookie(s: Session) -> Principal | None:
    user_id = session.get("user_id")
    if user_id is None:
        return None
    stamp, conf = int(time.time()), settings()
    seen, since = session.get("seen", 0), session.get("since", 0)
    if (stamp - seen > conf.session_idle_minutes * 60
            or stamp - since > conf.session_hours * 3600):
        session.clear()  # idle too long, or signed in too long ago
        return None
    user = s.get(User, user_id)
    if user is None or not user.active:
        session.clear()
        return None
    if stamp - seen >= 60:  # a new cookie at most once a minute
        session["seen"] = stamp
    return accounts.principal_of(user)


def current_principal(optional: bool = False) -> Principal | None:
    """The caller, resolved once per request; Unauthenticated unless ``optional``."""
    if "principal" not in g:
        s = db()
        principal, sent = _from_header(s)
        g.via_cookie = False
        if principal is None and not sent:
            principal = _from_cookie(s)
            g.via_cookie = principal is not None
        g.principal, g.credentials_sent = principal, sent
    if g.principal is None and not optional:
        raise unauthenticated()
    return g.principal  # type: ignore[no-any-return]


def unauthenticated() -> Unauthenticated:
    """The 401 for this request: wrong credentials told apart from none, never saying whether
    the user exists."""
    if g.get("credentials_sent"):
        return Unauthenticated("invalid credentials",
                               [Problem("credentials", "invalid_credentials")])
    return Unauthenticated("credentials required",
                           [Problem("credentials", "credentials_required")])


def login(user_id: int) -> None:
    """Start a browser session for the user (idle and absolute limits from the settings)."""
    session.clear()
    stamp = int(time.time())
    session.update(user_id=user_id, since=stamp, seen=stamp)
    session.permanent = True


def logout() -> None:
    """End the browser session."""
    session.clear()


def via_cookie() -> bool:
    """True when this request was authenticated by the browser session (needs CSRF)."""
    return bool(g.get("via_cookie"))


def extras() -> dict[str, Any]:
    """Template globals about the caller."""
    return {"principal": current_principal(optional=True)}
