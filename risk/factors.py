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

from inventory import ageing
from risk import cells as cells_
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
    registered: bool = True  # False: nothing registered here (无登记设施), hazard level shown
    place: str | None = None  # street and district, as people name the place
    parts: dict[str, Any] = field(default_factory=dict)  # E's parts, the most vulnerable asset
    # Set when the cell's hazard level (the 无登记设施 reference) outranks what its registered
    # assets give: that score is published and this keeps the assets' own (R, level, E, V, C).
    floor: dict[str, Any] | None = None


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
    """Cells touched by any asset's, hazard zone's or flood point's bounding box."""
    parts = [shapely.bounds(getattr(inputs, name).geoms)
             for name in (*LINE_LAYERS, *SPOT_LAYERS, "zones") if len(getattr(inputs, name))]
    if not parts:
        return np.empty((0, 2), dtype=np.int64)
    return grid.covering(np.concatenate(parts))


def _age_ratio(build_year: Any, life: float, year: int, pipe: tuple[Any, Any, Any] | None = None
               ) -> float:
    """The vulnerability's age term, 0–1. A pipeline (``pipe``: category, material, condition
    grade) follows the one ageing rule (``inventory.ageing``, 国办发〔2022〕22号): 1 when old,
    else its age over its category's renewal age (``life`` where the rule has none); a tunnel
    its age over its design life. 0.5 when the build year is unknown."""
    if pipe is not None:
        category, material, grade = pipe
        return ageing.age_term(category, material, build_year, grade, year, life)
    if build_year is None or not life:
        return 0.5
    return float(min(1.0, max(0.0, (year - int(build_year)) / life)))


