"""Risk runs: request one (one at a time), carry it out, publish it atomically, keep its diff.

The public use cases the CLI, the API, the pages and the scheduler share:

- :func:`request` records a queued run and the job that will carry it out (409 while
  another run is queued or running: ``risk_runs.active`` is a unique key).
- :func:`execute` computes both maps for a run (full, or incremental over what changed
  since the last run) and replaces the published rows in one transaction.
- :func:`run_now` does both in the calling process (``resilience risk run``).
- :func:`history`, :func:`get`, :func:`changes`, :func:`published` read them back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import case, delete, func, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from inventory import COLLECTIONS, FloodPoint, Pipeline, Shelter, Tunnel
from inventory.inspections.hazards import Hazard
from resilience import jobs
from resilience.audit import AuditEntry
from resilience.dialects import insert_many
from resilience.divisions import Division, division_prefix, within
from resilience.errors import Conflict, NotFound
from resilience.model import now
from resilience.spatial import as_wkb
from risk import factors as five
from risk import fourcolour as four
from risk import schemes
from risk.grid import Grid, to_lonlat, to_plane
from risk.hazard_zones import HazardZone
from risk.inputs import Inputs, layer, load
from risk.levels import FIVE_COLOUR, FOUR_COLOUR
from risk.points import RiskPoint
from risk.results import FiveColourResult, FourColourResult, RiskChange, RiskRun

Progress = Callable[[float, str | None], None]
INPUT_TABLES = {"pipelines": Pipeline, "tunnels": Tunnel, "shelters": Shelter,
                "flood-points": FloodPoint, "hazard-zones": HazardZone, "risk-points": RiskPoint,
                "hazards": Hazard}
FIVE = {lv.code: lv for lv in FIVE_COLOUR}
FOUR = {lv.code: lv for lv in FOUR_COLOUR}


# -- requesting and reading -------------------------------------------------------------

def request(session: Session, *, mode: str = "full", by: str | None = None,
            scheme: str = schemes.DEFAULT_NAME) -> RiskRun:
    """Queue a run and the job that carries it out; Conflict while another is under way."""
    if mode not in ("full", "incremental"):
        from resilience.errors import InvalidInput, Problem
        raise InvalidInput("bad run", [Problem("mode", "unknown_code",
                                               {"value": mode, "allowed": ["full", "incremental"]})])
    busy = session.scalar(select(RiskRun.id).where(RiskRun.active.is_not(None)))
    if busy is not None:
        raise Conflict("a risk run is already queued or running", run_id=busy)
    chosen = schemes.latest(session, scheme)
    run = RiskRun(mode=mode, status="queued", active=1, scheme_name=chosen.name,
                  scheme_version=chosen.version, cell_size_m=chosen.cell_size_m,
                  requested_by=by, requested_at=now())
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError as error:  # another request won the race for the key
        raise Conflict("a risk run is already queued or running") from error
    job = jobs.submit(session, "risk_run", {"run_id": run.id}, by=by)
    run.job_id = job.id
    session.flush()
    return run


def run_now(sessions: sessionmaker[Session], *, mode: str = "full", by: str | None = None,
            scheme: str = schemes.DEFAULT_NAME) -> RiskRun:
    """Request a run and carry it out in this process (CLI, demo, tests)."""
    with sessions() as session:
        run = request(session, mode=mode, by=by, scheme=scheme)
        run_id, job_id = run.id, run.job_id
        session.commit()
    assert job_id is not None
    jobs.run_job(sessions, job_id, {"risk_run": JOB})
    with sessions() as session:
        done = get(session, run_id)
        session.expunge(done)
        return done


def pending_changes(session: Session) -> bool:
    """True when an input changed since the published run read the registry (cheap: one
    indexed ``max(updated_at)`` per table)."""
    base = published(session)
    if base is None or base.inputs_as_of is None:
        return True
    for model in INPUT_TABLES.values():
        newest = session.scalar(select(func.max(model.__table__.c.updated_at)))
        if newest is not None and newest > base.inputs_as_of:
            return True
    return False


def get(session: Session, run_id: int) -> RiskRun:
    """A run by id, or NotFound."""
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound("no such risk run", run_id=run_id)
    return run


def history(session: Session, limit: int = 50, offset: int = 0) -> list[RiskRun]:
    """Runs, newest first."""
    return list(session.scalars(select(RiskRun).order_by(RiskRun.id.desc())
                                .limit(limit).offset(offset)))


def published(session: Session) -> RiskRun | None:
    """The newest run that succeeded: its maps are the ones shown."""
    return session.scalars(select(RiskRun).where(RiskRun.status == "succeeded")
                           .order_by(RiskRun.id.desc()).limit(1)).first()


def changes(session: Session, run_id: int, *, map: str | None = None, limit: int = 500,
            offset: int = 0) -> list[RiskChange]:
    """A run's diff lines, biggest moves first."""
    stmt = select(RiskChange).where(RiskChange.run_id == run_id)
    if map is not None:
        stmt = stmt.where(RiskChange.map == map)
    return list(session.scalars(stmt.order_by(RiskChange.map, RiskChange.unit, RiskChange.id)
                                .limit(limit).offset(offset)))


