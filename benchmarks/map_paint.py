"""Whole-city map in headless Chromium: time from navigation to the first features painted.

    python -m benchmarks.map_paint --dialect postgis --segments 100000 [--runs 5]

Signs in as the admin (every division: the fullest map), then opens ``/map`` again and again
in a fresh page, timing from ``goto`` to the first drawn feature of the registry (a path of
the GeoJSON canvas/SVG or a drawn vector tile), by the page's own clock (``performance.now``
from navigation start). Target: ≤ 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from benchmarks.common import Server, prepare, save

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--no-first-run"]
# The first feature the registry drew: a vector-tile canvas with ink, or an SVG/canvas path.
PAINTED = """() => {
  const tiles = document.querySelectorAll('.leaflet-tile-container canvas, .leaflet-tile-container svg path');
  for (const t of tiles) { if (t.tagName === 'path' || t.width > 0) return performance.now(); }
  const paths = document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-overlay-pane canvas');
  return paths.length ? performance.now() : 0;
}"""


def run(dialect: str, segments: int, runs: int, port: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    url, _ = prepare(dialect, segments)
    server = Server("web.wsgi:app", url, port, threads=8)
    base = f"http://127.0.0.1:{port}"
    times: list[float] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(f"{base}/login")
            page.fill("#username", "admin")
            page.fill("#password", "admin-demo-2026")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for i in range(runs + 1):  # the first run warms the server's caches
                tab = context.new_page()
                tab.goto(f"{base}/map", wait_until="commit")
                handle = tab.wait_for_function(PAINTED, polling=20, timeout=30_000)
                if i:
                    times.append(float(handle.json_value()))
                tab.close()
            browser.close()
    finally:
        server.stop()
    result = {"dialect": dialect, "segments": segments, "runs": runs,
              "first_paint_ms_median": round(statistics.median(times)), "first_paint_ms": times}
    save(f"map_paint_{dialect}_{segments}", result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=("postgis", "spatialite"), default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print(json.dumps(run(args.dialect, args.segments, args.runs, args.port), indent=2))


if __name__ == "__main__":
    main()
