"""Table and search figures of issue 4: the HTML pages of the 100k city, served over HTTP.

    .venv/bin/python -m benchmarks.tables --dialect postgis --segments 100000

Times, interleaved on kept-alive connections (1 gunicorn worker, as benchmarks/api.py): the
pipelines table filtered and sorted as 西湖区's engineer, its second keyset page, a text
filter, the admin's whole city sorted by name, the search page (many hits, one exact hit
answered by a redirect, a miss of 2 and of 5 characters), and the bare route as yardstick.
"""

from __future__ import annotations

import argparse
import html
import http.client
import re
from urllib.parse import quote

from sqlalchemy import text

from benchmarks.api import find_bbox
from benchmarks.common import Server, prepare, save, summary, timed, token
from resilience.db import make_engine

TABLE = "/collections/pipelines?category=water_supply&material=ductile_iron&sort=-build_year"


def _q(value: str) -> str:
    return quote(value, safe="")


def cases(url: str) -> dict[str, tuple[str, str, int]]:
    """name -> (user, path, expected status)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        external = conn.execute(text(
            "SELECT external_id FROM pipelines WHERE division_code = '330106' "
            "AND external_id IS NOT NULL ORDER BY id LIMIT 1 OFFSET 500")).scalar_one()
        street = conn.execute(text(
            "SELECT name FROM pipelines WHERE division_code = '330106' ORDER BY id "
            "LIMIT 1 OFFSET 1000")).scalar_one()[:3]
    engine.dispose()
    return {
        "table_filtered_sorted": ("engineer", TABLE, 200),
        "table_filtered_sorted_page2": ("engineer", "", 200),  # filled from the first page
        "table_text_sorted": ("engineer", f"/collections/pipelines?q={_q(street)}&sort=diameter_mm",
                              200),
        "table_city_by_name_admin": ("admin", "/collections/pipelines?sort=name", 200),
        "search_many": ("engineer", f"/search?q={_q(street)}", 200),
        "search_exact_redirect": ("engineer", f"/search?q={_q(external.lower())}", 302),
        "search_miss_2_chars": ("engineer", f"/search?q={_q('不存')}", 200),
        "search_miss_5_chars": ("engineer", f"/search?q={_q('不存在的路')}", 200),
    }


def run(dialect: str, segments: int, requests: int, port: int) -> dict:
    url, demo_seconds = prepare(dialect, segments)
    box, _ = find_bbox(url)
    bbox = ",".join(f"{v:.6f}" for v in box)
    tokens = {user: {"Authorization": "Bearer " + token(url, user), "Accept-Language": "zh-CN"}
              for user in ("engineer", "admin")}
    plan = cases(url)
    app = Server("web.wsgi:app", url, port)
    bare = Server("benchmarks.bare:app", url, port + 1)
    try:
        ca = http.client.HTTPConnection("127.0.0.1", port)
        cb = http.client.HTTPConnection("127.0.0.1", port + 1)
        _, status, body = timed(ca, "GET", TABLE, tokens["engineer"])
        assert status == 200, body[:500]
        nxt = re.search(rb'<a href="([^"]+)" rel="next"', body)
        assert nxt, "the filtered table has one page only"
        plan["table_filtered_sorted_page2"] = ("engineer", html.unescape(nxt.group(1).decode()), 200)
        bare_path = f"/bare?bbox={bbox}&division=330106&limit=100"
        for _ in range(20):  # warm every route
            for user, path, _expected in plan.values():
                timed(ca, "GET", path, tokens[user])
            timed(cb, "GET", bare_path)
        samples: dict[str, list[float]] = {name: [] for name in plan}
        samples["bare_route"] = []
        for _ in range(requests):  # interleaved: every case sees the same machine noise
            for name, (user, path, expected) in plan.items():
                ms, status, body = timed(ca, "GET", path, tokens[user])
                assert status == expected, (name, status, body[:300])
                samples[name].append(ms)
            ms, status, _ = timed(cb, "GET", bare_path)
            assert status == 200
            samples["bare_route"].append(ms)
        _, _, body = timed(ca, "GET", TABLE, tokens["engineer"])
        count = re.search(r'id="table-count">\s*([^<]+?)\s*</p>', body.decode())
    finally:
        app.stop()
        bare.stop()
    figures = {name: summary(values) for name, values in samples.items()}
    return {
        "dialect": dialect, "segments": segments, "requests": requests,
        "table_count_text": count.group(1) if count else None,
        "paths": {name: path for name, (_, path, _) in plan.items()},
        "ms": figures,
        "table_p50_over_bare_p50": round(figures["table_filtered_sorted"]["p50"]
                                         / figures["bare_route"]["p50"], 2),
        "demo_generation_s": round(demo_seconds, 1) if demo_seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=5630)
    args = parser.parse_args()
    result = run(args.dialect, args.segments, args.requests, args.port)
    save(f"tables_{args.dialect}_{args.segments}", result)


if __name__ == "__main__":
    main()
