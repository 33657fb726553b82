"""Which pipelines run along which streets, and which blocks make a city of the wanted size.

A lane (``data/lanes.csv``) is a pipeline category as laid along a street: its offset from the
centreline, its segment lengths and depths, how likely a major or minor street carries it
(heat only in the cores that have district heating). :func:`select_blocks` grows the street
grids until their lanes hold the segments asked for, then keeps the blocks nearest the core
centres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from demo.data import csv_rows
from demo.streets import CORES, Network, block_lengths, network


@dataclass(frozen=True)
class Lane:
    """A pipeline category as laid along a street: offset from the centreline and sizes."""

    key: str
    category: str
    subcategory: str
    offset_m: float
    piece_m: tuple[float, float]
    depth_m: tuple[float, float]
    presence: tuple[float, float]  # probability on a (major, minor) street


LANES: tuple[Lane, ...] = tuple(
    Lane(r["key"], r["category"], r["subcategory"], float(r["offset_m"]),
         (float(r["piece_min_m"]), float(r["piece_max_m"])),
         (float(r["depth_min_m"]), float(r["depth_max_m"])),
         (float(r["on_major_street"]), float(r["on_minor_street"])))
    for r in csv_rows("lanes.csv"))
HEAT = next(i for i, lane in enumerate(LANES) if lane.key == "heat")


@dataclass
class Selection:
    """The blocks that make up the city, nearest to their core centres first."""

    net: Network
    blocks: np.ndarray  # block indices in rank order
    present: np.ndarray  # streets × lanes
    pieces: np.ndarray  # blocks × lanes (all blocks)


def lane_presence(net: Network, seed: int) -> np.ndarray:
    """Which lanes each street carries (streets × lanes), major streets carrying more."""
    rng = np.random.default_rng([seed, 9])
    major = np.array([s.major for s in net.streets])
    heat_core = np.array([CORES[s.core].heat for s in net.streets])
    present = np.zeros((len(net.streets), len(LANES)), dtype=bool)
    for n, lane in enumerate(LANES):
        p = np.where(major, lane.presence[0], lane.presence[1])
        present[:, n] = rng.random(len(major)) < p
    present[:, HEAT] &= heat_core
    return present


def lane_pieces(net: Network, seed: int) -> np.ndarray:
    """How many segments each block splits into, per lane (blocks × lanes), 30–120 m each."""
    rng = np.random.default_rng([seed, 10])
    length = block_lengths(net)
    pieces = np.zeros((len(length), len(LANES)), dtype=np.int64)
    for n, lane in enumerate(LANES):
        target = rng.uniform(*lane.piece_m, len(length))
        count = np.rint(length / target)
        count = np.clip(count, np.ceil(length / 120), np.maximum(1, np.floor(length / 30)))
        pieces[:, n] = count
    return pieces


def select_blocks(segments: int, seed: int) -> Selection:
    """Grow the grids until they hold the wanted segments, then take the innermost blocks."""
    scale = max(1.0, 0.55 * math.sqrt(max(segments, 1) / 6000))
    wanted = int(segments * 1.02) + 40  # slack: a few segments may be dropped later
    for _ in range(12):
        net = network(seed, scale)
        present = lane_presence(net, seed)
        pieces = lane_pieces(net, seed)
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
    return Selection(net, order[:count], present, pieces)