def as_dict(session: Session, run: RiskRun) -> dict[str, Any]:
    """A run as the API shows it, with its job's progress while it runs."""
    job = session.get(jobs.Job, run.job_id) if run.job_id else None
    status = run.status
    if status == "queued" and job is not None and job.status == jobs.RUNNING:
        status = "running"
    if status in ("queued", "running") and job is not None and job.status == jobs.FAILED:
        status = "failed"
    return {"id": run.id, "mode": run.mode, "status": status, "scheme_name": run.scheme_name,
            "scheme_version": run.scheme_version, "cell_size_m": run.cell_size_m,
            "requested_by": run.requested_by, "requested_at": _iso(run.requested_at),
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "counts": run.counts, "summary": run.summary, "error": run.error,
            "progress": 1.0 if status == "succeeded" else (job.progress if job else 0.0),
            "message": job.message if job else None}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# -- carrying a run out -----------------------------------------------------------------

def _carry_out(session: Session, job: jobs.Job, progress: Progress) -> dict[str, Any] | jobs.Then:
    """The scheduler's side of a run: the job names the run it carries out."""
    return execute(session, int(job.params["run_id"]), progress)


def _mark_failed(session: Session, job: jobs.Job, error: dict[str, Any]) -> None:
    """A failed run says why and frees the key; the published maps stay as they were."""
    run = get(session, int(job.params["run_id"]))
    run.status, run.active, run.finished_at = "failed", None, now()
    run.error = str(error.get("message", ""))[:2000]


def execute(session: Session, run_id: int, progress: Progress) -> dict[str, Any] | jobs.Then:
    """Compute a run, and return the step that publishes it.

    All reading and scoring happens here, before the first write; the returned step writes
    every row in the caller's next transaction, so the new maps appear at its commit or not
    at all. The job runner ends the reading transaction between the two (progress is written
    by another connection, and on SQLite an older snapshot could not become a writer) and
    marks the run failed through :data:`JOB` if either raises.
    """
    run = get(session, run_id)
    if run.status in ("succeeded", "failed"):  # a re-claimed job whose run already ended
        return {"run_id": run.id, "status": run.status}
    return _compute(session, run, progress)


def _compute(session: Session, run: RiskRun, progress: Progress) -> jobs.Then:
    clock = time.perf_counter()
    scheme = schemes.latest(session, run.scheme_name)
    grid = Grid(scheme.cell_size_m)
    as_of = now()
    base = published(session)
    mode = run.mode
    if mode == "incremental" and (base is None or base.inputs_as_of is None
                                  or base.scheme_name != scheme.name
                                  or base.scheme_version != scheme.version):
        mode = "full"
    progress(0.05, "reading the registry")
    if mode == "full":
        inputs = load(session)
        cells, links = five.compute(inputs, scheme)
        region: set[str] | None = None
        asset_refs: set[str] | None = None
        scope = None
    else:
        assert base is not None and base.inputs_as_of is not None
        changed = _changed_since(session, base.inputs_as_of)
        affected = _affected_cells(session, grid, scheme, changed)
        inputs, cells, links, region, asset_refs = _recompute(session, grid, scheme, affected,
                                                              changed)
        scope = _scope(session, changed)
    progress(0.6, "scoring done, publishing")
    year_density = _densities(inputs)
    stats: dict[str, Any] = {"mode": mode, "cells_recomputed": len(cells),
                             "assets_recomputed": len(links)}
    run_id = run.id
    # Nothing is written before the runner ends this reading transaction; what changes from
    # here on is picked up by the next incremental run (inputs_as_of).

    def publish(session: Session) -> dict[str, Any]:
        return _publish(session, get(session, run_id), scheme, grid, inputs, cells, links, region,
                        asset_refs, scope, year_density, mode, base, stats, as_of, clock)

    return publish


