"""The published 五色图: cells and assets replaced from a run's scores, divisions from the cells.

A cell keeps its factors (H, E, V, C) and its explanation; an asset takes the level of the
highest cell it crosses, and a division the highest of its cells (就高, DOMAIN.md §2), with
the area of each level and the assets in it. Each writer returns its diff lines.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from resilience.dialects import insert_many
from resilience.divisions import Division, division_prefix
from resilience.model import now
from resilience.spatial import as_wkb
from risk import factors as five
from risk.grid import Grid, to_lonlat
from risk.inputs import Inputs
from risk.levels import FIVE_COLOUR
from risk.publishing.rows import change, delete_rows, published_rows
from risk.results import FiveColourResult, RiskRun
from risk.schemes import Composite


def cells_and_assets(session: Session, run: RiskRun, scheme: Composite, grid: Grid,
                     inputs: Inputs, cells: list[five.CellResult], links: list[five.AssetLink],
                     region: set[str] | None, asset_refs: set[str] | None
                     ) -> list[dict[str, Any]]:
    """Replace the published cells and assets (all, or those recomputed) and return the diff."""
    stamp = now()
    common = {"run_id": run.id, "scheme": scheme.name, "scheme_version": scheme.version,
              "computed_at": stamp}
    boxes: np.ndarray | list[Any] = (to_lonlat(np.array([c.box for c in cells], dtype=object))
                                     if cells else [])
    rows: list[dict[str, Any]] = []
    for cell, box in zip(cells, boxes, strict=True):
        s, f = cell.score, cell.factors
        explanation = s.explain(scheme, f)
        explanation.update(sources=cell.sources, assets=cell.assets,
                           length_m=round(cell.length_m, 1),
                           population={**cell.population,
                                       "per_km2": round(cell.population.get("per_km2", 0.0), 1)})
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
        old = published_rows(session, FiveColourResult, ("cell", "asset"))
        delete_rows(session, FiveColourResult, None, ("cell", "asset"))
    else:
        refs = region | (asset_refs or set())
        old = published_rows(session, FiveColourResult, ("cell", "asset"), refs)
        delete_rows(session, FiveColourResult, list(old), ("cell", "asset"))
    insert_many(session, cast(Table, FiveColourResult.__table__), rows, geom_column="geom")
    new = {(r["unit"], r["ref"]): r for r in rows}
    diff = []
    for key, row in new.items():
        before = old.get(key)
        if before is None or before.level != row["level"]:
            diff.append(change("five", key[0], key[1], row["name"], row["division_code"],
                               before, row, _reason(before, row)))
    for key, before in old.items():
        if key not in new:
            diff.append(change("five", key[0], key[1], None, None, before, None,
                               {"gone": True}))
    return diff


def _reason(before: Any, row: dict[str, Any]) -> dict[str, Any]:
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


def divisions(session: Session, run: RiskRun, scheme: Composite) -> list[dict[str, Any]]:
    """Each division takes the highest level of its cells (就高), with area and lengths."""
    t = FiveColourResult.__table__
    cells = session.execute(select(t.c.division_code, t.c.ref, t.c.ordinal, t.c.score,
                                   t.c.measure).where(t.c.unit == "cell")).all()
    assets = session.execute(select(t.c.division_code, t.c.level, func.count(),
                                    func.sum(t.c.measure)).where(t.c.unit == "asset")
                             .group_by(t.c.division_code, t.c.level)).all()
    d = Division.__table__
    bounded = session.execute(select(d.c.code, d.c.name, as_wkb(d.c.boundary))
                              .where(d.c.boundary.is_not(None))).all()
    by_ordinal = {lv.ordinal: lv for lv in FIVE_COLOUR}
    rows = []
    stamp = now()
    for code, name, raw in bounded:
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
    old = published_rows(session, FiveColourResult, ("division",))
    delete_rows(session, FiveColourResult, None, ("division",))
    insert_many(session, cast(Table, t), rows, geom_column="geom")
    diff = []
    for row in rows:
        before = old.get(("division", row["ref"]))
        if before is None or before.level != row["level"]:
            diff.append(change("five", "division", row["ref"], row["name"], row["ref"], before,
                               row, {"before": {"decided_by": getattr(before, "decided_by",
                                                                      None)},
                                     "after": {"decided_by": row["decided_by"]}}))
    return diff
