"""Killing ``resilience`` processes at chosen points and proving the database unchanged.

What the fault tests share: a command in a process of its own whose stderr is a terminal (so
``resilience import`` draws its progress bar, which names the rows read: a kill point), the
state of the registry as one comparable value, and SQLite's own checks after a crash.
"""

from __future__ import annotations

import hashlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

RESILIENCE = Path(sys.executable).with_name("resilience")
# The run state of the work under test: compared on their own (a job row claimed, a run queued).
RUN_STATE = ("jobs", "risk_runs")


class Process:
    """One ``resilience`` command, its stderr on a pseudo-terminal the test reads."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        self._stdout = tempfile.TemporaryFile()
        self.args = args
        self.proc = subprocess.Popen([str(RESILIENCE), *args], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._stdout, stderr=slave, close_fds=True)
        os.close(slave)
        self._master: int | None = master
        self.stderr = ""
        self.started = time.monotonic()

    def pump(self, timeout: float = 0.005) -> None:
        """Read what the process wrote to its terminal (it would block once the buffer fills)."""
        if self._master is None:
            time.sleep(timeout)
            return
        ready, _, _ = select.select([self._master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the process closed its end
                chunk = b""
            if not chunk:
                os.close(self._master)
                self._master = None
            self.stderr += chunk.decode("utf-8", errors="replace")

    def output(self) -> str:
        """What it printed on stdout so far."""
        self._stdout.seek(0)
        return self._stdout.read().decode("utf-8", errors="replace")

    def until(self, condition: Callable[[], bool], what: str, within: float = 120) -> float:
        """Wait for a kill point; the seconds since the start. Fails if the process ends first."""
        deadline = time.monotonic() + within
        while not condition():
            self.pump()
            if self.proc.poll() is not None:
                pytest.fail(f"kill point {what!r} missed: {' '.join(self.args)} ended first "
                            f"(exit {self.proc.returncode})\n{self.output()}\n{self.stderr[-3000:]}")
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"kill point {what!r} not reached in {within} s\n{self.stderr[-3000:]}")
        return time.monotonic() - self.started

    def kill(self) -> None:
        """SIGKILL, as the OOM killer or a pulled plug would; it must still have been running."""
        if self.proc.poll() is not None:
            pytest.fail(f"{' '.join(self.args)} had ended before the kill (exit "
                        f"{self.proc.returncode})\n{self.output()}\n{self.stderr[-3000:]}")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        print(f"killed `resilience {' '.join(self.args[:2])}` after "
              f"{time.monotonic() - self.started:.2f} s")
        self.close()

    def finish(self, within: float = 180) -> str:
        """Wait for a clean exit (status 0); its stdout."""
        deadline = time.monotonic() + within
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.pump(0.1)
        if self.proc.poll() is None:
            self.kill()
            pytest.fail(f"{' '.join(self.args)} still running after {within} s\n{self.stderr[-3000:]}")
        while self._master is not None:
            self.pump(0.01)
        out = self.output()
        self.close()
        assert self.proc.returncode == 0, f"exit {self.proc.returncode}\n{out}\n{self.stderr[-3000:]}"
        return out

    def close(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None
        self._stdout.close()

    def rows_read(self) -> int:
        """The most rows the import's progress bar has reported."""
        return max((int(n) for n in re.findall(r"importing (\d+) rows", self.stderr)), default=0)


def snapshot(engine: Engine) -> dict[str, tuple[int, str]]:
    """Every registry table but the run state: its row count and a digest of every row.

    Rows are taken in primary-key order as the database stores them (a geometry is its
    bytes), so two snapshots of the same rows are equal whatever happened between them.
    PostgreSQL digests on the server (``md5`` of each row's text); SQLite's rows are hashed here.
    """
    from resilience.model import Base

    out: dict[str, tuple[int, str]] = {}
    on_server = engine.dialect.name == "postgresql"
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in RUN_STATE:
                continue
            keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns) or "1"
            if on_server:
                count, digest = conn.exec_driver_sql(
                    f"SELECT count(*), coalesce(md5(string_agg(md5(t::text), '' ORDER BY {keys})),"
                    f" '') FROM \"{table.name}\" AS t").one()
                out[table.name] = (int(count), str(digest))
                continue
            hashed, count = hashlib.sha256(), 0
            for row in conn.exec_driver_sql(f'SELECT * FROM "{table.name}" ORDER BY {keys}'):
                hashed.update(repr(tuple(row)).encode())
                count += 1
            out[table.name] = (count, hashed.hexdigest())
    return out


def differences(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
                ) -> dict[str, tuple[int, int]]:
    """The tables whose rows changed, with their counts before and after."""
    return {name: (before[name][0], after[name][0]) for name in before
            if before[name] != after.get(name)}


def sqlite_recovered(engine: Engine) -> None:
    """After a crash: the file passes ``integrity_check`` and its WAL checkpoints to nothing
    (the frames of the killed transaction were never committed, so nothing is replayed)."""
    database = engine.url.database
    assert database is not None
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        assert cur.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert cur.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        busy, _, _ = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
        cur.close()
    finally:
        raw.close()
    wal = Path(database + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
