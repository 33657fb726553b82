"""The demo city's hazards: plausible hazard zones and a few hand-entered risk points.

Not official maps (DOMAIN.md §2 marks the sources **[?]**): shapes that look like what a
city's census would hold, laid on the demo's real districts so the risk maps have something
to say. Deterministic (fixed shapes, a seeded generator), built in EPSG:4549 metres and
stored in lon/lat snapped to 1e-7°, which keeps every polygon valid.

- 城市内涝风险区: nested 20/50/100-year zones (class 5/4/3) around the demo's flood points
  and known low-lying areas of the urban districts.
- 洪水淹没区: 50/100-year corridors along the Qiantang (class 4/3) and the Fuchun (3/2).
- 地质灾害易发区 (class 2–4) and 风险防范区 (class 4–5) in the western hills: 西湖区's
  hills, 临安, 富阳, 建德, 淳安, 桐庐 (and 余杭's north-west).
- 地震烈度区: the whole city at VI 度 (GB 18306—2015: 0.05 g), class 2.
- 台风风暴潮影响区: the Qiantang estuary in 钱塘区 and eastern 萧山, class 4 and 3.

Risk points are the kind people enter by hand: filling stations and gas valves by the demo's
gas mains, deep excavations beside its utility tunnels; LEC and LS, each with its unit and
measures. Their score and level come from :func:`risk.points.derive`, as on every write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import WKTElement
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory import NetworkPoint, Pipeline, Tunnel
from resilience.model import SRID, now
from risk.hazard_zones import HazardZone
from risk.points import RiskPoint, derive

DATA_SOURCE = "demo"
CREATED_BY = "demo"
WORK_EPSG = 4549  # CGCS2000 Gauss-Krüger CM 120°E, as the demo's streets
GRID = 1e-7  # degrees (~1 cm): stored vertices snap to it, which keeps polygons valid
MIN_AREA_M2 = 5_000.0  # slivers left by clipping are dropped
SURVEYED = date(2025, 6, 30)
CITY = "330100"

NAMES = {"330102": "上城区", "330105": "拱墅区", "330106": "西湖区", "330108": "滨江区",
         "330109": "萧山区", "330110": "余杭区", "330111": "富阳区", "330112": "临安区",
         "330113": "临平区", "330114": "钱塘区", "330122": "桐庐县", "330127": "淳安县",
         "330182": "建德市"}


@dataclass(frozen=True)
class FloodSite:
    """A demo flood point as the waterlogging zones need it."""

    geom: Point  # lon/lat
    division_code: str
    name: str
    max_depth_cm: float


@dataclass(frozen=True)
class DemoZone:
    """One hazard zone, ready to insert."""

    name: str
    kind: str
    hazard_class: int
    division_code: str
    geom: BaseGeometry  # lon/lat, valid, polygonal
    return_period_years: int | None = None
    intensity: float | None = None
    intensity_unit: str | None = None
    issuing_unit: str | None = None
    remarks: str | None = None


@dataclass(frozen=True)
class DemoPoint:
    """One hand-entered risk point: where, what, its factors, who controls it and how."""

    name: str
    category: str
    method: str
    factors: dict[str, float]
    responsible_unit: str
    control_measures: str
    division_code: str
    geom: Point
    assessed_at: date
    next_review_at: date
    preset: str | None = None
    asset: tuple[str, int] | None = None  # collection, id
    tunnel_id: int | None = None
    address: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- metres


@lru_cache(maxsize=1)
def _transformers() -> tuple[Transformer, Transformer]:
    return (Transformer.from_crs(SRID, WORK_EPSG, always_xy=True),
            Transformer.from_crs(WORK_EPSG, SRID, always_xy=True))


def _m(geom: BaseGeometry) -> BaseGeometry:
    to_m = _transformers()[0]
    return shapely.transform(geom, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))


def _ll(geom: BaseGeometry) -> BaseGeometry:
    to_ll = _transformers()[1]
    return shapely.transform(geom, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))


def _blob(rng: np.random.Generator, x: float, y: float, radius: float,
          stretch: float = 1.0, angle: float = 0.0) -> Polygon:
    """An irregular round area (a few smooth harmonics on the radius), not a drawn circle."""
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    r = np.ones_like(t)
    for k in (2, 3, 5):
        r += rng.uniform(0.03, 0.12) * np.sin(k * t + rng.uniform(0, 2 * math.pi))
    px, py = radius * stretch * r * np.cos(t), radius * r * np.sin(t)
    ca, sa = math.cos(angle), math.sin(angle)
    return Polygon(np.column_stack([x + px * ca - py * sa, y + px * sa + py * ca]))


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygons of a (clipped) geometry, slivers dropped; None when nothing is left."""
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom))
             if isinstance(p, Polygon) and p.area >= MIN_AREA_M2]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _stored(geom_m: BaseGeometry, within: BaseGeometry | None = None) -> BaseGeometry | None:
    """A metric polygon in lon/lat on the storage grid, checked valid.

    Clipped again in lon/lat to ``within`` (a county as stored): a straight edge in metres
    bows a few centimetres away from the same edge in degrees.
    """
    ll = _ll(geom_m)
    if within is not None:
        ll = shapely.intersection(ll, within)
    ll = shapely.set_precision(ll, GRID)
    parts = [p for p in shapely.get_parts(ll) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        return None
    out = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    assert out.is_valid, shapely.is_valid_reason(out)
    return out


def _clipped(area_m: BaseGeometry, county_m: BaseGeometry, min_area: float = MIN_AREA_M2
             ) -> BaseGeometry | None:
    inside = _polygonal(shapely.intersection(area_m, county_m))
    if inside is not None and inside.area < min_area:
        return None
    # The county back in lon/lat has the stored vertices again (to 1e-12°).
    return _stored(inside, _ll(county_m)) if inside is not None else None


# --------------------------------------------------------------------------- zones

# Low-lying built-up areas the city's waterlogging surveys name (centre lon/lat, radius m).
_LOWLANDS = (
    ("330105", "大关—半山", 120.158, 30.322, 900),
    ("330102", "九堡—彭埠", 120.245, 30.300, 1100),
    ("330106", "西溪", 120.075, 30.272, 900),
    ("330108", "浦沿", 120.160, 30.178, 700),
    ("330109", "城厢", 120.268, 30.168, 900),
    ("330110", "良渚", 120.040, 30.375, 800),
    ("330113", "临平老城", 120.300, 30.420, 800),
    ("330114", "下沙", 120.335, 30.300, 1000),
)
# Design storms: return period, class, zone radius around a flood point, share of a lowland.
_STORMS = ((20, 5, 160.0, 0.35, 0.3), (50, 4, 380.0, 0.65, 0.45), (100, 3, 750.0, 1.0, 0.6))
# The Fuchun from 建德 down to where it meets the Qiantang at 之江 (lon/lat, approximate).
_FUCHUN = ((119.28, 29.48), (119.42, 29.52), (119.55, 29.56), (119.62, 29.68),
           (119.69, 29.79), (119.78, 29.86), (119.86, 29.94), (119.96, 30.04),
           (120.04, 30.08), (120.10, 30.11), (120.15, 30.13))
# County seats of the western hills: towns and their valleys are not where slopes fail.
_SEATS = {"330112": (119.72, 30.23), "330111": (119.96, 30.05), "330182": (119.28, 29.48),
          "330127": (119.04, 29.61), "330122": (119.69, 29.80)}
# The steepest parts of each western county (mountain belts), as simple half-planes in lon/lat.
_STEEP = {"330112": lambda x, y: x < 119.45, "330127": lambda x, y: y > 29.72,
          "330182": lambda x, y: y < 29.42, "330122": lambda x, y: x < 119.55,
          "330111": lambda x, y: y < 29.92}
# West of West Lake: 龙井、梅家坞、转塘 hills (西湖区's share of the western hills).
_XIHU_HILLS = ((120.03, 30.15), (120.12, 30.15), (120.14, 30.19), (120.12, 30.23),
               (120.09, 30.255), (120.05, 30.26), (120.02, 30.22))


def zones(counties: Mapping[str, BaseGeometry], city: BaseGeometry, river: BaseGeometry,
          flood_sites: Sequence[FloodSite], seed: int = 2026) -> list[DemoZone]:
    """Every demo hazard zone (pure: same inputs, same zones).

    ``counties`` and ``city`` are the stored boundaries (lon/lat); the source's county
    polygons reach a little past the city's into the bay, so zones stay inside both.
    """
    rng = np.random.default_rng(seed)
    counties_m = {}
    for code, poly in counties.items():
        parts = [p for p in shapely.get_parts(shapely.make_valid(shapely.intersection(poly, city)))
                 if isinstance(p, Polygon) and p.area > 0]
        counties_m[code] = _m(MultiPolygon(parts) if len(parts) > 1 else parts[0])
    out: list[DemoZone] = []
    out += _waterlogging(rng, counties_m, flood_sites, seed)
    out += _river_floods(counties_m, _m(river))
    out += _geological(rng, counties_m)
    out += _seismic(city)
    out += _surge(counties_m, _m(river))
    return out


def _waterlogging(rng: np.random.Generator, counties_m: Mapping[str, BaseGeometry],
                  sites: Sequence[FloodSite], seed: int) -> list[DemoZone]:
    areas: dict[str, dict[int, list[BaseGeometry]]] = {}
    lowlands = {name: (code, _m(Point(lon, lat)), r) for code, name, lon, lat, r in _LOWLANDS}
    shapes = {name: (rng.uniform(1.2, 1.8), rng.uniform(0, math.pi)) for name in lowlands}
    for period, _cls, radius, share, _depth in _STORMS:
        for site in sites:
            p = _m(site.geom)
            deep = 1.0 + min(site.max_depth_cm, 60.0) / 120.0  # deeper ponding spreads wider
            areas.setdefault(site.division_code, {}).setdefault(period, []).append(
                _blob(np.random.default_rng([seed, seed_of(site.name), period]), p.x, p.y,
                      radius * deep))
        for name, (code, centre, r) in lowlands.items():
            stretch, angle = shapes[name]
            areas.setdefault(code, {}).setdefault(period, []).append(
                _blob(np.random.default_rng([seed, seed_of(name), period]), centre.x, centre.y,
                      r * share, stretch, angle))
    out = []
    for code in sorted(areas):
        sites_here = sum(1 for s in sites if s.division_code == code)
        for period, cls, _r, _share, depth in _STORMS:
            geom = _clipped(shapely.union_all(areas[code][period]), counties_m[code])
            if geom is None:
                continue
            out.append(DemoZone(
                f"{NAMES[code]}城市内涝风险区（{period}年一遇）", "waterlogging", cls, code, geom,
                period, depth, "m", "杭州市城市管理局",
                f"{period}年一遇设计暴雨下的积水范围；含易涝点 {sites_here} 处及低洼片区"))
    return out


def seed_of(text: str) -> int:
    """A stable integer for a name (Python's hash() changes between processes)."""
    return int.from_bytes(text.encode("utf-8")[:16].ljust(16, b"\0"), "big") % (2**32)


def _river_floods(counties_m: Mapping[str, BaseGeometry], river_m: BaseGeometry
                  ) -> list[DemoZone]:
    fuchun_m = _m(LineString(_FUCHUN))
    rivers = (
        ("钱塘江", river_m, 600.0, ((50, 4, 1100.0, 1.2), (100, 3, 1900.0, 2.0))),
        ("富春江", fuchun_m, 150.0, ((50, 3, 500.0, 1.0), (100, 2, 1100.0, 1.8))),
    )
    out = []
    for river_name, line, channel, periods in rivers:
        water = line.buffer(channel)
        for period, cls, reach, depth in periods:
            corridor = shapely.difference(line.buffer(reach), water)
            for code in sorted(counties_m):  # a county the river only grazes gets no zone
                geom = _clipped(corridor, counties_m[code], min_area=1_000_000)
                if geom is None:
                    continue
                out.append(DemoZone(
                    f"{river_name}{NAMES[code]}段洪水淹没区（{period}年一遇）", "flood", cls, code,
                    geom, period, depth, "m", "杭州市林业水利局",
                    f"{river_name}{period}年一遇洪水位下的淹没范围（堤防以外）"))
    return out


def _geological(rng: np.random.Generator, counties_m: Mapping[str, BaseGeometry]
                ) -> list[DemoZone]:
    out = []
    issuer = "杭州市规划和自然资源局"
    hazards = ("滑坡", "崩塌", "泥石流")
    for code in sorted(_SEATS):
        county = counties_m[code]
        seat = _m(Point(*_SEATS[code])).buffer(6000)
        valley = _m(LineString(_FUCHUN)).buffer(1500)
        hills = shapely.difference(county, shapely.union(seat, valley))
        geom = _clipped(hills, county)
        if geom is not None:
            out.append(DemoZone(f"{NAMES[code]}地质灾害中易发区", "geological_susceptibility", 3,
                                code, geom, issuing_unit=issuer,
                                remarks="低山丘陵区，坡度较陡，降雨诱发滑坡、崩塌为主"))
        steep = _half_plane(county, _STEEP[code])
        if steep is not None:
            geom = _clipped(shapely.difference(steep, seat), county)
            if geom is not None:
                out.append(DemoZone(f"{NAMES[code]}地质灾害高易发区", "geological_susceptibility",
                                    4, code, geom, issuing_unit=issuer,
                                    remarks="中低山区，切割强烈，强降雨时易发滑坡、泥石流"))
        out += _prevention(rng, code, steep if steep is not None else hills, county, hazards,
                           issuer, count=3)
    # 余杭's north-west (径山、鸬鸟 hills): low susceptibility only.
    yuhang = counties_m["330110"]
    nw = _half_plane(yuhang, lambda x, y: (x < 119.92) & (y > 30.35))
    if nw is not None:
        geom = _clipped(nw, yuhang)
        if geom is not None:
            out.append(DemoZone("余杭区地质灾害低易发区", "geological_susceptibility", 2, "330110",
                                geom, issuing_unit=issuer, remarks="低丘缓坡区"))
    xihu = counties_m["330106"]
    hills = _m(Polygon(_XIHU_HILLS))
    geom = _clipped(hills, xihu)
    if geom is not None:
        out.append(DemoZone("西湖区西部山区地质灾害中易发区", "geological_susceptibility", 3,
                            "330106", geom, issuing_unit=issuer,
                            remarks="龙井、梅家坞一带丘陵，切坡建房处易发小型崩塌"))
        out += _prevention(rng, "330106", shapely.intersection(hills, xihu), xihu, hazards,
                           issuer, count=1)
    return out


def _half_plane(county_m: BaseGeometry, test: Any) -> BaseGeometry | None:
    """The part of a county whose lon/lat passes a test, built from a 2 km raster of it."""
    minx, miny, maxx, maxy = county_m.bounds
    step = 2000.0
    xs, ys = np.meshgrid(np.arange(minx, maxx, step), np.arange(miny, maxy, step))
    xs, ys = xs.ravel(), ys.ravel()
    lon, lat = _transformers()[1].transform(xs + step / 2, ys + step / 2)
    keep = np.asarray(test(np.asarray(lon), np.asarray(lat)), dtype=bool)
    if not keep.any():
        return None
    cells = shapely.box(xs[keep], ys[keep], xs[keep] + step, ys[keep] + step)
    return shapely.intersection(shapely.union_all(cells), county_m)


def _prevention(rng: np.random.Generator, code: str, area_m: BaseGeometry,
                county_m: BaseGeometry, hazards: Sequence[str], issuer: str, count: int
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
        blob = _blob(rng, x, y, rng.uniform(220, 450), rng.uniform(1.2, 2.0),
                     rng.uniform(0, math.pi))
        geom = _clipped(blob, county_m)
        if geom is None:
            continue
        n = len(out) + 1
        out.append(DemoZone(f"{NAMES[code]}{hazard}隐患点风险防范区（{n}号）",
                            "geological_prevention", 5 if n == 1 else 4, code, geom,
                            issuing_unit=issuer,
                            remarks=f"{hazard}隐患点及其影响范围；汛期专人监测，强降雨时转移受威胁群众"))
    return out


def _seismic(city: BaseGeometry) -> list[DemoZone]:
    geom = _stored(_m(city), city)
    if geom is None:
        return []
    return [DemoZone("杭州市地震基本烈度Ⅵ度区", "seismic", 2, CITY, geom, 475, 6.0, "度",
                     "中国地震局（GB 18306—2015）",
                     "基本地震动峰值加速度 0.05g（50年超越概率10%），对应地震基本烈度Ⅵ度")]


def _surge(counties_m: Mapping[str, BaseGeometry], river_m: BaseGeometry) -> list[DemoZone]:
    """The estuary east of 下沙 and 萧山城区, where typhoon surges ride the tidal bore."""
    east = _m(Point(120.30, 30.25)).x
    minx, miny, maxx, maxy = shapely.union(counties_m["330114"], counties_m["330109"]).bounds
    estuary = shapely.intersection(river_m.buffer(6000), shapely.box(east, miny, maxx, maxy))
    out = []
    for code, cls, period, surge in (("330114", 4, 100, 2.5), ("330109", 3, 50, 1.8)):
        geom = _clipped(estuary, counties_m[code])
        if geom is not None:
            out.append(DemoZone(f"钱塘江河口{NAMES[code]}台风风暴潮影响区", "typhoon_surge", cls,
                                code, geom, period, surge, "m", "杭州市应急管理局",
                                f"台风与天文大潮叠加时风暴增水约 {surge} m；沿江海塘外侧及低洼地"))
    return out


# --------------------------------------------------------------------------- risk points


def _anchors(session: Session) -> dict[str, list[Any]]:
    """Demo records the points sit beside: gas valves and mains, the utility tunnels."""
    n, p, t = NetworkPoint.__table__.c, Pipeline.__table__.c, Tunnel.__table__.c
    from resilience.spatial import as_wkb, dialect_of

    dialect = dialect_of(session)
    valves = session.execute(
        select(n.id, n.division_code, n.address, as_wkb(dialect, n.geom))
        .where(n.data_source == DATA_SOURCE, n.category == "gas",
               n.kind.in_(("valve", "pressure_regulator", "valve_chamber")),
               n.retired_at.is_(None))
        .order_by(n.id).limit(6)).all()
    if len(valves) < 4:  # a small demo: any gas point will do
        valves = session.execute(
            select(n.id, n.division_code, n.address, as_wkb(dialect, n.geom))
            .where(n.data_source == DATA_SOURCE, n.category == "gas", n.retired_at.is_(None))
            .order_by(n.id).limit(6)).all()
    mains = session.execute(
        select(p.id, p.division_code, p.address, as_wkb(dialect, p.geom))
        .where(p.data_source == DATA_SOURCE, p.category == "gas", p.retired_at.is_(None))
        .order_by(p.pressure_class.desc(), p.build_year, p.id).limit(3)).all()
    tunnels = session.execute(
        select(t.id, t.division_code, t.name, as_wkb(dialect, t.geom))
        .where(t.data_source == DATA_SOURCE, t.retired_at.is_(None)).order_by(t.id)).all()
    return {"valves": list(valves), "mains": list(mains), "tunnels": list(tunnels)}


def _beside(geom_wkb: bytes, metres: float, along: float = 0.5) -> Point:
    """A point a few metres to the side of a record (a line: at a share of its length)."""
    geom = _m(shapely.from_wkb(bytes(geom_wkb)))
    if isinstance(geom, Point):
        base, dx, dy = geom, 0.7071, 0.7071
    else:
        line = geom if isinstance(geom, LineString) else shapely.get_parts(geom)[0]
        base = line.interpolate(along, normalized=True)
        ahead = line.interpolate(min(1.0, along + 0.01), normalized=True)
        vx, vy = ahead.x - base.x, ahead.y - base.y
        norm = math.hypot(vx, vy) or 1.0
        dx, dy = -vy / norm, vx / norm
    out = _ll(Point(base.x + dx * metres, base.y + dy * metres))
    return Point(round(out.x, 7), round(out.y, 7))


def risk_points(session: Session, counties: Mapping[str, BaseGeometry]) -> list[DemoPoint]:
    """The hand-entered points, placed beside the demo's gas network and tunnels."""
    a = _anchors(session)
    out: list[DemoPoint] = []

    def inside(code: str, geom: Point) -> bool:
        return code in counties and counties[code].contains(geom)

    def add(anchor: Any, metres: float, along: float = 0.5, **kw: Any) -> None:
        key, code, label, raw = anchor
        geom = _beside(raw, metres, along)
        if not inside(code, geom):
            geom = _beside(raw, 0.0, along)
        out.append(DemoPoint(division_code=code, geom=geom, address=label, **kw))

    valves, mains, tunnels = a["valves"], a["mains"], a["tunnels"]
    reviewed = date(2025, 9, 15)
    if valves:
        add(valves[0], 35.0, name="加油加气站卸油及加气区", category="hazardous_materials",
            method="lec", factors={"L": 3, "E": 6, "C": 15},
            responsible_unit="中国石化销售股份有限公司浙江杭州石油分公司",
            control_measures="卸油作业双人监护、静电接地；油气回收系统每月检测；站内严禁烟火，"
                             "配置灭火器材并每季度演练",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15),
            asset=("network-points", valves[0][0]))
    if len(valves) > 1:
        add(valves[1], 20.0, name="区域燃气调压站", category="gas_pipeline", method="lec",
            factors={"L": 1, "E": 6, "C": 40}, responsible_unit="杭州市燃气集团有限公司",
            control_measures="调压器每日巡检；可燃气体报警器与紧急切断阀联动；站区周边设警示标识",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15),
            asset=("network-points", valves[1][0]))
    if len(valves) > 2:
        add(valves[2], 0.0, name="中压燃气阀门井", category="gas_pipeline", method="ls",
            factors={"L": 3, "S": 4}, responsible_unit="杭州市燃气集团有限公司",
            control_measures="阀门每季度启闭试验；井盖防沉降改造；第三方施工前现场交底",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15),
            asset=("network-points", valves[2][0]))
    if len(valves) > 3:
        add(valves[3], 60.0, name="液化石油气瓶装供应站", category="hazardous_materials",
            method="lec", factors={"L": 1, "E": 3, "C": 40},
            responsible_unit="杭州市燃气集团有限公司液化气分公司",
            control_measures="钢瓶入库检验、超期瓶禁止充装；库房防爆通风；每日安全检查并记录",
            assessed_at=reviewed, next_review_at=date(2026, 9, 15),
            asset=("network-points", valves[3][0]))
    if mains:
        add(mains[0], 4.0, name="燃气主干管穿越河道段", category="gas_pipeline", method="ls",
            factors={"L": 2, "S": 5}, responsible_unit="杭州市燃气集团有限公司",
            control_measures="设置警示桩和标志带；每日巡线；涉河施工签订管线保护协议",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15),
            asset=("pipelines", mains[0][0]))
    if len(mains) > 1:
        add(mains[1], 3.0, name="老旧燃气管段（待更新改造）", category="ageing_pipeline",
            method="lec", factors={"L": 3, "E": 3, "C": 15},
            responsible_unit="杭州市燃气集团有限公司",
            control_measures="列入2026年老旧管网更新改造计划；泄漏检测加密至每周一次",
            assessed_at=reviewed, next_review_at=date(2026, 9, 15),
            asset=("pipelines", mains[1][0]))
    for i, tunnel in enumerate(tunnels[:2]):
        tid = tunnel[0]
        add(tunnel, 45.0, 0.3 + 0.4 * i,
            name=f"{tunnel[2]}旁深基坑施工", category="construction", method="lec",
            factors={"L": 6, "E": 6, "C": 15} if i == 0 else {"L": 3, "E": 6, "C": 15},
            responsible_unit="杭州市地铁集团有限责任公司",
            control_measures="开挖前检测管廊结构；布设沉降、位移监测点，超预警值立即停工；"
                             "管廊运营单位旁站监护",
            assessed_at=reviewed, next_review_at=date(2025, 12, 15), tunnel_id=tid)
        add(tunnel, 0.0, 0.55 - 0.1 * i, name=f"{tunnel[2]}燃气舱", category="tunnel_cabin",
            method="ls", factors={"L": 2, "S": 5},
            responsible_unit="杭州市城市综合管廊运营管理有限公司",
            control_measures="燃气舱可燃气体探测与通风联动；巡检机器人每日巡视；舱内动火作业审批",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15), tunnel_id=tid,
            asset=("tunnels", tid))
    if tunnels:
        add(tunnels[-1], 80.0, 0.8, name="道路开挖施工（邻近给水主干管）", category="construction",
            method="ls", factors={"L": 3, "S": 3}, preset="ls_r9_general",
            responsible_unit="杭州市城市管理局（道路挖掘审批）",
            control_measures="开挖前管线探测与交底；人工开挖至管顶以上 0.5 m；现场设专人看护",
            assessed_at=reviewed, next_review_at=date(2026, 3, 15))
    return out


