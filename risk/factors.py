"""The five-colour factors of each cell — H per hazard, E, V, C — and the assets in it.

Pure array work on :class:`risk.inputs.Inputs` (no database): lines are clipped to cells
in the plane, so lengths are metres in the cell, not whole segments; each factor is
normalised to 0–1 by references kept in the scheme (DOMAIN.md §2). Each cell's score comes
from :func:`risk.schemes.score`, the same function the property tests hold to monotonicity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely import STRtree

from risk.grid import Grid
from risk.inputs import Inputs, Layer
from risk.schemes import Composite, Factors, Score, score

LINE_LAYERS = ("pipelines", "tunnels")
SPOT_LAYERS = ("shelters", "flood_points")


@dataclass
class CellResult:
    """One scored cell with its reasons."""

    ref: str
    ij: tuple[int, int]
    box: Any  # plane polygon
    division_code: str | None
    factors: Factors
    score: Score
    sources: dict[str, str]  # hazard kind -> zone or flood point that set its H
    assets: int
    length_m: float
    population: dict[str, Any] = field(default_factory=dict)  # the density E used, and whence


@dataclass
class AssetLink:
    """An asset and the cells it crosses (with the length inside each, for lines)."""

    collection: str
    id: int
    cells: list[int] = field(default_factory=list)
    length_m: float = 0.0


def clip_pairs(grid: Grid, boxes: np.ndarray, tree: STRtree, geoms: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(geometry index, cell index, length inside) for every geometry crossing a cell."""
    if len(geoms) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    gi, ci = tree.query(geoms, predicate="intersects")
    lengths = shapely.length(shapely.intersection(geoms[gi], boxes[ci]))
    return gi, ci, lengths


def candidate_cells(grid: Grid, inputs: Inputs) -> np.ndarray:
    """Cells touched by any asset's bounding box."""
    parts = [shapely.bounds(getattr(inputs, name).geoms) for name in LINE_LAYERS + SPOT_LAYERS
             if len(getattr(inputs, name))]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return grid.covering(np.concatenate(parts))


def _age_ratio(build_year: Any, life: float, year: int) -> float:
    if build_year is None or not life:
        return 0.5
    return float(min(1.0, max(0.0, (year - int(build_year)) / life)))


def _asset_vulnerability(scheme: Composite, layer: Layer, kind: str, year: int,
                         hazards: set[int] | frozenset[int] = frozenset()) -> np.ndarray:
    """Each line's vulnerability: condition blended with age over design life.

    A line with an open hidden hazard (``hazards``: its ids) counts as one condition step
    worse — its condition score raised by the scheme's ``open_hazard_step`` — until 销号.
    """
    p = scheme.section("vulnerability")
    step = float(p.get("open_hazard_step", 0.0))
    cond = p["condition"]
    lives = p["design_life_years"]
    aw = float(p["age_weight"])
    out = np.empty(len(layer))
    conds = layer.attrs["condition_grade"]
    years = layer.attrs["build_year"]
    cats = layer.attrs.get("category")
    own_life = layer.attrs.get("design_life_years")
    for k in range(len(layer)):
        c = cond.get(str(conds[k]), p["unknown_condition"]) if conds[k] is not None \
            else p["unknown_condition"]
        if hazards and int(layer.ids[k]) in hazards:
            c = min(1.0, float(c) + step)
        if kind == "tunnels":
            life = float(own_life[k] or lives.get("tunnel", 100))  # type: ignore[index]
        else:
            life = float(lives.get(cats[k], lives.get("other", 40)))  # type: ignore[index]
        out[k] = min(1.0, max(0.0, (1 - aw) * float(c) + aw * _age_ratio(years[k], life, year)))
    return out


def flood_point_hazard(scheme: Composite, events: list[tuple[Any, float]], year: int) -> float:
    """A flood point's waterlogging evidence: recent events and the deepest water."""
    p = scheme.section("flood_points")
    recent = [e for e in events if e[0] is not None and e[0].year > year - int(p["years"])]
    depth = max((d for _, d in events), default=0.0)
    by_events = float(p["base"]) + float(p["per_event"]) * len(recent)
    by_depth = depth / float(p["depth_cm_for_max"])
    return float(min(1.0, max(by_events, by_depth)))


