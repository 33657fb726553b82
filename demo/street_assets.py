"""The pipelines and network points laid along the streets, as the columns the loader inserts.

Segments of one line share its attributes (a lane along a street, in stretches of four blocks);
points get a kind from the lines they join (manholes on drains, valves and junctions on
pressure pipes, joints on cables), a depth that varies smoothly along the street, and the
ground elevation of a gently rolling city.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely

from demo.columns import Columns, as_list, cjj, common, lengths, numbered, survey_dates, wkt
from demo.lanes import LANES, Selection
from demo.pipe_attributes import (
    LOCAL_OWNERS,
    PIPE_ATTRS,
    condition,
    lane_attrs,
    owner,
    status,
    subcategory_zh,
    years,
)
from demo.segments import Lines
from demo.space import district_name
from demo.streets import CORES, core_districts


def _smooth(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A smooth field in [-1, 1] over the city, so neighbouring points get similar values."""
    p = rng.uniform(0, 2 * math.pi, 3)
    field: np.ndarray = (np.sin(x / 1900 + p[0]) + np.sin(y / 2300 + p[1])
                         + np.sin((x + y) / 1300 + p[2])) / 3
    return field


def street_tables(sel: Selection, lines: Lines, seed: int) -> tuple[Columns, Columns]:
    """Network point and pipeline columns for the street lanes."""
    net = sel.net
    rng = np.random.default_rng([seed, 11])
    seg_street = net.street[lines.block]
    seg_core = net.node_core[net.start[lines.block]]
    district = core_districts()[seg_core]
    major = np.array([s.major for s in net.streets])
    # one set of attributes per line: a lane along a street, in stretches of four blocks
    line_key = (seg_street * len(LANES) + lines.lane) * 100_000 + net.m[lines.block] // 4
    keys, line_of = np.unique(line_key, return_inverse=True)
    line_lane = (keys // 100_000) % len(LANES)
    line_street = keys // 100_000 // len(LANES)
    era = np.array([CORES[net.streets[s].core].era for s in line_street.tolist()])
    year = years(rng, era)
    attrs: dict[str, list[Any]] = {name: [None] * len(keys) for name in PIPE_ATTRS}
    for n, lane in enumerate(LANES):
        idx = np.flatnonzero(line_lane == n)
        if not len(idx):
            continue
        values = lane_attrs(rng, lane, year[idx], major[line_street[idx]])
        values["status"] = status(rng, lane, year[idx])
        if lane.category in LOCAL_OWNERS:
            where = [CORES[net.streets[s].core].district for s in line_street[idx].tolist()]
            values["owner"] = values["operator"] = np.array(
                [owner(lane.category, d) for d in where], dtype=object)
        for name, value in values.items():
            column = as_list(value, len(idx))
            for i, v in zip(idx.tolist(), column, strict=True):
                attrs[name][i] = v
    points = _point_table(rng, sel, lines, year[line_of], attrs, line_of)
    depth = np.asarray(points.pop("_depth"))
    n = len(lines.geoms)
    seg_lane = lines.lane
    names = [net.streets[s].name for s in seg_street.tolist()]
    division = district.tolist()
    category = [LANES[i].category for i in seg_lane.tolist()]
    cols = common(n, numbered(cjj(category), division),
                  division, survey_dates(rng, n),
                  [district_name(d) + s for d, s in zip(division, names, strict=True)])
    sub_zh = [subcategory_zh(lane.subcategory) for lane in LANES]
    cols["name"] = [s + sub_zh[i] + "管线" for s, i in zip(names, seg_lane.tolist(), strict=True)]
    cols["geom"] = wkt(lines.geoms)
    cols["category"] = category
    cols["subcategory"] = [LANES[i].subcategory for i in seg_lane.tolist()]
    for name in PIPE_ATTRS:
        cols[name] = np.array(attrs[name], dtype=object)[line_of].tolist()
    cols["build_year"] = year[line_of].tolist()
    cols["condition_grade"] = condition(rng, year[line_of]).tolist()
    cols["start_depth_m"] = depth[lines.start].tolist()
    cols["end_depth_m"] = depth[lines.end].tolist()
    cols["start_point"] = lines.start.tolist()
    cols["end_point"] = lines.end.tolist()
    cols["length_m"] = lengths(lines.geoms)
    return points, cols


def _point_kinds(rng: np.random.Generator, lines: Lines) -> list[str]:
    """Manholes on drains, junctions and valves on pressure pipes, joints on cables."""
    degree = np.bincount(np.concatenate([lines.start, lines.end]), minlength=len(lines.px))
    r = rng.random(len(lines.px))
    kinds = np.full(len(lines.px), "feature_point", dtype=object)
    cat = np.array([lane.category for lane in LANES])[lines.plane]
    key = np.array([lane.key for lane in LANES])[lines.plane]
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
    return list(kinds.tolist())


def _point_table(rng: np.random.Generator, sel: Selection, lines: Lines,
                 seg_year: np.ndarray, attrs: dict[str, list[Any]],
                 line_of: np.ndarray) -> Columns:
    """Network point columns: kind, depth (smooth along the street), ground elevation."""
    net = sel.net
    n = len(lines.px)
    first_seg = np.full(n, len(lines.geoms))
    segs = np.arange(len(lines.geoms))
    np.minimum.at(first_seg, lines.start, segs)
    np.minimum.at(first_seg, lines.end, segs)
    lo = np.array([lane.depth_m[0] for lane in LANES])[lines.plane]
    hi = np.array([lane.depth_m[1] for lane in LANES])[lines.plane]
    field_ = _smooth(rng, lines.px, lines.py)
    depth = np.round(lo + (hi - lo) * (0.5 + 0.4 * field_ + rng.uniform(-0.1, 0.1, n)), 2)
    elevation = np.round(np.clip(8.5 + 5.5 * _smooth(rng, lines.px, lines.py)
                                 + rng.normal(0, 0.4, n), 3, 15), 2)
    core = net.node_core[net.start[lines.pblock]]
    division = [CORES[c].district for c in core.tolist()]
    street = [net.streets[s].name for s in net.street[lines.pblock].tolist()]
    category = [LANES[i].category for i in lines.plane.tolist()]
    cols = common(n, numbered(cjj(category), division, "P"), division,
                  survey_dates(rng, n),
                  [district_name(d) + s for d, s in zip(division, street, strict=True)])
    cols["name"] = [None] * n
    cols["geom"] = wkt(shapely.points(lines.plon, lines.plat))
    cols["kind"] = _point_kinds(rng, lines)
    cols["category"] = category
    cols["ground_elevation_m"] = elevation.tolist()
    cols["depth_m"] = depth.tolist()
    owners = attrs["owner"]
    cols["owner"] = [owners[i] for i in line_of[first_seg].tolist()]
    cols["status"] = ["in_service"] * n
    year = seg_year[first_seg]
    cols["build_year"] = year.tolist()
    cols["condition_grade"] = condition(rng, year).tolist()
    cols["_depth"] = depth.tolist()
    return cols