def _publish(session: Session, run: RiskRun, scheme: schemes.Composite, grid: Grid,
             inputs: Inputs, cells: Any, links: Any, region: set[str] | None,
             asset_refs: set[str] | None, scope: Any, year_density: dict[str, float], mode: str,
             base: RiskRun | None, stats: dict[str, Any], as_of: datetime, clock: float
             ) -> dict[str, Any]:
    """Replace the published maps with a computed run's and record its diff and summary."""
    has_previous = base is not None
    diff: list[dict[str, Any]] = []
    diff += _publish_five(session, run, scheme, grid, inputs, cells, links, region, asset_refs)
    diff += _publish_divisions(session, run, scheme)
    generated = four.sync_generated(session, inputs, year_density, scope)
    if mode == "full":
        diff += _publish_four(session, run, grid)
    else:
        assert base is not None and base.inputs_as_of is not None
        keys = _affected_zones(session, grid, base.inputs_as_of)
        stats["four_zones_recomputed"] = len(keys)
        if keys:
            diff += _publish_four(session, run, grid, keys)
    if has_previous and diff:
        insert_many(session, RiskChange.__table__, [{**d, "run_id": run.id} for d in diff])
    order5 = {c: lv.ordinal for c, lv in FIVE.items()}
    order4 = {c: lv.ordinal for c, lv in FOUR.items()}
    raised = lowered = appeared = gone = 0
    for d in diff if has_previous else []:
        order = order5 if d["map"] == "five" else order4
        if d["before_level"] is None:
            appeared += 1
        elif d["after_level"] is None:
            gone += 1
        elif order[d["after_level"]] > order[d["before_level"]]:
            raised += 1
        else:
            lowered += 1
    run.counts = _counts(session)
    run.summary = {**stats, "generated_points": generated,
                   "changed": {"five": sum(d["map"] == "five" for d in diff) if has_previous else 0,
                               "four": sum(d["map"] == "four" for d in diff) if has_previous else 0},
                   "raised": raised, "lowered": lowered, "appeared": appeared, "gone": gone,
                   "first_run": not has_previous,
                   "seconds": round(time.perf_counter() - clock, 2)}
    run.status, run.active, run.inputs_as_of = "succeeded", None, as_of
    run.started_at = run.started_at or as_of
    run.finished_at = now()
    run.mode = mode
    session.flush()
    return {"run_id": run.id, "status": run.status, **run.summary}


JOB = jobs.JobKind(_carry_out, failed=_mark_failed)


def _densities(inputs: Inputs) -> dict[str, float]:
    """Residents per km² of each division (population over its plane area)."""
    d = inputs.divisions
    areas = shapely.area(d.geoms) / 1e6 if len(d) else np.empty(0)
    return {str(code): float(pop) / area for code, pop, area in
            zip(d.ids, d.attrs.get("population", []), areas, strict=False) if pop and area > 0}


# -- incremental: what changed, and where -----------------------------------------------

def _changed_since(session: Session, since: datetime) -> dict[str, list[tuple[int, Any]]]:
    """Per input collection: (id, lon/lat geometry or None) of records changed since a time,
    with the geometries they had before (from the audit trail) so old places are redone."""
    out: dict[str, list[tuple[int, Any]]] = {}
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


