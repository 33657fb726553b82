"""Whether the transaction about to begin means to write: SQLite then takes the write lock at
BEGIN, so racing writers queue instead of failing.

SQLite has one writer at a time. A transaction that begins as a reader (``BEGIN``) and
writes later can never wait for the lock in WAL mode once another writer committed after its
first read (its snapshot is stale: ``SQLITE_BUSY_SNAPSHOT``, "database is locked" at once) —
which is how two racing edits gave one 200 and one 503 instead of a 412. A writer that says
so begins ``BEGIN IMMEDIATE``: it waits (``busy_timeout``) for the lock, then reads the
latest rows, so the second of two racing edits sees the first's version and gets 412.
Readers stay plain ``BEGIN`` and never wait. PostgreSQL ignores this (MVCC, row locks).

Who says so: the web for every request that is not GET/HEAD/OPTIONS, ``resilience.db.
unit_of_work`` (CLI commands, the scheduler's periodic work) and the job runner's writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

_WRITING: ContextVar[bool] = ContextVar("resilience_writing", default=False)


def write_intended() -> bool:
    """Whether a transaction beginning now, in this thread or task, will write."""
    return _WRITING.get()


def declare(value: bool) -> Token[bool]:
    """Say whether what follows writes (the web's before-request hook); reset with the token."""
    return _WRITING.set(value)


def reset(token: Token[bool]) -> None:
    """Undo :func:`declare`."""
    _WRITING.reset(token)


@contextmanager
def writing(value: bool = True) -> Iterator[None]:
    """Transactions begun inside write (or, with False, only read)."""
    token = _WRITING.set(value)
    try:
        yield
    finally:
        _WRITING.reset(token)
