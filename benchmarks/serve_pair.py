"""Serve the app and the bare route side by side on a benchmark database, until Ctrl-C.

    python -m benchmarks.serve_pair --dialect postgis --segments 100000 --port 5610
Prints the bbox, a token and the two URLs to hammer.
"""

from __future__ import annotations

import argparse
import signal

from benchmarks.api import find_bbox
from benchmarks.common import Server, prepare, token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialect", choices=["postgis", "spatialite"], default="postgis")
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=5610)
    args = parser.parse_args()
    url, _ = prepare(args.dialect, args.segments)
    box, _ = find_bbox(url)
    bbox = ",".join(f"{v:.6f}" for v in box)
    app = Server("web.wsgi:app", url, args.port)
    bare = Server("benchmarks.bare:app", url, args.port + 1)
    print(f"TOKEN={token(url, 'engineer')}")
    print(f"OURS=http://127.0.0.1:{args.port}/api/collections/pipelines/items?bbox={bbox}&limit=100")
    print(f"BARE=http://127.0.0.1:{args.port + 1}/bare?bbox={bbox}&division=330106&limit=100",
          flush=True)
    try:
        signal.pause()
    finally:
        app.stop()
        bare.stop()


if __name__ == "__main__":
    main()