def _touched_by_hazards(session: Session, since: datetime,
                        out: dict[str, list[tuple[int, Any]]]) -> None:
    """A hazard filed, moved to another asset or closed changes the asset it touches (and
    touched): add those assets, where they are now, as changed."""
    h = Hazard.__table__
    touched = set(session.execute(select(h.c.asset_collection, h.c.asset_id).where(
        h.c.updated_at > since, h.c.asset_id.is_not(None))).all())
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


def _affected_cells(session: Session, grid: Grid, scheme: schemes.Composite,
                    changed: dict[str, list[tuple[int, Any]]]) -> np.ndarray:
    """Cells whose inputs changed: under changed geometry (old and new), near a shelter."""
    geoms, pads = [], []
    radius = float(scheme.section("capacity")["shelter_radius_m"])
    for name, items in changed.items():
        if name == "risk-points":
            continue
        for _, geom in items:
            geoms.append(geom)
            pads.append(radius if name == "shelters" else 0.0)
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
    return tuple(shapely.total_bounds(frame).tolist())  # type: ignore[return-value]


def _recompute(session: Session, grid: Grid, scheme: schemes.Composite, affected: np.ndarray,
               changed: dict[str, list[tuple[int, Any]]]
               ) -> tuple[Inputs, list[five.CellResult], list[five.AssetLink], set[str],
                          set[str]]:
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
        layer = getattr(first, name)
        if len(layer):
            gi, _ = tree.query(layer.geoms, predicate="intersects")
            if len(gi):
                reach.append(grid.covering(shapely.bounds(layer.geoms[np.unique(gi)])))
    every = np.unique(np.concatenate(reach), axis=0)
    inputs = load(session, bbox=_lonlat_bbox(grid, every, pad=radius))
    cells, links = five.compute(inputs, scheme, every)
    in_affected = {grid.key(int(i), int(j)) for i, j in affected}
    kept = [lk for lk in links if any(cells[c].ref in in_affected for c in lk.cells)]
    region = {grid.key(int(i), int(j)) for i, j in every}
    asset_refs = changed_refs | {f"{lk.collection}/{lk.id}" for lk in kept}
    return inputs, cells, kept, region, asset_refs


def _scope(session: Session, changed: dict[str, list[tuple[int, Any]]]) -> set[tuple[str, int]]:
    """The assets whose generated risk points an incremental run re-checks."""
    from inventory import TunnelCabin

    scope = {("pipelines", i) for i, _ in changed.get("pipelines", [])}
    scope |= {("hazards", i) for i, _ in changed.get("hazards", [])}
    tunnels = [i for i, _ in changed.get("tunnels", [])]
    if tunnels:
        scope |= {("tunnel-cabins", c) for c in session.scalars(
            select(TunnelCabin.id).where(TunnelCabin.tunnel_id.in_(tunnels)))}
    return scope


# -- publishing -------------------------------------------------------------------------

def _published_rows(session: Session, model: Any, units: tuple[str, ...],
                    refs: set[str] | None = None) -> dict[tuple[str, str], Any]:
    t = model.__table__
    cols = [t.c.unit, t.c.ref, t.c.level, t.c.score, t.c.decided_by, t.c.id]
    if model is FiveColourResult:
        cols += [t.c.hazard, t.c.exposure, t.c.vulnerability, t.c.capacity]
    stmt = select(*cols).where(t.c.unit.in_(units))
    if refs is None:
        return {(r.unit, r.ref): r for r in session.execute(stmt)}
    out = {}
    ordered = sorted(refs)
    for start in range(0, len(ordered), 1000):
        part = ordered[start:start + 1000]
        out.update({(r.unit, r.ref): r for r in session.execute(stmt.where(t.c.ref.in_(part)))})
    return out


def _delete(session: Session, model: Any, keys: list[tuple[str, str]] | None,
            units: tuple[str, ...]) -> None:
    t = model.__table__
    if keys is None:
        session.execute(delete(t).where(t.c.unit.in_(units)))
        return
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        session.execute(delete(t).where(tuple_(t.c.unit, t.c.ref).in_(part)))


