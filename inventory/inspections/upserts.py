"""Inserts that skip rows whose unique key already exists, on both databases.

The unique key is what makes scheduled work idempotent (DESIGN.md §2: a key, not luck):
two schedulers inserting the same task both succeed, and one row results. SQLAlchemy's
PostgreSQL and SQLite dialects both spell it ``insert(…).on_conflict_do_nothing()``; the
dialect's own ``insert`` is picked by name here, so no service asks which database it has.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from resilience.spatial import dialect_of, insert_many

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignoring(bind: Session | Connection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the bind's database."""
    return _INSERTS[dialect_of(bind)](table).on_conflict_do_nothing()


def insert_rows_ignoring(bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                         chunk: int = 20_000) -> int:
    """Insert rows, skipping existing keys; returns how many were new.

    PostgreSQL: the rows are COPYed into a temporary table, then one ``INSERT … SELECT … ON
    CONFLICT DO NOTHING`` moves them (a multi-row VALUES statement of 100k rows spends its
    time in the driver's query parsing). SQLite: one executemany, run in a C loop.
    """
    if not rows:
        return 0
    connection = bind.connection() if isinstance(bind, Session) else bind
    write = _BULK[dialect_of(bind)]
    return sum(write(connection, table, rows[at:at + chunk]) for at in range(0, len(rows), chunk))


def _executemany(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    result = connection.execute(insert_ignoring(connection, table), rows)
    return int(result.rowcount)


def _copy_then_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    columns = list(rows[0])
    staging = Table(f"staging_{table.name}", MetaData(),
                    *[Column(c, table.c[c].type) for c in columns])
    names = ", ".join(f'"{c}"' for c in columns)
    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{staging.name}"')
    connection.exec_driver_sql(f'CREATE TEMPORARY TABLE "{staging.name}" ON COMMIT DROP AS '
                               f'SELECT {names} FROM "{table.name}" WITH NO DATA')
    insert_many(connection, staging, rows)
    result = connection.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{staging.name}" '
        "ON CONFLICT DO NOTHING")
    connection.exec_driver_sql(f'DROP TABLE "{staging.name}"')
    return int(result.rowcount)


_BULK = {"postgresql": _copy_then_insert, "sqlite": _executemany}
