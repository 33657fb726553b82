"""Risk-run figures of issue 5: a full run and an incremental run over a 100k-segment city.

    .venv/bin/python -m benchmarks.risk --db postgis [--segments 100000] [--profile]
    .venv/bin/python -m benchmarks.risk --db spatialite

Makes (once, then reuses) its own database ``bench_risk_<N>`` — the demo city of N segments,
2,000 hazard zones (star-shaped polygons of 150–900 m radius around random pipelines, so
inside the demo's urban extent; seed 2026) and 10,000 hand-entered LEC risk points, so that
the total of risk points is ≥ 10k whatever the run generates. Then times, in this process:
a full run (``run_now(mode="full")``, twice: the first one also generates the points), an
incremental run after one asset edit (``inventory.service.patch`` of one pipeline's
condition grade), and a z14 ``risk-five-colour`` vector tile if ``inventory.tiles`` has that
layer. ``--profile`` prints the top of cProfile for the second full run and the incremental
run. Writes ``results/risk_<db>_<N>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
from typing import Any

import numpy as np
import shapely
from sqlalchemy import create_engine, func, select, text

from benchmarks.common import PG_ADMIN, RESULTS, save

SEED = 2026
ZONES = 2000
MANUAL_POINTS = 10_000
MARK = "bench-risk"  # data_source of the zones and points this script adds
CENTRE = (120.16, 30.27)  # the demo city's densest tiles (as benchmarks.tiles)
TARGETS = {"full_postgis": 60.0, "full_spatialite": 120.0, "incremental": 2.0, "tile_p50_ms": 50.0}


def _url(db: str, segments: int) -> tuple[str, bool]:
    """This benchmark's own database (never the shared ``bench_N``); True when it is new."""
    name = f"bench_risk_{segments}"
    if db == "spatialite":
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{name}.db"
        return f"sqlite:///{path}", not path.exists()
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        new = not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": name}).scalar()
        if new:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, new


def _star(rng: np.random.Generator, cx: float, cy: float) -> Any:
    """A valid star-shaped polygon (angles increase, radii vary) around a plane point."""
    n = int(rng.integers(8, 17))
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = float(rng.uniform(150, 900))
    radii = radius * rng.uniform(0.6, 1.0, n)
    ring = np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
    poly = shapely.make_valid(shapely.Polygon(ring))
    if poly.geom_type != "Polygon":  # keep the largest piece (rare with increasing angles)
        poly = max(poly.geoms, key=lambda g: g.area)
    return poly


