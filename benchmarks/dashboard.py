"""Issue 4's overview: the whole city's dashboard served over HTTP, p50 of the page and downloads.

    .venv/bin/python -m benchmarks.dashboard --dialect postgis --segments 100000
"""

from __future__ import annotations

import argparse
import http.client
import time

from benchmarks.common import Server, prepare, save, summary, timed, token
from inventory import overview
from resilience.accounts import SYSTEM
from resilience.db import make_engine, make_sessions


def domain_ms(url: str, rounds: int = 7) -> dict[str, float]:
    """The overview alone (queries and folding, no HTTP, no template), as the admin sees it."""
    sessions = make_sessions(make_engine(url))
    samples = []
    with sessions() as s:
        overview.overview(s, SYSTEM)  # warm: SpatiaLite loading, planner statistics
        for _ in range(rounds):
            start = time.perf_counter()
            overview.overview(s, SYSTEM)
            samples.append((time.perf_counter() - start) * 1000)
    return summary(samples)


def run(dialect: str, segments: int, requests: int, port: int) -> dict:
    url, demo_seconds = prepare(dialect, segments)
    admin = {"Authorization": "Bearer " + token(url, "admin"), "Accept-Language": "zh-CN"}
    engineer = {"Authorization": "Bearer " + token(url, "engineer"), "Accept-Language": "zh-CN"}
    app = Server("web.wsgi:app", url, port)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(3):  # warm the worker (imports, template compilation, planner caches)
            ms, status, body = timed(conn, "GET", "/dashboard", admin)
            assert status == 200, body[:300]
        results: dict[str, dict[str, float]] = {}
        for name, path, headers in (
            ("page_city_admin", "/dashboard", admin),
            ("page_330106_admin", "/dashboard?division=330106", admin),
            ("page_engineer_330106", "/dashboard", engineer),
            ("csv_city", "/dashboard.csv", admin),
            ("xlsx_city", "/dashboard.xlsx", admin),
        ):
            samples = []
            for _ in range(requests):
                ms, status, body = timed(conn, "GET", path, headers)
                assert status == 200, (path, body[:300])
                samples.append(ms)
            results[name] = summary(samples)
            if name == "page_city_admin":
                results[name]["bytes"] = len(body)
    finally:
        app.stop()
    return {"dialect": dialect, "segments": segments, **results, "overview_only_ms": domain_ms(url),
            "demo_generation_s": round(demo_seconds, 1) if demo_seconds else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--port", type=int, default=5640)
    args = parser.parse_args()
    result = run(args.dialect, args.segments, args.requests, args.port)
    save(f"dashboard_{args.dialect}_{args.segments}", result)


if __name__ == "__main__":
    main()
