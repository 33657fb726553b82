"""The demo's emergency shelters (应急避难场所): parks, squares, schools, gyms, civil-defence works.

Each kind of site (``data/shelter_types.csv``) has its class, tier and footprint: a park or
green is a strip beside a block, a square a small square, a school or gym a building point.
Sites sit beside the streets that carry pipelines, clear of each other, inside their district;
capacity follows the class's area per person (DOMAIN.md), and each has its facilities and its
managing unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from demo.columns import Columns, common, numbered, rows_to_columns, survey_dates, wkt
from demo.data import csv_rows, optional_float
from demo.lanes import Selection
from demo.space import district_name, space
from demo.streets import CORES, Street
from inventory.shelters import capacity_from_area
from resilience import codes

FACILITIES = ("应急供水", "应急厕所", "应急照明", "医疗救护", "应急供电", "物资储备",
              "应急广播", "消防设施", "应急停车", "垃圾收集", "指挥管理", "洗浴设施")


@dataclass(frozen=True)
class ShelterType:
    """A kind of shelter site the demo places beside streets."""

    key: str
    kind: str
    shelter_class: str
    tier: str
    site_type: str
    footprint: str  # strip (beside the block), square, building (a point)
    weight: float
    facilities: tuple[int, int]
    entrances: tuple[int, int]
    names: tuple[str, ...]
    managing_unit: str  # a pattern: {name} of the site, {district} it lies in
    strip_span: float | None = None  # share of the block's length either side of its middle
    strip_depth_m: float | None = None
    indoor_area_m2: tuple[float, float] | None = None


def _shelter_type(r: dict[str, str]) -> ShelterType:
    """A row of the data file as a frozen type."""
    low, high = optional_float(r["indoor_area_min_m2"]), optional_float(r["indoor_area_max_m2"])
    return ShelterType(
        r["key"], r["kind"], r["shelter_class"], r["tier"], r["site_type"], r["footprint"],
        float(r["weight"]), (int(r["facilities_min"]), int(r["facilities_max"])),
        (int(r["entrances_min"]), int(r["entrances_max"])), tuple(r["names"].split("|")),
        r["managing_unit"], optional_float(r["strip_span"]), optional_float(r["strip_depth_m"]),
        (low, high) if low is not None and high is not None else None)


_TYPES = tuple(_shelter_type(r) for r in csv_rows("shelter_types.csv"))
SHELTER_TYPES = tuple(t for t in _TYPES if t.kind != "civil_defence")
CIVIL_DEFENCE = next(t for t in _TYPES if t.kind == "civil_defence")


def shelter_counts(segments: int) -> tuple[int, int]:
    """About 60 shelters and 10 civil-defence works at the default size, 400 at most."""
    ratio = max(segments, 1) / 6000
    return min(360, max(6, round(60 * ratio ** 0.4))), min(40, max(2, round(10 * ratio ** 0.3)))


def _shape(t: ShelterType, rng: np.random.Generator, s: np.ndarray, e: np.ndarray,
           side: int) -> BaseGeometry:
    """The site in metres beside a block: a park rectangle, a square, or a building point."""
    length = float(np.hypot(*(e - s)))
    u = (e - s) / length
    n = np.array([-u[1], u[0]]) * side
    if t.footprint == "building":
        return Point(s + u * length * rng.uniform(0.35, 0.65) + n * rng.uniform(45, 70))
    if t.footprint == "square":
        size = rng.uniform(32, 44)
        a0 = length / 2 - size / 2
        a1, d0, d1 = a0 + size, 30.0, 30.0 + size
    else:
        # clear of the cross streets at the block's ends and of the parallel street behind
        span, depth = t.strip_span or 0.0, t.strip_depth_m or 0.0
        a0, a1 = max(35, length * (0.5 - span)), min(length - 35, length * (0.5 + span))
        d0, d1 = 30.0, 30.0 + depth * rng.uniform(0.8, 1)
    corners = [s + u * a + n * d for a, d in ((a0, d0), (a1, d0), (a1, d1), (a0, d1))]
    return Polygon(corners)


def shelters(sel: Selection, segments: int, seed: int) -> Columns:
    """Parks, squares, schools and gyms beside the streets, plus civil-defence works."""
    rng = np.random.default_rng([seed, 12])
    where, net = space(), sel.net
    wanted, civil = shelter_counts(segments)
    weights = np.array([t.weight for t in SHELTER_TYPES])
    plan = [SHELTER_TYPES[i] for i in rng.choice(len(weights), wanted, p=weights / weights.sum())]
    plan += [CIVIL_DEFENCE] * civil
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
        shape = _shape(t, rng, s, e, side)
        district = CORES[int(net.node_core[net.start[block]])].district
        clear = shape.buffer(40)
        if not where.districts[district].inner_m.contains(shape) or any(
                clear.intersects(p) for p in placed):
            continue
        geom = where.lonlat(shape)
        if not where.districts[district].ll.contains(geom):
            continue
        placed.append(shape)
        street = net.streets[int(net.street[block])]
        rows.append(_row(t, rng, geom, shape, district, street, (s + e) / 2, used_names))
    cols = rows_to_columns(rows)
    if cols:
        cols["geom"] = wkt(np.array(cols["geom"], dtype=object))
        prefixes = ["RF" if k == "civil_defence" else "BN" for k in cols["kind"]]
        cols.update(common(len(rows), numbered(prefixes, cols["division_code"], width=4),
                           cols["division_code"], cols["survey_date"], cols["address"]))
    return cols


def _row(t: ShelterType, rng: np.random.Generator, geom: BaseGeometry, shape: BaseGeometry,
         district: str, street: Street, mid: np.ndarray, used_names: set[str]) -> dict[str, Any]:
    """One shelter's attributes: area and capacity by class, facilities, managing unit."""
    if t.indoor_area_m2 is not None:
        area = float(rng.uniform(*t.indoor_area_m2))
    else:
        area = shape.area * float(rng.uniform(0.5, 0.8))
    if t.shelter_class == "emergency":
        area = min(area, 2000 * codes.SHELTER_AREA_PER_PERSON["emergency"])
    area = round(area, 1)
    name = _unique_name(street.base, t.names[int(rng.integers(len(t.names)))], used_names)
    dname = district_name(district)
    count = int(rng.integers(t.facilities[0], t.facilities[1] + 1))
    facilities = [FACILITIES[i] for i in sorted(rng.choice(len(FACILITIES), count,
                                                           replace=False))]
    return {
        "name": name, "geom": geom, "kind": t.kind,
        "shelter_class": t.shelter_class, "tier": t.tier, "site_type": t.site_type,
        "effective_area_m2": area,
        "capacity_persons": capacity_from_area(t.shelter_class, area),  # as on every write
        "facilities": facilities,
        "entrances": int(rng.integers(t.entrances[0], t.entrances[1] + 1)),
        "managing_unit": t.managing_unit.format(name=name, district=dname),
        "contact_phone": None, "is_open": bool(rng.random() < 0.92),
        "build_year": int(rng.integers(2005, 2025)),
        "address": f"{dname}{street.name}{_side_name(shape, mid)}",
        "survey_date": survey_dates(rng, 1)[0], "division_code": district,
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
