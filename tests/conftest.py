"""Fixtures: every storage test runs on SpatiaLite and PostGIS, each test rolled back.

Under ``--require-all-dialects`` (``make test`` and CI pass it) an unreachable database fails
the run: a suite that quietly dropped its PostGIS half would pass while proving half as much.
A bare ``pytest`` on a machine without PostgreSQL skips that half instead.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from resilience.db import make_engine
from resilience.settings import Settings

POSTGIS_ADMIN_URL = os.environ.get(
    "RESILIENCE_TEST_POSTGRES_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DIALECTS = ("spatialite", "postgis")


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--require-all-dialects``: a database that cannot be reached fails, never skips."""
    parser.addoption("--require-all-dialects", action="store_true",
                     help="fail, never skip, when SpatiaLite or PostGIS cannot be reached")


def _unavailable(config: pytest.Config, reason: str) -> None:
    """Fail (under ``--require-all-dialects``) or skip a test that needs a database it could
    not reach."""
    if config.getoption("--require-all-dialects"):
        pytest.fail(f"required database unavailable: {reason}", pytrace=False)
    pytest.skip(f"database unavailable: {reason}")


def _pg_url(name: str) -> str:
    return POSTGIS_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def fresh_database(config: pytest.Config, dialect: str, name: str, tmp: Path) -> str:
    """A new empty database of that dialect, returned as a URL."""
    if dialect == "spatialite":
        path = tmp / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        try:
            engine = make_engine(url)
            with engine.connect() as conn:
                conn.exec_driver_sql("SELECT spatialite_version()")
            engine.dispose()
        except Exception as error:  # noqa: BLE001
            _unavailable(config, f"SpatiaLite: {error}")
        return url
    try:
        admin = create_engine(POSTGIS_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as error:  # noqa: BLE001
        _unavailable(config, f"PostGIS: {str(error).splitlines()[0]}")
    return _pg_url(name)


def _users() -> list[tuple[str, str, tuple[str, ...], str]]:
    """The demo's logins (README), plus an engineer with no division at all."""
    from demo.users import DEMO_USERS

    return [(u.username, u.role, u.divisions, u.password) for u in DEMO_USERS] + [
        ("nobody", "engineer", (), "nobody-pass-2026")]


def seed_base(engine: Engine) -> None:
    """Hangzhou's real divisions and one user per role, committed once per database."""
    from geoalchemy2.shape import from_shape
    from shapely import wkt

    from demo.districts import hangzhou_divisions
    from resilience import accounts
    from resilience.db import make_sessions, unit_of_work
    from resilience.divisions import Division

    with unit_of_work(make_sessions(engine)) as s:
        for d in hangzhou_divisions():
            s.add(Division(code=d.code, name=d.name, name_en=d.name_en, level=d.level,
                           parent_code=d.parent_code, population=d.population,
                           boundary=from_shape(wkt.loads(d.boundary_wkt), srid=4490)))
        s.flush()
        for username, role, divisions, password in _users():
            accounts.add_user(s, username, role=role, password=password,
                              divisions=list(divisions))


@pytest.fixture(scope="session", params=DIALECTS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Engine]:
    """A migrated database with the base data, per dialect, for the whole run."""
    from resilience.migrate import upgrade

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, request.param, f"resilience_test_{worker}",
                         tmp_path_factory.mktemp("db"))
    eng = make_engine(url)
    upgrade(eng)
    seed_base(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def dialect(engine: Engine) -> str:
    return "spatialite" if engine.dialect.name == "sqlite" else "postgis"


@pytest.fixture
def connection(engine: Engine) -> Iterator[Any]:
    """One connection in an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        yield conn
        if outer.is_active:
            outer.rollback()


@pytest.fixture
def sessions(connection: Any) -> sessionmaker[Session]:
    """A session factory joined to the test's transaction (commits become savepoints)."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                        expire_on_commit=False)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, engine: Engine) -> Settings:
    return Settings(database_url=engine.url.render_as_string(hide_password=False),
                    instance_path=tmp_path, secret_key="test-secret", testing=True).resolved()


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> Any:
    from web.app import create_app

    app = create_app(settings)
    app.extensions["resilience"]["sessions"] = sessions
    return app


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class Auth:
    """Authorization headers for the seeded users."""

    def __init__(self, sessions: sessionmaker[Session]):
        self._sessions = sessions
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            from resilience import accounts

            with self._sessions() as s:
                _, plain = accounts.issue_token(s, username, days=1)
                s.commit()
            self._tokens[username] = plain
        return self._tokens[username]

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}", **extra}


@pytest.fixture
def auth(sessions: sessionmaker[Session]) -> Auth:
    return Auth(sessions)


class LiveServer:
    """A real HTTP server on a committed database, for GDAL and the browser."""

    def __init__(self, url: str, database_url: str):
        self.url = url
        self.database_url = database_url


def start_live_server(app: Any) -> tuple[str, Any]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture(scope="session")
def live(engine: Engine, tmp_path_factory: pytest.TempPathFactory,
         request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The demo city (small) served over HTTP, on the same dialect as ``engine``."""
    from demo import city as demo
    from resilience.db import make_sessions, unit_of_work
    from resilience.migrate import upgrade
    from web.app import create_app

    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    tmp = tmp_path_factory.mktemp("live")
    url = fresh_database(request.config, dialect, f"resilience_live_{worker}", tmp)
    eng = make_engine(url)
    upgrade(eng)
    with unit_of_work(make_sessions(eng)) as s:
        demo.load(s, segments=1500)
    eng.dispose()
    settings = Settings(database_url=url, instance_path=tmp, secret_key="live-secret").resolved()
    base, server = start_live_server(create_app(settings))
    yield LiveServer(base, url)
    server.shutdown()
