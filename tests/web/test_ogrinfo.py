"""GDAL's OAPIF driver (Debian's gdal-bin) opens every collection of the running app."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from base64 import b64encode
from typing import Any

import pytest

COLLECTIONS = ["pipelines", "network-points", "tunnels", "shelters-points", "shelters-polygons",
               "flood-points", "divisions", "hazard-zones", "risk-points"]
# Empty until a risk run: listed only.
PUBLISHED = ["risk-five-colour-cells", "risk-four-colour-cells", "risk-four-colour-tunnels"]
USERPWD = "viewer:viewer-demo-2026"


def ogrinfo(*args: str) -> str:
    exe = shutil.which("ogrinfo")
    if exe is None:
        pytest.fail("ogrinfo missing: make test installs gdal-bin", pytrace=False)
    out = subprocess.run(
        [exe, "-ro", "--config", "GDAL_HTTP_AUTH", "BASIC", "--config", "GDAL_HTTP_USERPWD",
         USERPWD, "--config", "GDAL_HTTP_TIMEOUT", "60", *args],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def api_count(base: str, collection: str) -> int:
    req = urllib.request.Request(
        f"{base}/api/collections/{collection}/items?limit=10000",
        headers={"Authorization": "Basic " + b64encode(USERPWD.encode()).decode()})
    with urllib.request.urlopen(req, timeout=60) as resp:
        body: dict[str, Any] = json.load(resp)
    assert not any(link["rel"] == "next" for link in body["links"])
    return len(body["features"])


def test_ogrinfo_lists_every_collection(live: Any) -> None:
    listing = ogrinfo(f"OAPIF:{live.url}/api")
    for name in COLLECTIONS + PUBLISHED:
        assert re.search(rf"^\d+: {re.escape(name)}\b", listing, re.M), listing


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_ogrinfo_reads_every_feature(live: Any, collection: str) -> None:
    out = ogrinfo("-al", "-so", "-oo", "PAGE_SIZE=500", f"OAPIF:{live.url}/api", collection)
    count = int(re.search(r"Feature Count: (\d+)", out).group(1))
    assert count == api_count(live.url, collection) > 0
    assert "Geometry:" in out
    sample = ogrinfo("-al", "-oo", "PAGE_SIZE=500", "-where", "1=1", f"OAPIF:{live.url}/api",
                     collection)
    assert "OGRFeature(" in sample and ("LINESTRING" in sample or "POINT" in sample
                                        or "POLYGON" in sample)


def test_ogrinfo_counts_a_collection_in_a_few_requests(live: Any) -> None:
    """``numberMatched`` on the first page: GDAL prints the count without paging through all
    (it made ~600 requests for 6,000 segments before)."""
    exe = shutil.which("ogrinfo")
    assert exe is not None
    out = subprocess.run(
        [exe, "-ro", "-so", "--debug", "on", "--config", "GDAL_HTTP_AUTH", "BASIC",
         "--config", "GDAL_HTTP_USERPWD", USERPWD, f"OAPIF:{live.url}/api", "pipelines"],
        capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    count = int(re.search(r"Feature Count: (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    assert count == api_count(live.url, "pipelines") > 10  # more than GDAL's first page
    fetches = re.findall(r"HTTP: Fetch\(", out.stderr + out.stdout)
    assert 1 <= len(fetches) <= 3, fetches
