"""The published 四色图: each zone (cell, tunnel, division, asset) and the point that set it.

Zones take the highest level of their risk points (就高, DOMAIN.md §3); a full run decides
every zone, an incremental one only those whose points were written since the published
run. Only the zones whose level, score or deciding point moved are rewritten, so a run that
changes little writes little.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from inventory import COLLECTIONS
from resilience.dialects import insert_many
from resilience.divisions import Division
from resilience.model import now
from resilience.spatial import as_wkb
from risk import fourcolour as four
from risk.grid import Grid, to_lonlat
from risk.incremental import POINT_COLUMNS, decide_zones
from risk.inputs import Layer, layer
from risk.points import RiskPoint
from risk.publishing.rows import Key, change, delete_rows, published_rows
from risk.results import FourColourResult, RiskRun

ZONE_UNITS = ("cell", "tunnel", "division", "asset")


def publish(session: Session, run: RiskRun, grid: Grid,
            keys: set[Key] | None = None) -> list[dict[str, Any]]:
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
        old = published_rows(session, FourColourResult, ZONE_UNITS)
    else:
        points, decided = decide_zones(session, grid, keys)
        old = published_rows(session, FourColourResult, ZONE_UNITS, {k[1] for k in keys})
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
    delete_rows(session, FourColourResult, todo + gone, ())
    rows = [r for r in rows if r["geom"] is not None]
    insert_many(session, cast(Table, FourColourResult.__table__), rows, geom_column="geom")
    diff = []
    for row in rows:
        before = old.get((row["unit"], row["ref"]))
        if before is None or before.level != row["level"]:
            diff.append(change("four", row["unit"], row["ref"], row["name"],
                               row["division_code"], before, row,
                               {"before": {"decided_by": getattr(before, "decided_by", None)},
                                "after": {"decided_by": row["decided_by"],
                                          "point": row["explanation"]["point"]}}))
    diff += [change("four", k[0], k[1], None, None, old[k], None, {"gone": True}) for k in gone]
    return diff


def _zone_name(key: Key, v: dict[str, Any]) -> str | None:
    """An asset or tunnel zone is named after the point that decided it; others need none."""
    return v["explanation"]["point"]["name"] if key[0] in ("asset", "tunnel") else None


def _zone_division(key: Key, points: Layer, v: dict[str, Any]) -> str | None:
    """A division zone is its own division; any other that of the point that decided it."""
    if key[0] == "division":
        return key[1]
    pid = v["explanation"]["point"]["id"]
    at = np.nonzero(points.ids == pid)[0]
    return cast("str | None", points.attrs["division_code"][int(at[0])]) if len(at) else None


def _zone_geometries(session: Session, grid: Grid, keys: list[Key]) -> dict[Key, Any]:
    """Lon/lat geometry of each zone: a cell's square, a tunnel, a division, an asset."""
    out: dict[Key, Any] = {}
    cells = [k for k in keys if k[0] == "cell"]
    if cells:
        ij = np.array([Grid.parse(ref) for _, ref in cells], dtype=np.int64)
        out.update(zip(cells, to_lonlat(grid.boxes(ij)), strict=True))
    wanted: dict[str, list[tuple[Key, int]]] = {}
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
        by_id: dict[int, Any] = {}
        for start in range(0, len(ids), 1000):
            by_id.update({r[0]: shapely.from_wkb(bytes(r[1])) for r in session.execute(
                select(t.c.id, as_wkb(t.c.geom)).where(t.c.id.in_(ids[start:start
                                                                                + 1000])))})
        for key, number in items:
            out[key] = by_id.get(number)
    divisions = [k for k in keys if k[0] == "division"]
    if divisions:
        d = Division.__table__
        by_code = {r[0]: shapely.from_wkb(bytes(r[1])) for r in session.execute(
            select(d.c.code, as_wkb(d.c.boundary)).where(
                d.c.code.in_([k[1] for k in divisions]), d.c.boundary.is_not(None)))}
        for key in divisions:
            out[key] = by_code.get(key[1])
    return out
