"""Import benchmark: 100k (or 1M) pipeline segments from GeoJSON or GeoPackage, beside ogr2ogr.

    python -m benchmarks.imports prepare [--rows 1000000]      # the source files, once
    python -m benchmarks.imports once --dialect postgis --file F   # fresh database, one import
    python -m benchmarks.imports baseline --file F               # ogr2ogr into a plain table

``once`` and ``baseline`` are whole commands, so ``farm-bench`` can time them side by side
(it pairs the runs and prints the ratio, and the peak memory of each):

    farm-bench -n 3 --timeout 900 --vs 'python -m benchmarks.imports baseline --file F' \\
        -- python -m benchmarks.imports once --dialect postgis --file F

The source file is the 100k demo city's pipelines (``resilience demo --segments 100000``)
written by ogr2ogr with the registry's writable columns and ``IMP-<n>`` external ids; the
target database holds the divisions and a 100-segment demo (so the users exist).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from benchmarks.common import BIN, PG_ADMIN, RESULTS

COLUMNS = ("category, subcategory, material, diameter_mm, width_mm, height_mm, pressure_class, "
           "pressure_mpa, voltage_kv, cable_count, start_depth_m, end_depth_m, burial_method, "
           "build_year, owner, operator, status, condition_grade, name, address, data_source, "
           "survey_date, remarks, division_code")
PG_BASE = PG_ADMIN.rsplit("/", 1)[0]


def _run(args: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, env={**os.environ, **(env or {})}, capture_output=True)


def _admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare(rows: int) -> None:
    """The 100k source files (GeoJSON, GeoPackage), the 1M GeoJSONSeq, the target templates."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    source = RESULTS / "import_source_100000.db"
    if not source.exists():
        env = {"RESILIENCE_DATABASE_URL": f"sqlite:///{source}"}
        _run([str(BIN / "resilience"), "init"], env)
        _run([str(BIN / "resilience"), "demo", "--segments", "100000"], env)
    geojson, gpkg = RESULTS / "pipes_100000.geojson", RESULTS / "pipes_100000.gpkg"
    if not geojson.exists():
        sql = f"SELECT geom, {COLUMNS}, 'IMP-' || id AS external_id FROM pipelines"
        _run(["ogr2ogr", "-f", "GeoJSON", str(geojson), str(source), "-dialect", "SQLite",
              "-sql", sql, "-lco", "COORDINATE_PRECISION=7"])
    if not gpkg.exists():
        _run(["ogr2ogr", "-f", "GPKG", str(gpkg), str(geojson), "-nln", "pipelines"])
    if rows > 100_000:
        _repeat(geojson, rows)
    template = RESULTS / "import_target.db"
    if not template.exists():
        env = {"RESILIENCE_DATABASE_URL": f"sqlite:///{template}"}
        _run([str(BIN / "resilience"), "init"], env)
        _run([str(BIN / "resilience"), "demo", "--segments", "100"], env)
    _admin("DROP DATABASE IF EXISTS import_target")
    _admin("CREATE DATABASE import_target")
    env = {"RESILIENCE_DATABASE_URL": f"{PG_BASE}/import_target"}
    _run([str(BIN / "resilience"), "init"], env)
    _run([str(BIN / "resilience"), "demo", "--segments", "100"], env)
    _admin("DROP DATABASE IF EXISTS import_plain")
    _admin("CREATE DATABASE import_plain")
    engine = create_engine(f"{PG_BASE}/import_plain", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    print(f"ready: {geojson} ({geojson.stat().st_size / 1e6:.0f} MB), {gpkg}")


def _repeat(geojson: Path, rows: int) -> None:
    """A GeoJSONSeq of ``rows`` features: the 100k file again and again, ids made unique."""
    import ijson

    out = RESULTS / f"pipes_{rows}.geojsonl"
    if out.exists():
        return
    with out.open("w", encoding="utf-8") as f:
        written = 0
        while written < rows:
            with geojson.open("rb") as src:
                for feature in ijson.items(src, "features.item", use_float=True):
                    feature["properties"]["external_id"] = f"IMP-{written}"
                    f.write(json.dumps(feature, ensure_ascii=False) + "\n")
                    written += 1
                    if written >= rows:
                        break


def once(dialect: str, file: str) -> None:
    """A fresh target database, then ``resilience import FILE --into pipelines`` in this process."""
    if dialect == "spatialite":
        target = RESULTS / "import_run.db"
        shutil.copy(RESULTS / "import_target.db", target)
        url = f"sqlite:///{target}"
    else:
        _admin("DROP DATABASE IF EXISTS import_run")
        _admin("CREATE DATABASE import_run TEMPLATE import_target")
        url = f"{PG_BASE}/import_run"
    os.environ["RESILIENCE_DATABASE_URL"] = url
    from console.cli import main

    start = time.perf_counter()
    try:
        main(["import", file, "--into", "pipelines", "--as", "admin"], standalone_mode=False)
    finally:
        print(f"import took {time.perf_counter() - start:.2f} s", file=sys.stderr)


def baseline(file: str) -> None:
    """ogr2ogr loading the same file into a plain PostGIS table (no validation at all)."""
    engine = create_engine(f"{PG_BASE}/import_plain", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP TABLE IF EXISTS plain"))
    engine.dispose()
    subprocess.run(["ogr2ogr", "-f", "PostgreSQL",
                    "PG:host=127.0.0.1 user=postgres dbname=import_plain", file, "-nln", "plain"],
                   check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--rows", type=int, default=100_000)
    o = sub.add_parser("once")
    o.add_argument("--dialect", choices=("postgis", "spatialite"), required=True)
    o.add_argument("--file", required=True)
    b = sub.add_parser("baseline")
    b.add_argument("--file", required=True)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.rows)
    elif args.command == "once":
        once(args.dialect, args.file)
    else:
        baseline(args.file)


if __name__ == "__main__":
    main()
