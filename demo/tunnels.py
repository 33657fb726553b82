"""The demo's two utility tunnels (综合管廊), their cabins, the lines they carry, their openings.

A trunk tunnel in 钱塘区 and a branch in 滨江区 (``data/tunnels.json``): each a polyline
from a start point by bearings and leg lengths, with cabins laid out as GB 50838 asks (gas
alone, no heat beside power cables) and the pipelines inside them cut into ~100 m segments
between their own network points. Openings follow the usual spacing: ventilation every
200 m, material entries, access and monitoring points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from demo.columns import WKT_DIGITS, Columns, lengths, rows_to_columns
from demo.data import json_data
from demo.pipe_attributes import PIPE_ATTRS, line_owner, subcategory_zh
from demo.space import district_name, space

SURVEYED = date(2024, 5, 20)


@dataclass(frozen=True)
class TunnelLine:
    """A pipeline carried in a cabin, offset from the tunnel's centreline."""

    category: str
    subcategory: str
    offset_m: float
    attrs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Cabin:
    """A cabin of a tunnel (GB 50838: gas alone, no heat beside power cables)."""

    name: str
    use: str
    lines: tuple[TunnelLine, ...]


@dataclass(frozen=True)
class TunnelSpec:
    """A utility tunnel: a polyline from a start point by bearings and leg lengths."""

    name: str
    tunnel_type: str
    district: str
    start: tuple[float, float]
    legs: tuple[tuple[float, float], ...]  # (bearing in degrees from north, metres)
    width_m: float
    height_m: float
    build_year: int
    owner: str
    cabins: tuple[Cabin, ...]


@dataclass(frozen=True)
class NodeRule:
    """An opening repeated along every tunnel: every so many metres from a first position."""

    kind: str
    name: str
    every_m: float
    first_m: float


@dataclass
class DemoTunnel:
    """A tunnel's row, its cabins with the pipelines they carry, its nodes."""

    row: dict[str, Any]
    cabins: list[dict[str, Any]]  # name, use, fire_compartment_m, lines: pipeline indices
    nodes: list[dict[str, Any]]


def _spec(t: dict[str, Any]) -> TunnelSpec:
    """A tunnel of the data file as a frozen spec."""
    cabins = tuple(Cabin(c["name"], c["use"], tuple(
        TunnelLine(line["category"], line["subcategory"], line["offset_m"],
                   tuple(sorted(line["attrs"].items())))
        for line in c["lines"])) for c in t["cabins"])
    return TunnelSpec(t["name"], t["tunnel_type"], t["district"], (t["start"][0], t["start"][1]),
                      tuple((bearing, metres) for bearing, metres in t["legs"]), t["width_m"],
                      t["height_m"], t["build_year"], t["owner"], cabins)


_DATA = json_data("tunnels.json")
TUNNELS: tuple[TunnelSpec, ...] = tuple(_spec(t) for t in _DATA["tunnels"])
OPERATOR: str = _DATA["operator"]
NODE_RULES: tuple[NodeRule, ...] = tuple(
    NodeRule(n["kind"], n["name"], n["every_m"], n["first_m"]) for n in _DATA["nodes"])


def _centreline(spec: TunnelSpec) -> LineString:
    """The tunnel's centreline in metres."""
    x, y = space().to_m.transform(*spec.start)
    coords = [(x, y)]
    for bearing, metres in spec.legs:
        b = math.radians(bearing)
        x, y = x + metres * math.sin(b), y + metres * math.cos(b)
        coords.append((x, y))
    return LineString(coords)


def _nodes(spec: TunnelSpec, line: LineString) -> list[dict[str, Any]]:
    """Openings along the tunnel: ventilation every 200 m, material entries, access, sensors."""
    where = space()
    found: list[tuple[float, str, str]] = []
    for rule in NODE_RULES:
        at = np.arange(rule.first_m, line.length + 1, rule.every_m)
        if rule.kind == "access":
            at = np.unique(np.append(at, line.length))
        found += [(float(d), rule.kind, f"{n + 1}号{rule.name}") for n, d in enumerate(at)]
    if spec.tunnel_type == "trunk":
        found.append((line.length / 2, "branch", "1号管线分支口"))
    found.sort()
    nodes = []
    for position, (d, kind, name) in enumerate(found):
        p = line.interpolate(d)
        lon, lat = where.to_ll.transform(p.x, p.y)
        nodes.append({"position": position, "kind": kind, "name": name,
                      "lon": round(lon, WKT_DIGITS), "lat": round(lat, WKT_DIGITS)})
    return nodes


