"""Every difference between SpatiaLite and PostGIS, in one package (DESIGN.md §2).

Two kinds of difference live here. SQL that is spelled differently is a dialect-neutral
construct in :mod:`resilience.dialects.expressions`, compiled for whichever database runs
it. Work that differs in more than spelling (bulk writes through COPY or executemany, ids
from a sequence, vector tiles built by the database or in Python, the trigram index,
connection set-up) is a method of a :class:`Backend`, chosen here from the session's or the
engine's dialect — the one place that asks which database it is.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, Table
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from resilience.dialects.base import Backend
from resilience.errors import ServiceUnavailable

Bind = Session | Connection | Engine


@cache
def _by_name(name: str) -> Backend:
    if name == "sqlite":
        from resilience.dialects.spatialite import SpatiaLite

        return SpatiaLite()
    if name == "postgresql":
        from resilience.dialects.postgis import PostGIS

        return PostGIS()
    raise ServiceUnavailable(f"unsupported database {name!r}: use SpatiaLite (sqlite:///…) or "
                             "PostGIS (postgresql+psycopg://…)")


def backend(bind: Bind) -> Backend:
    """The backend of the database behind a session, connection or engine."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return _by_name(engine.dialect.name)


def backend_for_url(url: str) -> Backend:
    """The backend a database URL names (before any engine exists)."""
    return _by_name(make_url(url).get_backend_name())


def insert_many(bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                geom_column: str | None = None) -> None:
    """Insert many rows at once; ``geom_column`` holds shapely geometries in lon/lat."""
    backend(bind).insert_many(bind, table, rows, geom_column)


def reserve_ids(bind: Session | Connection, table: Table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``, so a batch can be inserted without RETURNING."""
    return backend(bind).reserve_ids(bind, table, count)


def insert_ignoring(bind: Session | Connection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the bind's database."""
    return backend(bind).insert_ignoring(table)


def insert_rows_ignoring(bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                         chunk: int = 20_000) -> int:
    """Insert rows, skipping those whose unique key exists; returns how many were new.

    The unique key is what makes scheduled work idempotent (DESIGN.md §2: a key, not luck):
    two schedulers inserting the same task both succeed, and one row results.
    """
    if not rows:
        return 0
    connection = bind.connection() if isinstance(bind, Session) else bind
    write = backend(bind).insert_rows_ignoring
    return sum(write(connection, table, rows[at:at + chunk]) for at in range(0, len(rows), chunk))


def prepare_database(conn: Connection) -> None:
    """Make the database spatial: SpatiaLite metadata or the PostGIS extension."""
    backend(conn).prepare_database(conn)


def analyze(conn: Connection) -> None:
    """Refresh planner statistics after a bulk load so bbox queries use their index."""
    conn.exec_driver_sql("ANALYZE")


def create_search_indexes(conn: Connection, tables: list[Table]) -> None:
    """The indexes that answer free-text search (trigram on PostgreSQL; none on SQLite)."""
    backend(conn).create_search_indexes(conn, tables)


def drop_search_indexes(conn: Connection, tables: list[Table]) -> None:
    """Undo :func:`create_search_indexes`."""
    backend(conn).drop_search_indexes(conn, tables)


def mvt(session: Session, *, layer: str, table: Table, geom: Column[Any], key: Column[Any] | None,
        properties: list[Column[Any]], conditions: list[ColumnElement[bool]], order_by: list[Any],
        z: int, x: int, y: int) -> bytes:
    """One layer of a vector tile holding the rows that match; ``b""`` when none is drawn.

    Either way a feature that snaps to nothing is dropped, a null property is left out, and
    ``key`` (an integer) becomes the feature id.
    """
    return backend(session).mvt(session, layer=layer, table=table, geom=geom, key=key,
                                properties=properties, conditions=conditions,
                                order_by=order_by, z=z, x=x, y=y)


__all__ = ["Backend", "analyze", "backend", "backend_for_url", "create_search_indexes",
           "drop_search_indexes", "insert_ignoring", "insert_many", "insert_rows_ignoring", "mvt",
           "prepare_database", "reserve_ids"]
