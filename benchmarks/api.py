"""API figures of issue 2: bbox page vs a bare route, full scroll, POST, demo generation.

    .venv/bin/python benchmarks/api.py --dialect postgis --segments 100000
"""

from __future__ import annotations

import argparse
import http.client
import json
import time

from sqlalchemy import text

from benchmarks.common import Server, prepare, save, summary, timed, token
from resilience.db import make_engine

# A dense part of 西湖区 (330106) in the demo city; the box grows until it holds ~100 features.
CENTRE = (120.13, 30.275)


def find_bbox(url: str, target: int = 100) -> tuple[tuple[float, float, float, float], int]:
    """A square bbox in 西湖区 holding about ``target`` pipeline segments."""
    engine = make_engine(url)
    half = 0.0005
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT avg(ST_X(ST_StartPoint(geom))), avg(ST_Y(ST_StartPoint(geom))) "
            "FROM (SELECT geom FROM pipelines WHERE division_code = '330106' LIMIT 2000) t"
        )).one()
        cx, cy = (row[0], row[1]) if row[0] else CENTRE
        for _ in range(40):
            box = (cx - half, cy - half, cx + half, cy + half)
            n = conn.execute(text(
                "SELECT count(*) FROM pipelines WHERE division_code >= '330106' AND "
                "division_code < '330106:' AND ST_Intersects(geom, "
                + ("BuildMbr" if engine.dialect.name == "sqlite" else "ST_MakeEnvelope")
                + "(:a, :b, :c, :d, 4490))" + (" = 1" if engine.dialect.name == "sqlite" else "")
            ), dict(zip("abcd", box, strict=True))).scalar()
            if n >= target:
                return box, n
            half *= 1.25
    engine.dispose()
    return box, n


def run(dialect: str, segments: int, requests: int, port: int) -> dict:
    url, demo_seconds = prepare(dialect, segments)
    box, count = find_bbox(url)
    bbox = ",".join(f"{v:.6f}" for v in box)
    engineer = {"Authorization": "Bearer " + token(url, "engineer"),
                "Accept": "application/geo+json"}
    admin = {"Authorization": "Bearer " + token(url, "admin")}
    app = Server("web.wsgi:app", url, port)
    bare = Server("benchmarks.bare:app", url, port + 1)
    try:
        ca = http.client.HTTPConnection("127.0.0.1", port)
        cb = http.client.HTTPConnection("127.0.0.1", port + 1)
        path = f"/api/collections/pipelines/items?bbox={bbox}&limit=100"
        bare_path = f"/bare?bbox={bbox}&division=330106&limit=100"
        for _ in range(50):  # warm both
            timed(ca, "GET", path, engineer)
            timed(cb, "GET", bare_path)
        ours, base = [], []
        returned = 0
        for _ in range(requests):  # interleaved, so both see the same machine noise
            ms, status, body = timed(ca, "GET", path, engineer)
            assert status == 200, body[:300]
            ours.append(ms)
            returned = json.loads(body)["numberReturned"]
            ms, status, _ = timed(cb, "GET", bare_path)
            assert status == 200
            base.append(ms)
        api, bare_s = summary(ours), summary(base)

        start = time.perf_counter()
        next_path = "/api/collections/pipelines/items?limit=10000"
        scrolled = pages = 0
        while next_path:
            _, status, body = timed(ca, "GET", next_path, admin)
            assert status == 200
            fc = json.loads(body)
            scrolled += fc["numberReturned"]
            pages += 1
            nxt = [link["href"] for link in fc["links"] if link["rel"] == "next"]
            next_path = nxt[0].split(f":{port}", 1)[1] if nxt else None
        scroll_s = time.perf_counter() - start

        posts = []
        for i in range(100):
            feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
                [120.10 + i * 1e-4, 30.27], [120.1005 + i * 1e-4, 30.2703]]},
                "properties": {"category": "water_supply", "material": "pe",
                               "diameter_mm": 200, "name": f"bench {i}"}}
            ms, status, body = timed(ca, "POST", "/api/collections/pipelines/items",
                                     {**engineer, "Content-Type": "application/geo+json"},
                                     json.dumps(feature).encode())
            assert status == 201, body[:300]
            posts.append(ms)
        # Leave the benchmark table as it was.
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM audit_log WHERE collection = 'pipelines' AND "
                              "record_id IN (SELECT id FROM pipelines WHERE name LIKE 'bench %')"))
            conn.execute(text("DELETE FROM pipelines WHERE name LIKE 'bench %'"))
        engine.dispose()
    finally:
        app.stop()
        bare.stop()
    return {
        "dialect": dialect, "segments": segments, "bbox_features": count,
        "page_returned": returned, "items_bbox_ms": api, "bare_route_ms": bare_s,
        "ratio_p50": round(api["p50"] / bare_s["p50"], 2),
        "p95_over_p50": round(api["p95"] / api["p50"], 2),
        "full_scroll_s": round(scroll_s, 2), "full_scroll_features": scrolled,
        "full_scroll_pages": pages, "post_ms": summary(posts),
        "demo_generation_s": round(demo_seconds, 1) if demo_seconds else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--port", type=int, default=5610)
    args = parser.parse_args()
    result = run(args.dialect, args.segments, args.requests, args.port)
    save(f"api_{args.dialect}_{args.segments}", result)


if __name__ == "__main__":
    main()
