"""Engines and sessions: SpatiaLite loading, transaction handling, the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, exc
from sqlalchemy.orm import Session, sessionmaker

from resilience.dialects import backend_for_url
from resilience.errors import ServiceUnavailable
from resilience.intent import writing


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a SpatiaLite file or a PostGIS database, ready for spatial SQL."""
    return backend_for_url(url).make_engine(url, **kwargs)


def make_sessions(engine: Engine) -> sessionmaker[Session]:
    """The session factory; objects stay readable after commit for responses."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """Commit on success, roll back on any error; a lost database becomes ServiceUnavailable."""
    try:
        yield session
        session.commit()
    except exc.OperationalError as error:
        session.rollback()
        raise ServiceUnavailable(f"database unavailable: {error.orig}") from error
    except BaseException:
        session.rollback()
        raise


@contextmanager
def unit_of_work(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction on a new session (the edge owns it: CLI command, job); it writes, so on
    SQLite it takes the write lock at its start (``resilience.intent``)."""
    session = sessions()
    try:
        with writing(), committing(session):
            yield session
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Raise ServiceUnavailable with one clear line if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise ServiceUnavailable(f"cannot reach the database: {reason}") from error

