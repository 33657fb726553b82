"""The demo city: a deterministic, plausible registry laid on Hangzhou's real districts.

Streets are jittered grids around urban cores (most in 上城, 拱墅, 西湖, 滨江); pipelines of
each category run along them a few metres apart and are split into 30–120 m segments
between network points; two utility tunnels, shelters and flood points complete the picture.
`generate` is pure (same seed, same city); `load` writes it in the caller's transaction with
batched Core inserts, identically on SpatiaLite and PostGIS.

This is a composition root: it reaches up into `inventory` for the tables it fills.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import WKTElement
from geoalchemy2.shape import from_shape, to_shape
from pyproj import Geod, Transformer
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from demo import hazard_zones as demo_hazards
from demo import hidden_hazards as demo_hidden_hazards
from demo import inspection_plans as demo_inspections
from demo.districts import hangzhou_divisions
from inventory import (
    CabinLine,
    FloodPoint,
    NetworkPoint,
    Pipeline,
    Shelter,
    Tunnel,
    TunnelCabin,
    TunnelNode,
    WaterloggingEvent,
)
from resilience import accounts, codes
from resilience.divisions import Division
from resilience.model import SRID, now
from risk.hazard_zones import HazardZone
from risk.points import RiskPoint

DATA_SOURCE = "demo"
CREATED_BY = "demo"
CHUNK = 5000
WORK_EPSG = 4549  # CGCS2000 3° Gauss-Krüger CM 120°E: metres for Hangzhou (DOMAIN.md §9)
MARGIN_M = 25.0  # streets keep this far inside their district, so offset lanes stay inside
WKT_DIGITS = 7  # ~1 cm in lon/lat

Progress = Callable[[float, str], None]
Columns = dict[str, list[Any]]

_geod = Geod(ellps="GRS80")  # as inventory.service.geodesic_length (CGCS2000 ≈ GRS80)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class DemoUser:
    """A sign-in the demo creates, printed by `make run` so people can try each role."""

    username: str
    role: str
    divisions: tuple[str, ...]
    password: str
    display_name: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "admin", ("330100",), "admin-demo-2026", "演示管理员"),
    DemoUser("engineer", "engineer", ("330106",), "engineer-demo-2026", "西湖区工程师"),
    DemoUser("engineer_sc", "engineer", ("330102",), "engineer-demo-2026", "上城区工程师"),
    DemoUser("manager", "emergency_manager", ("330100",), "manager-demo-2026", "应急管理员"),
    DemoUser("inspector", "inspector", ("330106",), "inspector-demo-2026", "西湖区巡检员"),
    DemoUser("viewer", "viewer", ("330100",), "viewer-demo-2026", "访客"),
)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds after `load`, so the CLI and benchmarks can report it."""

    divisions: int
    users: int
    network_points: int
    pipelines: int
    tunnels: int
    tunnel_cabins: int
    tunnel_cabin_lines: int
    tunnel_nodes: int
    shelters: int
    flood_points: int
    waterlogging_events: int
    pipeline_km: float
    seconds: float
    created: bool
    hazard_zones: int = 0
    risk_points: int = 0


# --------------------------------------------------------------------------- static data


@dataclass(frozen=True)
class _Core:
    """An urban core: a grid of streets around a centre, sized by its radius."""

    district: str
    area: str
    lon: float
    lat: float
    radius_m: float
    ring: float  # how far the city has grown (in core radii) before this core starts
    era: int  # typical build year of its pipes
    angle_deg: float = 0.0
    heat: bool = False


# A core's streets grow outwards as the demo grows: its share rises with radius², and it
# starts only once the city has reached `ring` (so a small demo is one contiguous centre).
_CORES: tuple[_Core, ...] = (
    _Core("330102", "湖滨", 120.172, 30.257, 1300, 0, 1996),
    _Core("330102", "庆春", 120.195, 30.270, 1500, 0, 1998),
    _Core("330105", "武林", 120.160, 30.282, 1400, 0, 1995),
    _Core("330106", "文教", 120.130, 30.285, 1700, 0, 1999),
    _Core("330108", "滨江", 120.200, 30.195, 2000, 0.1, 2006, angle_deg=30),
    _Core("330102", "钱江新城", 120.208, 30.258, 1300, 0.15, 2009, angle_deg=38, heat=True),
    _Core("330105", "大关", 120.150, 30.312, 1600, 0.15, 2001, angle_deg=-4),
    _Core("330106", "古墩", 120.085, 30.300, 1500, 0.2, 2007, angle_deg=6),
    _Core("330102", "九堡", 120.265, 30.305, 1700, 0.3, 2010, angle_deg=15),
    _Core("330105", "半山", 120.175, 30.350, 1100, 0.35, 2008, angle_deg=8),
    _Core("330108", "浦沿", 120.155, 30.175, 1100, 0.3, 2008, angle_deg=25),
    _Core("330106", "转塘", 120.090, 30.160, 900, 0.35, 2011, angle_deg=12),
    _Core("330109", "城厢", 120.265, 30.165, 1300, 0.3, 2000),
    _Core("330109", "钱江世纪城", 120.255, 30.235, 1000, 0.35, 2014, angle_deg=20),
    _Core("330110", "未来科技城", 120.010, 30.285, 1300, 0.3, 2014),
    _Core("330110", "良渚", 120.045, 30.370, 900, 0.4, 2009, angle_deg=10),
    _Core("330113", "临平", 120.300, 30.420, 1100, 0.3, 2005, angle_deg=5),
    _Core("330114", "下沙", 120.345, 30.305, 1300, 0.3, 2006, angle_deg=20, heat=True),
    _Core("330111", "富春", 119.955, 30.060, 500, 0.1, 2003, angle_deg=10),
    _Core("330112", "锦城", 119.725, 30.235, 450, 0.1, 2004),
    _Core("330122", "桐君", 119.680, 29.805, 400, 0.1, 2005, angle_deg=15),
    _Core("330182", "新安江", 119.290, 29.485, 400, 0.1, 2004, angle_deg=-10),
)

_STREET_BASES: tuple[str, ...] = tuple(dict.fromkeys((
    "文三", "学院", "教工", "庆春", "解放", "凤起", "体育场", "延安", "中山", "莫干山", "天目山",
    "古墩", "江南", "滨盛", "江陵", "文二", "文一", "西溪", "保俶", "曙光", "黄姑山", "万塘",
    "学军", "求是", "竞舟", "余杭塘", "丰潭", "湖墅", "大关", "上塘", "登云", "德胜", "石桥",
    "东新", "香积寺", "秋涛", "江城", "望江", "新业", "富春", "之江", "九堡", "丁桥", "笕桥",
    "彭埠", "学林", "文泽", "文渊", "海达", "白杨", "金沙", "月雅", "听涛", "明星", "江晖",
    "长河", "浦沿", "火炬", "东信", "春晓", "闻涛", "西兴", "市心", "人民", "金城", "育才",
    "萧然", "通惠", "北干", "文鼎", "五常", "高教", "良渚", "星桥", "南苑", "迎宾", "世纪",
    "望梅", "翁梅", "乔司", "环城", "建国", "清泰", "钱潮", "新塘", "丽水", "绍兴", "湖州",
    "杭行", "申花", "紫荆", "振华", "留和", "转塘", "双流", "龙坞", "枫桦", "滨康", "滨文",
    "聚才", "信诚", "建设", "工人", "育英", "崇贤", "仓前", "良睦", "荆长", "闲林", "藕花洲",
    "秋石", "艮山", "天城", "凯旋", "采荷", "景芳", "钱塘", "新风", "备塘", "笕丁", "红普",
    "沈半", "石祥", "杭玻", "长城", "花园岗", "紫金", "三墩", "振中", "西园", "灵溪", "梅花碑",
    "平海", "开元", "惠民", "孝子", "劳动", "吴山", "河坊", "清河", "定安", "岳王", "湖滨",
)))
_MAJOR_SUFFIXES = ("大道", "路", "路")
_MINOR_SUFFIXES = ("路", "路", "街", "路")
_VARIANTS = ("", "东", "西", "南", "北", "中", "新")


@dataclass(frozen=True)
class _Lane:
    """A pipeline category as laid along a street: offset from the centreline and sizes."""

    key: str
    category: str
    subcategory: str
    offset_m: float
    piece_m: tuple[float, float]
    depth_m: tuple[float, float]
    presence: tuple[float, float]  # probability on a (major, minor) street


_LANES: tuple[_Lane, ...] = (
    _Lane("water", "water_supply", "distribution", -6, (60, 110), (0.9, 1.8), (1.0, 1.0)),
    _Lane("transmission", "water_supply", "transmission", -4, (80, 120), (1.8, 2.8), (0.1, 0.0)),
    _Lane("storm", "drainage", "stormwater", -2, (30, 50), (1.5, 3.5), (1.0, 0.92)),
    _Lane("sewage", "drainage", "sewage", 2, (30, 50), (2.5, 5.0), (1.0, 0.88)),
    _Lane("gas", "gas", "natural_gas", 5, (60, 110), (0.8, 1.5), (1.0, 0.75)),
    _Lane("heat", "heat", "hot_water", 8, (60, 110), (1.2, 2.0), (0.5, 0.0)),
    _Lane("power", "power", "power_supply", 11, (50, 100), (0.7, 1.5), (1.0, 0.65)),
    _Lane("telecom", "telecom", "data_network", -9, (60, 110), (0.6, 1.2), (0.95, 0.6)),
)
_HEAT = next(i for i, lane in enumerate(_LANES) if lane.key == "heat")

_OWNERS = {
    "water_supply": "杭州市水务集团有限公司",
    "drainage": "杭州市排水有限公司",
    "gas": "杭州市燃气集团有限公司",
    "heat": "杭州市热力有限公司",
    "power": "国网杭州供电公司",
}
_TELECOM_OWNERS = ("中国电信杭州分公司", "中国移动杭州分公司", "中国联通杭州分公司")
# Outer districts and counties have their own water and power companies.
_LOCAL_OWNERS = {
    "power": ({"330109", "330110", "330111", "330112", "330122", "330127", "330182"},
              "国网杭州市{name}供电公司"),
    "water_supply": ({"330111", "330112", "330122", "330127", "330182"},
                     "杭州市{name}水务有限公司"),
}

_PIPE_ATTRS = (
    "material", "diameter_mm", "width_mm", "height_mm", "pressure_class", "pressure_mpa",
    "voltage_kv", "cable_count", "burial_method", "owner", "operator", "status",
)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾沈"
_FACILITIES = ("应急供水", "应急厕所", "应急照明", "医疗救护", "应急供电", "物资储备",
               "应急广播", "消防设施", "应急停车", "垃圾收集", "指挥管理", "洗浴设施")

