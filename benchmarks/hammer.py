"""N sequential keep-alive GETs against one URL: a whole-process load for side-by-side timing.

    python benchmarks/hammer.py http://127.0.0.1:5610/api/collections/pipelines/items?bbox=… 300 TOKEN
"""

from __future__ import annotations

import http.client
import sys
from urllib.parse import urlsplit


def main() -> None:
    url, count = sys.argv[1], int(sys.argv[2])
    token = sys.argv[3] if len(sys.argv) > 3 else None
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    for _ in range(count):
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise SystemExit(f"HTTP {resp.status}")


if __name__ == "__main__":
    main()