def prepare(db: str, segments: int) -> str:
    """Migrate, load the demo and add the zones and manual points (each only once)."""
    from demo import city as demo
    from inventory import Pipeline
    from resilience.db import make_engine, make_sessions, unit_of_work
    from resilience.dialects import analyze, insert_many
    from resilience.migrate import upgrade
    from resilience.model import now
    from resilience.spatial import as_wkb
    from risk.grid import to_lonlat, to_plane
    from risk.hazard_zones import HazardZone
    from risk.levels import LEC_VALUES, PRESETS, assess
    from risk.points import RiskPoint

    url, _ = _url(db, segments)
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessions(engine)
    with unit_of_work(sessions) as s:
        start = time.perf_counter()
        summary = demo.load(s, segments=segments, seed=SEED)
        if summary.created:
            print(f"demo city of {segments} segments loaded in {time.perf_counter() - start:.0f} s")
    with unit_of_work(sessions) as s:
        have = s.scalar(select(func.count()).select_from(HazardZone)
                        .where(HazardZone.data_source == MARK))
        if have:
            engine.dispose()
            return url
        rng = np.random.default_rng(SEED)
        p = Pipeline.__table__
        ids = np.array(s.scalars(select(p.c.id).order_by(p.c.id)).all())
        wanted = ZONES + MANUAL_POINTS
        picked = rng.choice(ids, size=wanted, replace=len(ids) < wanted).tolist()
        unique = sorted(set(picked))
        found: dict[int, tuple[Any, str]] = {}
        for at in range(0, len(unique), 1000):
            for pid, raw, code in s.execute(select(p.c.id, as_wkb(p.c.geom),
                                                   p.c.division_code)
                                            .where(p.c.id.in_(unique[at:at + 1000]))):
                found[pid] = (shapely.from_wkb(bytes(raw)), code)
        order = [int(i) for i in picked]
        stamp = now()
        track = {"version": 1, "created_at": stamp, "created_by": MARK, "updated_at": stamp,
                 "updated_by": MARK, "data_source": MARK}
        zone_at = order[:ZONES]
        mids = to_plane(np.array([shapely.line_interpolate_point(found[i][0], 0.5,
                                                                 normalized=True)
                                  for i in zone_at], dtype=object))
        polys = to_lonlat(np.array([_star(rng, g.x, g.y) for g in mids], dtype=object))
        kinds = ("waterlogging", "flood", "geological_susceptibility", "seismic", "typhoon_surge")
        zones = [{"geom": poly, "kind": kinds[int(rng.integers(0, len(kinds)))],
                  "hazard_class": int(rng.integers(1, 6)), "name": f"基准风险区{k + 1}",
                  "division_code": found[i][1], **track}
                 for k, (i, poly) in enumerate(zip(zone_at, polys, strict=True))]
        insert_many(s, HazardZone.__table__, zones, geom_column="geom")
        points = []
        for k, i in enumerate(order[ZONES:]):
            factors = {n: float(rng.choice(v)) for n, v in LEC_VALUES.items()}
            result = assess(PRESETS["lec_default"], factors)
            points.append({"geom": shapely.line_interpolate_point(found[i][0], 0.5,
                                                                  normalized=True),
                           "category": "construction", "method": "lec",
                           "preset": "lec_default", "factor_l": factors["L"],
                           "factor_e": factors["E"], "factor_c": factors["C"],
                           "factor_s": None, "score": result.score,
                           "level": result.level.code, "band_name": result.band.name or None,
                           "scheme_version": result.version, "source": "manual",
                           "name": f"基准风险点{k + 1}", "division_code": found[i][1],
                           "asset_collection": "pipelines", "asset_id": i, **track})
        insert_many(s, RiskPoint.__table__, points, geom_column="geom")
        print(f"added {ZONES} hazard zones and {MANUAL_POINTS} manual risk points")
    with engine.begin() as conn:
        analyze(conn)
    engine.dispose()
    return url


def _profiled(profile: bool, label: str, fn: Any) -> tuple[float, Any]:
    """Seconds (and the result) of one call, printing cProfile's top when asked."""
    prof = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if prof is not None:
        prof.enable()
    result = fn()
    if prof is not None:
        prof.disable()
    seconds = time.perf_counter() - start
    if prof is not None:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
        print(f"--- cProfile: {label} ({seconds:.1f} s) ---\n{out.getvalue()}")
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print(f"--- cProfile by own time: {label} ---\n{out.getvalue()}")
    return seconds, result


