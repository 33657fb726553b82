"""Export figures of issue 3: N pipeline segments to GeoPackage and GeoJSON, wall time and peak RSS.

    .venv/bin/python -m benchmarks.export --dialect postgis --segments 100000

Each export is the real command (`resilience export pipelines -o FILE`) in a process of its
own, so the figures include start-up and the peak RSS is that process's alone (``wait4``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.common import BIN, prepare, save

FORMATS = ("gpkg", "geojson")


def timed_export(url: str, fmt: str, out: Path, crs: str) -> tuple[float, float, int]:
    """One export: (wall seconds, peak RSS in MiB, file size in bytes)."""
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url}
    start = time.perf_counter()
    proc = subprocess.Popen([BIN / "resilience", "export", "pipelines", "--format", fmt,
                             "-o", str(out), "--crs", crs], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"export failed: {stderr.decode()[-2000:]}")
    print(stdout.decode().strip())
    return seconds, usage.ru_maxrss / 1024, out.stat().st_size  # ru_maxrss is KiB on Linux


def run(dialect: str, segments: int, runs: int, crs: str) -> dict:
    url, demo_seconds = prepare(dialect, segments)
    result: dict = {"dialect": dialect, "segments": segments, "crs": crs, "runs": runs,
                    "demo_seconds": demo_seconds}
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for fmt in FORMATS:
            samples = []
            for i in range(runs):
                out = Path(tmp) / f"pipelines-{i}.{fmt}"
                samples.append(timed_export(url, fmt, out, crs))
                out.unlink()
            result[fmt] = {
                "wall_s_median": round(statistics.median(s[0] for s in samples), 2),
                "wall_s": [round(s[0], 2) for s in samples],
                "peak_rss_mib_max": round(max(s[1] for s in samples), 1),
                "file_mib": round(samples[0][2] / 2**20, 1),
            }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--crs", default="EPSG:4490", help="Export CRS (EPSG:4549 transforms).")
    args = parser.parse_args()
    result = run(args.dialect, args.segments, args.runs, args.crs)
    suffix = "" if args.crs == "EPSG:4490" else "_" + args.crs.replace(":", "").lower()
    save(f"export_{args.dialect}_{args.segments}{suffix}", result)


if __name__ == "__main__":
    main()
