"""Shared benchmark plumbing: a demo database of N segments, servers, timing."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BIN = Path(sys.executable).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def database_url(dialect: str, segments: int) -> str:
    """The benchmark database for a dialect and size (made once, then reused)."""
    if dialect == "spatialite":
        RESULTS.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{RESULTS}/bench_{segments}.db"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"bench_{segments}"
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                            ).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def prepare(dialect: str, segments: int) -> tuple[str, float | None]:
    """Migrate and load the demo of that size; returns the URL and the seconds the demo took."""
    url = database_url(dialect, segments)
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url}
    subprocess.run([BIN / "resilience", "init"], check=True, env=env, capture_output=True)
    from inventory import Pipeline
    from resilience.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        have = conn.execute(select(func.count()).select_from(Pipeline)).scalar()
    engine.dispose()
    if have:
        return url, None
    start = time.perf_counter()
    subprocess.run([BIN / "resilience", "demo", "--segments", str(segments)], check=True, env=env,
                   capture_output=True)
    return url, time.perf_counter() - start


def token(url: str, username: str) -> str:
    """A fresh API token for a demo user."""
    out = subprocess.run([BIN / "resilience", "tokens", "issue", username, "--days", "1"],
                         check=True, capture_output=True, text=True,
                         env={**os.environ, "RESILIENCE_DATABASE_URL": url})
    return out.stdout.strip()


class Server:
    """A gunicorn process (gthread, keep-alive) serving a WSGI app on a free port."""

    def __init__(self, app: str, url: str, port: int, workers: int = 1, threads: int = 4):
        env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        self.port = port
        self.proc = subprocess.Popen(
            [BIN / "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
             "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30",
             "--log-level", "warning", app], env=env, cwd=ROOT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/health" if "web" in app else "/")
                conn.getresponse().read()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{app} did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def timed(conn: http.client.HTTPConnection, method: str, path: str,
          headers: dict[str, str] | None = None, body: bytes | None = None
          ) -> tuple[float, int, bytes]:
    """One request on a kept-alive connection: (milliseconds, status, body)."""
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    return (time.perf_counter() - start) * 1000, resp.status, data


def summary(samples: list[float]) -> dict[str, float]:
    """p50, p95, min and max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2),
            "min": round(ordered[0], 2), "max": round(ordered[-1], 2), "n": len(ordered)}


def save(name: str, result: dict[str, Any]) -> None:
    """Write a result as JSON under benchmarks/results/ and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))