def _change(map_: str, unit: str, ref: str, name: Any, division: Any, old: Any, new: dict[str, Any]
            | None, reason: dict[str, Any]) -> dict[str, Any]:
    return {"map": map_, "unit": unit, "ref": ref, "name": name, "division_code": division,
            "before_level": old.level if old is not None else None,
            "after_level": new["level"] if new is not None else None,
            "before_score": old.score if old is not None else None,
            "after_score": new["score"] if new is not None else None, "reason": reason}


def _publish_five(session: Session, run: RiskRun, scheme: schemes.Composite, grid: Grid,
                  inputs: Inputs, cells: list[five.CellResult], links: list[five.AssetLink],
                  region: set[str] | None, asset_refs: set[str] | None) -> list[dict[str, Any]]:
    """Replace the published cells and assets (all, or those recomputed) and return the diff."""
    stamp = now()
    common = {"run_id": run.id, "scheme": scheme.name, "scheme_version": scheme.version,
              "computed_at": stamp}
    boxes = to_lonlat(np.array([c.box for c in cells], dtype=object)) if cells else []
    rows: list[dict[str, Any]] = []
    for cell, box in zip(cells, boxes, strict=True):
        s, f = cell.score, cell.factors
        explanation = s.explain(scheme, f)
        explanation.update(sources=cell.sources, assets=cell.assets,
                           length_m=round(cell.length_m, 1))
        rows.append({"unit": "cell", "ref": cell.ref, "name": None, "geom": box,
                     "division_code": cell.division_code, "level": s.level.code,
                     "ordinal": s.level.ordinal, "colour": s.level.colour, "score": s.score,
                     "measure": grid.size * grid.size,
                     "decided_by": cell.sources.get(s.decided_by or "", s.decided_by),
                     "explanation": explanation, "hazard": max(f.hazards.values(), default=0.0),
                     "exposure": f.exposure, "vulnerability": f.vulnerability,
                     "capacity": f.capacity, **common})
    lookup = {name: {int(i): k for k, i in enumerate(getattr(inputs, name).ids.tolist())}
              for name in five.LINE_LAYERS + five.SPOT_LAYERS}
    for link in links:
        layer_name = link.collection.replace("-", "_")
        layer = getattr(inputs, layer_name)
        k = lookup[layer_name][link.id]
        best = max(link.cells, key=lambda c: (cells[c].score.level.ordinal, cells[c].score.score))
        cell = cells[best]
        lv = cell.score.level
        rows.append({"unit": "asset", "ref": f"{link.collection}/{link.id}",
                     "name": layer.attrs["name"][k], "geom": layer.lonlat[k],
                     "division_code": layer.attrs["division_code"][k], "level": lv.code,
                     "ordinal": lv.ordinal, "colour": lv.colour, "score": cell.score.score,
                     "measure": link.length_m or None, "decided_by": cell.ref,
                     "explanation": {"rule": "highest", "cell": cell.ref,
                                     "cells": len(link.cells), "level": lv.code,
                                     "score": round(cell.score.score, 5),
                                     "hazard": cell.score.decided_by,
                                     "source": cell.sources.get(cell.score.decided_by or ""),
                                     "factors": {"H": round(max(cell.factors.hazards.values(),
                                                                default=0.0), 4),
                                                 "E": round(cell.factors.exposure, 4),
                                                 "V": round(cell.factors.vulnerability, 4),
                                                 "C": round(cell.factors.capacity, 4)}},
                     "hazard": None, "exposure": None, "vulnerability": None, "capacity": None,
                     **common})
    if region is None:
        old = _published_rows(session, FiveColourResult, ("cell", "asset"))
        _delete(session, FiveColourResult, None, ("cell", "asset"))
    else:
        refs = region | (asset_refs or set())
        old = _published_rows(session, FiveColourResult, ("cell", "asset"), refs)
        _delete(session, FiveColourResult, list(old), ("cell", "asset"))
    insert_many(session, FiveColourResult.__table__, rows, geom_column="geom")
    new = {(r["unit"], r["ref"]): r for r in rows}
    diff = []
    for key, row in new.items():
        before = old.get(key)
        if before is None or before.level != row["level"]:
            diff.append(_change("five", key[0], key[1], row["name"], row["division_code"],
                                before, row, _five_reason(before, row)))
    for key, before in old.items():
        if key not in new:
            diff.append(_change("five", key[0], key[1], None, None, before, None,
                                {"gone": True}))
    return diff


