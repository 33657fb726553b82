"""Health-check figure of issue 6: the registry-computed indicators of a 100k-segment city.

    .venv/bin/python -m benchmarks.healthcheck --db postgis [--segments 100000]
    .venv/bin/python -m benchmarks.healthcheck --db spatialite

Reads the database ``benchmarks.risk`` made (``bench_risk_<N>``: the demo city of N segments
with hazard zones and risk points; made by that benchmark when missing) and writes nothing to
it: the indicators are computed with the shipped catalogue in memory, so the shared database
needs no migration. Times ``indicators.compute_all`` for the city (330100, every segment) and
for each district holding pipelines, three times each, and reports per-computer seconds of the
city run. Writes ``results/healthcheck_<db>_<N>.json``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from typing import Any

from sqlalchemy import func, select

from benchmarks.common import save

TARGET_S = 30.0


def run(db: str, segments: int, repeat: int = 3) -> dict[str, Any]:
    """Time the indicator computation on the benchmark city."""
    from benchmarks.risk import _url, prepare
    from inventory import Pipeline
    from resilience.db import make_engine, make_sessions
    from resilience.divisions import Division
    from risk.healthcheck import indicators

    url, new = _url(db, segments)
    if new:
        prepare(db, segments)
    engine = make_engine(url)
    sessions = make_sessions(engine)
    year = date.today().year
    out: dict[str, Any] = {"db": db, "segments": segments, "target_s": TARGET_S}
    with sessions() as s:
        out["pipelines"] = s.scalar(select(func.count()).select_from(Pipeline))
        city = s.get(Division, "330100")
        assert city is not None
        times, parts = [], {}
        for _ in range(repeat):
            s.expire_all()
            scope = indicators.Scope(s, city, year, {})
            start = time.perf_counter()
            values: dict[str, Any] = {}
            for fn in indicators.COMPUTERS:
                t0 = time.perf_counter()
                values.update(fn(scope))
                parts[fn.__name__] = round(time.perf_counter() - t0, 3)
            times.append(time.perf_counter() - start)
        out["city_s"] = [round(t, 2) for t in times]
        out["city_median_s"] = round(statistics.median(times), 2)
        out["city_parts_s"] = parts
        out["city_values"] = {k: v.value for k, v in values.items()}
        codes = s.scalars(select(Pipeline.division_code).distinct()).all()
        districts = sorted({c[:6] for c in codes})
        start = time.perf_counter()
        for code in districts:
            division = s.get(Division, code)
            if division is not None:
                indicators.compute_all(indicators.Scope(s, division, year, {}))
        out["districts"] = districts
        out["all_districts_s"] = round(time.perf_counter() - start, 2)
    engine.dispose()
    out["ok"] = out["city_median_s"] <= TARGET_S and out["all_districts_s"] <= TARGET_S
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["postgis", "spatialite"], required=True)
    parser.add_argument("--segments", type=int, default=100_000)
    args = parser.parse_args()
    result = run(args.db, args.segments)
    save(f"healthcheck_{args.db}_{args.segments}", result)


if __name__ == "__main__":
    main()
