"""Vector tile figures of issue 4: a z14 and a z10 tile over Hangzhou's centre, beside the raw query.

    .venv/bin/python -m benchmarks.tiles --dialect postgis --segments 100000

Each tile is fetched over HTTP from the app under gunicorn (Bearer token, the full 200 path:
authentication, the layer's version, the tile), interleaved with the same tile built without
the app: on PostGIS the bare ST_AsMVT statement sent through psycopg, on SpatiaLite the
select and encode in this process. Also timed: a 304 revalidation.
"""

from __future__ import annotations

import argparse
import http.client
import math
import time
from typing import Any

from benchmarks.common import Server, prepare, save, summary, timed, token

CENTRE = (120.16, 30.27)  # 西湖 / 上城 / 拱墅 meet here: the demo city's densest tiles
PG_TILE = """
SELECT ST_AsMVT(t, 'pipelines', 4096, 'geom', 'id') FROM (
  SELECT id, name, category, material, diameter_mm, status,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true)
           AS geom
  FROM pipelines
  WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4490)
    AND retired_at IS NULL
    AND (ST_XMax(geom) - ST_XMin(geom) >= %(dx)s OR ST_YMax(geom) - ST_YMin(geom) >= %(dy)s
         OR id %% %(every)s = 0)
) t WHERE geom IS NOT NULL
"""


def thinning(z: int, x: int, y: int) -> dict[str, float]:
    """The low-zoom rule of inventory.tiles as plain numbers: spans that keep a line, one in N."""
    from inventory.tiles import KEEP_PIXELS, TILE_LAYERS
    from resilience.tilegrid import tile_bbox

    base = TILE_LAYERS["pipelines"].thin_below or 0
    if z >= base:
        return {"dx": 0.0, "dy": 0.0, "every": 1}
    span = KEEP_PIXELS * 360.0 / (2 ** z * 256)
    south, north = tile_bbox(z, x, y)[1::2]
    farthest = min(max(abs(south), abs(north)), 89.0)
    return {"dx": span, "dy": span * math.cos(math.radians(farthest)), "every": 4 ** (base - z)}


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The z/x/y of the tile holding a point."""
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


class Raw:
    """The same tile without the app: bare SQL on PostGIS, select + encode on SpatiaLite."""

    def __init__(self, url: str, dialect: str):
        self.dialect = dialect
        if dialect == "postgis":
            import psycopg

            self.conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
            # As the app does (see resilience.spatial.mvt): no JIT, no parallel workers; with
            # them this VM spends longer compiling and starting workers than running the query.
            self.conn.execute("SET jit = off")
            self.conn.execute("SET max_parallel_workers_per_gather = 0")
        else:
            from inventory import tiles
            from resilience.accounts import SYSTEM
            from resilience.db import make_engine, make_sessions

            self.engine = make_engine(url)
            self.session = make_sessions(self.engine)()
            self.layer, self.system, self.render = tiles.layer("pipelines"), SYSTEM, tiles.render

    def tile(self, z: int, x: int, y: int) -> tuple[float, int]:
        """(milliseconds, bytes) for one tile."""
        start = time.perf_counter()
        if self.dialect == "postgis":
            params = {"z": z, "x": x, "y": y, **thinning(z, x, y)}
            data = self.conn.execute(PG_TILE, params).fetchone()[0]  # type: ignore[index]
            size = len(data or b"")
        else:
            size = len(self.render(self.session, self.layer, self.system, z, x, y))
            self.session.rollback()
        return (time.perf_counter() - start) * 1000, size

    def close(self) -> None:
        if self.dialect == "postgis":
            self.conn.close()
        else:
            self.session.close()
            self.engine.dispose()


def run(dialect: str, segments: int, requests: int, port: int) -> dict[str, Any]:
    url, _ = prepare(dialect, segments)
    headers = {"Authorization": "Bearer " + token(url, "admin")}  # every division: the fullest tiles
    app = Server("web.wsgi:app", url, port)
    raw = Raw(url, dialect)
    out: dict[str, Any] = {"dialect": dialect, "segments": segments, "tiles": {}}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for z in (14, 10):
            address = tile_at(*CENTRE, z)
            path = "/tiles/pipelines/{}/{}/{}.pbf".format(*address)
            for _ in range(20):  # warm both
                timed(conn, "GET", path, headers)
                raw.tile(*address)
            served, bare, revalidated = [], [], []
            size = raw_size = 0
            etag = ""
            for _ in range(requests):  # interleaved, so both see the same machine noise
                ms, status, body = timed(conn, "GET", path, headers)
                assert status == 200, body[:300]
                served.append(ms)
                size = len(body)
                ms, raw_size = raw.tile(*address)
                bare.append(ms)
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            resp.read()
            etag = resp.headers["ETag"]
            for _ in range(requests // 2):
                ms, status, _ = timed(conn, "GET", path, {**headers, "If-None-Match": etag})
                assert status == 304
                revalidated.append(ms)
            import mapbox_vector_tile

            features = len(mapbox_vector_tile.decode(body)["pipelines"]["features"])
            http_s, raw_s = summary(served), summary(bare)
            out["tiles"][f"z{z}"] = {
                "tile": "{}/{}/{}".format(*address), "features": features, "bytes": size,
                "raw_bytes": raw_size, "http_ms": http_s, "raw_ms": raw_s,
                "ratio_p50": round(http_s["p50"] / raw_s["p50"], 2),
                "revalidate_304_ms": summary(revalidated),
            }
    finally:
        raw.close()
        app.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--port", type=int, default=5620)
    args = parser.parse_args()
    result = run(args.dialect, args.segments, args.requests, args.port)
    for name, t in result["tiles"].items():
        print(f"{args.dialect} {name} {t['tile']}: {t['features']} features, {t['bytes']} bytes; "
              f"HTTP p50 {t['http_ms']['p50']} ms p95 {t['http_ms']['p95']} ms; raw p50 "
              f"{t['raw_ms']['p50']} ms p95 {t['raw_ms']['p95']} ms; ratio {t['ratio_p50']}; "
              f"304 p50 {t['revalidate_304_ms']['p50']} ms")
    save(f"tiles_{args.dialect}_{args.segments}", result)


if __name__ == "__main__":
    main()
