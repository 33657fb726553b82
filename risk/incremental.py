"""An incremental run: what changed since the published run, and which cells and zones that moves.

A full run reads the whole registry; an incremental one reads what was written since the
published run read it (``inputs_as_of``), with the places those records had before (from the
audit trail), so a moved or retired asset clears its old cells too. From those it finds the
five-colour cells to score again (and every cell the assets crossing them reach, so an
asset's level is decided from all its cells) and the four-colour zones to decide again
(from their own points, by key or bbox, never the whole city's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import ColumnElement, case, func, or_, select, tuple_
from sqlalchemy.orm import Session

from inventory import FloodPoint, Pipeline, Shelter, Tunnel, TunnelCabin
from inventory.inspections.hazards import Hazard
from resilience.audit import AuditEntry
from resilience.divisions import Division, division_prefix, within
from resilience.spatial import as_wkb
from risk import factors as five
from risk import fourcolour as four
from risk.grid import Grid, to_lonlat, to_plane
from risk.hazard_zones import HazardZone
from risk.inputs import Inputs, Layer, layer, load
from risk.levels import FOUR_COLOUR
from risk.points import RiskPoint
from risk.results import FiveColourResult
from risk.schemes import Composite

INPUT_TABLES = {"pipelines": Pipeline, "tunnels": Tunnel, "shelters": Shelter,
                "flood-points": FloodPoint, "hazard-zones": HazardZone, "risk-points": RiskPoint,
                "hazards": Hazard}
# What a four-colour zone is decided from: the columns of each of its risk points.
POINT_COLUMNS = ["category", "method", "preset", "score", "level", "band_name", "factor_l",
                 "factor_e", "factor_c", "factor_s", "source", "rule", "asset_collection",
                 "asset_id", "tunnel_id", "division_code", "name", "scheme_version"]

# Per input collection: (id, lon/lat geometry) of each changed record, now and before.
Changed = dict[str, list[tuple[int, Any]]]
Decided = dict[tuple[str, str], dict[str, Any]]


# -- what changed -------------------------------------------------------------------------

def changed_since(session: Session, since: datetime) -> Changed:
    """Per input collection: (id, lon/lat geometry or None) of records changed since a time,
    with the geometries they had before (from the audit trail) so old places are redone."""
    out: Changed = {}
    for name, model in INPUT_TABLES.items():
        t = model.__table__
        rows = session.execute(select(t.c.id, as_wkb(t.c.geom))
                               .where(t.c.updated_at > since)).all()
        out[name] = [(r[0], shapely.from_wkb(bytes(r[1]))) for r in rows]
    for collection, record_id, before in session.execute(
            select(AuditEntry.collection, AuditEntry.record_id, AuditEntry.before)
            .where(AuditEntry.at > since, AuditEntry.collection.in_(list(INPUT_TABLES)))):
        geometry = (before or {}).get("geometry")
        if geometry:
            out[collection].append((record_id, shapely.geometry.shape(geometry)))
    _touched_by_hazards(session, since, out)
    return out


def _touched_by_hazards(session: Session, since: datetime, out: Changed) -> None:
    """A hazard filed, moved to another asset or closed changes the asset it touches (and
    touched): add those assets, where they are now, as changed."""
    h = Hazard.__table__
    touched = set(session.execute(select(h.c.asset_collection, h.c.asset_id).where(
        h.c.updated_at > since, h.c.asset_id.is_not(None))).tuples().all())
    for (before,) in session.execute(select(AuditEntry.before).where(
            AuditEntry.at > since, AuditEntry.collection == "hazards")):
        if before and before.get("asset_id") is not None:
            touched.add((before.get("asset_collection"), before["asset_id"]))
    for collection in {c for c, _ in touched}:
        model = INPUT_TABLES.get(collection)
        if model is None or collection in ("hazards", "risk-points", "hazard-zones"):
            continue
        t = model.__table__
        ids = sorted(int(i) for c, i in touched if c == collection)
        for start in range(0, len(ids), 1000):
            out[collection] += [(r[0], shapely.from_wkb(bytes(r[1]))) for r in session.execute(
                select(t.c.id, as_wkb(t.c.geom)).where(t.c.id.in_(ids[start:start
                                                                                + 1000])))]


def scope(session: Session, changed: Changed) -> set[tuple[str, int]]:
    """The assets whose generated risk points an incremental run re-checks."""
    found = {("pipelines", i) for i, _ in changed.get("pipelines", [])}
    found |= {("hazards", i) for i, _ in changed.get("hazards", [])}
    tunnels = [i for i, _ in changed.get("tunnels", [])]
    if tunnels:
        found |= {("tunnel-cabins", c) for c in session.scalars(
            select(TunnelCabin.id).where(TunnelCabin.tunnel_id.in_(tunnels)))}
    return found


# -- the five-colour cells ------------------------------------------------------------------

def affected_cells(session: Session, grid: Grid, scheme: Composite,
                   changed: Changed) -> np.ndarray:
    """Cells whose inputs changed: under changed geometry (old and new), near a shelter, and
    near a changed hazard (it decides which hazards the shelters in it are a refuge from)."""
    geoms, pads = [], []
    radius = float(scheme.section("capacity")["shelter_radius_m"])
    reach = {"shelters": radius, "hazard-zones": radius + grid.size,
             "flood-points": radius + grid.size}
    for name, items in changed.items():
        if name == "risk-points":
            continue
        for _, geom in items:
            geoms.append(geom)
            pads.append(reach.get(name, 0.0))
    refs = [f"{name}/{i}" for name, items in changed.items() if name != "risk-points"
            for i, _ in items]
    if refs:  # where changed assets were last published (covers moves and retirements)
        t = FiveColourResult.__table__
        for start in range(0, len(refs), 1000):
            for (raw,) in session.execute(select(as_wkb(t.c.geom)).where(
                    t.c.unit == "asset", t.c.ref.in_(refs[start:start + 1000]))):
                geoms.append(shapely.from_wkb(bytes(raw)))
                pads.append(0.0)
    if not geoms:
        return np.empty((0, 2), dtype=np.int64)
    bounds = shapely.bounds(to_plane(np.array(geoms, dtype=object)))
    pad = np.array(pads)[:, None]
    bounds = bounds + np.hstack([-pad, -pad, pad, pad])
    return grid.covering(bounds)


def _lonlat_bbox(grid: Grid, ij: np.ndarray, pad: float = 0.0) -> tuple[float, float, float,
                                                                         float]:
    boxes = grid.boxes(ij)
    minx, miny, maxx, maxy = shapely.total_bounds(boxes)
    frame = to_lonlat(np.array([shapely.box(minx - pad, miny - pad, maxx + pad, maxy + pad)]))
    return tuple(shapely.total_bounds(frame).tolist())


def recompute(session: Session, grid: Grid, scheme: Composite, affected: np.ndarray,
              changed: Changed
              ) -> tuple[Inputs, list[five.CellResult], list[five.AssetLink], set[str], set[str]]:
    """Score the affected cells, and every cell the assets crossing them reach."""
    changed_refs = {f"{name}/{i}" for name, items in changed.items() if name != "risk-points"
                    for i, _ in items}
    if not len(affected):
        empty = load(session, bbox=(0.0, 0.0, 0.0, 0.0))
        return empty, [], [], set(), changed_refs
    radius = float(scheme.section("capacity")["shelter_radius_m"])
    first = load(session, bbox=_lonlat_bbox(grid, affected))
    boxes = grid.boxes(affected)
    tree = shapely.STRtree(boxes)
    reach = [affected]
    for name in five.LINE_LAYERS + five.SPOT_LAYERS:
        rows = getattr(first, name)
        if len(rows):
            gi, _ = tree.query(rows.geoms, predicate="intersects")
            if len(gi):
                reach.append(grid.covering(shapely.bounds(rows.geoms[np.unique(gi)])))
    every = np.unique(np.concatenate(reach), axis=0)
    # Shelters within reach, and the hazards of the cells they stand in.
    inputs = load(session, bbox=_lonlat_bbox(grid, every, pad=radius + grid.size))
    cells, links = five.compute(inputs, scheme, every)
    in_affected = {grid.key(int(i), int(j)) for i, j in affected}
    kept = [lk for lk in links if any(cells[c].ref in in_affected for c in lk.cells)]
    region = {grid.key(int(i), int(j)) for i, j in every}
    asset_refs = changed_refs | {f"{lk.collection}/{lk.id}" for lk in kept}
    return inputs, cells, kept, region, asset_refs


# -- the four-colour zones ------------------------------------------------------------------

def affected_zones(session: Session, grid: Grid, since: datetime) -> set[tuple[str, str]]:
    """The four-colour zones of every risk point written since a time, where it is now and
    where it was before (the audit trail's before), and the divisions above them."""
    t = RiskPoint.__table__
    states: list[tuple[Any, Any, Any, Any, Any]] = [
        (shapely.from_wkb(bytes(r[0])), r[1], r[2], r[3], r[4]) for r in session.execute(
            select(as_wkb(t.c.geom), t.c.tunnel_id, t.c.asset_collection, t.c.asset_id,
                   t.c.division_code).where(t.c.updated_at > since))]
    for (before,) in session.execute(select(AuditEntry.before).where(
            AuditEntry.at > since, AuditEntry.collection == "risk-points")):
        if before and before.get("geometry"):
            states.append((shapely.geometry.shape(before["geometry"]), before.get("tunnel_id"),
                           before.get("asset_collection"), before.get("asset_id"),
                           before.get("division_code")))
    if not states:
        return set()
    codes = list(session.scalars(select(Division.code)))
    prefixes = {code: division_prefix(code) for code in codes}
    keys: set[tuple[str, str]] = set()
    xy = shapely.get_coordinates(to_plane(np.array([st[0] for st in states], dtype=object)))
    ij = np.floor(xy / grid.size).astype(np.int64)
    for k, (_, tunnel, collection, asset, division) in enumerate(states):
        keys.add(("cell", grid.key(int(ij[k, 0]), int(ij[k, 1]))))
        if tunnel is not None:
            keys.add(("tunnel", f"tunnels/{int(tunnel)}"))
        if collection and asset is not None:
            keys.add(("asset", f"{collection}/{int(asset)}"))
        keys |= {("division", code) for code, prefix in prefixes.items()
                 if (division or "").startswith(prefix)}
    return keys


def decide_zones(session: Session, grid: Grid, keys: set[tuple[str, str]]
                 ) -> tuple[Layer, Decided]:
    """Decide the given zones from their own points (an incremental run's four-colour step)."""
    t = RiskPoint.__table__
    cells = [Grid.parse(ref) for unit, ref in keys if unit == "cell"]
    tunnels = [int(ref.rpartition("/")[2]) for unit, ref in keys if unit == "tunnel"]
    assets = [(ref.rpartition("/")[0], int(ref.rpartition("/")[2]))
              for unit, ref in keys if unit == "asset"]
    conditions: list[ColumnElement[bool]] = []
    if tunnels:
        conditions.append(t.c.tunnel_id.in_(tunnels))
    if assets:
        conditions.append(tuple_(t.c.asset_collection, t.c.asset_id).in_(assets))
    parts = [layer(session, t, POINT_COLUMNS, None, [or_(*conditions)])] if conditions else []
    if cells:
        parts.append(layer(session, t, POINT_COLUMNS,
                           _lonlat_bbox(grid, np.array(cells, dtype=np.int64))))
    points = _merge_layers(parts)
    decided = {(z.unit, z.ref): four.decide(points, z)
               for z in four.zones(points, grid, []) if (z.unit, z.ref) in keys}
    for unit, code in keys:
        if unit == "division":
            found = _decide_division(session, code)
            if found is not None:
                decided[("division", code)] = found
    return points, decided


def _merge_layers(parts: list[Layer]) -> Layer:
    """One layer of points from several queries, each point once."""
    if not parts:
        return Layer(np.empty(0, dtype=np.int64), np.empty(0, dtype=object),
                     {c: np.empty(0, dtype=object) for c in POINT_COLUMNS},
                     np.empty(0, dtype=object))
    ids = np.concatenate([p.ids for p in parts])
    _, first = np.unique(ids, return_index=True)
    return Layer(ids[first], np.concatenate([p.geoms for p in parts])[first],
                 {c: np.concatenate([p.attrs[c] for p in parts])[first] for c in POINT_COLUMNS},
                 np.concatenate([p.lonlat for p in parts])[first])


def _decide_division(session: Session, code: str) -> dict[str, Any] | None:
    """A division's four-colour level from its points, by aggregate queries."""
    t = RiskPoint.__table__
    where = [t.c.retired_at.is_(None), within(t.c.division_code, (division_prefix(code),))]
    counts = {level: n for level, n in session.execute(
        select(t.c.level, func.count()).where(*where).group_by(t.c.level))}
    if not counts:
        return None
    ordinal = case(*((t.c.level == lv.code, lv.ordinal) for lv in FOUR_COLOUR), else_=0)
    top_id = session.scalar(select(t.c.id).where(*where)
                            .order_by(ordinal.desc(), t.c.score.desc(), t.c.id).limit(1))
    top = layer(session, t, POINT_COLUMNS, None, [t.c.id == top_id])
    found = four.decide(top, four.Zone("division", code, [0]))
    found["points"] = sum(counts.values())
    found["explanation"].update(points=found["points"], counts=counts)
    return found
