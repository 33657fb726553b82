"""The production set-up under a busy office's load (issue 15): 0 errors, a steady bbox page.

    .venv/bin/python -m benchmarks.load [--segments 100000] [--clients 16] [--seconds 60]

The web app under gunicorn as docker-compose runs it (4 workers × 8 threads, gthread) and
the scheduler as its own process, on PostGIS with the demo city of N segments. Sixteen
clients for a minute, as an office and its GIS clients would mix them: twelve page through
pipelines in random 1 km boxes of the city centre (the figure: p95 within 3× p50), two fetch
z14 vector tiles there, one reads and edits (If-Match) pipelines, one opens the dashboard
and the table page. Every client keeps its connection alive, as browsers and QGIS do.
Prints and writes ``results/load_<clients>.json``: per kind p50/p95/max, status counts, the
errors (5xx, refused or dropped connections) and the scheduler's complaints.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import os
import random
import subprocess
import threading
import time
from collections import Counter, defaultdict
from typing import Any

from benchmarks.common import BIN, ROOT, prepare, save, summary

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin:admin-demo-2026").decode()}
CENTRE = (120.10, 30.20, 120.25, 30.32)  # 西湖区、上城区、拱墅区: where the demo's network is
BOX = 0.01  # degrees, about 1 km


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


class Client(threading.Thread):
    """One kept-alive connection doing one kind of work until the deadline."""

    def __init__(self, port: int, kind: str, seed: int, stop: float, out: dict[str, Any]):
        super().__init__(daemon=True)
        self.port, self.kind, self.rng, self.stop, self.out = port, kind, random.Random(seed), \
            stop, out
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, label: str, method: str, path: str, body: Any = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=json.dumps(body) if body is not None else None,
                              headers={**AUTH, **(headers or {})})
            resp = self.conn.getresponse()
            data = resp.read()
        except OSError as error:  # refused, reset, timed out: an error as much as a 5xx
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            with self.out["lock"]:
                self.out["errors"].append(f"{label}: {error!r}")
            return 0, {}, b""
        ms = (time.perf_counter() - start) * 1000
        with self.out["lock"]:
            self.out["times"][label].append(ms)
            self.out["status"][f"{label} {resp.status}"] += 1
            if resp.status >= 500:
                self.out["errors"].append(f"{label}: {resp.status} {data[:200]!r}")
        return resp.status, dict(resp.getheaders()), data

    def box(self) -> tuple[float, float]:
        w, s, e, n = CENTRE
        return self.rng.uniform(w, e - BOX), self.rng.uniform(s, n - BOX)

    def run(self) -> None:
        while time.monotonic() < self.stop:
            getattr(self, self.kind)()

    def bbox(self) -> None:
        x, y = self.box()
        self.call("bbox page", "GET", "/api/collections/pipelines/items?limit=100&bbox="
                  f"{x:.5f},{y:.5f},{x + BOX:.5f},{y + BOX:.5f}")

    def tiles(self) -> None:
        x, y = _tile(*self.box(), 14)
        self.call("z14 tile", "GET", f"/tiles/pipelines/14/{x}/{y}.pbf")

    def edit(self) -> None:
        x, y = self.box()
        status, _, data = self.call("item read", "GET", "/api/collections/pipelines/items?"
                                    f"limit=5&bbox={x:.5f},{y:.5f},{x + BOX:.5f},{y + BOX:.5f}")
        features = json.loads(data).get("features", []) if status == 200 else []
        if not features:
            return
        path = f"/api/collections/pipelines/items/{features[0]['id']}"
        status, headers, data = self.call("item read", "GET", path)
        if status != 200:
            return
        remark = f"load test {self.rng.randrange(10**6)}"
        self.call("item PATCH", "PATCH", path, {"properties": {"remarks": remark}},
                  {"Content-Type": "application/merge-patch+json",
                   "If-Match": headers.get("ETag", "")})

    def office(self) -> None:
        self.call("dashboard", "GET", "/dashboard")
        self.call("table page", "GET", "/collections/pipelines?division=330106")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=5630)
    parser.add_argument("--mix", choices=("office", "bbox"), default="office",
                        help="office: the mix above; bbox: every client pages bboxes")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    url, _ = prepare("postgis", args.segments)
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_SECRET_KEY": "bench",
           "PYTHONPATH": str(ROOT)}
    web = subprocess.Popen([str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{args.port}",
                            "--workers", str(args.workers), "--threads", str(args.threads),
                            "--worker-class", "gthread",
                            "--keep-alive", "30", "--log-level", "warning", "web.wsgi:app"],
                           env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sched = subprocess.Popen([str(BIN / "resilience"), "scheduler"], env=env, cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    out: dict[str, Any] = {"lock": threading.Lock(), "times": defaultdict(list),
                           "status": Counter(), "errors": []}
    try:
        for _ in range(300):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=5)
                conn.request("GET", "/api/health")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        kinds = ((["bbox"] * 12 + ["tiles"] * 2 + ["edit", "office"]) if args.mix == "office"
                 else ["bbox"] * args.clients)[:args.clients]
        warm = time.monotonic() + 5  # every worker opens its pool and loads its code first
        for client in [Client(args.port, k, i, warm, out) for i, k in enumerate(kinds)]:
            client.start()
        time.sleep(6)
        out.update(times=defaultdict(list), status=Counter(), errors=[])
        stop = time.monotonic() + args.seconds
        clients = [Client(args.port, k, 100 + i, stop, out) for i, k in enumerate(kinds)]
        started = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        elapsed = time.monotonic() - started
    finally:
        web.terminate()
        sched.terminate()
        web.wait(timeout=30)
        sched.wait(timeout=30)
    complaints = [line for line in (sched.stderr.read() if sched.stderr else b"")
                  .decode(errors="replace").splitlines() if "Traceback" in line
                  or "ERROR" in line]
    times = {k: summary(v) for k, v in sorted(out["times"].items())}
    page = times.get("bbox page", {})
    result = {"segments": args.segments, "clients": args.clients, "mix": args.mix,
              "gunicorn": f"{args.workers} workers x {args.threads} threads", "seconds": round(elapsed, 1),
              "requests": sum(out["status"].values()),
              "requests_per_s": round(sum(out["status"].values()) / elapsed, 1),
              "errors": len(out["errors"]), "first_errors": out["errors"][:5],
              "bbox_p95_over_p50": round(page["p95"] / page["p50"], 2) if page else None,
              "times_ms": times, "status": dict(sorted(out["status"].items())),
              "scheduler_complaints": complaints[:5]}
    save(f"load_{args.clients}", result)


if __name__ == "__main__":
    main()