def _five_reason(before: Any, row: dict[str, Any]) -> dict[str, Any]:
    """Why a five-colour unit changed: its factors (cells) or the cell it inherits (assets)."""
    after = {"score": round(row["score"] or 0.0, 5), "decided_by": row["decided_by"]}
    if row["unit"] == "cell":
        after.update(H=round(row["hazard"], 4), E=round(row["exposure"], 4),
                     V=round(row["vulnerability"], 4), C=round(row["capacity"], 4))
    if before is None:
        return {"after": after, "new": True}
    was = {"score": round(before.score or 0.0, 5), "decided_by": before.decided_by}
    if row["unit"] == "cell":
        was.update(H=round(before.hazard or 0.0, 4), E=round(before.exposure or 0.0, 4),
                   V=round(before.vulnerability or 0.0, 4), C=round(before.capacity or 0.0, 4))
    moved = sorted(k for k in after if k in was and after[k] != was[k])
    return {"before": was, "after": after, "changed": moved}


def _publish_divisions(session: Session, run: RiskRun, scheme: schemes.Composite
                       ) -> list[dict[str, Any]]:
    """Each division takes the highest level of its cells (就高), with area and lengths."""
    t = FiveColourResult.__table__
    cells = session.execute(select(t.c.division_code, t.c.ref, t.c.ordinal, t.c.score,
                                   t.c.measure).where(t.c.unit == "cell")).all()
    assets = session.execute(select(t.c.division_code, t.c.level, func.count(),
                                    func.sum(t.c.measure)).where(t.c.unit == "asset")
                             .group_by(t.c.division_code, t.c.level)).all()
    d = Division.__table__
    divisions = session.execute(select(d.c.code, d.c.name, as_wkb(d.c.boundary))
                                .where(d.c.boundary.is_not(None))).all()
    by_ordinal = {lv.ordinal: lv for lv in FIVE_COLOUR}
    rows = []
    stamp = now()
    for code, name, raw in divisions:
        prefix = division_prefix(code)
        mine = [c for c in cells if (c.division_code or "").startswith(prefix)]
        if not mine:
            continue
        top = max(mine, key=lambda c: (c.ordinal, c.score or 0.0, c.ref))
        lv = by_ordinal[top.ordinal]
        area: dict[str, float] = {}
        count: dict[str, int] = {}
        for c in mine:
            code_ = by_ordinal[c.ordinal].code
            area[code_] = area.get(code_, 0.0) + (c.measure or 0.0) / 1e6
            count[code_] = count.get(code_, 0) + 1
        n_assets: dict[str, int] = {}
        length: dict[str, float] = {}
        for division_code, level, n, total in assets:
            if (division_code or "").startswith(prefix):
                n_assets[level] = n_assets.get(level, 0) + int(n)
                length[level] = length.get(level, 0.0) + float(total or 0.0) / 1000
        rows.append({"unit": "division", "ref": code, "name": name,
                     "geom": shapely.from_wkb(bytes(raw)), "division_code": code,
                     "level": lv.code, "ordinal": lv.ordinal, "colour": lv.colour,
                     "score": top.score, "measure": sum(area.values()) * 1e6,
                     "decided_by": top.ref,
                     "explanation": {"rule": "highest", "cell": top.ref, "level": lv.code,
                                     "score": round(top.score or 0.0, 5), "cells": count,
                                     "area_km2": {k: round(v, 3) for k, v in area.items()},
                                     "assets": n_assets,
                                     "length_km": {k: round(v, 3) for k, v in length.items()}},
                     "hazard": None, "exposure": None, "vulnerability": None, "capacity": None,
                     "run_id": run.id, "scheme": scheme.name, "scheme_version": scheme.version,
                     "computed_at": stamp})
    old = _published_rows(session, FiveColourResult, ("division",))
    _delete(session, FiveColourResult, None, ("division",))
    insert_many(session, t, rows, geom_column="geom")
    diff = []
    for row in rows:
        before = old.get(("division", row["ref"]))
        if before is None or before.level != row["level"]:
            diff.append(_change("five", "division", row["ref"], row["name"], row["ref"], before,
                                row, {"before": {"decided_by": getattr(before, "decided_by",
                                                                       None)},
                                      "after": {"decided_by": row["decided_by"]}}))
    return diff


