"""The database half of a backup: a consistent copy taken, and put back, by each database's own tool.

SQLite copies itself through its online backup API (one step, inside one read transaction, so
a copy taken while the web app and the scheduler write is a snapshot of one moment); PostgreSQL
through ``pg_dump``'s custom format, run inside a snapshot the row counts are read from too, and
``pg_restore`` in one transaction, so a failed restore leaves nothing half done. The two differ
in more than SQL spelling, so they live here with the other dialect differences.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, select, table
from sqlalchemy.engine import URL

from resilience.dialects import backend
from resilience.errors import InvalidInput, ServiceUnavailable

Rows = Callable[[str], Sequence[Sequence[Any]]]  # run one SQL query, get its rows


@dataclass(frozen=True)
class Dumped:
    """What a dump holds: rows per table (read in the dump's own snapshot) and the extensions
    the tables need, which a restore creates first."""

    counts: dict[str, int]
    extensions: list[str]


def count_rows(conn: Connection, tables: Sequence[str]) -> dict[str, int]:
    """Rows of each table, by name."""
    return {name: int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in tables}


class Dumper(ABC):
    """One database's way of copying itself to a file and back."""

    dialect: str  # the backend's name, written into the manifest
    member: str  # the dump's name inside the backup archive

    @abstractmethod
    def tables(self, conn: Connection) -> list[str]:
        """The registry's tables (the database's and its spatial extension's own left out)."""

    @abstractmethod
    def dump(self, engine: Engine, path: Path) -> Dumped:
        """Write a consistent copy of the database to ``path``."""

    @abstractmethod
    def restore(self, engine: Engine, path: Path, extensions: Sequence[str]) -> None:
        """Put a copy written by :meth:`dump` into the database (empty, or cleared first)."""

    @abstractmethod
    def clear(self, engine: Engine) -> None:
        """Drop the registry's tables, so ``restore --force`` starts from nothing."""


# SpatiaLite's metadata tables (by prefix) and its virtual tables: the extension makes them.
_SPATIALITE_PREFIXES = ("sqlite_", "spatial_ref_sys", "geometry_columns", "views_geometry_columns",
                        "virts_geometry_columns", "spatialite_history", "sql_statements_log",
                        "data_licenses", "SpatialIndex", "ElementaryGeometries", "KNN")
_RTREE_SHADOWS = ("_node", "_parent", "_rowid")


def _sqlite_tables(rows: Rows) -> list[str]:
    found = rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
    virtual = {name for name, sql in found if (sql or "").upper().startswith("CREATE VIRTUAL")}
    shadows = {v + s for v in virtual for s in _RTREE_SHADOWS}
    return [name for name, _ in found if name not in virtual | shadows
            and not name.startswith(_SPATIALITE_PREFIXES)]


class SpatiaLiteFile(Dumper):
    """The whole database file, copied page by page by SQLite itself."""

    dialect = "spatialite"
    member = "database.sqlite"

    def tables(self, conn: Connection) -> list[str]:
        """Every table but SQLite's, SpatiaLite's and the spatial indexes' R-trees."""
        return _sqlite_tables(lambda sql: conn.exec_driver_sql(sql).all())

    def _file(self, engine: Engine) -> str:
        database = engine.url.database
        if not database or database == ":memory:":
            raise InvalidInput("an in-memory SQLite database has no file to back up or restore")
        return database

    def dump(self, engine: Engine, path: Path) -> Dumped:
        """One backup step copies every page inside one read transaction: in WAL mode writers
        go on meanwhile, and the copy is the database as it was when the step began."""
        from resilience.dialects.spatialite import sqlite_module

        module = sqlite_module()
        source = module.connect(self._file(engine), timeout=30)
        copy = module.connect(str(path))
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal
            names = _sqlite_tables(lambda sql: copy.execute(sql).fetchall())
            counts = {name: int(copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                      for name in names}
        finally:
            copy.close()
            source.close()
        return Dumped(counts, [])

    def restore(self, engine: Engine, path: Path, extensions: Sequence[str]) -> None:
        """Copied in through the backup API too, which replaces every page under SQLite's lock
        (overwriting the file would leave a running app's WAL applied to the wrong pages)."""
        from resilience.dialects.spatialite import sqlite_module

        self._file(engine)
        copy = sqlite_module().connect(str(path))
        raw = engine.raw_connection()
        try:
            copy.backup(raw.driver_connection)
        finally:
            raw.close()
            copy.close()
        engine.dispose()  # pooled connections hold the old schema's caches

    def clear(self, engine: Engine) -> None:
        """Nothing to do: the restore replaces the whole file."""


_DUMP_ERROR = re.compile(r"(error|fatal):\s*(.*)", re.I)
# pg_restore's list lines for the public schema itself, which every database already has.
_PUBLIC_SCHEMA = re.compile(r"^\d+; \d+ \d+ (COMMENT - )?SCHEMA (- )?public ")
_EXTENSION = re.compile(r"^[a-z_][a-z0-9_]*$")


def _tool(name: str) -> str:
    """A PostgreSQL client program: on PATH, else the newest in Debian's versioned folders."""
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if versions:
        return str(versions[-1])
    raise ServiceUnavailable(f"{name} is not installed: install PostgreSQL's client programs "
                             "(Debian: apt-get install postgresql-client)")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The database as a libpq URI, and the environment carrying its password (kept out of
    the process list)."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _run(args: list[str], env: dict[str, str]) -> str:
    """Run a client program; its first error line becomes ServiceUnavailable."""
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = [m.group(2) for m in map(_DUMP_ERROR.search, done.stderr.splitlines()) if m]
        reason = (lines or done.stderr.strip().splitlines() or ["no message"])[0]
        raise ServiceUnavailable(f"{Path(args[0]).name} failed: {reason}")
    return done.stdout


class PostgresDump(Dumper):
    """``pg_dump -Fc`` of the public schema: compressed, and restorable table by table."""

    dialect = "postgis"
    member = "database.pgdump"

    def tables(self, conn: Connection) -> list[str]:
        """Tables of the public schema that no extension owns (PostGIS's spatial_ref_sys)."""
        return list(conn.exec_driver_sql(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT EXISTS ("
            "SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') "
            "ORDER BY c.relname").scalars())

    def dump(self, engine: Engine, path: Path) -> Dumped:
        """pg_dump reads the snapshot this transaction exports, so the counts and the dump are
        the same moment. Only the public schema: other schemas belong to extensions (the
        PostGIS image's tiger geocoder), which the restore creates rather than copies."""
        uri, env = _libpq(engine.url)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
                counts = count_rows(conn, self.tables(conn))
                extensions = list(conn.exec_driver_sql(
                    "SELECT e.extname FROM pg_extension e JOIN pg_namespace n "
                    "ON n.oid = e.extnamespace WHERE n.nspname = 'public' ORDER BY e.oid"
                ).scalars())
                _run([_tool("pg_dump"), "--format=custom", "--schema=public",
                      f"--snapshot={snapshot}", f"--file={path}", f"--dbname={uri}"], env)
        return Dumped(counts, extensions)

    def restore(self, engine: Engine, path: Path, extensions: Sequence[str]) -> None:
        """Extensions first (a dump of one schema has none), then every table in one
        transaction; owners and grants are the restoring user's, as the roles may not exist."""
        bad = [name for name in extensions if not _EXTENSION.match(name)]
        if bad:
            raise InvalidInput(f"the backup names an extension that is not a name: {bad[0]!r}")
        with engine.begin() as conn:
            for name in extensions:
                conn.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
        uri, env = _libpq(engine.url)
        pg_restore = _tool("pg_restore")
        listing = _run([pg_restore, "--list", str(path)], env)
        kept = path.with_name(path.name + ".list")
        kept.write_text("\n".join(line for line in listing.splitlines()
                                  if not _PUBLIC_SCHEMA.match(line)) + "\n")
        _run([pg_restore, "--no-owner", "--no-privileges", "--single-transaction",
              "--exit-on-error", f"--use-list={kept}", f"--dbname={uri}", str(path)], env)

    def clear(self, engine: Engine) -> None:
        """Drop the registry's tables (their sequences and indexes go with them); extensions
        and other schemas stay."""
        with engine.begin() as conn:
            names = self.tables(conn)
            if names:
                conn.exec_driver_sql("DROP TABLE " + ", ".join(f'"{n}"' for n in names)
                                     + " CASCADE")


_DUMPERS: dict[str, Dumper] = {"spatialite": SpatiaLiteFile(), "postgis": PostgresDump()}


def dumper(engine: Engine) -> Dumper:
    """The dumper of the engine's database."""
    return _DUMPERS[backend(engine).name]
