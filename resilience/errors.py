"""Domain errors as data: every problem found, with its row and field; no HTTP here."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where (row, field), what (code) and its details."""

    field: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    row: int | None = None

    def at_row(self, row: int) -> Problem:
        """The same problem, placed on a row of a bulk input."""
        return Problem(self.field, self.code, dict(self.params), row)


class ResilienceError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "error"

    def __init__(self, message: str = "", problems: Iterable[Problem] = (), **params: Any):
        self.problems: list[Problem] = list(problems)
        self.params = params
        super().__init__(message or self.code)

    @property
    def message(self) -> str:
        """The developer-facing message (translated text is built by the web layer)."""
        return str(self.args[0]) if self.args else self.code


class InvalidInput(ResilienceError):
    """The input breaks one or more rules; ``problems`` lists all of them."""

    code = "invalid_input"


class NotFound(ResilienceError):
    """The collection or record does not exist (or is hidden from this user)."""

    code = "not_found"


class Unauthenticated(ResilienceError):
    """No valid credentials were given."""

    code = "unauthenticated"


class Forbidden(ResilienceError):
    """The user is known but their role or divisions do not allow this."""

    code = "forbidden"


class Conflict(ResilienceError):
    """The request clashes with the stored state (duplicate key, running job…)."""

    code = "conflict"


class StaleVersion(ResilienceError):
    """The record changed since the client read it (If-Match / version mismatch)."""

    code = "stale_version"

    def __init__(self, message: str = "", *, current: int, given: int | None):
        super().__init__(message or "stale version", current=current, given=given)
        self.current = current
        self.given = given


class PayloadTooLarge(ResilienceError):
    """The body is over the configured size limit."""

    code = "payload_too_large"


class ServiceUnavailable(ResilienceError):
    """A dependency (usually the database) cannot be reached."""

    code = "service_unavailable"


def raise_if(problems: list[Problem], message: str = "invalid input") -> None:
    """Raise ``InvalidInput`` carrying all problems, if there are any."""
    if problems:
        raise InvalidInput(message, problems)
