"""The demo's sign-ins, one per role, so people trying the demo can see what each role may do.

Listed in ``data/users.csv`` (divisions space-separated) and printed by ``resilience demo``;
the README and the tests name the same logins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.data import csv_rows
from resilience import accounts


@dataclass(frozen=True)
class DemoUser:
    """A sign-in the demo creates, printed by `make run` so people can try each role."""

    username: str
    role: str
    divisions: tuple[str, ...]
    password: str
    display_name: str = ""


DEMO_USERS: tuple[DemoUser, ...] = tuple(
    DemoUser(r["username"], r["role"], tuple(r["divisions"].split()), r["password"],
             r["display_name"])
    for r in csv_rows("users.csv"))


def ensure_users(session: Session) -> None:
    """Create the demo users that do not exist yet."""
    have = set(session.scalars(select(accounts.User.username).where(
        accounts.User.username.in_([u.username for u in DEMO_USERS]))))
    for user in DEMO_USERS:
        if user.username not in have:
            accounts.add_user(session, user.username, role=user.role, password=user.password,
                              divisions=user.divisions, display_name=user.display_name or None)