def compute(inputs: Inputs, scheme: Composite, cells: np.ndarray | None = None
            ) -> tuple[list[CellResult], list[AssetLink]]:
    """Score the cells (default: every cell holding an asset) and link assets to them."""
    grid = Grid(scheme.cell_size_m)
    ij = candidate_cells(grid, inputs) if cells is None else cells
    boxes = grid.boxes(ij) if len(ij) else np.empty(0, dtype=object)
    tree = STRtree(boxes)
    n = len(ij)
    year = inputs.today.year
    expo = scheme.section("exposure")
    cap = scheme.section("capacity")
    weighted = np.zeros(n)
    line_len = np.zeros(n)
    vuln_len = np.zeros(n)
    drainage = np.zeros(n)
    tunnelled = np.zeros(n)
    pipe_len = np.zeros(n)
    pumps = np.zeros(n)
    count = np.zeros(n, dtype=np.int64)
    links: list[AssetLink] = []

    for kind in LINE_LAYERS:
        layer: Layer = getattr(inputs, kind)
        gi, ci, lengths = clip_pairs(grid, boxes, tree, layer.geoms)
        if kind == "pipelines":
            cats = layer.attrs["category"][gi]
            w = np.array([expo["category_weights"].get(c, 1.0) for c in cats], dtype=float)
            inside = np.array([i in inputs.tunnel_pipeline_ids for i in layer.ids[gi]], dtype=bool)
            np.add.at(drainage, ci, np.where(cats == "drainage", lengths, 0.0))
            np.add.at(tunnelled, ci, np.where(inside, lengths, 0.0))
            np.add.at(pipe_len, ci, lengths)
        else:
            w = np.full(len(gi), float(expo["tunnel_weight"]))
        touched = {i for c, i in inputs.hazard_assets if c == kind}
        v = _asset_vulnerability(scheme, layer, kind, year, touched)[gi] if len(gi) \
            else np.empty(0)
        np.add.at(weighted, ci, w * lengths)
        np.add.at(line_len, ci, lengths)
        np.add.at(vuln_len, ci, v * lengths)
        np.add.at(count, ci, 1)
        links += _links(kind, layer, gi, ci, lengths)

    for kind in SPOT_LAYERS:
        layer = getattr(inputs, kind)
        if not len(layer):
            continue
        gi, ci = tree.query(layer.geoms, predicate="intersects")
        np.add.at(weighted, ci, float(expo["point_weight_m"]))
        np.add.at(count, ci, 1)
        if kind == "flood_points":
            np.add.at(pumps, ci, np.array([float(x or 0) for x in layer.attrs["pumps"][gi]]))
        links += _links(kind, layer, gi, ci, np.zeros(len(gi)))

    keep = np.nonzero(count > 0)[0]  # a cell with no asset has nothing at risk: not mapped
    centres = shapely.centroid(boxes[keep]) if len(keep) else np.empty(0, dtype=object)
    division, people = _division_of(inputs, centres)
    covered = _covered(inputs, centres, float(cap["shelter_radius_m"]))
    hazards, sources = _hazards(inputs, scheme, boxes[keep], keep)

    pw = float(expo["population_weight"])
    vw = scheme.section("vulnerability")
    results = []
    for row, c in enumerate(keep.tolist()):
        e_assets = min(1.0, weighted[c] / float(expo["length_ref_m"]))
        e_pop = min(1.0, people[row]["per_km2"] / float(expo["population_ref_per_km2"]))
        exposure = (1 - pw) * e_assets + pw * e_pop if count[c] else 0.0
        vulnerability = vuln_len[c] / line_len[c] if line_len[c] > 0 else \
            float(vw["unknown_condition"])
        capacity = min(float(cap["max"]),
                       float(cap["shelter_weight"]) * covered[row]
                       + float(cap["drainage_weight"]) * min(1.0, drainage[c]
                                                             / float(cap["drainage_ref_m"]))
                       + float(cap["pump_weight"]) * min(1.0, pumps[c] / float(cap["pumps_ref"]))
                       + float(cap["tunnel_weight"]) * (tunnelled[c] / pipe_len[c]
                                                        if pipe_len[c] > 0 else 0.0))
        f = Factors(hazards[row], exposure, vulnerability, capacity)
        i, j = int(ij[c, 0]), int(ij[c, 1])
        results.append(CellResult(grid.key(i, j), (i, j), boxes[c], division[row], f,
                                  score(scheme, f), sources[row], int(count[c]),
                                  float(line_len[c]), people[row]))
    remap = {c: row for row, c in enumerate(keep.tolist())}
    for link in links:
        link.cells = [remap[c] for c in link.cells if c in remap]
    return results, [lk for lk in links if lk.cells]