def _line_rows(tl: TunnelLine,
               centre: LineString) -> tuple[list[BaseGeometry], list[BaseGeometry]]:
    """Segments of about 100 m along one carried line, and their end points (lon/lat)."""
    where = space()
    path = centre.offset_curve(tl.offset_m)
    stops = np.linspace(0, path.length, math.ceil(path.length / 100) + 1)
    segs = [where.lonlat(substring(path, a, b)) for a, b in zip(stops[:-1], stops[1:], strict=True)]
    points = [where.lonlat(path.interpolate(d)) for d in stops]
    return segs, points


def tunnels(budget: int) -> tuple[list[DemoTunnel], Columns, Columns]:
    """Both tunnels with the pipelines in their cabins, at most `budget` segments in all."""
    plans: list[DemoTunnel] = []
    seg_rows: list[dict[str, Any]] = []
    point_rows: list[dict[str, Any]] = []
    for t_index, spec in enumerate(TUNNELS):
        centre = _centreline(spec)
        geom = space().lonlat(centre)
        _assert_inside(spec.district, geom)
        row = {"name": spec.name, "external_id": f"GL-{spec.district}-{t_index + 1:04d}",
               "geom": geom, "tunnel_type": spec.tunnel_type, "width_m": spec.width_m,
               "height_m": spec.height_m, "build_year": spec.build_year,
               "design_life_years": 100, "owner": spec.owner, "operator": OPERATOR,
               "status": "in_service", "condition_grade": 1,
               "length_m": lengths(np.array([geom], dtype=object))[0],
               "address": district_name(spec.district) + spec.name.removesuffix("综合管廊"),
               "survey_date": SURVEYED, "division_code": spec.district}
        cabins = []
        for cabin in spec.cabins:
            lines: list[int] = []
            for tl in cabin.lines:
                segs, points = _line_rows(tl, centre)
                for n, seg in enumerate(segs):
                    if len(seg_rows) >= budget:
                        break
                    _assert_inside(spec.district, seg)
                    if n == 0:
                        point_rows.append(_point(spec, tl, points[0], 0, len(segs)))
                    start = len(point_rows) - 1
                    point_rows.append(_point(spec, tl, points[n + 1], n + 1, len(segs)))
                    lines.append(len(seg_rows))
                    seg_rows.append(_segment(spec, cabin, tl, seg, start, len(point_rows) - 1))
            cabins.append({"name": cabin.name, "use": cabin.use, "fire_compartment_m": 200.0,
                           "lines": lines})
        plans.append(DemoTunnel(row, cabins, _nodes(spec, centre)))
    return plans, rows_to_columns(point_rows), rows_to_columns(seg_rows)


def _point(spec: TunnelSpec, tl: TunnelLine, p: BaseGeometry, n: int,
           last: int) -> dict[str, Any]:
    """A point on a tunnel line: valves on pipes, joints on cables."""
    if tl.category in ("power", "telecom"):
        kind = "cable_joint" if n % 3 == 0 or n == last else "feature_point"
    else:
        kind = "valve" if n % 4 == 0 else "feature_point"
    return {"geom": p, "kind": kind, "category": tl.category, "ground_elevation_m": 6.5,
            "depth_m": 3.2, "owner": line_owner(tl.category), "status": "in_service",
            "condition_grade": 1, "build_year": spec.build_year, "name": None,
            "address": district_name(spec.district) + spec.name,
            "survey_date": SURVEYED, "division_code": spec.district}


def _segment(spec: TunnelSpec, cabin: Cabin, tl: TunnelLine, seg: BaseGeometry,
             start: int, end: int) -> dict[str, Any]:
    """A pipeline segment inside a cabin (burial: utility tunnel)."""
    attrs = dict.fromkeys(PIPE_ATTRS) | dict(tl.attrs)
    sub_zh = subcategory_zh(tl.subcategory)
    attrs.update(burial_method="utility_tunnel", owner=line_owner(tl.category),
                 operator=line_owner(tl.category), status="in_service")
    return attrs | {
        "geom": seg, "name": f"{spec.name}{cabin.name}{sub_zh}管线", "category": tl.category,
        "subcategory": tl.subcategory, "start_depth_m": 3.2, "end_depth_m": 3.2,
        "build_year": spec.build_year, "condition_grade": 1, "start_point": start,
        "end_point": end, "length_m": lengths(np.array([seg], dtype=object))[0],
        "address": district_name(spec.district) + spec.name,
        "survey_date": SURVEYED, "division_code": spec.district,
    }


def _assert_inside(district: str, geom: BaseGeometry) -> None:
    """Fail loudly if a fixed demo feature strays out of its district."""
    if not space().districts[district].ll.contains(geom):
        raise ValueError(f"demo geometry outside {district}: {geom.wkt[:80]}")
