"""GDAL reads every layer whole (issue 16's "done when"): ``ogr2ogr`` of the whole API to a
GeoPackage keeps every feature of every layer, each layer of the one geometry type its
metadata declares, numbers typed as numbers; ``-spat`` is pushed down as ``bbox``; GDAL's
own reprojection agrees with the server's ``crs``. On both databases, with published maps."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from base64 import b64encode
from pathlib import Path
from typing import Any

import pytest

from tests.web.test_ogrinfo import USERPWD, ogrinfo

GDAL_TYPES = {"Point": "Point", "LineString": "Line String", "MultiPolygon": "Multi Polygon"}


def get(live: Any, path: str) -> Any:
    req = urllib.request.Request(f"{live.url}{path}", headers={
        "Authorization": "Basic " + b64encode(USERPWD.encode()).decode()})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def mapped(live: Any) -> Any:
    """The live demo city with its maps published (a full risk run), once per database."""
    from resilience.db import make_engine, make_sessions
    from risk import runs

    engine = make_engine(live.database_url)
    try:
        run = runs.run_now(make_sessions(engine), mode="full", by="test")
        assert run.status == "succeeded", run.error
    finally:
        engine.dispose()
    return live


def ogr2ogr(*args: str) -> None:
    exe = shutil.which("ogr2ogr")
    assert exe is not None, "make test installs gdal-bin"
    out = subprocess.run(
        [exe, "--config", "GDAL_HTTP_AUTH", "BASIC", "--config", "GDAL_HTTP_USERPWD", USERPWD,
         "--config", "GDAL_HTTP_TIMEOUT", "120", *args],
        capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr


def summaries(path: Path) -> dict[str, tuple[int, str]]:
    """Each layer of a file: its feature count and geometry type, as ogrinfo says."""
    out = ogrinfo("-al", "-so", str(path))
    found = {}
    for block in out.split("Layer name: ")[1:]:
        name = block.split("\n", 1)[0].strip()
        count = int(re.search(r"Feature Count: (\d+)", block).group(1))  # type: ignore[union-attr]
        geometry = re.search(r"Geometry: (.+)", block).group(1).strip()  # type: ignore[union-attr]
        found[name] = (count, geometry)
    return found


def test_ogr2ogr_keeps_every_feature_of_every_layer(mapped: Any, tmp_path: Path) -> None:
    listing = get(mapped, "/api/collections")["collections"]
    expected = {c["id"]: (get(mapped, f"/api/collections/{c['id']}/items?limit=1")[
        "numberMatched"], c["geometryType"]) for c in listing}
    assert expected["risk-five-colour-cells"][0] > 100  # the maps are published
    out = tmp_path / "city.gpkg"
    ogr2ogr("-f", "GPKG", str(out), f"OAPIF:{mapped.url}/api", "-oo", "PAGE_SIZE=2000")
    got = summaries(out)
    for layer, (count, geometry) in expected.items():
        if count == 0:  # GDAL makes no table for an empty layer's nothing
            continue
        assert got[layer] == (count, GDAL_TYPES[geometry]), layer


def test_spat_is_pushed_down_as_a_bbox(mapped: Any) -> None:
    first = get(mapped, "/api/collections/pipelines/items?limit=1")["features"][0]
    x, y = first["geometry"]["coordinates"][0]
    box = (round(x - 0.01, 5), round(y - 0.01, 5), round(x + 0.01, 5), round(y + 0.01, 5))
    exe = shutil.which("ogrinfo")
    assert exe is not None
    out = subprocess.run(
        [exe, "-ro", "-so", "--debug", "on", "--config", "GDAL_HTTP_AUTH", "BASIC",
         "--config", "GDAL_HTTP_USERPWD", USERPWD, "-spat", *map(str, box),
         f"OAPIF:{mapped.url}/api", "pipelines"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    count = int(re.search(r"Feature Count: (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    expected = get(mapped, "/api/collections/pipelines/items?limit=1&bbox="
                   + ",".join(map(str, box)))["numberMatched"]
    assert count == expected > 0
    fetched = re.findall(r"HTTP: Fetch\((\S+)\)", out.stderr + out.stdout)
    assert any("bbox=" in url for url in fetched), fetched


def test_gdal_reprojection_agrees_with_the_servers(mapped: Any, tmp_path: Path) -> None:
    """GDAL 3.6 has no CRS open option: it reads CRS84 and reprojects itself. Its EPSG:4549
    (CGCS2000 3° zone, 120°E) coordinates equal what the server gives for ``crs`` to a mm."""
    out = tmp_path / "nodes.geojson"
    ogr2ogr("-f", "GeoJSON", str(out), f"OAPIF:{mapped.url}/api", "network-points",
            "-t_srs", "EPSG:4549", "-lco", "COORDINATE_PRECISION=4", "-preserve_fid")
    by_gdal = {feat["id"]: feat["geometry"]["coordinates"]
               for feat in json.loads(out.read_text())["features"]}
    served = get(mapped, "/api/collections/network-points/items?limit=10000&crs="
                 "http://www.opengis.net/def/crs/EPSG/0/4549")["features"]
    assert len(served) == len(by_gdal) > 0
    for feat in served:
        # EPSG:4549's axes are northing, easting; GDAL writes GeoJSON east, north.
        north, east = feat["geometry"]["coordinates"][:2]
        x, y = by_gdal[feat["id"]][:2]
        assert abs(x - east) < 0.001 and abs(y - north) < 0.001, (feat["id"], x, east, y, north)


def test_where_is_pushed_down_as_a_cql_filter(mapped: Any) -> None:
    """GDAL 3.6 finds ``filter-lang`` (``cql-text``) on the items operation of the OpenAPI
    document and sends its ``-where`` as ``filter``: the server filters, GDAL pages through
    the matches only."""
    exe = shutil.which("ogrinfo")
    assert exe is not None
    where = "material = 'pe' AND diameter_mm >= 200"
    out = subprocess.run(
        [exe, "-ro", "-al", "-so", "--debug", "on", "--config", "GDAL_HTTP_AUTH", "BASIC",
         "--config", "GDAL_HTTP_USERPWD", USERPWD, "-where", where, "-oo", "PAGE_SIZE=1000",
         f"OAPIF:{mapped.url}/api", "pipelines"], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    count = int(re.search(r"Feature Count: (\d+)", out.stdout).group(1))  # type: ignore[union-attr]
    expected = get(mapped, "/api/collections/pipelines/items?limit=1&material=pe"
                   "&filter=diameter_mm%3E%3D200")["numberMatched"]
    assert count == expected > 0
    fetched = re.findall(r"HTTP: Fetch\((\S+)\)", out.stderr + out.stdout)
    items = [url for url in fetched if "/items" in url]
    # One unfiltered page sets up the layer's fields; then the filtered one, whose
    # numberMatched is the count: no walk through every page.
    assert "filter=" in items[-1] and "filter-lang=cql-text" in items[-1], fetched
    assert len(items) <= 3, items
