"""Throwaway PostgreSQL clusters of the tests' own, to stop, crash and restart at will.

The shared server on 5432 serves every other test (and the people at this machine), so a test
that takes PostgreSQL down starts its own cluster: ``initdb`` in a temporary folder, a free
port, its socket in that folder, trust authentication, ``fsync`` off (a crash of the server
process loses nothing the kernel already holds). PostgreSQL refuses to run as root, so as
root every command runs as the ``postgres`` OS user (``runuser``) in a folder it owns.

Several clusters can live side by side (a primary and its replicas, issue 17): each is a
:class:`PrivateCluster`; :func:`clusters` hands out as many as asked and removes them all.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

BIN = Path(os.environ.get("RESILIENCE_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER = "postgres"  # the OS user the server runs as when the tests run as root
START_TIMEOUT = 30  # seconds pg_ctl waits for the server to accept connections


class ClusterUnavailable(RuntimeError):
    """The PostgreSQL binaries (or the user to run them as) are not on this machine."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """One PostgreSQL cluster in a folder of its own: init, start, stop (crash), destroy."""

    def __init__(self, root: Path, *, port: int | None = None,
                 settings: Mapping[str, str] | None = None, hba: Sequence[str] = ()) -> None:
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = port or _free_port()
        self.settings = {"listen_addresses": "'127.0.0.1'", "fsync": "off",
                         "synchronous_commit": "off", "full_page_writes": "off",
                         "shared_buffers": "32MB", "max_connections": "60",
                         "unix_socket_directories": f"'{root}'", **(settings or {})}
        self.hba = list(hba)

    # -- commands ----------------------------------------------------------------------

    def run(self, *args: str, check: bool = True, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        """A command as the cluster's owner (``runuser`` when the tests run as root)."""
        command = [*args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)

    def init(self) -> PrivateCluster:
        """``initdb`` the data folder and write the settings and extra pg_hba lines."""
        self.run(str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                 "-E", "UTF8", "--locale=C", "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{k} = {v}\n" for k, v in self.settings.items())
            conf.write(f"port = {self.port}\n")
        if self.hba:
            with (self.data / "pg_hba.conf").open("a") as hba:
                hba.writelines(line + "\n" for line in self.hba)
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections (recovering after a crash)."""
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                 "-t", str(START_TIMEOUT), "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: ``fast`` cleanly, ``immediate`` as a crash (recovery at start)."""
        self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        """Whether the server is up (``pg_ctl status``)."""
        return self.run(str(BIN / "pg_ctl"), "-D", str(self.data), "status",
                        check=False).returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> str:
        """One statement through ``psql`` over the socket; its output, unaligned."""
        psql = str(BIN / "psql") if (BIN / "psql").exists() else "psql"
        done = self.run(psql, "-h", str(self.root), "-p", str(self.port), "-U", "postgres",
                        "-d", database, "-Atc", statement)
        return done.stdout.strip()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database in this cluster (TCP on 127.0.0.1)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database (PostGIS is created by the registry's migrations); its URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        """Stop the server however it is, and remove its folder."""
        if self.data.exists() and self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def _new_root() -> Path:
    """A temporary folder the server's user owns (the tests' own temp folders are root's)."""
    root = Path(tempfile.mkdtemp(prefix="resilience-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam(OWNER)
        os.chown(root, owner.pw_uid, owner.pw_gid)
    return root


def check_available() -> None:
    """Raise ClusterUnavailable unless a private cluster can be made here."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_ctl").exists():
        raise ClusterUnavailable(f"no PostgreSQL binaries in {BIN}")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(OWNER)
        except KeyError as error:
            raise ClusterUnavailable(f"no {OWNER!r} OS user to run PostgreSQL as") from error
        if shutil.which("runuser") is None:
            raise ClusterUnavailable("runuser is missing")


@contextmanager
def clusters() -> Iterator[Callable[..., PrivateCluster]]:
    """A maker of started private clusters (keyword arguments as :class:`PrivateCluster`'s);
    every one made is destroyed on the way out."""
    check_available()
    made: list[PrivateCluster] = []

    def make(**options: object) -> PrivateCluster:
        for attempt in range(3):  # a free port can be taken between finding and binding it
            cluster = PrivateCluster(_new_root(), **options)  # type: ignore[arg-type]
            made.append(cluster)
            cluster.init()
            try:
                cluster.start()
                return cluster
            except subprocess.CalledProcessError:
                if attempt == 2 or "port" in options:
                    raise
        raise AssertionError("unreachable")

    try:
        yield make
    finally:
        for cluster in made:
            cluster.destroy()