# --------------------------------------------------------------------------- loading


def loaded(session: Session) -> bool:
    """True when the demo's hazard zones are in the database."""
    z = HazardZone.__table__.c
    return session.scalar(select(z.id).where(z.data_source == DATA_SOURCE).limit(1)) is not None


def load(session: Session, counties: Mapping[str, BaseGeometry], city: BaseGeometry,
         river: BaseGeometry, flood_sites: Sequence[FloodSite], *, seed: int = 2026
         ) -> tuple[int, int]:
    """Insert the demo's hazard zones and risk points (once); returns how many of each."""
    if loaded(session):
        return 0, 0
    stamp = now()
    made = zones(counties, city, river, flood_sites, seed)
    rows = []
    for i, z in enumerate(made, 1):
        rows.append({
            "name": z.name, "external_id": f"FXQ-{z.division_code}-{i:03d}", "kind": z.kind,
            "hazard_class": z.hazard_class, "return_period_years": z.return_period_years,
            "intensity": z.intensity, "intensity_unit": z.intensity_unit,
            "issuing_unit": z.issuing_unit, "remarks": z.remarks,
            "division_code": z.division_code, "data_source": DATA_SOURCE,
            "survey_date": SURVEYED, "geom": WKTElement(z.geom.wkt, srid=SRID),
            "created_at": stamp, "updated_at": stamp, "created_by": CREATED_BY,
            "updated_by": CREATED_BY})
    if rows:
        session.execute(insert(HazardZone.__table__), rows)
    points = risk_points(session, {c: shapely.intersection(p, city) for c, p in counties.items()})
    prows = []
    for i, p in enumerate(points, 1):
        values: dict[str, Any] = {
            "method": p.method, "preset": p.preset,
            **{f"factor_{k.lower()}": v for k, v in p.factors.items()}}
        values.update(derive(values))
        prows.append({
            **values, "name": p.name, "external_id": f"FXD-{p.division_code}-{i:03d}",
            "category": p.category, "responsible_unit": p.responsible_unit,
            "control_measures": p.control_measures, "assessed_at": p.assessed_at,
            "next_review_at": p.next_review_at, "source": "manual",
            "asset_collection": p.asset[0] if p.asset else None,
            "asset_id": p.asset[1] if p.asset else None, "tunnel_id": p.tunnel_id,
            "address": p.address, "division_code": p.division_code,
            "data_source": DATA_SOURCE, "survey_date": p.assessed_at,
            "geom": WKTElement(p.geom.wkt, srid=SRID), "created_at": stamp, "updated_at": stamp,
            "created_by": CREATED_BY, "updated_by": CREATED_BY})
    if prows:
        # Every row names the same columns (None where a method has no such factor).
        keys = sorted({k for r in prows for k in r})
        session.execute(insert(RiskPoint.__table__), [{k: r.get(k) for k in keys} for r in prows])
    session.flush()
    return len(rows), len(prows)
