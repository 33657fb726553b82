from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from resilience import codes, geo
from resilience.divisions import covers, division_prefix, level_of
from resilience.errors import InvalidInput


def test_code_lists_accept_words_cjj_codes_and_labels() -> None:
    cats = codes.PIPELINE_CATEGORIES
    assert cats.normalise("gas") == cats.normalise("RQ") == cats.normalise("燃气") == "gas"
    assert cats.normalise("rq") == "gas"
    assert cats.normalise("蒸汽") is None
    assert codes.PIPELINE_SUBCATEGORIES.normalise("TR") == "natural_gas"
    assert codes.MATERIALS.normalise("球墨铸铁") == "ductile_iron"
    assert cats.get("drainage").colour == "#4C3926"
    assert [c.value for c in codes.PIPELINE_SUBCATEGORIES.children("heat")] == [
        "hot_water", "steam"]


@pytest.mark.parametrize(("code", "prefix", "level"), [
    ("330000", "33", "province"), ("330100", "3301", "city"),
    ("330106", "330106", "county"), ("330106001", "330106001", "township"),
])
def test_division_prefixes(code: str, prefix: str, level: str) -> None:
    assert division_prefix(code) == prefix
    assert level_of(code) == level


def test_covers_is_this_and_below() -> None:
    assert covers(("3301",), "330106")
    assert covers(("330106",), "330106001")
    assert not covers(("330106",), "330102")
    assert not covers((), "330106")
    assert not covers(("3301",), None)


def test_parse_crs_forms() -> None:
    assert geo.parse_crs(None).is_crs84
    assert geo.parse_crs("http://www.opengis.net/def/crs/OGC/1.3/CRS84").is_crs84
    assert geo.parse_crs("EPSG:4549").epsg == 4549
    assert geo.parse_crs("http://www.opengis.net/def/crs/EPSG/0/4490").epsg == 4490
    assert geo.parse_crs("urn:ogc:def:crs:EPSG::4326").epsg == 4326
    assert geo.parse_crs("gcj02").offset == geo.GCJ02
    with pytest.raises(InvalidInput) as err:
        geo.parse_crs("EPSG:999999", field="bbox-crs")
    assert err.value.problems[0].field == "bbox-crs"


def test_gauss_kruger_round_trip_and_axis_order() -> None:
    p = Point(120.15, 30.28)
    gk = geo.parse_crs("EPSG:4549")
    north_first = geo.from_storage(p, gk, axis_order="authority")
    east_first = geo.from_storage(p, gk, axis_order="gis")
    assert north_first.x == pytest.approx(east_first.y)
    assert 3_300_000 < north_first.x < 3_400_000  # northing
    assert 400_000 < east_first.x < 600_000  # false easting 500 km
    back = geo.to_storage(north_first, gk, axis_order="authority")
    assert back.distance(p) < 1e-9
    zone_prefixed = geo.from_storage(p, geo.parse_crs("EPSG:4528"))
    assert zone_prefixed.x == pytest.approx(40_000_000 + east_first.x)


def test_epsg_4490_authority_order_is_lat_lon() -> None:
    p = Point(120.15, 30.28)
    out = geo.from_storage(p, geo.parse_crs("EPSG:4490"), axis_order="authority")
    assert (out.x, out.y) == (30.28, 120.15)


def test_gcj02_offsets_and_inverse() -> None:
    lon, lat = np.array([120.15]), np.array([30.28])
    glon, glat = geo.wgs84_to_gcj02(lon, lat)
    shift = np.hypot((glon - lon) * 96_000, (glat - lat) * 111_000)[0]
    assert 300 < shift < 700  # Hangzhou's offset is ~500 m
    wlon, wlat = geo.gcj02_to_wgs84(glon, glat)
    assert abs(wlon[0] - 120.15) < 1e-8 and abs(wlat[0] - 30.28) < 1e-8
    blon, blat = geo.gcj02_to_bd09(glon, glat)
    back = geo.bd09_to_gcj02(blon, blat)
    assert abs(back[0][0] - glon[0]) < 2e-6
    outside = geo.wgs84_to_gcj02(np.array([2.35]), np.array([48.85]))
    assert outside[0][0] == 2.35


def test_bbox_to_storage_from_gauss_kruger() -> None:
    gk = geo.parse_crs("EPSG:4549")
    p = geo.from_storage(Point(120.15, 30.28), gk, axis_order="authority")
    box = (p.x - 500, p.y - 500, p.x + 500, p.y + 500)  # northing, easting order
    minx, miny, maxx, maxy = geo.bbox_to_storage(box, gk)
    assert minx < 120.15 < maxx and miny < 30.28 < maxy
    assert shapely.box(minx, miny, maxx, maxy).area < 0.001