POINT_COLUMNS = ["category", "method", "preset", "score", "level", "band_name", "factor_l",
                 "factor_e", "factor_c", "factor_s", "source", "rule", "asset_collection",
                 "asset_id", "tunnel_id", "division_code", "name", "scheme_version"]
ZONE_UNITS = ("cell", "tunnel", "division", "asset")


def _publish_four(session: Session, run: RiskRun, grid: Grid,
                  keys: set[tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    """Zones take the highest level of their points; only rows that changed are rewritten.

    With ``keys`` (an incremental run) only those zones are decided again, from their own
    points: a cell's from a bbox query, a tunnel's or asset's by key, a division's by two
    aggregate queries (its points may be the whole city).
    """
    if keys is None:
        points = layer(session, RiskPoint.__table__, POINT_COLUMNS, None)
        codes = list(session.scalars(select(Division.code)))
        decided = {(z.unit, z.ref): four.decide(points, z)
                   for z in four.zones(points, grid, codes)}
        old = _published_rows(session, FourColourResult, ZONE_UNITS)
    else:
        points, decided = _decide_zones(session, grid, keys)
        old = _published_rows(session, FourColourResult, ZONE_UNITS, {k[1] for k in keys})
        old = {k: v for k, v in old.items() if k in keys}
    todo = [k for k, v in decided.items() if k not in old or old[k].level != v["level"].code
            or old[k].decided_by != v["decided_by"]
            or abs((old[k].score or 0) - v["score"]) > 1e-9]
    gone = [k for k in old if k not in decided]
    geoms = _zone_geometries(session, grid, todo)
    stamp = now()
    rows = []
    for key in todo:
        v = decided[key]
        lv = v["level"]
        rows.append({"unit": key[0], "ref": key[1], "name": _zone_name(key, v),
                     "geom": geoms[key], "division_code": _zone_division(key, points, v),
                     "level": lv.code, "ordinal": lv.ordinal, "colour": lv.colour,
                     "score": v["score"], "measure": None, "decided_by": v["decided_by"],
                     "explanation": v["explanation"], "points": v["points"], "run_id": run.id,
                     "scheme": "four_colour", "scheme_version": 1, "computed_at": stamp})
    _delete(session, FourColourResult, todo + gone, ())
    rows = [r for r in rows if r["geom"] is not None]
    insert_many(session, FourColourResult.__table__, rows, geom_column="geom")
    diff = []
    for row in rows:
        before = old.get((row["unit"], row["ref"]))
        if before is None or before.level != row["level"]:
            diff.append(_change("four", row["unit"], row["ref"], row["name"],
                                row["division_code"], before, row,
                                {"before": {"decided_by": getattr(before, "decided_by", None)},
                                 "after": {"decided_by": row["decided_by"],
                                           "point": row["explanation"]["point"]}}))
    diff += [_change("four", k[0], k[1], None, None, old[k], None, {"gone": True}) for k in gone]
    return diff


def _affected_zones(session: Session, grid: Grid, since: datetime) -> set[tuple[str, str]]:
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


def _decide_zones(session: Session, grid: Grid, keys: set[tuple[str, str]]
                  ) -> tuple[Any, dict[tuple[str, str], dict[str, Any]]]:
    """Decide the given zones from their own points (an incremental run's four-colour step)."""
    t = RiskPoint.__table__
    cells = [Grid.parse(ref) for unit, ref in keys if unit == "cell"]
    tunnels = [int(ref.rpartition("/")[2]) for unit, ref in keys if unit == "tunnel"]
    assets = [(ref.rpartition("/")[0], int(ref.rpartition("/")[2]))
              for unit, ref in keys if unit == "asset"]
    conditions = []
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


def _merge_layers(parts: list[Any]) -> Any:
    """One layer of points from several queries, each point once."""
    from risk.inputs import Layer

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
    scope = [t.c.retired_at.is_(None), within(t.c.division_code, (division_prefix(code),))]
    counts = {level: n for level, n in session.execute(
        select(t.c.level, func.count()).where(*scope).group_by(t.c.level))}
    if not counts:
        return None
    ordinal = case(*((t.c.level == lv.code, lv.ordinal) for lv in FOUR_COLOUR), else_=0)
    top_id = session.scalar(select(t.c.id).where(*scope)
                            .order_by(ordinal.desc(), t.c.score.desc(), t.c.id).limit(1))
    top = layer(session, t, POINT_COLUMNS, None, [t.c.id == top_id])
    found = four.decide(top, four.Zone("division", code, [0]))
    found["points"] = sum(counts.values())
    found["explanation"].update(points=found["points"], counts=counts)
    return found


def _zone_name(key: tuple[str, str], v: dict[str, Any]) -> str | None:
    """An asset or tunnel zone is named after the point that decided it; others need none."""
    return v["explanation"]["point"]["name"] if key[0] in ("asset", "tunnel") else None


def _zone_division(key: tuple[str, str], points: Any, v: dict[str, Any]) -> str | None:
    if key[0] == "division":
        return key[1]
    pid = v["explanation"]["point"]["id"]
    at = np.nonzero(points.ids == pid)[0]
    return points.attrs["division_code"][int(at[0])] if len(at) else None


def _zone_geometries(session: Session, grid: Grid, keys: list[tuple[str, str]]
                     ) -> dict[tuple[str, str], Any]:
    """Lon/lat geometry of each zone: a cell's square, a tunnel, a division, an asset."""
    out: dict[tuple[str, str], Any] = {}
    cells = [k for k in keys if k[0] == "cell"]
    if cells:
        ij = np.array([Grid.parse(ref) for _, ref in cells], dtype=np.int64)
        out.update(zip(cells, to_lonlat(grid.boxes(ij)), strict=True))
    wanted: dict[str, list[tuple[tuple[str, str], int]]] = {}
    for key in keys:
        if key[0] in ("tunnel", "asset"):
            collection, _, ident = key[1].rpartition("/")
            wanted.setdefault(collection, []).append((key, int(ident)))
    for collection, items in wanted.items():
        spec = COLLECTIONS.get(collection)
        if spec is None:
            continue
        t = spec.model.__table__
        ids = [i for _, i in items]
        found = {}
        for start in range(0, len(ids), 1000):
            found.update({r[0]: shapely.from_wkb(bytes(r[1])) for r in session.execute(
                select(t.c.id, as_wkb(t.c.geom)).where(t.c.id.in_(ids[start:start
                                                                                + 1000])))})
        for key, ident in items:
            out[key] = found.get(ident)
    divisions = [k for k in keys if k[0] == "division"]
    if divisions:
        d = Division.__table__
        found = {r[0]: shapely.from_wkb(bytes(r[1])) for r in session.execute(
            select(d.c.code, as_wkb(d.c.boundary)).where(
                d.c.code.in_([k[1] for k in divisions]), d.c.boundary.is_not(None)))}
        for key in divisions:
            out[key] = found.get(key[1])
    return out


def _counts(session: Session) -> dict[str, Any]:
    """Published units per level, per map and unit, and risk points per level."""
    out: dict[str, Any] = {"five": {}, "four": {}}
    for name, model in (("five", FiveColourResult), ("four", FourColourResult)):
        t = model.__table__
        for unit, level, n in session.execute(select(t.c.unit, t.c.level, func.count())
                                              .group_by(t.c.unit, t.c.level)):
            out[name].setdefault(unit, {})[level] = n
    p = RiskPoint.__table__
    out["four"]["point"] = {level: n for level, n in session.execute(
        select(p.c.level, func.count()).where(p.c.retired_at.is_(None)).group_by(p.c.level))}
    return out

