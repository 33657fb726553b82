"""What every ``resilience`` command shares: settings and engine, clean errors, exit codes.

Errors print one clear line and exit non-zero (sysexits codes), never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from resilience.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ResilienceError,
    ServiceUnavailable,
)
from resilience.messages import describe
from resilience.settings import Settings

EXIT: dict[type[ResilienceError], int] = {
    InvalidInput: 65,  # EX_DATAERR
    NotFound: 66,  # EX_NOINPUT
    ServiceUnavailable: 69,  # EX_UNAVAILABLE
    Conflict: 75,  # EX_TEMPFAIL
    Forbidden: 77,  # EX_NOPERM
}

F = TypeVar("F", bound=Callable[..., Any])


def _exit_code(error: ResilienceError) -> int:
    """The code of the nearest class in ``EXIT``, so a subclass exits as its parent does."""
    for cls in type(error).__mro__:
        if cls in EXIT:
            return EXIT[cls]
    return 1


def clean_errors(fn: F) -> F:
    """Turn domain and database errors into one line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ResilienceError as error:
            click.echo(f"error: {error.message}", err=True)
            for p in error.problems:
                where = f"row {p.row}, " if p.row is not None else ""
                click.echo(f"  {where}{p.field}: {describe(p)}", err=True)
            sys.exit(_exit_code(error))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            click.echo(f"error: database: {reason}", err=True)
            sys.exit(69)

    return wrapper  # type: ignore[return-value]


class Context:
    """Settings and a lazily made engine, shared by the commands of one invocation."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The engine, checked to be reachable."""
        if self._engine is None:
            from resilience.db import check_connection, make_engine

            self._engine = make_engine(self.settings.database_url)
            check_connection(self._engine)
        return self._engine

    def sessions(self) -> sessionmaker[Session]:
        """A session factory on the engine, so each command opens its own unit of work."""
        from resilience.db import make_sessions

        return make_sessions(self.engine)

    def compose(self) -> None:
        """Bring in the registry the commands work on: every collection of inventory and risk,
        which define their tables and register their collections when imported (the web app
        composes the same two). Called by the commands that need it, so ``resilience --help``
        and ``users list`` start in a fraction of the time."""
        import inventory
        import risk

        self.packages = (inventory, risk)

    def require_schema(self) -> None:
        """Refuse to work on a database that ``resilience init`` has not prepared."""
        from resilience.migrate import current

        if current(self.engine) is None:
            raise ServiceUnavailable("the database has no schema yet: run `resilience init`")


pass_ctx = click.make_pass_decorator(Context)