def _material(layer: Layer, k: int) -> Any:
    """A line's material, when the layer was read with it (None otherwise: material unknown)."""
    materials = layer.attrs.get("material")
    return None if materials is None else materials[k]


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
        pipe = None if kind == "tunnels" else (cats[k], _material(layer, k), conds[k])  # type: ignore[index]
        out[k] = min(1.0, max(0.0, (1 - aw) * float(c) + aw * _age_ratio(years[k], life, year, pipe)))
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
    """Score the cells (default: every cell holding an asset or inside a hazard zone) and
    link assets to them.

    A cell is mapped when it holds an exposed asset (pipelines, tunnels, shelters) or lies
    in a hazard zone or holds a flood point (hazard-first, DOMAIN.md §10); one with hazard
    and nothing registered is scored at the scheme's reference cell (``unregistered``) and
    said so (无登记设施). Flood points are hazard evidence, not exposure or capacity.
    """
    grid = Grid(scheme.cell_size_m)
    ij = candidate_cells(grid, inputs) if cells is None else cells
    boxes = grid.boxes(ij) if len(ij) else np.empty(0, dtype=object)
    tree = STRtree(boxes)
    n = len(ij)
    year = inputs.today.year
    expo = scheme.section("exposure")
    vul = scheme.section("vulnerability")
    critical_w = expo.get("critical", {})
    weighted = np.zeros(n)
    line_len = np.zeros(n)
    count = np.zeros(n, dtype=np.int64)
    most = cells_.Highest(n)  # the most vulnerable exposed asset of each cell
    critical = cells_.Highest(n, 0.0)  # the most critical one, if any
    links: list[AssetLink] = []

    for kind in LINE_LAYERS:
        layer: Layer = getattr(inputs, kind)
        gi, ci, lengths = clip_pairs(grid, boxes, tree, layer.geoms)
        touched = {i for c, i in inputs.hazard_assets if c == kind}
        v = _asset_vulnerability(scheme, layer, kind, year, touched)[gi] if len(gi) \
            else np.empty(0)
        if kind == "pipelines":
            cats = layer.attrs["category"][gi]
            w = np.array([expo["category_weights"].get(c, 1.0) for c in cats], dtype=float)
            inside = np.array([i in inputs.tunnel_pipeline_ids for i in layer.ids[gi]], dtype=bool)
            v = np.where(inside, v * float(vul.get("in_tunnel_factor", 1.0)), v)
            crit, crit_kind = cells_.pipeline_critical(expo, cats, layer.attrs["pressure_class"][gi])
        else:
            w = np.full(len(gi), float(expo["tunnel_weight"]))
            crit = np.full(len(gi), float(critical_w.get("tunnel", 0.0)))
            crit_kind = np.full(len(gi), "tunnel", dtype=object)
        refs = [f"{kind}/{int(i)}" for i in layer.ids[gi].tolist()]
        np.add.at(weighted, ci, w * lengths)
        np.add.at(line_len, ci, lengths)
        np.add.at(count, ci, 1)
        most.offer(ci, v, refs)
        critical.offer(ci, crit, [str(k) for k in crit_kind.tolist()])
        links += _links(kind, layer, gi, ci, lengths)

    for kind in SPOT_LAYERS:
        layer = getattr(inputs, kind)
        if not len(layer):
            continue
        gi, ci = tree.query(layer.geoms, predicate="intersects")
        if kind == "shelters":  # exposed and critical (people gather there)
            np.add.at(weighted, ci, float(expo.get("shelter_weight_m", 0.0)))
            np.add.at(count, ci, 1)
            most.offer(ci, np.full(len(gi), float(vul.get("shelter", vul["unknown_condition"]))),
                       [f"shelters/{int(i)}" for i in layer.ids[gi].tolist()])
            critical.offer(ci, np.full(len(gi), float(critical_w.get("shelter", 0.0))),
                           ["shelter"] * len(gi))
        links += _links(kind, layer, gi, ci, np.zeros(len(gi)))

    all_hazards, all_sources = _hazards(inputs, scheme, boxes)
    keep = np.array([c for c in range(n) if count[c] > 0 or all_hazards[c]], dtype=np.int64)
    centres = shapely.centroid(boxes[keep]) if len(keep) else np.empty(0, dtype=object)
    division, people = _division_of(inputs, centres)
    places = cells_.place_names(division, inputs.divisions)
    hazards = [all_hazards[c] for c in keep.tolist()]
    cap = scheme.section("capacity")
    shelters, at_shelters = _open_shelters(inputs, scheme, grid)
    anywhere, per_hazard = cells_.shelter_credit(
        centres, hazards, shelters, at_shelters, float(cap["shelter_radius_m"]),
        float(cap["shelter_weight"]), float(cap["max"]))
    reference = scheme.params.get("unregistered", {"E": 0.5, "V": 0.5})
    floored = "unregistered" in scheme.params  # v2 on: registering never lowers a cell
    results = []
    for row, c in enumerate(keep.tolist()):
        i, j = int(ij[c, 0]), int(ij[c, 1])
        registered = bool(count[c] > 0)
        if registered:
            e = cells_.exposure(weighted[c], critical.value[c], critical.by[c],
                                float(people[row].get("per_km2", 0.0)), expo)
            f = Factors(hazards[row], e.value, float(most.value[c]), float(anywhere[row]),
                        per_hazard[row])
            parts: dict[str, Any] = {"assets": round(e.assets, 4), "critical": round(e.critical, 4),
                                     "critical_kind": e.critical_kind,
                                     "people": round(e.people, 4),
                                     "most_vulnerable": most.by[c]}
        else:  # 无登记设施: the reference cell, which gives its hazard level
            f = Factors(hazards[row], float(reference["E"]), float(reference["V"]), 0.0)
            parts = {}
        s, floor = score(scheme, f), None
        if registered and floored and hazards[row]:
            # A cell in a hazard zone shows its hazard level with nothing registered; what is
            # registered there can only raise it (DOMAIN.md §10: more exposed assets never
            # lower a level), so the hazard level is its floor.
            at_reference = score(scheme, Factors(hazards[row], float(reference["E"]),
                                                 float(reference["V"]), 0.0))
            if (at_reference.level.ordinal, at_reference.score) > (s.level.ordinal, s.score):
                floor = {"rule": "hazard_level", "registered": {
                    "score": round(s.score, 5), "level": s.level.code,
                    "exposure": round(f.exposure, 4), "vulnerability": round(f.vulnerability, 4),
                    "capacity": round(f.capacity_for(s.decided_by or ""), 4)}}
                s = at_reference
        results.append(CellResult(grid.key(i, j), (i, j), boxes[c], division[row], f,
                                  s, all_sources[c], int(count[c]),
                                  float(line_len[c]), people[row], registered, places[row],
                                  parts, floor))
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


def _open_shelters(inputs: Inputs, scheme: Composite, grid: Grid
                   ) -> tuple[np.ndarray, list[set[str]]]:
    """The open shelters and, for each, the hazards of the cells it stands in (it is no
    refuge from those): looked up from the shelter's place, so a run over part of the city
    agrees with a full one."""
    s = inputs.shelters
    if not len(s):
        return np.empty(0, dtype=object), []
    open_ = s.take(np.array([bool(x) for x in s.attrs["is_open"]], dtype=bool))
    if not len(open_):
        return np.empty(0, dtype=object), []
    lo = np.floor(shapely.bounds(open_.geoms)[:, :2] / grid.size).astype(np.int64)
    hi = np.floor(shapely.bounds(open_.geoms)[:, 2:] / grid.size).astype(np.int64)
    owner, ij = [], []  # every cell each shelter touches (one that straddles an edge: both)
    for k in range(len(open_)):
        for i in range(int(lo[k, 0]), int(hi[k, 0]) + 1):
            for j in range(int(lo[k, 1]), int(hi[k, 1]) + 1):
                owner.append(k)
                ij.append((i, j))
    hazards, _ = _hazards(inputs, scheme, grid.boxes(np.array(ij, dtype=np.int64)))
    kinds: list[set[str]] = [set() for _ in range(len(open_))]
    for k, found in zip(owner, hazards, strict=True):
        kinds[k] |= set(found)
    return open_.geoms, kinds


def _hazards(inputs: Inputs, scheme: Composite, boxes: np.ndarray
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
