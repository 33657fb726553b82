"""Inserts that skip rows whose unique key already exists, on both databases.

The unique key is what makes scheduled work idempotent (DESIGN.md §2: a key, not luck):
two schedulers inserting the same task both succeed, and one row results. SQLAlchemy's
PostgreSQL and SQLite dialects both spell it ``insert(…).on_conflict_do_nothing()``; the
dialect's own ``insert`` is picked by name here, so no service asks which database it has.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from resilience.spatial import dialect_of

_INSERTS: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_ignoring(bind: Session | Connection, table: Table) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` for the bind's database."""
    return _INSERTS[dialect_of(bind)](table).on_conflict_do_nothing()


def insert_rows_ignoring(bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                         chunk: int = 5000) -> int:
    """Insert rows, skipping existing keys; returns how many were new.

    An executemany per chunk: SQLite runs it in a C loop, psycopg batches it as multi-row
    VALUES (SQLAlchemy's insertmanyvalues), so 100k rows take seconds, not minutes.
    """
    if not rows:
        return 0
    statement = insert_ignoring(bind, table)
    count = 0
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        result = bind.execute(statement.returning(table.c.id), part)
        count += len(result.all())
    return count