def measure(db: str, segments: int, profile: bool) -> dict[str, Any]:
    """Time the runs (and the tile when the layer exists) on a prepared database."""
    from inventory import Pipeline, service
    from inventory.service import WriteContext
    from resilience import accounts
    from resilience.db import make_engine, make_sessions, unit_of_work
    from risk import runs
    from risk.points import RiskPoint

    url = prepare(db, segments)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    result: dict[str, Any] = {"db": db, "segments": segments}
    with sessions() as s:
        result["hazard_zones"] = s.scalar(text("SELECT count(*) FROM hazard_zones"))
        result["pipelines"] = s.scalar(select(func.count()).select_from(Pipeline))

    first, run = _profiled(False, "full run 1", lambda: runs.run_now(sessions, mode="full",
                                                                   by="bench"))
    assert run.status == "succeeded", run.error
    result["full_first_s"] = round(first, 2)
    result["full_first_summary"] = run.summary
    second, run = _profiled(profile, "full run 2", lambda: runs.run_now(sessions, mode="full",
                                                                      by="bench"))
    assert run.status == "succeeded", run.error
    result["full_s"] = round(second, 2)
    result["full_summary"] = run.summary
    with sessions() as s:
        result["risk_points"] = s.scalar(select(func.count()).select_from(RiskPoint)
                                         .where(RiskPoint.retired_at.is_(None)))
        result["published"] = run.counts

    times = []
    for attempt in range(3):
        with unit_of_work(sessions) as s:
            admin = accounts.principal_of(accounts.get_user(s, "admin"))
            ctx = WriteContext(by=admin, extent=(118.3, 29.1, 120.8, 30.6))
            pid = s.scalar(select(Pipeline.id).where(Pipeline.retired_at.is_(None))
                           .order_by(Pipeline.id).offset(result["pipelines"] // 2 + attempt).limit(1))
            grade = s.scalar(select(Pipeline.condition_grade).where(Pipeline.id == pid))
            service.patch(s, "pipelines", pid, {"properties": {
                "condition_grade": 4 if grade != 4 else 1}}, ctx, expected_version=None)
        seconds, run = _profiled(profile and attempt == 0, "incremental run",
                                 lambda: runs.run_now(sessions, mode="incremental", by="bench"))
        assert run.status == "succeeded", run.error
        times.append(seconds)
        result["incremental_summary"] = run.summary
    result["incremental_s"] = [round(t, 3) for t in times]
    result["incremental_median_s"] = round(statistics.median(times), 3)
    times = []
    for attempt in range(3):  # one hand-entered risk point re-assessed: four-colour zones move
        with unit_of_work(sessions) as s:
            admin = accounts.principal_of(accounts.get_user(s, "admin"))
            ctx = WriteContext(by=admin, extent=(118.3, 29.1, 120.8, 30.6))
            point = s.scalars(select(RiskPoint).where(RiskPoint.source == "manual",
                                                      RiskPoint.retired_at.is_(None))
                              .order_by(RiskPoint.id).offset(100 + attempt).limit(1)).one()
            service.patch(s, "risk-points", point.id, {"properties": {
                "factor_l": 10 if point.factor_l != 10 else 1}}, ctx, expected_version=None)
        seconds, run = _profiled(False, "incremental run after a point edit",
                                 lambda: runs.run_now(sessions, mode="incremental", by="bench"))
        assert run.status == "succeeded", run.error
        times.append(seconds)
        result["incremental_point_summary"] = run.summary
    result["incremental_point_s"] = [round(t, 3) for t in times]
    result["incremental_point_median_s"] = round(statistics.median(times), 3)
    result["tile"] = _tile(sessions)
    engine.dispose()
    full_target = TARGETS[f"full_{db}"]
    result["targets"] = {"full_s": full_target, "incremental_s": TARGETS["incremental"],
                         "tile_p50_ms": TARGETS["tile_p50_ms"]}
    return result


def _tile(sessions: Any) -> dict[str, Any]:
    """z14 risk-five-colour tile p50 in this process, if inventory.tiles has the layer."""
    from benchmarks.tiles import tile_at
    from inventory import tiles
    from resilience.accounts import SYSTEM

    if "risk-five-colour" not in tiles.TILE_LAYERS:
        note = "skipped: inventory.tiles has no risk-five-colour layer yet"
        print(note)
        return {"note": note}
    z, x, y = tile_at(*CENTRE, 14)
    layer = tiles.layer("risk-five-colour")
    samples = []
    with sessions() as s:
        for k in range(60):
            start = time.perf_counter()
            body = tiles.render(s, layer, SYSTEM, z, x, y)
            if k >= 10:
                samples.append((time.perf_counter() - start) * 1000)
    return {"z": z, "x": x, "y": y, "bytes": len(body), "p50_ms": round(statistics.median(samples),
                                                                         2),
            "max_ms": round(max(samples), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--db", choices=("postgis", "spatialite"), required=True)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    result = measure(args.db, args.segments, args.profile)
    save(f"risk_{args.db}_{args.segments}", result)


if __name__ == "__main__":
    main()
