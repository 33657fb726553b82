"""Engines and sessions: SpatiaLite loading, transaction handling, the unit of work."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# SQLite loads extensions with RTLD_GLOBAL, so SpatiaLite's system GEOS and PROJ would
# shadow the copies bundled with shapely and pyproj if those were loaded afterwards (shapely
# then calls an older GEOS than it was built for). Load the bundled ones first; pyogrio bundles
# its own GDAL, PROJ and SQLite symbols too.
import pyogrio  # noqa: F401  isort: skip
import pyproj  # noqa: F401  isort: skip
import pyproj.crs  # noqa: F401  isort: skip
import shapely  # noqa: F401  isort: skip
from sqlalchemy import Engine, create_engine, event, exc, make_url
from sqlalchemy.orm import Session, sessionmaker

from resilience.errors import ServiceUnavailable

SPATIALITE_LIBRARY = "mod_spatialite"


def _sqlite_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
    """Load SpatiaLite into every new connection and set pragmas for a web workload."""
    # Take transactions away from pysqlite so SAVEPOINT works (SQLAlchemy's pysqlite recipe).
    dbapi_conn.isolation_level = None
    dbapi_conn.enable_load_extension(True)
    try:
        dbapi_conn.load_extension(SPATIALITE_LIBRARY)
    except sqlite3.OperationalError as error:
        raise ServiceUnavailable(
            "SpatiaLite is not installed: run `apt-get install libsqlite3-mod-spatialite`"
        ) from error
    finally:
        dbapi_conn.enable_load_extension(False)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA cache_size = -65536")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for a SpatiaLite file or a PostGIS database, ready for spatial SQL."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_engine(url, **kwargs)


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
    """One transaction on a new session (the edge owns it: CLI command, job)."""
    session = sessions()
    try:
        with committing(session):
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

