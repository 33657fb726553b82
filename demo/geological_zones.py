"""The demo's geological hazards in the western hills, where slopes fail in heavy rain.

地质灾害易发区 (class 2–4) over 临安, 富阳, 建德, 淳安, 桐庐 (their county seats and the
Fuchun valley left out), 西湖区's hills west of West Lake and 余杭's north-west; 风险防范区
(class 4–5) as small zones around slopes that have failed or may. The outlines live in
``data/landscape.json``: county seats, the steepest belt of each county as a lon/lat
half-plane, the hills of 西湖区 and 余杭.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from demo.data import json_data
from demo.space import district_name, to_metres, transformers
from demo.zone_parts import FUCHUN, DemoZone, blob, clipped

ISSUER = "杭州市规划和自然资源局"
HAZARDS = ("滑坡", "崩塌", "泥石流")
XIHU = "330106"
SEAT_CLEARANCE_M = 6000.0  # towns and their valleys are not where slopes fail
VALLEY_HALF_WIDTH_M = 1500.0


def geological(rng: np.random.Generator, counties_m: Mapping[str, BaseGeometry]
               ) -> list[DemoZone]:
    """Susceptibility zones of the western counties and hills, with prevention zones inside."""
    landscape = json_data("landscape.json")
    seats: dict[str, list[float]] = landscape["county_seats"]
    out = []
    for code in sorted(seats):
        county = counties_m[code]
        seat = to_metres(Point(*seats[code])).buffer(SEAT_CLEARANCE_M)
        valley = to_metres(LineString(FUCHUN)).buffer(VALLEY_HALF_WIDTH_M)
        hills = shapely.difference(county, shapely.union(seat, valley))
        geom = clipped(hills, county)
        if geom is not None:
            out.append(DemoZone(f"{district_name(code)}地质灾害中易发区", "geological_susceptibility",
                                3, code, geom, issuing_unit=ISSUER,
                                remarks="低山丘陵区，坡度较陡，降雨诱发滑坡、崩塌为主"))
        steep = _half_plane(county, landscape["steep_belts"][code])
        if steep is not None:
            geom = clipped(shapely.difference(steep, seat), county)
            if geom is not None:
                out.append(DemoZone(f"{district_name(code)}地质灾害高易发区",
                                    "geological_susceptibility", 4, code, geom, issuing_unit=ISSUER,
                                    remarks="中低山区，切割强烈，强降雨时易发滑坡、泥石流"))
        out += _prevention(rng, code, steep if steep is not None else hills, county, HAZARDS,
                           count=3)
    for code, belt in landscape["low_hills"].items():  # 余杭's north-west (径山、鸬鸟 hills)
        county = counties_m[code]
        low = _half_plane(county, belt)
        if low is not None:
            geom = clipped(low, county)
            if geom is not None:
                out.append(DemoZone(f"{district_name(code)}地质灾害低易发区",
                                    "geological_susceptibility", 2, code, geom,
                                    issuing_unit=ISSUER, remarks="低丘缓坡区"))
    xihu = counties_m[XIHU]  # west of West Lake: 龙井、梅家坞、转塘 hills
    hills = to_metres(Polygon(landscape["xihu_hills"]))
    geom = clipped(hills, xihu)
    if geom is not None:
        out.append(DemoZone(f"{district_name(XIHU)}西部山区地质灾害中易发区",
                            "geological_susceptibility", 3, XIHU, geom, issuing_unit=ISSUER,
                            remarks="龙井、梅家坞一带丘陵，切坡建房处易发小型崩塌"))
        out += _prevention(rng, XIHU, shapely.intersection(hills, xihu), xihu, HAZARDS, count=1)
    return out


def _half_plane(county_m: BaseGeometry, belt: Mapping[str, Any]) -> BaseGeometry | None:
    """The part of a county whose lon/lat passes a belt's limits, from a 2 km raster of it.

    ``belt`` holds any of ``lon_below``, ``lon_above``, ``lat_below``, ``lat_above``, all of
    which a cell's centre must pass.
    """
    minx, miny, maxx, maxy = county_m.bounds
    step = 2000.0
    grid_x, grid_y = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    xs, ys = grid_x.ravel(), grid_y.ravel()
    lon, lat = transformers()[1].transform(xs + step / 2, ys + step / 2)
    lon, lat = np.asarray(lon), np.asarray(lat)
    keep = np.ones(len(xs), dtype=bool)
    for limit, value in belt.items():
        axis = lon if limit.startswith("lon") else lat
        keep &= (axis < value) if limit.endswith("_below") else (axis > value)
    if not keep.any():
        return None
    cells = shapely.box(xs[keep], ys[keep], xs[keep] + step, ys[keep] + step)
    return shapely.intersection(shapely.union_all(cells), county_m)


def _prevention(rng: np.random.Generator, code: str, area_m: BaseGeometry,
                county_m: BaseGeometry, hazards: Sequence[str], count: int
                ) -> list[DemoZone]:
    """Small zones around slopes that have failed or may (隐患点), inside the steep area."""
    out: list[DemoZone] = []
    inner = shapely.buffer(area_m, -600)
    if inner.is_empty:
        return out
    minx, miny, maxx, maxy = inner.bounds
    tries = 0
    shapely.prepare(inner)
    while len(out) < count and tries < 400:
        tries += 1
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not inner.contains(Point(x, y)):
            continue
        hazard = hazards[len(out) % len(hazards)]
        shape = blob(rng, x, y, rng.uniform(220, 450), rng.uniform(1.2, 2.0),
                     rng.uniform(0, np.pi))
        geom = clipped(shape, county_m)
        if geom is None:
            continue
        n = len(out) + 1
        out.append(DemoZone(f"{district_name(code)}{hazard}隐患点风险防范区（{n}号）",
                            "geological_prevention", 5 if n == 1 else 4, code, geom,
                            issuing_unit=ISSUER,
                            remarks=f"{hazard}隐患点及其影响范围；汛期专人监测，强降雨时转移受威胁群众"))
    return out