def _links(kind: str, layer: Layer, gi: np.ndarray, ci: np.ndarray, lengths: np.ndarray
           ) -> list[AssetLink]:
    by: dict[int, AssetLink] = {}
    ids = layer.ids
    collection = kind.replace("_", "-")
    for g, c, length in zip(gi.tolist(), ci.tolist(), lengths.tolist(), strict=True):
        link = by.get(g)
        if link is None:
            link = by[g] = AssetLink(collection, int(ids[g]))
        link.cells.append(c)
        link.length_m += length
    return list(by.values())


def _division_of(inputs: Inputs, centres: np.ndarray
                 ) -> tuple[list[str | None], list[dict[str, Any]]]:
    """The most detailed division holding each cell centre, and the population density there.

    The density is the city profile's of the most detailed division around the centre that
    has figures (a street without its own takes its district's); where none has, the cell's
    own division's table population over its area, as before the profile (``from: division``).
    """
    n = len(centres)
    codes: list[str | None] = [None] * n
    nobody: dict[str, Any] = {"per_km2": 0.0, "from": None}
    d = inputs.divisions
    if not len(d) or not n:
        return codes, [nobody] * n
    basis = d.attrs["density_basis"]
    depth = [(len(str(c)), str(c)) for c in d.ids.tolist()]  # a longer code lies further down
    own: list[int | None] = [None] * n
    profiled: list[int | None] = [None] * n

    def finer(hit: int, than: int | None) -> bool:
        return than is None or depth[hit] > depth[than]

    rows, hits = STRtree(d.geoms).query(centres, predicate="within")
    for row, hit in zip(rows.tolist(), hits.tolist(), strict=True):
        if finer(hit, own[row]):
            own[row] = hit
        if basis[hit]["from"] == "profile" and finer(hit, profiled[row]):
            profiled[row] = hit
    people: list[dict[str, Any]] = []
    shared: dict[int, dict[str, Any]] = {}  # one per division, not one per cell
    for row in range(n):
        hit = profiled[row] if profiled[row] is not None else own[row]
        if hit is None:
            people.append(nobody)
            continue
        codes[row] = str(d.ids[own[row]])
        if hit not in shared:
            shared[hit] = {**basis[hit], "division": str(d.ids[hit])}
        people.append(shared[hit])
    return codes, people


def _covered(inputs: Inputs, centres: np.ndarray, radius: float) -> np.ndarray:
    """1 where an open shelter lies within walking distance of the cell centre."""
    out = np.zeros(len(centres))
    s = inputs.shelters
    if not len(s) or not len(centres):
        return out
    open_ = s.take(np.array([bool(x) for x in s.attrs["is_open"]], dtype=bool))
    if not len(open_):
        return out
    rows, _ = STRtree(open_.geoms).query(centres, predicate="dwithin", distance=radius)
    out[np.unique(rows)] = 1.0
    return out


def _hazards(inputs: Inputs, scheme: Composite, boxes: np.ndarray, keep: np.ndarray
             ) -> tuple[list[dict[str, float]], list[dict[str, str]]]:
    """H per hazard kind for each cell: the highest zone class / 5, and flood-point evidence."""
    n = len(boxes)
    hazards: list[dict[str, float]] = [{} for _ in range(n)]
    sources: list[dict[str, str]] = [{} for _ in range(n)]
    if not n:
        return hazards, sources

    def offer(row: int, kind: str, value: float, source: str) -> None:
        if value > hazards[row].get(kind, 0.0):
            hazards[row][kind] = value
            sources[row][kind] = source

    z = inputs.zones
    if len(z):
        zi, ci = STRtree(boxes).query(z.geoms, predicate="intersects")
        for a, b in zip(zi.tolist(), ci.tolist(), strict=True):
            offer(b, str(z.attrs["kind"][a]), float(z.attrs["hazard_class"][a]) / 5.0,
                  f"hazard-zones/{int(z.ids[a])}")
    f = inputs.flood_points
    if len(f):
        fi, ci = STRtree(boxes).query(f.geoms, predicate="intersects")
        year = inputs.today.year
        for a, b in zip(fi.tolist(), ci.tolist(), strict=True):
            offer(b, "waterlogging", flood_point_hazard(scheme, f.attrs["events"][a], year),
                  f"flood-points/{int(f.ids[a])}")
    return hazards, sources
