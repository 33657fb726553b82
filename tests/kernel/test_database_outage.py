"""PostgreSQL restarting under load (issue 15 item 5): 503 problem+json while it is away, and
the app recovers by itself once it is back, with no restart of the web process.

The server is a private cluster of the test's own (``tests/private_postgres.py``), crashed with
``pg_ctl stop -m immediate`` while client threads keep reading and writing through a real
HTTP server. Every answer must be a success or a 503 ``application/problem+json`` with code
``database_unavailable`` and a Retry-After, within a few seconds (the engine's
``connect_timeout``; a refused connection fails at once), never a 500 and never a hang; after
the restart the pool's pre-ping replaces the dead connections and requests succeed again.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import factories as f
from tests.conftest import seed_base, start_live_server
from tests.private_postgres import PrivateCluster

pytestmark = pytest.mark.postgis_only

SLOW = 5.0  # seconds: no answer may take longer, outage or not
OUTAGE = 3.0  # seconds PostgreSQL stays down
RECOVER = 15.0  # seconds after the restart by which every request succeeds again


@dataclass(frozen=True)
class Answer:
    """One request's outcome as the load saw it."""

    at: float
    what: str
    status: int
    content_type: str
    body: Any
    seconds: float


def call(url: str, token: str, method: str = "GET", body: Any = None) -> tuple[int, str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/json",
        "Accept-Language": "en", "Content-Type": "application/geo+json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


class Load:
    """Client threads reading and writing without pause, each answer recorded."""

    def __init__(self, base: str, token: str, threads: int = 6) -> None:
        self.base, self.token = base, token
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True)
                         for i in range(threads)]

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=60)

    def _loop(self, index: int) -> None:
        n = 0
        while not self._stop.is_set():
            n += 1
            body: Any = None
            if index % 3 == 1:  # writers: a new pipeline each time
                what, method = "write", "POST"
                url = f"{self.base}/api/collections/pipelines/items"
                body = f.pipeline((120.13 + 0.0001 * n, 30.27 + 0.0001 * index))
            elif index % 3 == 2:  # a page: an HTML answer, its menu drawn from the database
                what, method, url = "page", "GET", f"{self.base}/collections"
            else:
                what, method = "read", "GET"
                url = f"{self.base}/api/collections/pipelines/items?limit=5"
            started = time.monotonic()
            status, ctype, raw = call(url, self.token, method, body)
            ctype = ctype.split(";")[0]
            answer = Answer(started, what, status, ctype,
                            json.loads(raw) if raw and "json" in ctype else raw.decode(),
                            time.monotonic() - started)
            with self._lock:
                self.answers.append(answer)
            time.sleep(0.02)

    def since(self, moment: float) -> list[Answer]:
        with self._lock:
            return [a for a in self.answers if a.at >= moment]

    def wait_for(self, ok: Callable[[list[Answer]], bool], within: float) -> list[Answer]:
        """Wait until the answers since now satisfy ``ok`` (or time is up); those answers."""
        start = time.monotonic()
        while time.monotonic() - start < within:
            time.sleep(0.25)
            got = self.since(start)
            if ok(got):
                return got
        return self.since(start)


def test_requests_get_503_while_postgres_is_down_and_recover_by_themselves(
        private_postgres: Callable[..., PrivateCluster], tmp_path: Path) -> None:
    from resilience import accounts
    from resilience.db import make_engine, make_sessions
    from resilience.migrate import upgrade
    from resilience.settings import Settings
    from web.app import create_app

    cluster = private_postgres()
    url = cluster.create_database("resilience")
    engine = make_engine(url)
    upgrade(engine)
    seed_base(engine)
    with make_sessions(engine)() as s:
        _, token = accounts.issue_token(s, "admin", days=1)
        s.commit()
    engine.dispose()
    app = create_app(Settings(database_url=url, instance_path=tmp_path,
                              secret_key="outage-secret").resolved())
    base, server = start_live_server(app)
    try:
        with Load(base, token) as load:
            before = load.wait_for(lambda got: len(got) >= 20, within=20)
            assert {a.status for a in before} <= {200, 201}, _show(before)

            cluster.stop("immediate")  # a crash: no goodbye to the clients
            down = time.monotonic()
            time.sleep(OUTAGE)
            up = time.monotonic()
            # Answers to requests sent once the crash was done, before the restart began.
            during = [a for a in load.since(down) if a.at + a.seconds < up]
            cluster.start()  # crash recovery, then connections again
            restarted = time.monotonic()
            after = load.wait_for(
                lambda got: len(got) >= 18 and all(a.status in (200, 201) for a in got[-18:]),
                within=RECOVER)
        everything = load.since(0)
    finally:
        server.shutdown()
        app.extensions["resilience"]["engine"].dispose()

    assert not [a for a in everything if a.status not in (200, 201, 503)], _show(everything)
    assert max(a.seconds for a in everything) < SLOW, _show(everything)
    outage = during
    assert len(outage) >= 18 and {a.status for a in outage} == {503}, _show(outage)
    assert {a.what for a in outage} == {"read", "write", "page"}
    for a in outage:
        if a.what == "page":
            assert a.content_type == "text/html" and "database cannot be reached" in a.body, a
            continue
        assert a.content_type == "application/problem+json", a
        assert a.body["code"] == "database_unavailable" and a.body["status"] == 503, a
        assert a.body["errors"][0]["field"] == "database", a
        assert "database cannot be reached" in a.body["detail"], a
    last = after[-18:]
    assert len(last) == 18 and {a.status for a in last} <= {200, 201}, _show(after)
    assert {a.what for a in last} == {"read", "write", "page"}
    recovered_at = min(a.at for a in after if all(b.status in (200, 201) for b in after
                                                  if b.at >= a.at))
    print(f"\noutage {up - down:.1f} s, {len(outage)} answers 503 (slowest "
          f"{max(a.seconds for a in outage):.2f} s); back {recovered_at - restarted:.1f} s "
          f"after the restart; {len(everything)} requests in all")


def _show(answers: list[Answer]) -> str:
    return "\n".join(f"{a.what} {a.status} {a.content_type} {a.seconds:.2f}s "
                     f"{str(a.body)[:160]}" for a in answers[-40:])


def test_a_server_that_never_answers_gives_503_in_seconds_not_a_hang(tmp_path: Path) -> None:
    """A blackholed PostgreSQL (the port open, nobody answering: a hung host, a dropped
    network) fails a request at the engine's ``connect_timeout``, not the kernel's minutes."""
    import socket

    from resilience.dialects.postgis import CONNECT_TIMEOUT
    from resilience.settings import Settings
    from web.app import create_app

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # connections complete in the kernel, and nothing ever replies
        url = f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/resilience"
        app = create_app(Settings(database_url=url, instance_path=tmp_path,
                                  secret_key="silent-secret").resolved())
        started = time.monotonic()
        resp = app.test_client().get("/api/collections/pipelines/items",
                                     headers={"Authorization": "Basic YWRtaW46c2VjcmV0LXBhc3M=",
                                              "Accept-Language": "en"})  # a sign-in: it writes
        took = time.monotonic() - started
        app.extensions["resilience"]["engine"].dispose()
    assert resp.status_code == 503 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "database_unavailable"
    assert resp.headers["Retry-After"] == "5"
    assert took < CONNECT_TIMEOUT + 3, took
