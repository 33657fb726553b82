"""The demo's water hazards: waterlogging around flood points, river floods, typhoon surges.

- 城市内涝风险区: nested 20/50/100-year zones (class 5/4/3, ``data/design_storms.csv``)
  around the demo's flood points and the low-lying areas the city's surveys name
  (``data/lowlands.csv``); deeper ponding spreads wider.
- 洪水淹没区: 50/100-year corridors along the Qiantang (class 4/3) and the Fuchun (3/2),
  outside the channel (``data/river_floods.csv``).
- 台风风暴潮影响区: the Qiantang estuary in 钱塘区 and eastern 萧山, where typhoon surges
  ride the tidal bore (``data/storm_surges.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from demo.data import csv_rows
from demo.space import district_name, to_metres
from demo.zone_parts import FUCHUN, DemoZone, FloodSite, blob, clipped, seed_of

ESTUARY_WEST = (120.30, 30.25)  # surges reach up the estuary to about 下沙 and 萧山城区
ESTUARY_REACH_M = 6000.0


@dataclass(frozen=True)
class Storm:
    """A design storm: its zone class, reach around a flood point, share of a lowland, depth."""

    return_period_years: int
    hazard_class: int
    site_radius_m: float
    lowland_share: float
    depth_m: float


@dataclass(frozen=True)
class Lowland:
    """A low-lying built-up area named by the city's waterlogging surveys."""

    division_code: str
    name: str
    lon: float
    lat: float
    radius_m: float


@dataclass(frozen=True)
class RiverFlood:
    """A flood corridor along a river for one return period, outside its channel."""

    river: str
    course: str  # qiantang (the county border) or fuchun (data/landscape.json)
    channel_m: float
    return_period_years: int
    hazard_class: int
    reach_m: float
    depth_m: float


STORMS: tuple[Storm, ...] = tuple(
    Storm(int(r["return_period_years"]), int(r["hazard_class"]), float(r["site_radius_m"]),
          float(r["lowland_share"]), float(r["depth_m"]))
    for r in csv_rows("design_storms.csv"))
LOWLANDS: tuple[Lowland, ...] = tuple(
    Lowland(r["division_code"], r["name"], float(r["lon"]), float(r["lat"]), float(r["radius_m"]))
    for r in csv_rows("lowlands.csv"))
RIVER_FLOODS: tuple[RiverFlood, ...] = tuple(
    RiverFlood(r["river"], r["course"], float(r["channel_half_width_m"]),
               int(r["return_period_years"]), int(r["hazard_class"]), float(r["reach_m"]),
               float(r["depth_m"]))
    for r in csv_rows("river_floods.csv"))


def waterlogging(rng: np.random.Generator, counties_m: Mapping[str, BaseGeometry],
                 sites: Sequence[FloodSite], seed: int) -> list[DemoZone]:
    """Nested design-storm zones per county around its flood points and lowlands."""
    areas: dict[str, dict[int, list[BaseGeometry]]] = {}
    lowlands = {low.name: (low.division_code, to_metres(Point(low.lon, low.lat)), low.radius_m)
                for low in LOWLANDS}
    shapes = {name: (rng.uniform(1.2, 1.8), rng.uniform(0, math.pi)) for name in lowlands}
    for storm in STORMS:
        period = storm.return_period_years
        for site in sites:
            p = to_metres(site.geom)
            deep = 1.0 + min(site.max_depth_cm, 60.0) / 120.0  # deeper ponding spreads wider
            areas.setdefault(site.division_code, {}).setdefault(period, []).append(
                blob(np.random.default_rng([seed, seed_of(site.name), period]), p.x, p.y,
                     storm.site_radius_m * deep))
        for name, (code, centre, r) in lowlands.items():
            stretch, angle = shapes[name]
            areas.setdefault(code, {}).setdefault(period, []).append(
                blob(np.random.default_rng([seed, seed_of(name), period]), centre.x, centre.y,
                     r * storm.lowland_share, stretch, angle))
    out = []
    for code in sorted(areas):
        sites_here = sum(1 for s in sites if s.division_code == code)
        for storm in STORMS:
            period = storm.return_period_years
            geom = clipped(shapely.union_all(areas[code][period]), counties_m[code])
            if geom is None:
                continue
            out.append(DemoZone(
                f"{district_name(code)}城市内涝风险区（{period}年一遇）", "waterlogging",
                storm.hazard_class, code, geom, period, storm.depth_m, "m", "杭州市城市管理局",
                f"{period}年一遇设计暴雨下的积水范围；含易涝点 {sites_here} 处及低洼片区"))
    return out


def river_floods(counties_m: Mapping[str, BaseGeometry], river_m: BaseGeometry
                 ) -> list[DemoZone]:
    """Flood corridors along the Qiantang and the Fuchun, per county they cross."""
    courses = {"qiantang": river_m, "fuchun": to_metres(LineString(FUCHUN))}
    out = []
    water: dict[str, BaseGeometry] = {}
    for flood in RIVER_FLOODS:
        line = courses[flood.course]
        if flood.river not in water:
            water[flood.river] = line.buffer(flood.channel_m)
        corridor = shapely.difference(line.buffer(flood.reach_m), water[flood.river])
        period = flood.return_period_years
        for code in sorted(counties_m):  # a county the river only grazes gets no zone
            geom = clipped(corridor, counties_m[code], min_area=1_000_000)
            if geom is None:
                continue
            out.append(DemoZone(
                f"{flood.river}{district_name(code)}段洪水淹没区（{period}年一遇）", "flood",
                flood.hazard_class, code, geom, period, flood.depth_m, "m", "杭州市林业水利局",
                f"{flood.river}{period}年一遇洪水位下的淹没范围（堤防以外）"))
    return out


def surge(counties_m: Mapping[str, BaseGeometry], river_m: BaseGeometry) -> list[DemoZone]:
    """The estuary east of 下沙 and 萧山城区, where typhoon surges ride the tidal bore."""
    east = to_metres(Point(*ESTUARY_WEST)).x
    minx, miny, maxx, maxy = shapely.union(counties_m["330114"], counties_m["330109"]).bounds
    estuary = shapely.intersection(river_m.buffer(ESTUARY_REACH_M),
                                   shapely.box(east, miny, maxx, maxy))
    out = []
    for r in csv_rows("storm_surges.csv"):
        code, cls, period = r["division_code"], int(r["hazard_class"]), int(r["return_period_years"])
        metres = float(r["surge_m"])
        geom = clipped(estuary, counties_m[code])
        if geom is not None:
            out.append(DemoZone(f"钱塘江河口{district_name(code)}台风风暴潮影响区", "typhoon_surge",
                                cls, code, geom, period, metres, "m", "杭州市应急管理局",
                                f"台风与天文大潮叠加时风暴增水约 {metres} m；沿江海塘外侧及低洼地"))
    return out
