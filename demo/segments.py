"""Pipeline segments and network points along the lanes of the selected street blocks.

Each lane runs a few metres off the street's centreline and is split into 30–120 m segments;
neighbouring blocks share the point at their street corner, so pipelines form a network.
Segments are kept in rank order (the core's centre first) and only where they lie inside their
district, then cut to the number asked for; rows go in core by core, so neighbours get
neighbouring ids, which keeps index inserts and later bbox reads local.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from demo.lanes import LANES, Selection
from demo.space import space
from demo.streets import core_districts


@dataclass
class Lines:
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


def _lane_lines(sel: Selection, n: int) -> dict[str, np.ndarray]:
    """Segments of one lane along the selected blocks, sharing points at street corners."""
    net, lane = sel.net, LANES[n]
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


def street_lines(sel: Selection, wanted: int) -> Lines:
    """All lanes' segments in rank order, checked inside their districts, cut to `wanted`."""
    where = space()
    lanes = [_lane_lines(sel, n) for n in range(len(LANES))]
    offsets = np.cumsum([0] + [len(p["px"]) for p in lanes[:-1]])
    cat = {key: np.concatenate([p[key] for p in lanes])
           for key in ("x0", "y0", "x1", "y1", "block", "rank", "k")}
    lane = np.concatenate([np.full(len(p["x0"]), n) for n, p in enumerate(lanes)])
    start = np.concatenate([p["start"] + off for p, off in zip(lanes, offsets, strict=True)])
    end = np.concatenate([p["end"] + off for p, off in zip(lanes, offsets, strict=True)])
    order = np.lexsort((cat["k"], lane, cat["rank"]))
    lon0, lat0 = where.lonlat_xy(cat["x0"][order], cat["y0"][order])
    lon1, lat1 = where.lonlat_xy(cat["x1"][order], cat["y1"][order])
    geoms = shapely.linestrings(np.stack([np.column_stack([lon0, lat0]),
                                          np.column_stack([lon1, lat1])], axis=1))
    district = core_districts()[sel.net.node_core[sel.net.start[cat["block"][order]]]]
    inside = np.zeros(len(order), dtype=bool)
    for code in np.unique(district).tolist():
        mine = district == code
        inside[mine] = shapely.contains(where.districts[code].ll, geoms[mine])
    keep = np.flatnonzero(inside)[:wanted]
    # rows go in core by core (nearest the centre first): neighbours get neighbouring ids,
    # which keeps index inserts and later bbox reads local
    core = sel.net.node_core[sel.net.start[cat["block"][order[keep]]]]
    keep = keep[np.argsort(core, kind="stable")]
    order = order[keep]
    used, inverse = _first_seen(np.column_stack([start[order], end[order]]).ravel())

    def points(key: str) -> np.ndarray:
        """A point attribute of every lane, for the points kept."""
        values: np.ndarray = np.concatenate([p[key] for p in lanes])[used]
        return values

    px, py = points("px"), points("py")
    plon, plat = where.lonlat_xy(px, py)
    plane = np.concatenate([np.full(len(p["px"]), n) for n, p in enumerate(lanes)])[used]
    return Lines(geoms[keep], lon0[keep], lat0[keep], lon1[keep], lat1[keep], lane[order],
                 cat["block"][order], inverse[0::2], inverse[1::2],
                 px, py, plon, plat, plane, points("pcorner"), points("pblock"))


def _first_seen(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values in order of first appearance, and each value's index among them."""
    distinct, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return distinct[order], rank[inverse]
