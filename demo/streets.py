"""The demo's streets: jittered grids around urban cores, cut to their districts, named.

A core (``data/cores.csv``) is a centre, a radius and an angle; its streets grow outwards as
the demo grows: its share rises with radius², and it starts only once the city has reached
its ``ring`` (so a small demo is one contiguous centre). Streets are named from
``data/street_names.json``, central ones first, so a small demo has no 文三东路 beside 文三路.
Everything here is in metres and seeded: same seed, same streets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely

from demo.data import csv_rows, json_data
from demo.space import Space, space


@dataclass(frozen=True)
class Core:
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


CORES: tuple[Core, ...] = tuple(
    Core(r["district"], r["area"], float(r["lon"]), float(r["lat"]), float(r["radius_m"]),
         float(r["ring"]), int(r["era"]), float(r["angle_deg"]), r["heat"] == "true")
    for r in csv_rows("cores.csv"))

_NAMES = json_data("street_names.json")
STREET_BASES: tuple[str, ...] = tuple(_NAMES["bases"])
MAJOR_SUFFIXES: tuple[str, ...] = tuple(_NAMES["major_suffixes"])
MINOR_SUFFIXES: tuple[str, ...] = tuple(_NAMES["minor_suffixes"])
VARIANTS: tuple[str, ...] = tuple(_NAMES["variants"])


@dataclass
class Street:
    """A named street: one grid line of a core."""

    base: str
    name: str
    major: bool
    core: int


@dataclass
class Network:
    """Grid nodes of every core and the street blocks between them (metres)."""

    node_x: np.ndarray
    node_y: np.ndarray
    node_core: np.ndarray
    node_row: np.ndarray  # street id of the row through the node
    node_col: np.ndarray  # street id of the column through the node
    streets: list[Street]
    axes: np.ndarray  # per core: ax, ay, bx, by (unit vectors of the grid)
    # blocks (edges between neighbouring valid nodes)
    start: np.ndarray
    end: np.ndarray
    street: np.ndarray
    m: np.ndarray  # index of the block along its street
    priority: np.ndarray  # distance of its midpoint from the core centre ÷ core radius


@lru_cache(maxsize=1)
def core_districts() -> np.ndarray:
    """The district code of every core, indexable by core number."""
    return np.array([c.district for c in CORES])


def _axis(rng: np.random.Generator, extent: float) -> np.ndarray:
    """Street positions along one axis: gaps of 150–400 m out from near the centre."""
    count = int(extent // 150) + 2
    start = rng.uniform(-60, 60)
    up = start + np.cumsum(rng.uniform(150, 400, count))
    down = start - np.cumsum(rng.uniform(150, 400, count))
    pos = np.concatenate([down[::-1], [start], up])
    kept: np.ndarray = pos[np.abs(pos) <= extent]
    return kept


def _street_names(rng: np.random.Generator, count: int,
                  major: np.ndarray) -> list[tuple[str, str]]:
    """Plausible (base, name) pairs (文三, 文三路; 江南, 江南大道), unique until the pool runs out."""
    bases = [STREET_BASES[i] for i in rng.permutation(len(STREET_BASES))]
    names = []
    for n in range(count):
        base = bases[n % len(bases)] + VARIANTS[(n // len(bases)) % len(VARIANTS)]
        suffixes = MAJOR_SUFFIXES if major[n] else MINOR_SUFFIXES
        names.append((base, base + suffixes[int(rng.integers(len(suffixes)))]))
    return names


def _owner_of_nodes(x: np.ndarray, y: np.ndarray, k: int, centres: np.ndarray) -> np.ndarray:
    """True where core k is the nearest core of its district (relative to core radii)."""
    core = CORES[k]
    same = [i for i, c in enumerate(CORES) if c.district == core.district]
    rel = np.stack([np.hypot(x - centres[i, 0], y - centres[i, 1]) / CORES[i].radius_m
                    for i in same])
    nearest: np.ndarray = np.asarray(same)[np.argmin(rel, axis=0)] == k
    return nearest


def network(seed: int, scale: float) -> Network:
    """Jittered street grids of every core, cut to their districts and kept off the water."""
    where = space()
    centres = np.column_stack(where.to_m.transform([c.lon for c in CORES],
                                                   [c.lat for c in CORES]))
    parts: dict[str, list[np.ndarray]] = {k: [] for k in (
        "x", "y", "core", "row", "col", "start", "end", "street", "m")}
    streets: list[Street] = []
    axes = np.zeros((len(CORES), 4))
    offset = 0
    for k, core in enumerate(CORES):
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
        inner = where.districts[core.district].inner_m
        valid = ((np.hypot(ua, vb) <= extent) & shapely.contains_xy(inner, x, y)
                 & _owner_of_nodes(x, y, k, centres))
        rows = len(streets) + np.arange(len(b))
        cols = len(streets) + len(b) + np.arange(len(a))
        major = rng.random(len(a) + len(b)) < 0.28
        for n in range(len(a) + len(b)):
            streets.append(Street("", "", bool(major[n]), k))
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
    net = Network(cat["x"], cat["y"], cat["core"], cat["row"], cat["col"], streets, axes,
                  cat["start"], cat["end"], cat["street"], cat["m"], np.zeros(0))
    _keep_inside(net, where, seed)
    _name_streets(net, seed)
    return net


def _name_streets(net: Network, seed: int) -> None:
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


def _keep_inside(net: Network, where: Space, seed: int) -> None:
    """Drop blocks that leave their district or cross water, and a few for irregularity."""
    rng = np.random.default_rng([seed, 8])
    lines = shapely.linestrings(np.stack([
        np.column_stack([net.node_x[net.start], net.node_y[net.start]]),
        np.column_stack([net.node_x[net.end], net.node_y[net.end]]),
    ], axis=1))
    core = net.node_core[net.start]
    keep = rng.random(len(lines)) >= 0.05
    for k, c in enumerate(CORES):
        mine = core == k
        keep[mine] &= shapely.contains(where.districts[c.district].inner_m, lines[mine])
    net.start, net.end = net.start[keep], net.end[keep]
    net.street, net.m = net.street[keep], net.m[keep]
    mx = (net.node_x[net.start] + net.node_x[net.end]) / 2
    my = (net.node_y[net.start] + net.node_y[net.end]) / 2
    core = net.node_core[net.start]
    cx, cy = where.to_m.transform([c.lon for c in CORES], [c.lat for c in CORES])
    radius = np.array([c.radius_m for c in CORES])
    ring = np.array([c.ring for c in CORES])
    dist = np.hypot(mx - np.asarray(cx)[core], my - np.asarray(cy)[core])
    net.priority = dist / radius[core] + ring[core]


def block_lengths(net: Network) -> np.ndarray:
    """Length of every block in metres."""
    lengths: np.ndarray = np.hypot(net.node_x[net.end] - net.node_x[net.start],
                                   net.node_y[net.end] - net.node_y[net.start])
    return lengths