# West Lake and its hills (lon/lat), kept free of streets.
_SCENIC = ((120.100, 30.262), (120.156, 30.264), (120.166, 30.257), (120.167, 30.236),
           (120.155, 30.215), (120.125, 30.195), (120.095, 30.213), (120.088, 30.245))
# Districts on the north and south banks of the Qiantang; their shared border is the river.
_NORTH_BANK = ("330102", "330106", "330114")
_SOUTH_BANK = ("330108", "330109")
_RIVER_HALF_WIDTH_M = 600.0


# --------------------------------------------------------------------------- space


@dataclass(frozen=True)
class _District:
    """A county-level division in lon/lat (stored) and metres (generation)."""

    code: str
    name: str
    ll: BaseGeometry
    inner_m: BaseGeometry  # shrunk by MARGIN_M, water removed: where streets may go


@dataclass(frozen=True)
class _Space:
    """Transforms and district polygons shared by every generator."""

    to_m: Transformer
    to_ll: Transformer
    districts: dict[str, _District]

    def metres(self, geom: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in EPSG:4549 metres."""
        return shapely.transform(geom, lambda c: np.column_stack(self.to_m.transform(c[:, 0],
                                                                                     c[:, 1])))

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """A metric geometry back in lon/lat."""
        return shapely.transform(geom, lambda c: np.column_stack(self.to_ll.transform(c[:, 0],
                                                                                      c[:, 1])))


@lru_cache(maxsize=1)
def _space() -> _Space:
    """Build the districts once per process: projecting and buffering costs a second."""
    to_m = Transformer.from_crs(SRID, WORK_EPSG, always_xy=True)
    to_ll = Transformer.from_crs(WORK_EPSG, SRID, always_xy=True)
    seeds = {d.code: d for d in hangzhou_divisions() if d.level == "county"}
    ll = {code: shapely.from_wkt(d.boundary_wkt) for code, d in seeds.items()}
    space = _Space(to_m, to_ll, {})
    water = shapely.union(space.metres(Polygon(_SCENIC)),
                          space.metres(_river(ll)).buffer(_RIVER_HALF_WIDTH_M))
    for code, poly in ll.items():
        inner = shapely.difference(space.metres(poly).buffer(-MARGIN_M), water)
        shapely.prepare(inner)
        shapely.prepare(poly)
        space.districts[code] = _District(code, seeds[code].name, poly, inner)
    return space


def _river(ll: dict[str, BaseGeometry]) -> BaseGeometry:
    """The Qiantang's course, taken as the border between its north- and south-bank districts."""
    north = shapely.union_all([ll[c] for c in _NORTH_BANK])
    south = shapely.union_all([ll[c] for c in _SOUTH_BANK])
    shared = shapely.line_merge(shapely.intersection(north.boundary, south.boundary))
    return max(shapely.get_parts(shared), key=lambda part: part.length)


# --------------------------------------------------------------------------- street network


@dataclass
class _Street:
    """A named street: one grid line of a core."""

    base: str
    name: str
    major: bool
    core: int


@dataclass
class _Network:
    """Grid nodes of every core and the street blocks between them (metres)."""

    node_x: np.ndarray
    node_y: np.ndarray
    node_core: np.ndarray
    node_row: np.ndarray  # street id of the row through the node
    node_col: np.ndarray  # street id of the column through the node
    streets: list[_Street]
    axes: np.ndarray  # per core: ax, ay, bx, by (unit vectors of the grid)
    # blocks (edges between neighbouring valid nodes)
    start: np.ndarray
    end: np.ndarray
    street: np.ndarray
    m: np.ndarray  # index of the block along its street
    priority: np.ndarray  # distance of its midpoint from the core centre ÷ core radius


def _axis(rng: np.random.Generator, extent: float) -> np.ndarray:
    """Street positions along one axis: gaps of 150–400 m out from near the centre."""
    count = int(extent // 150) + 2
    start = rng.uniform(-60, 60)
    up = start + np.cumsum(rng.uniform(150, 400, count))
    down = start - np.cumsum(rng.uniform(150, 400, count))
    pos = np.concatenate([down[::-1], [start], up])
    return pos[np.abs(pos) <= extent]


def _street_names(rng: np.random.Generator, count: int,
                  major: np.ndarray) -> list[tuple[str, str]]:
    """Plausible (base, name) pairs (文三, 文三路; 江南, 江南大道), unique until the pool runs out."""
    bases = [_STREET_BASES[i] for i in rng.permutation(len(_STREET_BASES))]
    names = []
    for n in range(count):
        base = bases[n % len(bases)] + _VARIANTS[(n // len(bases)) % len(_VARIANTS)]
        suffixes = _MAJOR_SUFFIXES if major[n] else _MINOR_SUFFIXES
        names.append((base, base + suffixes[int(rng.integers(len(suffixes)))]))
    return names


def _owner_of_nodes(x: np.ndarray, y: np.ndarray, k: int, centres: np.ndarray) -> np.ndarray:
    """True where core k is the nearest core of its district (relative to core radii)."""
    core = _CORES[k]
    same = [i for i, c in enumerate(_CORES) if c.district == core.district]
    rel = np.stack([np.hypot(x - centres[i, 0], y - centres[i, 1]) / _CORES[i].radius_m
                    for i in same])
    return np.asarray(same)[np.argmin(rel, axis=0)] == k


def _network(seed: int, scale: float) -> _Network:
    """Jittered street grids of every core, cut to their districts and kept off the water."""
    space = _space()
    centres = np.column_stack(space.to_m.transform([c.lon for c in _CORES],
                                                   [c.lat for c in _CORES]))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "x", "y", "core", "row", "col", "start", "end", "street", "m")}
    streets: list[_Street] = []
    axes = np.zeros((len(_CORES), 4))
    offset = 0
    for k, core in enumerate(_CORES):
        rng = np.random.default_rng([seed, k])
        extent = core.radius_m * scale
        a, b = _axis(rng, extent), _axis(rng, extent)
        theta = math.radians(core.angle_deg)
        ax, ay, bx, by = math.cos(theta), math.sin(theta), -math.sin(theta), math.cos(theta)
        axes[k] = (ax, ay, bx, by)
        ua, vb = np.meshgrid(a, b, indexing="ij")
        ua = ua + np.clip(rng.normal(0, 5, ua.shape), -12, 12)
        vb = vb + np.clip(rng.normal(0, 5, vb.shape), -12, 12)
        x = centres[k, 0] + ua * ax + vb * bx
        y = centres[k, 1] + ua * ay + vb * by
        inner = space.districts[core.district].inner_m
        valid = ((np.hypot(ua, vb) <= extent) & shapely.contains_xy(inner, x, y)
                 & _owner_of_nodes(x, y, k, centres))
        rows = len(streets) + np.arange(len(b))
        cols = len(streets) + len(b) + np.arange(len(a))
        major = rng.random(len(a) + len(b)) < 0.28
        for n in range(len(a) + len(b)):
            streets.append(_Street("", "", bool(major[n]), k))
        ids = offset + np.arange(x.size).reshape(x.shape)
        for s, e, street, m in _grid_edges(ids, valid, rows, cols):
            parts["start"].append(s)
            parts["end"].append(e)
            parts["street"].append(street)
            parts["m"].append(m)
        parts["x"].append(x.ravel())
        parts["y"].append(y.ravel())
        parts["core"].append(np.full(x.size, k))
        parts["row"].append(np.broadcast_to(rows[None, :], x.shape).ravel())
        parts["col"].append(np.broadcast_to(cols[:, None], x.shape).ravel())
        offset += x.size
    cat = {key: np.concatenate(value) for key, value in parts.items()}
    net = _Network(cat["x"], cat["y"], cat["core"], cat["row"], cat["col"], streets, axes,
                   cat["start"], cat["end"], cat["street"], cat["m"], np.zeros(0))
    _keep_inside(net, space, seed)
    _name_streets(net, seed)
    return net


def _name_streets(net: _Network, seed: int) -> None:
    """Name the streets, central ones first, so a small demo has no 文三东路 beside 文三路."""
    first = np.full(len(net.streets), np.inf)
    np.minimum.at(first, net.street, net.priority)
    order = np.argsort(first, kind="stable")
    major = np.array([s.major for s in net.streets])[order]
    names = _street_names(np.random.default_rng([seed, 7]), len(order), major)
    for n, (base, name) in zip(order.tolist(), names, strict=True):
        net.streets[n].base, net.streets[n].name = base, name


def _grid_edges(ids: np.ndarray, valid: np.ndarray, rows: np.ndarray,
                cols: np.ndarray) -> Iterator[tuple[np.ndarray, ...]]:
    """Blocks between neighbouring valid nodes: along rows (a) and along columns (b)."""
    na, nb = ids.shape
    ii, jj = np.meshgrid(np.arange(na - 1), np.arange(nb), indexing="ij")
    ok = valid[:-1, :] & valid[1:, :]
    yield ids[:-1, :][ok], ids[1:, :][ok], rows[jj[ok]], ii[ok]
    ii, jj = np.meshgrid(np.arange(na), np.arange(nb - 1), indexing="ij")
    ok = valid[:, :-1] & valid[:, 1:]
    yield ids[:, :-1][ok], ids[:, 1:][ok], cols[ii[ok]], jj[ok]


def _keep_inside(net: _Network, space: _Space, seed: int) -> None:
    """Drop blocks that leave their district or cross water, and a few for irregularity."""
    rng = np.random.default_rng([seed, 8])
    lines = shapely.linestrings(np.stack([
        np.column_stack([net.node_x[net.start], net.node_y[net.start]]),
        np.column_stack([net.node_x[net.end], net.node_y[net.end]]),
    ], axis=1))
    core = net.node_core[net.start]
    keep = rng.random(len(lines)) >= 0.05
    for k, c in enumerate(_CORES):
        mine = core == k
        keep[mine] &= shapely.contains(space.districts[c.district].inner_m, lines[mine])
    net.start, net.end = net.start[keep], net.end[keep]
    net.street, net.m = net.street[keep], net.m[keep]
    mx = (net.node_x[net.start] + net.node_x[net.end]) / 2
    my = (net.node_y[net.start] + net.node_y[net.end]) / 2
    core = net.node_core[net.start]
    cx, cy = space.to_m.transform([c.lon for c in _CORES], [c.lat for c in _CORES])
    radius = np.array([c.radius_m for c in _CORES])
    ring = np.array([c.ring for c in _CORES])
    dist = np.hypot(mx - np.asarray(cx)[core], my - np.asarray(cy)[core])
    net.priority = dist / radius[core] + ring[core]


def _block_lengths(net: _Network) -> np.ndarray:
    """Length of every block in metres."""
    return np.hypot(net.node_x[net.end] - net.node_x[net.start],
                    net.node_y[net.end] - net.node_y[net.start])


def _lane_presence(net: _Network, seed: int) -> np.ndarray:
    """Which lanes each street carries (streets × lanes), major streets carrying more."""
    rng = np.random.default_rng([seed, 9])
    major = np.array([s.major for s in net.streets])
    heat_core = np.array([_CORES[s.core].heat for s in net.streets])
    present = np.zeros((len(net.streets), len(_LANES)), dtype=bool)
    for n, lane in enumerate(_LANES):
        p = np.where(major, lane.presence[0], lane.presence[1])
        present[:, n] = rng.random(len(major)) < p
    present[:, _HEAT] &= heat_core
    return present


def _lane_pieces(net: _Network, seed: int) -> np.ndarray:
    """How many segments each block splits into, per lane (blocks × lanes), 30–120 m each."""
    rng = np.random.default_rng([seed, 10])
    length = _block_lengths(net)
    pieces = np.zeros((len(length), len(_LANES)), dtype=np.int64)
    for n, lane in enumerate(_LANES):
        target = rng.uniform(*lane.piece_m, len(length))
        count = np.rint(length / target)
        count = np.clip(count, np.ceil(length / 120), np.maximum(1, np.floor(length / 30)))
        pieces[:, n] = count
    return pieces


@dataclass
class _Selection:
    """The blocks that make up the city, nearest to their core centres first."""

    net: _Network
    blocks: np.ndarray  # block indices in rank order
    present: np.ndarray  # streets × lanes
    pieces: np.ndarray  # blocks × lanes (all blocks)


def _select(segments: int, seed: int) -> _Selection:
    """Grow the grids until they hold the wanted segments, then take the innermost blocks."""
    scale = max(1.0, 0.55 * math.sqrt(max(segments, 1) / 6000))
    wanted = int(segments * 1.02) + 40  # slack: a few segments may be dropped later
    for _ in range(12):
        net = _network(seed, scale)
        present = _lane_presence(net, seed)
        pieces = _lane_pieces(net, seed)
        per_block = (pieces * present[net.street]).sum(axis=1)
        # every core's grid is complete up to priority `scale`, so the innermost blocks are
        # the same as with an unbounded grid
        if per_block[net.priority <= scale].sum() >= wanted:
            break
        scale *= 1.35
    else:  # pragma: no cover - the districts hold far more than any benchmark asks
        raise ValueError(f"cannot fit {segments} segments in the demo districts")
    order = np.lexsort((net.m, net.street, net.priority))
    cum = np.cumsum(per_block[order])
    count = int(np.searchsorted(cum, wanted)) + 1
    return _Selection(net, order[:count], present, pieces)


# --------------------------------------------------------------------------- segments and points


@dataclass
class _Lines:
    """Street segments and their points, columnar; metres for fields, lon/lat for storage."""

    geoms: np.ndarray  # lon/lat LineStrings
    lon0: np.ndarray
    lat0: np.ndarray
    lon1: np.ndarray
    lat1: np.ndarray
    lane: np.ndarray
    block: np.ndarray  # index into the network's blocks
    start: np.ndarray  # point index
    end: np.ndarray
    px: np.ndarray  # points, metres
    py: np.ndarray
    plon: np.ndarray
    plat: np.ndarray
    plane: np.ndarray
    pcorner: np.ndarray  # True for points at street corners
    pblock: np.ndarray  # a block the point lies on (for its address)


def _lane_lines(sel: _Selection, n: int) -> dict[str, np.ndarray]:
    """Segments of one lane along the selected blocks, sharing points at street corners."""
    net, lane = sel.net, _LANES[n]
    blocks = sel.blocks[sel.present[net.street[sel.blocks], n]]
    rank = np.flatnonzero(sel.present[net.street[sel.blocks], n])
    pieces = sel.pieces[blocks, n]
    core = net.node_core[net.start[blocks]]
    ax, ay, bx, by = (sel.net.axes[core, i] for i in range(4))
    dx, dy = lane.offset_m * (ax + bx), lane.offset_m * (ay + by)
    s, e = net.start[blocks], net.end[blocks]
    sx, sy = net.node_x[s] + dx, net.node_y[s] + dy
    ex, ey = net.node_x[e] + dx, net.node_y[e] + dy
    corners, inverse = np.unique(np.concatenate([s, e]), return_inverse=True)
    cs, ce = inverse[: len(s)], inverse[len(s):]
    first_corner_block = np.full(len(corners), np.iinfo(np.int64).max)
    np.minimum.at(first_corner_block, inverse, np.concatenate([blocks, blocks]))
    # every block ending at a corner computes the same point there (node + lane offset)
    cx = np.empty(len(corners))
    cy = np.empty(len(corners))
    cx[cs], cy[cs] = sx, sy
    cx[ce], cy[ce] = ex, ey
    seg_block = np.repeat(np.arange(len(blocks)), pieces)
    first = np.cumsum(pieces) - pieces
    k = np.arange(len(seg_block)) - first[seg_block]
    count = pieces[seg_block]
    t0, t1 = k / count, (k + 1) / count
    b = seg_block
    x0 = sx[b] + (ex[b] - sx[b]) * t0
    y0 = sy[b] + (ey[b] - sy[b]) * t0
    x1 = sx[b] + (ex[b] - sx[b]) * t1
    y1 = sy[b] + (ey[b] - sy[b]) * t1
    inner_first = len(corners) + np.cumsum(pieces - 1) - (pieces - 1)
    start = np.where(k == 0, cs[b], inner_first[b] + k - 1)
    end = np.where(k == count - 1, ce[b], inner_first[b] + k)
    inner = k > 0
    return {
        "x0": x0, "y0": y0, "x1": x1, "y1": y1, "block": blocks[b], "rank": rank[b], "k": k,
        "start": start, "end": end,
        "px": np.concatenate([cx, x0[inner]]), "py": np.concatenate([cy, y0[inner]]),
        "pcorner": np.concatenate([np.ones(len(corners), bool), np.zeros(inner.sum(), bool)]),
        "pblock": np.concatenate([first_corner_block, blocks[b][inner]]),
    }


def _street_lines(sel: _Selection, wanted: int) -> _Lines:
    """All lanes' segments in rank order, checked inside their districts, cut to `wanted`."""
    space = _space()
    lanes = [_lane_lines(sel, n) for n in range(len(_LANES))]
    offsets = np.cumsum([0] + [len(p["px"]) for p in lanes[:-1]])
    cat = {key: np.concatenate([p[key] for p in lanes])
           for key in ("x0", "y0", "x1", "y1", "block", "rank", "k")}
    lane = np.concatenate([np.full(len(p["x0"]), n) for n, p in enumerate(lanes)])
    start = np.concatenate([p["start"] + off for p, off in zip(lanes, offsets, strict=True)])
    end = np.concatenate([p["end"] + off for p, off in zip(lanes, offsets, strict=True)])
    order = np.lexsort((cat["k"], lane, cat["rank"]))
    lon0, lat0 = _to_lonlat(space, cat["x0"][order], cat["y0"][order])
    lon1, lat1 = _to_lonlat(space, cat["x1"][order], cat["y1"][order])
    geoms = shapely.linestrings(np.stack([np.column_stack([lon0, lat0]),
                                          np.column_stack([lon1, lat1])], axis=1))
    district = _core_districts()[sel.net.node_core[sel.net.start[cat["block"][order]]]]
    inside = np.zeros(len(order), dtype=bool)
    for code in np.unique(district).tolist():
        mine = district == code
        inside[mine] = shapely.contains(space.districts[code].ll, geoms[mine])
    keep = np.flatnonzero(inside)[:wanted]
    # rows go in core by core (nearest the centre first): neighbours get neighbouring ids,
    # which keeps index inserts and later bbox reads local
    core = sel.net.node_core[sel.net.start[cat["block"][order[keep]]]]
    keep = keep[np.argsort(core, kind="stable")]
    order = order[keep]
    used, inverse = _first_seen(np.column_stack([start[order], end[order]]).ravel())

    def points(key: str) -> np.ndarray:
        """A point attribute of every lane, for the points kept."""
        return np.concatenate([p[key] for p in lanes])[used]

    px, py = points("px"), points("py")
    plon, plat = _to_lonlat(space, px, py)
    plane = np.concatenate([np.full(len(p["px"]), n) for n, p in enumerate(lanes)])[used]
    return _Lines(geoms[keep], lon0[keep], lat0[keep], lon1[keep], lat1[keep], lane[order],
                  cat["block"][order], inverse[0::2], inverse[1::2],
                  px, py, plon, plat, plane, points("pcorner"), points("pblock"))


def _first_seen(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in order of first appearance, and each value's index among them."""
    distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[inverse]


@lru_cache(maxsize=1)
def _core_districts() -> np.ndarray:
    """The district code of every core, indexable by core number."""
    return np.array([c.district for c in _CORES])


def _smooth(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A smooth field in [-1, 1] over the city, so neighbouring points get similar values."""
    p = rng.uniform(0, 2 * math.pi, 3)
    return (np.sin(x / 1900 + p[0]) + np.sin(y / 2300 + p[1]) + np.sin((x + y) / 1300 + p[2])) / 3


# --------------------------------------------------------------------------- attributes


def _years(rng: np.random.Generator, era: np.ndarray) -> np.ndarray:
    """Build years around each core's era, 1975–2025, most of them 1995–2020."""
    return np.clip(np.rint(era + rng.normal(0, 8, len(era))), 1975, 2025).astype(int)


def _choice(rng: np.random.Generator, values: Sequence[Any], p: Sequence[float],
            size: int) -> np.ndarray:
    """Weighted picks (weights normalised)."""
    w = np.asarray(p, float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size, p=w / w.sum())]


def _water(rng: np.random.Generator, year: np.ndarray, major: np.ndarray,
           transmission: bool) -> dict[str, Any]:
    """Water mains: old cast iron, then ductile iron, PE for small new pipes."""
    n = len(year)
    if transmission:
        dn = _choice(rng, [800, 1000, 1200], [4, 4, 2], n)
        material = _choice(rng, ["ductile_iron", "steel"], [6, 4], n)
    else:
        sizes = [100, 150, 200, 300, 400, 500, 600]
        dn = np.where(major, _choice(rng, sizes, [1, 3, 10, 25, 25, 20, 16], n),
                      _choice(rng, sizes, [15, 25, 30, 20, 7, 2, 1], n))
        old = _choice(rng, ["cast_iron", "ductile_iron", "steel"], [65, 25, 10], n)
        mid = _choice(rng, ["ductile_iron", "steel", "pe"], [75, 10, 15], n)
        new = _choice(rng, ["ductile_iron", "pe"], [60, 40], n)
        material = np.where(year < 1995, old, np.where(year <= 2010, mid, new))
        material = np.where((material == "pe") & (dn > 300), "ductile_iron", material)
    return {"material": material, "diameter_mm": dn, "burial_method": "direct"}


def _drainage(rng: np.random.Generator, year: np.ndarray, major: np.ndarray,
              storm: bool) -> dict[str, Any]:
    """Storm and sewage pipes: concrete when large or old, PVC for small new ones."""
    n = len(year)
    if storm:
        sizes, wmaj, wmin = [400, 500, 600, 800, 1000, 1200, 1500], [0, 1, 3, 5, 5, 4, 2], \
            [3, 4, 5, 3, 1, 0, 0]
    else:
        sizes, wmaj, wmin = [300, 400, 500, 600, 800, 1000], [0, 2, 4, 5, 4, 2], \
            [4, 5, 3, 2, 0, 0]
    dn = np.where(major, _choice(rng, sizes, wmaj, n), _choice(rng, sizes, wmin, n))
    plastic = (dn < 600) & (year >= 2000) & (rng.random(n) < 0.65)
    return {"material": np.where(plastic, "pvc", "concrete"), "diameter_mm": dn,
            "burial_method": "direct"}


_GAS_MPA = {"low": 0.0025, "medium_b": 0.1, "medium_a": 0.35, "sub_high_b": 0.6,
            "sub_high_a": 1.2}


def _gas(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Natural gas: mostly low and medium pressure, a few sub-high mains on major streets."""
    n = len(year)
    pclass = np.where(major, _choice(rng, ["medium_a", "medium_b", "low", "sub_high_b",
                                           "sub_high_a"], [40, 30, 15, 10, 5], n),
                      _choice(rng, ["medium_b", "low", "medium_a"], [45, 35, 20], n))
    high = np.char.startswith(pclass.astype(str), "sub_high")
    dn = np.where(high, _choice(rng, [300, 400, 500], [4, 4, 2], n),
                  _choice(rng, [100, 150, 200, 250, 300], [2, 3, 3, 1, 1], n))
    material = np.where(rng.random(n) < 0.75, "pe", "steel")
    material = np.where(high | ((year < 2000) & (rng.random(n) < 0.6)), "steel", material)
    material = np.where((year < 1995) & (pclass == "low") & (rng.random(n) < 0.5), "cast_iron",
                        material)
    return {"material": material, "diameter_mm": dn, "pressure_class": pclass,
            "pressure_mpa": np.array([_GAS_MPA[c] for c in pclass]), "burial_method": "direct"}


def _heat(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """District heating: pre-insulated steel hot-water pipes."""
    n = len(year)
    return {"material": "steel", "diameter_mm": _choice(rng, [200, 300, 400, 500], [2, 3, 3, 1],
                                                         n), "burial_method": "direct"}


def _power(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Power cables in duct banks or conduits: 10 kV everywhere, 110 kV on some major streets."""
    n = len(year)
    hv = major & (rng.random(n) < 0.2)
    bank = rng.random(n) < 0.7
    size = rng.integers(0, 4, n)
    width = np.where(bank, np.array([600, 800, 1000, 1200])[size], 400)
    height = np.where(bank, np.array([500, 600, 800, 900])[size], 400)
    return {"material": "copper", "burial_method": np.where(bank, "duct_bank", "conduit"),
            "width_mm": width, "height_mm": height, "voltage_kv": np.where(hv, 110, 10),
            "cable_count": np.where(hv, rng.integers(3, 7, n), rng.integers(2, 13, n))}


def _telecom(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Optical fibre in duct banks, one of the three carriers per street."""
    n = len(year)
    size = rng.integers(0, 3, n)
    owner = _choice(rng, _TELECOM_OWNERS, [5, 3, 2], n)
    return {"material": "optical_fibre", "burial_method": "duct_bank",
            "width_mm": np.array([400, 600, 800])[size], "height_mm": np.array([300, 400, 500])[size],
            "cable_count": rng.integers(6, 37, n), "owner": owner, "operator": owner}


def _owner(category: str, district: str) -> str | None:
    """The owning company of a category's lines in a district."""
    local, pattern = _LOCAL_OWNERS.get(category, (set(), ""))
    if district in local:
        return pattern.format(name=_district_name(district))
    return _OWNERS.get(category)


def _lane_attrs(rng: np.random.Generator, lane: _Lane, year: np.ndarray,
                major: np.ndarray) -> dict[str, Any]:
    """Attributes of the lines of one lane (material, size, pressure, owner…)."""
    if lane.key in ("water", "transmission"):
        attrs = _water(rng, year, major, lane.key == "transmission")
    elif lane.key in ("storm", "sewage"):
        attrs = _drainage(rng, year, major, lane.key == "storm")
    else:
        attrs = {"gas": _gas, "heat": _heat, "power": _power, "telecom": _telecom}[lane.key](
            rng, year, major)
    attrs.setdefault("owner", _OWNERS.get(lane.category))
    attrs.setdefault("operator", attrs["owner"])
    return attrs


def _status(rng: np.random.Generator, lane: _Lane, year: np.ndarray) -> np.ndarray:
    """Mostly in service; a few old lines abandoned, a few spare ducts empty."""
    r = rng.random(len(year))
    status = np.where((year < 1992) & (r < 0.06), "abandoned", "in_service")
    if lane.category in ("power", "telecom"):
        status = np.where(r > 0.97, "empty", status)
    return status


def _condition(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    """Condition grade 1 (good) … 4 (bad), worse with age."""
    score = 1 + (2025 - year) / 14 + rng.normal(0, 0.55, len(year))
    return np.clip(np.rint(score), 1, 4).astype(int)


_SURVEY_DAYS = tuple(date(2023, 3, 1) + timedelta(days=d) for d in range(975))  # to 2025-10-31


def _survey_dates(rng: np.random.Generator, n: int) -> list[date]:
    """Survey dates in 2023–2025."""
    days = rng.integers(0, len(_SURVEY_DAYS), n)
    return [_SURVEY_DAYS[d] for d in days.tolist()]


# --------------------------------------------------------------------------- tables


@dataclass
class DemoCity:
    """Everything the demo inserts, as plain columns and rows (no database ids yet)."""

    points: Columns
    pipelines: Columns  # start_point/end_point are row indices into points
    tunnels: list[DemoTunnel]
    shelters: Columns
    flood_points: list[dict[str, Any]]  # with events


def _common(n: int, external_ids: list[str], division: list[str],
            survey: list[date] | None, address: list[str | None] | None) -> Columns:
    """Columns every asset table shares, filled the demo's way."""
    return {
        "external_id": external_ids,
        "address": address if address is not None else [None] * n,
        "data_source": [DATA_SOURCE] * n,
        "survey_date": survey if survey is not None else [None] * n,
        "remarks": [None] * n,
        "division_code": division,
        "version": [1] * n,
        "created_by": [CREATED_BY] * n,
        "updated_by": [CREATED_BY] * n,
    }


def _numbered(prefixes: list[str], divisions: list[str], mark: str = "",
              width: int = 6) -> list[str]:
    """External ids like JS-330106-000123, numbered per prefix and division in row order."""
    counters: dict[tuple[str, str], int] = {}
    out = []
    for key in zip(prefixes, divisions, strict=True):
        n = counters[key] = counters.get(key, 0) + 1
        out.append(f"{key[0]}-{key[1]}-{mark}{n:0{width}d}")
    return out


def _cjj(categories: Sequence[str]) -> list[str]:
    """CJJ 61 letter codes (JS, PS, RQ…) of pipeline categories."""
    letters = {c.value: c.cjj for c in codes.PIPELINE_CATEGORIES}
    return [letters[c] for c in categories]


def _lists(value: Any, n: int) -> list[Any]:
    """A column as a list of plain Python values (numpy scalars do not bind)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    return [value] * n


def _wkt(geoms: np.ndarray) -> list[str]:
    """Compact WKT of lon/lat geometries (1 cm)."""
    return list(shapely.to_wkt(geoms, rounding_precision=WKT_DIGITS, trim=True))


def _to_lonlat(space: _Space, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metric coordinates as lon/lat arrays."""
    lon, lat = space.to_ll.transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def _street_tables(sel: _Selection, lines: _Lines, seed: int) -> tuple[Columns, Columns]:
    """Network point and pipeline columns for the street lanes."""
    net = sel.net
    rng = np.random.default_rng([seed, 11])
    seg_street = net.street[lines.block]
    seg_core = net.node_core[net.start[lines.block]]
    district = _core_districts()[seg_core]
    major = np.array([s.major for s in net.streets])
    # one set of attributes per line: a lane along a street, in stretches of four blocks
    line_key = (seg_street * len(_LANES) + lines.lane) * 100_000 + net.m[lines.block] // 4
    keys, line_of = np.unique(line_key, return_inverse=True)
    line_lane = (keys // 100_000) % len(_LANES)
    line_street = keys // 100_000 // len(_LANES)
    era = np.array([_CORES[net.streets[s].core].era for s in line_street.tolist()])
    year = _years(rng, era)
    attrs: dict[str, list[Any]] = {name: [None] * len(keys) for name in _PIPE_ATTRS}
    for n, lane in enumerate(_LANES):
        idx = np.flatnonzero(line_lane == n)
        if not len(idx):
            continue
        values = _lane_attrs(rng, lane, year[idx], major[line_street[idx]])
        values["status"] = _status(rng, lane, year[idx])
        if lane.category in _LOCAL_OWNERS:
            where = [_CORES[net.streets[s].core].district for s in line_street[idx].tolist()]
            values["owner"] = values["operator"] = np.array(
                [_owner(lane.category, d) for d in where], dtype=object)
        for name, value in values.items():
            column = _lists(value, len(idx))
            for i, v in zip(idx.tolist(), column, strict=True):
                attrs[name][i] = v
    points = _point_table(rng, sel, lines, year[line_of], attrs, line_of)
    depth = np.asarray(points.pop("_depth"))
    n = len(lines.geoms)
    seg_lane = lines.lane
    names = [net.streets[s].name for s in seg_street.tolist()]
    division = district.tolist()
    category = [_LANES[i].category for i in seg_lane.tolist()]
    cols = _common(n, _numbered(_cjj(category), division),
                   division, _survey_dates(rng, n),
                   [_district_name(d) + s for d, s in zip(division, names, strict=True)])
    sub_zh = [codes.PIPELINE_SUBCATEGORIES.get(lane.subcategory).zh for lane in _LANES]
    cols["name"] = [s + sub_zh[i] + "管线" for s, i in zip(names, seg_lane.tolist(), strict=True)]
    cols["geom"] = _wkt(lines.geoms)
    cols["category"] = category
    cols["subcategory"] = [_LANES[i].subcategory for i in seg_lane.tolist()]
    for name in _PIPE_ATTRS:
        cols[name] = np.array(attrs[name], dtype=object)[line_of].tolist()
    cols["build_year"] = year[line_of].tolist()
    cols["condition_grade"] = _condition(rng, year[line_of]).tolist()
    cols["start_depth_m"] = depth[lines.start].tolist()
    cols["end_depth_m"] = depth[lines.end].tolist()
    cols["start_point"] = lines.start.tolist()
    cols["end_point"] = lines.end.tolist()
    _, _, dist = _geod.inv(lines.lon0, lines.lat0, lines.lon1, lines.lat1)
    cols["length_m"] = np.round(np.abs(dist), 3).tolist()
    return points, cols


def _point_kinds(rng: np.random.Generator, lines: _Lines) -> list[str]:
    """Manholes on drains, junctions and valves on pressure pipes, joints on cables."""
    degree = np.bincount(np.concatenate([lines.start, lines.end]), minlength=len(lines.px))
    r = rng.random(len(lines.px))
    kinds = np.full(len(lines.px), "feature_point", dtype=object)
    cat = np.array([lane.category for lane in _LANES])[lines.plane]
    key = np.array([lane.key for lane in _LANES])[lines.plane]
    pressure = np.isin(cat, ["water_supply", "gas", "heat"])
    kinds[pressure & (r < 0.15)] = "valve"
    kinds[(key == "water") & (r >= 0.15) & (r < 0.27)] = "hydrant"
    kinds[(key == "water") & (r >= 0.27) & (r < 0.29)] = "meter"
    kinds[(cat == "gas") & (r >= 0.15) & (r < 0.18)] = "regulator"
    kinds[pressure & (degree == 1)] = "end_cap"
    kinds[pressure & (degree >= 3)] = "junction"
    cable = np.isin(cat, ["power", "telecom"])
    kinds[cable & (lines.pcorner | (r < 0.3))] = "cable_joint"
    kinds[cat == "drainage"] = "manhole"
    return kinds.tolist()


def _point_table(rng: np.random.Generator, sel: _Selection, lines: _Lines,
                 seg_year: np.ndarray, attrs: dict[str, list[Any]],
                 line_of: np.ndarray) -> Columns:
    """Network point columns: kind, depth (smooth along the street), ground elevation."""
    net = sel.net
    n = len(lines.px)
    first_seg = np.full(n, len(lines.geoms))
    segs = np.arange(len(lines.geoms))
    np.minimum.at(first_seg, lines.start, segs)
    np.minimum.at(first_seg, lines.end, segs)
    lo = np.array([lane.depth_m[0] for lane in _LANES])[lines.plane]
    hi = np.array([lane.depth_m[1] for lane in _LANES])[lines.plane]
    field_ = _smooth(rng, lines.px, lines.py)
    depth = np.round(lo + (hi - lo) * (0.5 + 0.4 * field_ + rng.uniform(-0.1, 0.1, n)), 2)
    elevation = np.round(np.clip(8.5 + 5.5 * _smooth(rng, lines.px, lines.py)
                                 + rng.normal(0, 0.4, n), 3, 15), 2)
    core = net.node_core[net.start[lines.pblock]]
    division = [_CORES[c].district for c in core.tolist()]
    street = [net.streets[s].name for s in net.street[lines.pblock].tolist()]
    category = [_LANES[i].category for i in lines.plane.tolist()]
    cols = _common(n, _numbered(_cjj(category), division, "P"), division,
                   _survey_dates(rng, n),
                   [_district_name(d) + s for d, s in zip(division, street, strict=True)])
    cols["name"] = [None] * n
    cols["geom"] = _wkt(shapely.points(lines.plon, lines.plat))
    cols["kind"] = _point_kinds(rng, lines)
    cols["category"] = category
    cols["ground_elevation_m"] = elevation.tolist()
    cols["depth_m"] = depth.tolist()
    owner = attrs["owner"]
    cols["owner"] = [owner[i] for i in line_of[first_seg].tolist()]
    cols["status"] = ["in_service"] * n
    year = seg_year[first_seg]
    cols["build_year"] = year.tolist()
    cols["condition_grade"] = _condition(rng, year).tolist()
    cols["_depth"] = depth.tolist()
    return cols


@cache
def _district_name(code: str) -> str:
    """The district's Chinese name, e.g. 西湖区."""
    return _space().districts[code].name


# --------------------------------------------------------------------------- tunnels


@dataclass(frozen=True)
class _TunnelLine:
    """A pipeline carried in a cabin, offset from the tunnel's centreline."""

    category: str
    subcategory: str
    offset_m: float
    attrs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class _Cabin:
    """A cabin of a tunnel (GB 50838: gas alone, no heat beside power cables)."""

    name: str
    use: str
    lines: tuple[_TunnelLine, ...]


@dataclass(frozen=True)
class _TunnelSpec:
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
    cabins: tuple[_Cabin, ...]


def _tl(category: str, sub: str, offset: float, **attrs: Any) -> _TunnelLine:
    """A tunnel line, written compactly in the table below."""
    return _TunnelLine(category, sub, offset, tuple(sorted(attrs.items())))


_TUNNELS: tuple[_TunnelSpec, ...] = (
    _TunnelSpec(
        "江东大道综合管廊", "trunk", "330114", (120.440, 30.338), ((80, 2000), (92, 2200)),
        8.6, 3.9, 2018, "杭州市钱塘区城市建设集团有限公司",
        (
            _Cabin("综合舱", "integrated", (
                _tl("water_supply", "transmission", -1.8, material="ductile_iron",
                    diameter_mm=1000),
                _tl("telecom", "data_network", -0.6, material="optical_fibre", cable_count=24),
            )),
            _Cabin("电力舱", "power", (
                _tl("power", "power_supply", 1.0, material="copper", voltage_kv=110,
                    cable_count=6),
                _tl("power", "power_supply", 1.6, material="copper", voltage_kv=10,
                    cable_count=12),
            )),
            _Cabin("燃气舱", "gas", (
                _tl("gas", "natural_gas", 3.2, material="steel", diameter_mm=400,
                    pressure_class="sub_high_b", pressure_mpa=0.6),
            )),
        ),
    ),
    _TunnelSpec(
        "江晖路综合管廊", "branch", "330108", (120.176, 30.176), ((58, 900), (64, 700)),
        4.4, 3.2, 2021, "杭州市滨江区城市建设投资有限公司",
        (
            _Cabin("综合舱", "integrated", (
                _tl("water_supply", "distribution", -1.0, material="ductile_iron",
                    diameter_mm=400),
                _tl("telecom", "data_network", -0.3, material="optical_fibre", cable_count=12),
            )),
            _Cabin("电力舱", "power", (
                _tl("power", "power_supply", 1.2, material="copper", voltage_kv=10,
                    cable_count=8),
            )),
        ),
    ),
)
_TUNNEL_OPERATOR = "杭州市城市综合管廊运营管理有限公司"
_NODE_EVERY = (("ventilation", "通风口", 200, 100), ("material_entry", "投料口", 400, 200),
               ("access", "人员出入口", 800, 0), ("monitoring", "监测点", 500, 250))


def _tunnel_centreline(spec: _TunnelSpec) -> LineString:
    """The tunnel's centreline in metres."""
    space = _space()
    x, y = space.to_m.transform(*spec.start)
    coords = [(x, y)]
    for bearing, metres in spec.legs:
        b = math.radians(bearing)
        x, y = x + metres * math.sin(b), y + metres * math.cos(b)
        coords.append((x, y))
    return LineString(coords)


@dataclass
class DemoTunnel:
    """A tunnel's row, its cabins with the pipelines they carry, its nodes."""

    row: dict[str, Any]
    cabins: list[dict[str, Any]]  # name, use, fire_compartment_m, lines: pipeline indices
    nodes: list[dict[str, Any]]


def _tunnel_nodes(spec: _TunnelSpec, line: LineString) -> list[dict[str, Any]]:
    """Openings along the tunnel: ventilation every 200 m, material entries, access, sensors."""
    space = _space()
    found: list[tuple[float, str, str]] = []
    for kind, zh, every, first in _NODE_EVERY:
        at = np.arange(first, line.length + 1, every)
        if kind == "access":
            at = np.unique(np.append(at, line.length))
        found += [(float(d), kind, f"{n + 1}号{zh}") for n, d in enumerate(at)]
    if spec.tunnel_type == "trunk":
        found.append((line.length / 2, "branch", "1号管线分支口"))
    found.sort()
    nodes = []
    for position, (d, kind, name) in enumerate(found):
        p = line.interpolate(d)
        lon, lat = space.to_ll.transform(p.x, p.y)
        nodes.append({"position": position, "kind": kind, "name": name,
                      "lon": round(lon, WKT_DIGITS), "lat": round(lat, WKT_DIGITS)})
    return nodes


def _tunnel_line_rows(tl: _TunnelLine,
                      centre: LineString) -> tuple[list[BaseGeometry], list[BaseGeometry]]:
    """Segments of about 100 m along one carried line, and their end points (lon/lat)."""
    space = _space()
    path = centre.offset_curve(tl.offset_m)
    stops = np.linspace(0, path.length, math.ceil(path.length / 100) + 1)
    segs = [space.lonlat(substring(path, a, b)) for a, b in zip(stops[:-1], stops[1:], strict=True)]
    points = [space.lonlat(path.interpolate(d)) for d in stops]
    return segs, points


def _tunnels(budget: int) -> tuple[list[DemoTunnel], Columns, Columns]:
    """Both tunnels with the pipelines in their cabins, at most `budget` segments in all."""
    plans: list[DemoTunnel] = []
    seg_rows: list[dict[str, Any]] = []
    point_rows: list[dict[str, Any]] = []
    for t_index, spec in enumerate(_TUNNELS):
        centre = _tunnel_centreline(spec)
        geom = _space().lonlat(centre)
        _assert_inside(spec.district, geom)
        row = {"name": spec.name, "external_id": f"GL-{spec.district}-{t_index + 1:04d}",
               "geom": geom, "tunnel_type": spec.tunnel_type, "width_m": spec.width_m,
               "height_m": spec.height_m, "build_year": spec.build_year,
               "design_life_years": 100, "owner": spec.owner, "operator": _TUNNEL_OPERATOR,
               "status": "in_service", "condition_grade": 1,
               "length_m": round(abs(_geod.geometry_length(geom)), 3),
               "address": _district_name(spec.district) + spec.name.removesuffix("综合管廊"),
               "survey_date": date(2024, 5, 20), "division_code": spec.district}
        cabins = []
        for cabin in spec.cabins:
            lines: list[int] = []
            for tl in cabin.lines:
                segs, points = _tunnel_line_rows(tl, centre)
                for n, seg in enumerate(segs):
                    if len(seg_rows) >= budget:
                        break
                    _assert_inside(spec.district, seg)
                    if n == 0:
                        point_rows.append(_tunnel_point(spec, tl, points[0], 0, len(segs)))
                    start = len(point_rows) - 1
                    point_rows.append(_tunnel_point(spec, tl, points[n + 1], n + 1, len(segs)))
                    lines.append(len(seg_rows))
                    seg_rows.append(_tunnel_segment(spec, cabin, tl, seg, start,
                                                    len(point_rows) - 1))
            cabins.append({"name": cabin.name, "use": cabin.use, "fire_compartment_m": 200.0,
                           "lines": lines})
        plans.append(DemoTunnel(row, cabins, _tunnel_nodes(spec, centre)))
    return plans, _rows_to_columns(point_rows), _rows_to_columns(seg_rows)


def _tunnel_point(spec: _TunnelSpec, tl: _TunnelLine, p: BaseGeometry, n: int,
                  last: int) -> dict[str, Any]:
    """A point on a tunnel line: valves on pipes, joints on cables."""
    if tl.category in ("power", "telecom"):
        kind = "cable_joint" if n % 3 == 0 or n == last else "feature_point"
    else:
        kind = "valve" if n % 4 == 0 else "feature_point"
    return {"geom": p, "kind": kind, "category": tl.category, "ground_elevation_m": 6.5,
            "depth_m": 3.2, "owner": _line_owner(tl), "status": "in_service",
            "condition_grade": 1, "build_year": spec.build_year, "name": None,
            "address": _district_name(spec.district) + spec.name,
            "survey_date": date(2024, 5, 20), "division_code": spec.district}


def _line_owner(tl: _TunnelLine) -> str:
    """Who owns a line carried in a tunnel."""
    return _OWNERS.get(tl.category) or _TELECOM_OWNERS[0]


def _tunnel_segment(spec: _TunnelSpec, cabin: _Cabin, tl: _TunnelLine, seg: BaseGeometry,
                    start: int, end: int) -> dict[str, Any]:
    """A pipeline segment inside a cabin (burial: utility tunnel)."""
    attrs = dict.fromkeys(_PIPE_ATTRS) | dict(tl.attrs)
    sub_zh = codes.PIPELINE_SUBCATEGORIES.get(tl.subcategory).zh
    attrs.update(burial_method="utility_tunnel", owner=_line_owner(tl), operator=_line_owner(tl),
                 status="in_service")
    return attrs | {
        "geom": seg, "name": f"{spec.name}{cabin.name}{sub_zh}管线", "category": tl.category,
        "subcategory": tl.subcategory, "start_depth_m": 3.2, "end_depth_m": 3.2,
        "build_year": spec.build_year, "condition_grade": 1, "start_point": start,
        "end_point": end, "length_m": round(abs(_geod.geometry_length(seg)), 3),
        "address": _district_name(spec.district) + spec.name,
        "survey_date": date(2024, 5, 20), "division_code": spec.district,
    }


def _rows_to_columns(rows: list[dict[str, Any]]) -> Columns:
    """Rows of one shape as columns."""
    if not rows:
        return {}
    return {key: [r[key] for r in rows] for key in rows[0]}


def _assert_inside(district: str, geom: BaseGeometry) -> None:
    """Fail loudly if a fixed demo feature strays out of its district."""
    if not _space().districts[district].ll.contains(geom):
        raise ValueError(f"demo geometry outside {district}: {geom.wkt[:80]}")


# --------------------------------------------------------------------------- shelters


@dataclass(frozen=True)
class _ShelterType:
    """A kind of shelter site the demo places beside streets."""

    key: str
    kind: str
    shelter_class: str
    tier: str
    site_type: str
    weight: float
    facilities: tuple[int, int]
    entrances: tuple[int, int]
    names: tuple[str, ...]


_SHELTER_TYPES = (
    _ShelterType("central", "emergency_shelter", "central", "city", "outdoor", 0.05, (8, 11),
                 (4, 8), ("中央公园", "体育公园")),
    _ShelterType("park", "emergency_shelter", "fixed_medium", "county", "outdoor", 0.15, (5, 8),
                 (4, 6), ("公园", "文化公园")),
    _ShelterType("green", "emergency_shelter", "fixed_short", "township", "outdoor", 0.15,
                 (4, 6), (2, 4), ("绿地", "游园")),
    _ShelterType("square", "emergency_shelter", "emergency", "village", "outdoor", 0.15, (3, 4),
                 (2, 3), ("广场", "街心广场")),
    _ShelterType("school", "emergency_shelter", "fixed_short", "township", "indoor", 0.35,
                 (4, 6), (2, 3), ("小学", "中学", "实验学校")),
    _ShelterType("gym", "emergency_shelter", "fixed_medium", "county", "indoor", 0.15, (5, 8),
                 (3, 5), ("体育馆", "全民健身中心")),
)
_CIVIL_DEFENCE = _ShelterType("civil", "civil_defence", "fixed_short", "county", "indoor", 0,
                              (3, 5), (2, 4), ("人防疏散基地", "地下人防工程"))


def _shelter_counts(segments: int) -> tuple[int, int]:
    """About 60 shelters and 10 civil-defence works at the default size, 400 at most."""
    ratio = max(segments, 1) / 6000
    return min(360, max(6, round(60 * ratio ** 0.4))), min(40, max(2, round(10 * ratio ** 0.3)))


def _shelter_shape(t: _ShelterType, rng: np.random.Generator, s: np.ndarray, e: np.ndarray,
                   side: int) -> BaseGeometry:
    """The site in metres beside a block: a park rectangle, a square, or a building point."""
    length = float(np.hypot(*(e - s)))
    u = (e - s) / length
    n = np.array([-u[1], u[0]]) * side
    if t.site_type == "indoor":
        return Point(s + u * length * rng.uniform(0.35, 0.65) + n * rng.uniform(45, 70))
    if t.key == "square":
        size = rng.uniform(32, 44)
        a0 = length / 2 - size / 2
        a1, d0, d1 = a0 + size, 30.0, 30.0 + size
    else:
        # clear of the cross streets at the block's ends and of the parallel street behind
        span = {"central": 0.35, "park": 0.28, "green": 0.18}[t.key]
        a0, a1 = max(35, length * (0.5 - span)), min(length - 35, length * (0.5 + span))
        d0, d1 = 30.0, 30.0 + {"central": 75, "park": 65, "green": 50}[t.key] * rng.uniform(0.8, 1)
    corners = [s + u * a + n * d for a, d in ((a0, d0), (a1, d0), (a1, d1), (a0, d1))]
    return Polygon(corners)


def _shelters(sel: _Selection, segments: int, seed: int) -> Columns:
    """Parks, squares, schools and gyms beside the streets, plus civil-defence works."""
    rng = np.random.default_rng([seed, 12])
    space, net = _space(), sel.net
    wanted, civil = _shelter_counts(segments)
    weights = np.array([t.weight for t in _SHELTER_TYPES])
    plan = [_SHELTER_TYPES[i] for i in rng.choice(len(weights), wanted, p=weights / weights.sum())]
    plan += [_CIVIL_DEFENCE] * civil
    slots = [(int(b), side) for b in rng.permutation(sel.blocks) for side in (1, -1)]
    placed: list[BaseGeometry] = []
    rows: list[dict[str, Any]] = []
    used_names: set[str] = set()
    for block, side in slots:
        if len(rows) == len(plan):
            break
        t = plan[len(rows)]
        s = np.array([net.node_x[net.start[block]], net.node_y[net.start[block]]])
        e = np.array([net.node_x[net.end[block]], net.node_y[net.end[block]]])
        shape = _shelter_shape(t, rng, s, e, side)
        district = _CORES[int(net.node_core[net.start[block]])].district
        clear = shape.buffer(40)
        if not space.districts[district].inner_m.contains(shape) or any(
                clear.intersects(p) for p in placed):
            continue
        geom = space.lonlat(shape)
        if not space.districts[district].ll.contains(geom):
            continue
        placed.append(shape)
        street = net.streets[int(net.street[block])]
        rows.append(_shelter_row(t, rng, geom, shape, district, street, (s + e) / 2,
                                 used_names))
    cols = _rows_to_columns(rows)
    if cols:
        cols["geom"] = _wkt(np.array(cols["geom"], dtype=object))
        prefixes = ["RF" if k == "civil_defence" else "BN" for k in cols["kind"]]
        cols.update(_common(len(rows), _numbered(prefixes, cols["division_code"], width=4),
                            cols["division_code"], cols["survey_date"], cols["address"]))
    return cols


def _shelter_row(t: _ShelterType, rng: np.random.Generator, geom: BaseGeometry,
                 shape: BaseGeometry, district: str, street: _Street, mid: np.ndarray,
                 used_names: set[str]) -> dict[str, Any]:
    """One shelter's attributes: area and capacity by class, facilities, managing unit."""
    if t.site_type == "indoor":
        area = float(rng.uniform(2000, 8000) if t.key in ("gym", "civil") else
                     rng.uniform(800, 3000))
    else:
        area = shape.area * float(rng.uniform(0.5, 0.8))
    if t.shelter_class == "emergency":
        area = min(area, 2000 * codes.SHELTER_AREA_PER_PERSON["emergency"])
    area = round(area, 1)
    name = _unique_name(street.base, t.names[int(rng.integers(len(t.names)))], used_names)
    dname = _district_name(district)
    unit = {"school": name, "gym": f"杭州市{dname}文化和广电旅游体育局",
            "civil": f"杭州市{dname}国防动员办公室"}.get(t.key, f"杭州市{dname}应急管理局")
    count = int(rng.integers(t.facilities[0], t.facilities[1] + 1))
    facilities = [_FACILITIES[i] for i in sorted(rng.choice(len(_FACILITIES), count,
                                                            replace=False))]
    return {
        "name": name, "geom": geom, "kind": t.kind,
        "shelter_class": t.shelter_class, "tier": t.tier, "site_type": t.site_type,
        "effective_area_m2": area,
        "capacity_persons": int(area // codes.SHELTER_AREA_PER_PERSON[t.shelter_class]),
        "facilities": facilities,
        "entrances": int(rng.integers(t.entrances[0], t.entrances[1] + 1)),
        "managing_unit": unit, "contact_phone": None, "is_open": bool(rng.random() < 0.92),
        "build_year": int(rng.integers(2005, 2025)),
        "address": f"{dname}{street.name}{_side_name(shape, mid)}",
        "survey_date": _survey_dates(rng, 1)[0], "division_code": district,
    }


def _unique_name(base: str, suffix: str, used: set[str]) -> str:
    """A name not used yet: 文三公园, then 文三东公园, 文三西公园…"""
    for variant in ("", "东", "西", "南", "北", "新", "中"):
        name = base + variant + suffix
        if name not in used:
            used.add(name)
            return name
    n = 2
    while f"{base}{suffix}{n}" in used:
        n += 1
    used.add(f"{base}{suffix}{n}")
    return f"{base}{suffix}{n}"


def _side_name(shape: BaseGeometry, mid: np.ndarray) -> str:
    """北侧/南侧/东侧/西侧: which side of the street the site lies on."""
    dx, dy = shape.centroid.x - mid[0], shape.centroid.y - mid[1]
    if abs(dy) >= abs(dx):
        return "北侧" if dy > 0 else "南侧"
    return "东侧" if dx > 0 else "西侧"


# --------------------------------------------------------------------------- flood points


_CAUSE_WEIGHTS = {"underpass": 20, "low_lying": 25, "metro_entrance": 15,
                  "drainage_capacity": 15, "blocked_inlets": 10, "sunken_tunnel": 5,
                  "outfall_backflow": 10}
_PLANS = {
    "underpass": "汛前检修下立交泵站，设置水位监测和电子警示屏；积水超过15cm封闭交通，调派移动泵车强排。",
    "sunken_tunnel": "完善隧道排水泵站双电源，设置挡水设施和水位预警；暴雨时提前封闭。",
    "low_lying": "改造雨水管网、增设雨水口；汛期预置移动泵车和沙袋。",
    "metro_entrance": "出入口加设挡水板和防淹门，配备沙袋；与地铁运营单位联动值守。",
    "drainage_capacity": "实施管网提标改造（管径扩大），汛期加强巡查和应急抽排。",
    "blocked_inlets": "汛前清疏雨水口和支管，落实网格化巡查，暴雨前清理垃圾杂物。",
    "outfall_backflow": "出水口加装拍门，河道预降水位，配合泵站联排联调。",
}


def _flood_count(segments: int) -> int:
    """About 40 flood points at the default size, growing slowly."""
    return min(200, max(4, round(40 * (max(segments, 1) / 6000) ** 0.3)))


def _flood_points(sel: _Selection, segments: int, seed: int) -> list[dict[str, Any]]:
    """Flood points at street corners: underpasses, low ground, metro entrances…"""
    rng = np.random.default_rng([seed, 13])
    space, net = _space(), sel.net
    ends = np.concatenate([net.start[sel.blocks], net.end[sel.blocks]])
    degree = np.bincount(ends, minlength=len(net.node_x))
    nodes = np.flatnonzero(degree >= 3)
    if len(nodes) < _flood_count(segments):
        nodes = np.flatnonzero(degree >= 1)
    picked = rng.permutation(nodes)[: _flood_count(segments)]
    causes = list(_CAUSE_WEIGHTS)
    w = np.array(list(_CAUSE_WEIGHTS.values()), float)
    rows = []
    for node in picked.tolist():
        cause = causes[int(rng.choice(len(causes), p=w / w.sum()))]
        k = int(net.node_core[node])
        district = _CORES[k].district
        angle = rng.uniform(0, 2 * math.pi)
        reach = 22.0 if cause == "metro_entrance" else rng.uniform(3, 15)
        x = net.node_x[node] + reach * math.cos(angle)
        y = net.node_y[node] + reach * math.sin(angle)
        lon, lat = space.to_ll.transform(x, y)
        geom = Point(round(lon, WKT_DIGITS), round(lat, WKT_DIGITS))
        if not space.districts[district].ll.contains(geom):
            continue
        a = net.streets[int(net.node_row[node])]
        b = net.streets[int(net.node_col[node])]
        rows.append(_flood_row(rng, cause, geom, district, a, b))
    divisions = [r["division_code"] for r in rows]
    for row, ext in zip(rows, _numbered(["YL"] * len(rows), divisions, width=4),
                        strict=True):
        row["external_id"] = ext
    return rows


def _flood_name(rng: np.random.Generator, cause: str, a: _Street, b: _Street) -> str:
    """How the city lists a flood point: by its streets and what floods there."""
    gate = "ABCD"[int(rng.integers(4))]
    return {
        "underpass": f"{a.name}{b.name}下立交",
        "sunken_tunnel": f"{a.name}下沉隧道（{b.name}口）",
        "low_lying": f"{a.name}（{b.name}口）低洼段",
        "metro_entrance": f"地铁{a.base}站{gate}出入口",
        "outfall_backflow": f"{a.name}（{b.name}口）沿河段",
    }.get(cause, f"{a.name}与{b.name}交叉口")


def _flood_row(rng: np.random.Generator, cause: str, geom: Point, district: str, a: _Street,
               b: _Street) -> dict[str, Any]:
    """A flood point with its history of waterlogging events."""
    events = _events(rng, int(rng.integers(2, 9)))
    status, eliminated_on = "active", None
    last = events[-1]["occurred_on"]
    if rng.random() < 0.3:
        candidate = last + timedelta(days=int(rng.integers(60, 400)))
        if candidate <= date(2025, 11, 30):
            status, eliminated_on = "eliminated", candidate
    dname = _district_name(district)
    return {
        "name": _flood_name(rng, cause, a, b), "geom": geom, "cause": cause,
        "catchment": f"{a.base}排水分区", "status": status, "eliminated_on": eliminated_on,
        "trigger_rainfall_mm_h": round(float(rng.uniform(25, 60)), 1),
        "responsible_unit": f"杭州市{dname}城市管理局",
        "contact_person": _SURNAMES[int(rng.integers(len(_SURNAMES)))] + "工",
        "plan": "一点一策：" + _PLANS[cause],
        "pumps": int(rng.integers(2, 5) if cause in ("underpass", "sunken_tunnel")
                     else rng.integers(0, 3)),
        "address": f"{dname}{a.name}与{b.name}交叉口", "data_source": DATA_SOURCE,
        "survey_date": _survey_dates(rng, 1)[0], "division_code": district, "events": events,
    }


def _events(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    """Waterlogging in the rainy season of 2019–2025: 梅雨 in June–July, typhoons Aug–Sep."""
    seen: set[date] = set()
    events = []
    while len(events) < count:
        year = int(rng.integers(2019, 2026))
        meiyu = rng.random() < 0.55
        first = date(year, 6, 10) if meiyu else date(year, 8, 1)
        day = first + timedelta(days=int(rng.integers(0, 36 if meiyu else 61)))
        if day in seen:
            continue
        seen.add(day)
        rain = float(rng.uniform(40, 150) if meiyu else rng.uniform(80, 250))
        depth = 10 + 50 * min(1.0, max(0.0, (rain - 40) / 210 + rng.normal(0, 0.12)))
        events.append({
            "occurred_on": day, "max_depth_cm": round(depth),
            "duration_h": round(float(rng.uniform(0.5, 6)), 1), "rainfall_mm": round(rain, 1),
            "area_m2": float(round(rng.uniform(200, 6000), -1)),
            "note": "梅雨期强降雨" if meiyu else "台风外围强降雨",
        })
    return sorted(events, key=lambda e: e["occurred_on"])


# --------------------------------------------------------------------------- the city


def generate(segments: int = 6000, seed: int = 2026) -> DemoCity:
    """The whole demo city as plain data: deterministic for a seed, no database needed."""
    if segments < 1:
        raise ValueError("the demo needs at least one pipeline segment")
    tunnel_budget = max(0, segments // 4)
    tunnels, t_points, t_pipes = _tunnels(tunnel_budget)
    street_segments = max(0, segments - len(t_pipes.get("geom", [])))
    sel = _select(street_segments, seed)
    lines = _street_lines(sel, street_segments)
    sel.blocks = sel.blocks[np.isin(sel.blocks, lines.block)]  # shelters go where pipes are
    points, pipes = _street_tables(sel, lines, seed)
    _append_tunnel_rows(points, pipes, tunnels, t_points, t_pipes)
    return DemoCity(points, pipes, tunnels, _shelters(sel, segments, seed),
                    _flood_points(sel, segments, seed))


def _append_tunnel_rows(points: Columns, pipes: Columns, tunnels: list[DemoTunnel],
                        t_points: Columns, t_pipes: Columns) -> None:
    """Put the tunnel pipelines after the street ones, renumbering their references."""
    if not t_pipes:
        return
    p0, s0 = len(points["geom"]), len(pipes["geom"])
    t_points = dict(t_points, geom=_wkt(np.array(t_points["geom"], dtype=object)))
    t_pipes = dict(t_pipes, geom=_wkt(np.array(t_pipes["geom"], dtype=object)),
                   start_point=[p0 + i for i in t_pipes["start_point"]],
                   end_point=[p0 + i for i in t_pipes["end_point"]])
    t_points.update(_common(len(t_points["geom"]), _numbered(
        _cjj(t_points["category"]), t_points["division_code"], "G", 5), t_points["division_code"],
        t_points["survey_date"], t_points["address"]))
    t_pipes.update(_common(len(t_pipes["geom"]), _numbered(
        _cjj(t_pipes["category"]), t_pipes["division_code"], "G", 5), t_pipes["division_code"],
        t_pipes["survey_date"], t_pipes["address"]))
    for key in points:
        points[key].extend(t_points[key])
    for key in pipes:
        pipes[key].extend(t_pipes[key])
    for plan in tunnels:
        for cabin in plan.cabins:
            cabin["lines"] = [s0 + i for i in cabin["lines"]]


# --------------------------------------------------------------------------- loading


def load(session: Session, *, segments: int = 6000, seed: int = 2026,
         progress: Progress | None = None) -> DemoSummary:
    """Load the demo city once (idempotent); never commits, the caller owns the transaction."""
    started = time.perf_counter()
    report = _Steady(progress or _quiet)
    if _already_loaded(session):
        if not demo_hazards.loaded(session):  # a demo loaded before it had hazards
            _add_hazards(session, _flood_sites_stored(session), seed)
        demo_hidden_hazards.load(session)  # hidden hazards at several steps of their loop
        demo_inspections.load(session)  # plans and a few days of the inspector's tasks
        return _summary(session, created=False, seconds=time.perf_counter() - started)
    report(0.0, "divisions and users")
    _ensure_divisions(session)
    _ensure_users(session)
    report(0.03, "generating the city")
    city = generate(segments, seed)
    report(0.2, "network points")
    point_ids = _insert_assets(session, NetworkPoint.__table__, city.points,
                               lambda f: report(0.2 + 0.35 * f, "network points"))
    pipes = dict(city.pipelines)
    pipes["start_point_id"] = [point_ids[i] for i in pipes.pop("start_point")]
    pipes["end_point_id"] = [point_ids[i] for i in pipes.pop("end_point")]
    report(0.55, "pipelines")
    tunnel_rows = sorted({i for t in city.tunnels for c in t.cabins for i in c["lines"]})
    pipe_ids = _insert_assets(session, Pipeline.__table__, pipes,
                              lambda f: report(0.55 + 0.4 * f, "pipelines"),
                              want_ids=set(tunnel_rows))
    report(0.95, "tunnels, shelters and flood points")
    _add_tunnels(session, city.tunnels, pipe_ids)
    if city.shelters:
        _insert_assets(session, Shelter.__table__, city.shelters, lambda f: None)
    _add_flood_points(session, city.flood_points)
    report(0.98, "hazard zones and risk points")
    _add_hazards(session, [_flood_site(r["geom"], r["division_code"], r["name"], r["events"])
                           for r in city.flood_points], seed)
    demo_hidden_hazards.load(session)
    demo_inspections.load(session)
    session.flush()
    report(1.0, "done")
    return _summary(session, created=True, seconds=time.perf_counter() - started)


def _quiet(fraction: float, message: str) -> None:
    """The default progress callback: say nothing."""


class _Steady:
    """Pass progress on rounded and never going backwards, whatever the stages compute."""

    def __init__(self, callback: Progress):
        self.callback = callback
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        self.last = max(self.last, round(min(fraction, 1.0), 3))
        self.callback(self.last, message)


def _already_loaded(session: Session) -> bool:
    """True when divisions exist and some pipeline came from the demo."""
    has_divisions = session.scalar(select(Division.code).limit(1)) is not None
    p = Pipeline.__table__.c
    return has_divisions and session.scalar(
        select(p.id).where(p.data_source == DATA_SOURCE).limit(1)) is not None


def _ensure_divisions(session: Session) -> None:
    """Insert Zhejiang, Hangzhou and its 13 county-level units where missing."""
    d = Division.__table__
    have = set(session.scalars(select(d.c.code)))
    rows = [
        {"code": s.code, "name": s.name, "name_en": s.name_en, "level": s.level,
         "parent_code": s.parent_code, "population": s.population,
         "boundary": from_shape(shapely.from_wkt(s.boundary_wkt), srid=SRID)}
        for s in hangzhou_divisions() if s.code not in have
    ]
    if rows:
        session.execute(insert(d), rows)


def _ensure_users(session: Session) -> None:
    """Create the demo users that do not exist yet."""
    have = set(session.scalars(select(accounts.User.username).where(
        accounts.User.username.in_([u.username for u in DEMO_USERS]))))
    for user in DEMO_USERS:
        if user.username not in have:
            accounts.add_user(session, user.username, role=user.role, password=user.password,
                              divisions=user.divisions, display_name=user.display_name or None)


def _insert_assets(session: Session, table: Table, columns: Columns,
                   progress: Callable[[float], None],
                   want_ids: set[int] | None = None) -> list[int]:
    """Batched Core inserts; returns database ids by row (all, or only `want_ids`' rows)."""
    c = table.c
    before = session.scalar(select(func.max(c.id))) or 0
    stamp = now()
    total = len(columns["geom"])
    for first in range(0, total, CHUNK):
        part = {k: v[first:first + CHUNK] for k, v in columns.items()}
        # leave out columns that are empty in this chunk: fewer parameters to bind
        keys = [k for k, v in part.items() if any(x is not None for x in v)]
        rows = [dict(zip(keys, values, strict=True))
                for values in zip(*(part[k] for k in keys), strict=True)]
        for row in rows:
            row["geom"] = WKTElement(row["geom"], srid=SRID)
            row["created_at"] = row["updated_at"] = stamp
        session.execute(insert(table), rows)
        progress(min(1.0, (first + CHUNK) / total))
    ids_of = _ids_by_external_id(session, table, before, columns, want_ids)
    return [ids_of.get(e, 0) for e in columns["external_id"]]


def _ids_by_external_id(session: Session, table: Table, before: int, columns: Columns,
                        want_ids: set[int] | None) -> dict[str, int]:
    """Ids of the rows just inserted, read back by their (demo-unique) external ids."""
    c = table.c
    stmt = select(c.external_id, c.id).where(c.id > before, c.data_source == DATA_SOURCE)
    if want_ids is not None:
        wanted = [columns["external_id"][i] for i in sorted(want_ids)]
        if not wanted:
            return {}
        stmt = stmt.where(c.external_id.in_(wanted))
    return {e: i for e, i in session.execute(stmt)}


def _add_tunnels(session: Session, tunnels: list[DemoTunnel], pipe_ids: list[int]) -> None:
    """The two tunnels with cabins (and the pipelines they carry) and nodes, as ORM objects."""
    for plan in tunnels:
        row = dict(plan.row)
        row["geom"] = WKTElement(_wkt(np.array([row["geom"]]))[0], srid=SRID)
        tunnel = Tunnel(**row, data_source=DATA_SOURCE, created_by=CREATED_BY,
                        updated_by=CREATED_BY)
        tunnel.cabins = [
            TunnelCabin(position=n, name=c["name"], use=c["use"],
                        fire_compartment_m=c["fire_compartment_m"],
                        lines=[CabinLine(pipeline_id=pipe_ids[i]) for i in c["lines"]])
            for n, c in enumerate(plan.cabins)
        ]
        tunnel.nodes = [TunnelNode(**node) for node in plan.nodes]
        session.add(tunnel)
    session.flush()


def _add_flood_points(session: Session, rows: list[dict[str, Any]]) -> None:
    """Flood points with their events, as ORM objects (a few hundred at most)."""
    for row in rows:
        row = dict(row)
        events = row.pop("events")
        row["geom"] = WKTElement(_wkt(np.array([row["geom"]]))[0], srid=SRID)
        session.add(FloodPoint(**row, created_by=CREATED_BY, updated_by=CREATED_BY,
                               events=[WaterloggingEvent(**e) for e in events]))
    session.flush()


def _flood_site(geom: Point, division: str, name: str, events: list[Any]
                ) -> demo_hazards.FloodSite:
    depths = [e["max_depth_cm"] if isinstance(e, dict) else e.max_depth_cm for e in events]
    return demo_hazards.FloodSite(geom, division, name, float(max(depths, default=0) or 0))


def _flood_sites_stored(session: Session) -> list[demo_hazards.FloodSite]:
    """The demo's flood points as stored (for hazards added to an older demo)."""
    fp = FloodPoint.__table__.c
    rows = session.scalars(select(FloodPoint).where(fp.data_source == DATA_SOURCE)
                           .order_by(fp.id)).all()
    return [_flood_site(to_shape(r.geom), r.division_code, r.name or "", list(r.events))
            for r in rows]


def _add_hazards(session: Session, sites: list[demo_hazards.FloodSite], seed: int) -> None:
    """Hazard zones around the flood points and in the hills, and the hand-entered risk points."""
    space = _space()
    counties = {code: d.ll for code, d in space.districts.items()}
    city = next(shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()
                if d.level == "city")
    demo_hazards.load(session, counties, city, _river(counties), sites, seed=seed)


def _summary(session: Session, *, created: bool, seconds: float) -> DemoSummary:
    """Count what the demo holds (demo rows only, and their children)."""
    demo = DATA_SOURCE

    def count(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    p, t, fp = Pipeline.__table__.c, Tunnel.__table__.c, FloodPoint.__table__.c
    cab, line, node = TunnelCabin.__table__.c, CabinLine.__table__.c, TunnelNode.__table__.c
    demo_tunnels = select(t.id).where(t.data_source == demo)
    demo_cabins = select(cab.id).where(cab.tunnel_id.in_(demo_tunnels))
    pipes, metres = session.execute(
        select(func.count(), func.coalesce(func.sum(p.length_m), 0.0)).where(
            p.data_source == demo)).one()
    return DemoSummary(
        divisions=count(select(func.count()).select_from(Division)),
        users=count(select(func.count()).select_from(accounts.User).where(
            accounts.User.username.in_([u.username for u in DEMO_USERS]))),
        network_points=count(select(func.count()).select_from(NetworkPoint).where(
            NetworkPoint.data_source == demo)),
        pipelines=int(pipes),
        tunnels=count(select(func.count()).select_from(Tunnel).where(t.data_source == demo)),
        tunnel_cabins=count(select(func.count()).where(cab.tunnel_id.in_(demo_tunnels))),
        tunnel_cabin_lines=count(select(func.count()).where(line.cabin_id.in_(demo_cabins))),
        tunnel_nodes=count(select(func.count()).where(node.tunnel_id.in_(demo_tunnels))),
        shelters=count(select(func.count()).select_from(Shelter).where(
            Shelter.data_source == demo)),
        flood_points=count(select(func.count()).select_from(FloodPoint).where(
            fp.data_source == demo)),
        waterlogging_events=count(select(func.count()).select_from(WaterloggingEvent).where(
            WaterloggingEvent.flood_point_id.in_(select(fp.id).where(fp.data_source == demo)))),
        pipeline_km=round(float(metres) / 1000, 3),
        seconds=round(seconds, 2),
        created=created,
        hazard_zones=count(select(func.count()).select_from(HazardZone).where(
            HazardZone.data_source == demo)),
        risk_points=count(select(func.count()).select_from(RiskPoint).where(
            RiskPoint.data_source == demo)),
    )
