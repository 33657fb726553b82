"""The password policy, applied whenever a password is set (never when one is checked at
sign-in, so passwords set before the policy still work): at least ``MIN_LENGTH`` characters,
not a common password, not the user name nor containing it."""

from __future__ import annotations

from functools import cache
from importlib import resources

from resilience.errors import InvalidInput, Problem

MIN_LENGTH = 10
# A name this short (li, wu) turns up inside many good passwords; only equality is refused.
MIN_NAME_INSIDE = 3


@cache
def common() -> frozenset[str]:
    """The shipped list of common passwords (``resilience/data/common_passwords.txt``)."""
    text = resources.files("resilience.data").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def problems(password: str, username: str) -> list[Problem]:
    """Everything wrong with a new password for this user (field ``password``)."""
    found: list[Problem] = []
    if len(password) < MIN_LENGTH:
        found.append(Problem("password", "too_short", {"min": MIN_LENGTH}))
    lowered, name = password.lower(), username.lower()
    if lowered in common():
        found.append(Problem("password", "too_common"))
    if name and (lowered == name or (len(name) >= MIN_NAME_INSIDE and name in lowered)):
        found.append(Problem("password", "contains_username"))
    return found


def check(password: str, username: str) -> None:
    """Raise InvalidInput naming every rule the new password breaks."""
    found = problems(password, username)
    if found:
        raise InvalidInput("password refused", found)
