"""The demo's flood points (易涝点) at street corners, each with its history of waterlogging.

Causes (``data/flood_causes.csv``) come with their share, how the city names such a point,
how many pumps it has, and its one-point-one-plan (一点一策). Events fall in the rainy
seasons of 2019–2025: 梅雨 in June–July, typhoons in August–September, deeper with heavier
rain; about a third of the points have since been eliminated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from shapely.geometry import Point

from demo.columns import DATA_SOURCE, WKT_DIGITS, numbered, survey_dates
from demo.data import csv_rows, optional_float
from demo.lanes import Selection
from demo.space import district_name, space
from demo.streets import CORES, Street

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾沈"


@dataclass(frozen=True)
class Cause:
    """Why a place floods, and what the city writes down for it."""

    key: str
    weight: float
    reach_m: float | None  # fixed distance from the corner; None: 3–15 m at random
    pumps: tuple[int, int]
    name: str  # a pattern: {a}, {b} the streets, {a_base} the first's base name, {gate} A–D
    plan: str


CAUSES: tuple[Cause, ...] = tuple(
    Cause(r["cause"], float(r["weight"]), optional_float(r["reach_m"]),
          (int(r["pumps_min"]), int(r["pumps_max"])), r["name"], r["plan"])
    for r in csv_rows("flood_causes.csv"))


def flood_count(segments: int) -> int:
    """About 40 flood points at the default size, growing slowly."""
    scaled: float = 40 * (max(segments, 1) / 6000) ** 0.3
    return min(200, max(4, round(scaled)))


def flood_points(sel: Selection, segments: int, seed: int) -> list[dict[str, Any]]:
    """Flood points at street corners: underpasses, low ground, metro entrances…"""
    rng = np.random.default_rng([seed, 13])
    where, net = space(), sel.net
    ends = np.concatenate([net.start[sel.blocks], net.end[sel.blocks]])
    degree = np.bincount(ends, minlength=len(net.node_x))
    nodes = np.flatnonzero(degree >= 3)
    if len(nodes) < flood_count(segments):
        nodes = np.flatnonzero(degree >= 1)
    picked = rng.permutation(nodes)[: flood_count(segments)]
    w = np.array([c.weight for c in CAUSES], float)
    rows = []
    for node in picked.tolist():
        cause = CAUSES[int(rng.choice(len(CAUSES), p=w / w.sum()))]
        district = CORES[int(net.node_core[node])].district
        angle = rng.uniform(0, 2 * math.pi)
        reach = cause.reach_m if cause.reach_m is not None else rng.uniform(3, 15)
        x = net.node_x[node] + reach * math.cos(angle)
        y = net.node_y[node] + reach * math.sin(angle)
        lon, lat = where.to_ll.transform(x, y)
        geom = Point(round(lon, WKT_DIGITS), round(lat, WKT_DIGITS))
        if not where.districts[district].ll.contains(geom):
            continue
        a = net.streets[int(net.node_row[node])]
        b = net.streets[int(net.node_col[node])]
        rows.append(_row(rng, cause, geom, district, a, b))
    divisions = [r["division_code"] for r in rows]
    for row, ext in zip(rows, numbered(["YL"] * len(rows), divisions, width=4), strict=True):
        row["external_id"] = ext
    return rows


def _row(rng: np.random.Generator, cause: Cause, geom: Point, district: str, a: Street,
         b: Street) -> dict[str, Any]:
    """A flood point with its history of waterlogging events."""
    events = _events(rng, int(rng.integers(2, 9)))
    status, eliminated_on = "active", None
    last = events[-1]["occurred_on"]
    if rng.random() < 0.3:
        candidate = last + timedelta(days=int(rng.integers(60, 400)))
        if candidate <= date(2025, 11, 30):
            status, eliminated_on = "eliminated", candidate
    dname = district_name(district)
    gate = "ABCD"[int(rng.integers(4))]
    return {
        "name": cause.name.format(a=a.name, b=b.name, a_base=a.base, gate=gate), "geom": geom,
        "cause": cause.key, "catchment": f"{a.base}排水分区", "status": status,
        "eliminated_on": eliminated_on,
        "trigger_rainfall_mm_h": round(float(rng.uniform(25, 60)), 1),
        "responsible_unit": f"杭州市{dname}城市管理局",
        "contact_person": SURNAMES[int(rng.integers(len(SURNAMES)))] + "工",
        "plan": "一点一策：" + cause.plan,
        "pumps": int(rng.integers(cause.pumps[0], cause.pumps[1] + 1)),
        "address": f"{dname}{a.name}与{b.name}交叉口", "data_source": DATA_SOURCE,
        "survey_date": survey_dates(rng, 1)[0], "division_code": district, "events": events,
    }


def _events(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    """Waterlogging in the rainy season of 2019–2025: 梅雨 in June–July, typhoons Aug–Sep."""
    seen: set[date] = set()
    events: list[dict[str, Any]] = []
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
