"""Concurrent writers on the embedded SQLite set-up (issue 15 item 3): 0 errors, 0 lost updates.

    .venv/bin/python -m benchmarks.writers --db instance/bench_writers.db [--writers 8]
        [--seconds 60] [--port 5620]

Copies nothing: give it a database made by ``resilience init`` + ``resilience demo``. Starts
the web app under gunicorn (2 workers × 4 threads, as a small office would) and the scheduler
as its own process, both on that file; then N writer threads PATCH for the given time, each
its own pipeline (so every success must be kept: the final value counts them) and, one in
five, a pipeline all of them share (so 412 is expected there and nothing else). A risk run
is requested every 10 s, so the scheduler writes while the writers do. Prints the status
counts, the errors (5xx, refused connections) and the lost updates, and writes
``results/writers_<n>.json``.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.common import save

AUTH = "Basic " + base64.b64encode(b"engineer:engineer-demo-2026").decode()
ADMIN = "Basic " + base64.b64encode(b"manager:manager-demo-2026").decode()


def _call(port: int, method: str, path: str, body: Any = None,
          headers: dict[str, str] | None = None, auth: str = AUTH) -> tuple[int, dict[str, str],
                                                                          Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": auth, "Accept": "application/json",
                              "Content-Type": "application/merge-patch+json", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, dict(resp.getheaders()), json.loads(data) if data else None
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=5620)
    args = parser.parse_args()
    url = f"sqlite:///{Path(args.db).resolve()}"
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_SECRET_KEY": "bench",
           "RESILIENCE_INSTANCE_PATH": str(Path(args.db).resolve().parent),
           "RESILIENCE_JOB_POLL_SECONDS": "2"}
    bin_dir = Path(sys.executable).parent
    web = subprocess.Popen([str(bin_dir / "gunicorn"), "--bind", f"127.0.0.1:{args.port}",
                            "--workers", "2", "--threads", "4", "web.wsgi:app"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sched = subprocess.Popen([str(bin_dir / "resilience"), "scheduler"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                if _call(args.port, "GET", "/api/health", auth="")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        status, _, page = _call(args.port, "GET", "/api/collections/pipelines/items?limit="
                                f"{args.writers + 1}&division=330106")
        assert status == 200, status
        ids = [f["id"] for f in page["features"]]
        shared, own = ids[0], ids[1:args.writers + 1]
        counts: Counter[str] = Counter()
        done: dict[int, int] = dict.fromkeys(own, 0)
        errors: list[str] = []
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()

        def writer(k: int, record: int) -> None:
            n = 0
            while time.monotonic() < stop:
                target = shared if n % 5 == 4 else record
                path = f"/api/collections/pipelines/items/{target}"
                try:
                    got, headers, feature = _call(args.port, "GET", path)
                    if got != 200:
                        with lock:
                            counts[f"read {got}"] += 1
                            if got >= 500:
                                errors.append(f"writer {k}: GET {got} {feature}")
                        continue
                    value = int(feature["properties"].get("diameter_mm") or 0)
                    status, _, body = _call(args.port, "PATCH", path, {
                        "properties": {"diameter_mm": value + 1}},
                        {"If-Match": headers.get("ETag", "")})
                except OSError as error:
                    with lock:
                        errors.append(f"writer {k}: {error}")
                    continue
                with lock:
                    counts[f"{'shared' if target == shared else 'own'} {status}"] += 1
                    if status >= 500:
                        errors.append(f"writer {k}: {status} {body}")
                    if status == 200 and target == record:
                        done[record] += 1
                n += 1

        def runs() -> None:
            while time.monotonic() < stop:
                status = _call(args.port, "POST", "/api/risk/runs", {"mode": "incremental"},
                               {"Content-Type": "application/json"}, auth=ADMIN)[0]
                with lock:
                    counts[f"risk run {status}"] += 1
                time.sleep(10)

        before = {r: int(_call(args.port, "GET", f"/api/collections/pipelines/items/{r}")[2]
                          ["properties"].get("diameter_mm") or 0) for r in own}
        threads = [threading.Thread(target=writer, args=(k, r)) for k, r in enumerate(own)]
        threads.append(threading.Thread(target=runs))
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        lost = {r: before[r] + done[r] - int(
            _call(args.port, "GET", f"/api/collections/pipelines/items/{r}")[2]["properties"]
            ["diameter_mm"]) for r in own}
        result = {"writers": args.writers, "seconds": round(elapsed, 1), "counts": dict(counts),
                  "errors": len(errors), "first_errors": errors[:5],
                  "lost_updates": sum(abs(v) for v in lost.values()),
                  "writes_per_s": round(sum(v for k, v in counts.items()
                                            if k.endswith(" 200")) / elapsed, 1)}
    finally:
        web.terminate()
        sched.terminate()
        web.wait(timeout=30)
        sched.wait(timeout=30)
    scheduler_errors = [line for line in (sched.stderr.read() if sched.stderr else b"")
                        .decode(errors="replace").splitlines()
                        if "locked" in line or "Traceback" in line]
    result["scheduler_lock_errors"] = len(scheduler_errors)
    result["scheduler_first_errors"] = scheduler_errors[:5]
    print(json.dumps(result, ensure_ascii=False, indent=2))
    save(f"writers_{args.writers}", result)


if __name__ == "__main__":
    main()
