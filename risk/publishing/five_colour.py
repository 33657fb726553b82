"""The published 五色图: cells and assets replaced from a run's scores, divisions from the cells.

A cell keeps its factors (H, E, V, C), its place and its explanation (a 无登记设施 cell its
hazard level, with no E, V, C of its own); an asset takes the level of the highest cell it
crosses (DOMAIN.md §1.3); a division publishes its area per level and the level its rule
gives (:func:`area_level`, DOMAIN.md §10 — not its worst cell). Each writer returns its
diff lines.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import Table, func, select, tuple_
from sqlalchemy.orm import Session

from resilience.dialects import insert_many
from resilience.divisions import Division, division_prefix
from resilience.model import now
from resilience.spatial import as_wkb
from risk import factors as five
from risk.grid import Grid, to_lonlat
from risk.inputs import Inputs
from risk.levels import FIVE_COLOUR, Level
from risk.publishing.rows import change, delete_rows, published_rows
from risk.results import FiveColourResult, RiskRun
from risk.schemes import Composite, Factors


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
        if cell.floor is None:
            explanation = s.explain(scheme, f)
        else:  # the hazard level decided: explained at the reference cell it was scored at
            reference = scheme.params.get("unregistered", {"E": 0.5, "V": 0.5})
            explanation = s.explain(scheme, Factors(f.hazards, float(reference["E"]),
                                                    float(reference["V"]), 0.0))
            explanation.update(floor=cell.floor, reference=dict(reference))
        explanation.update(sources=cell.sources, assets=cell.assets,
                           length_m=round(cell.length_m, 1), place=cell.place,
                           population={**cell.population,
                                       "per_km2": round(cell.population.get("per_km2", 0.0), 1)})
        if cell.registered:
            explanation["exposure_parts"] = cell.parts
            measured: dict[str, Any] = {"exposure": f.exposure, "vulnerability": f.vulnerability,
                                        "capacity": f.capacity_for(s.decided_by or "")}
        else:  # 无登记设施: the hazard level, scored at the reference cell; no E, V, C of its own
            explanation.update(unregistered=True, reference={"E": f.exposure,
                                                             "V": f.vulnerability})
            measured = {"exposure": None, "vulnerability": None, "capacity": None}
        rows.append({"unit": "cell", "ref": cell.ref, "name": cell.place, "geom": box,
                     "division_code": cell.division_code, "level": s.level.code,
                     "ordinal": s.level.ordinal, "colour": s.level.colour, "score": s.score,
                     "measure": grid.size * grid.size,
                     "decided_by": cell.sources.get(s.decided_by or "", s.decided_by),
                     "explanation": explanation, "hazard": max(f.hazards.values(), default=0.0),
                     **measured, **common})
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
                                     "place": cell.place, "unregistered": not cell.registered,
                                     "cells": len(link.cells), "level": lv.code,
                                     "score": round(cell.score.score, 5),
                                     "hazard": cell.score.decided_by,
                                     "source": cell.sources.get(cell.score.decided_by or ""),
                                     "factors": {"H": round(max(cell.factors.hazards.values(),
                                                                default=0.0), 4),
                                                 "E": round(cell.factors.exposure, 4),
                                                 "V": round(cell.factors.vulnerability, 4),
                                                 "C": round(cell.factors.capacity_for(
                                                     cell.score.decided_by or ""), 4)}},
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
        after.update(H=_r(row["hazard"]), E=_r(row["exposure"]), V=_r(row["vulnerability"]),
                     C=_r(row["capacity"]))
    if before is None:
        return {"after": after, "new": True}
    was = {"score": round(before.score or 0.0, 5), "decided_by": before.decided_by}
    if row["unit"] == "cell":
        was.update(H=_r(before.hazard), E=_r(before.exposure), V=_r(before.vulnerability),
                   C=_r(before.capacity))
    moved = sorted(k for k in after if k in was and after[k] != was[k])
    return {"before": was, "after": after, "changed": moved}


def _r(value: float | None) -> float | None:
    """A factor rounded for a diff line (None where a 无登记设施 cell has none)."""
    return None if value is None else round(value, 4)


def area_level(area: dict[str, float], share: float, basis: float | None = None
               ) -> tuple[Level, float]:
    """A division's published level from its area per level: the highest level that, with
    the levels above it, covers at least ``share`` of ``basis`` (the area-weighted median for
    0.5); land not mapped counts as 低. Monotone: raising a cell or mapping one more never
    lowers it, because the basis is fixed — over the mapped area alone a new 低 cell (an
    asset laid outside every hazard zone) diluted the levels above and could lower it.
    Without a basis the mapped area is used (a fixed set of cells only)."""
    whole = basis if basis is not None and basis > 0 else sum(area.values())
    covered = 0.0
    for lv in sorted(FIVE_COLOUR, key=lambda lv: -lv.ordinal):
        covered += area.get(lv.code, 0.0)
        if whole > 0 and min(1.0, covered / whole) >= share - 1e-12:
            return lv, min(1.0, covered / whole)
    return FIVE_COLOUR[0], 1.0


def bases(inputs: Inputs) -> dict[str, tuple[str, float]]:
    """Each division's fixed roll-up basis in km²: its land area, from its boundary in the
    plane. Not the built-up area DOMAIN.md §10 gives as an example: the registry holds that
    as a figure, not a boundary, and hazard-first coverage maps land outside it (the demo's
    淳安县: 4,416 km² mapped against 9 km² built up), so shares of it run past 100 %."""
    d = inputs.divisions
    return {str(code): ("land", float(shapely.area(geom)) / 1e6)
            for code, geom in zip(d.ids.tolist(), d.geoms.tolist(), strict=True)}


def _cell_groups(session: Session) -> tuple[list[Any], list[Any]]:
    """The published cells summed by division code, level and 无登记设施 (a few hundred rows
    for tens of thousands of cells), and the highest cell of each such group: two queries,
    so the roll-up never reads every cell row (hazard-first coverage maps whole zones)."""
    t = FiveColourResult.__table__
    bare = t.c.exposure.is_(None)
    groups = session.execute(select(t.c.division_code, t.c.ordinal, bare, func.count(),
                                    func.sum(t.c.measure), func.max(t.c.score))
                             .where(t.c.unit == "cell")
                             .group_by(t.c.division_code, t.c.ordinal, bare)).all()
    tops: dict[str, tuple[int, float]] = {}
    for code, ordinal, _, _, _, score in groups:
        if code is not None and score is not None:
            key = (int(ordinal), float(score))
            tops[code] = max(tops.get(code, key), key)
    if not tops:
        return list(groups), []
    wanted = [(code, o, sc) for code, (o, sc) in sorted(tops.items())]
    # Ties are common (every 无登记设施 cell of a hazard class scores alike): the last ref.
    refs = session.execute(select(func.max(t.c.ref)).where(
        t.c.unit == "cell", tuple_(t.c.division_code, t.c.ordinal, t.c.score).in_(wanted))
        .group_by(t.c.division_code)).scalars().all()
    highest = session.execute(select(t.c.division_code, t.c.ref, t.c.name, t.c.ordinal,
                                     t.c.score)
                              .where(t.c.unit == "cell", t.c.ref.in_(list(refs)))).all()
    return list(groups), list(highest)


def divisions(session: Session, run: RiskRun, scheme: Composite, inputs: Inputs
              ) -> list[dict[str, Any]]:
    """Each division's area per level (its shares of the fixed basis shown) and the level its
    rule publishes (:func:`area_level`, DOMAIN.md §10), with the assets and lengths per level."""
    t = FiveColourResult.__table__
    groups, highest = _cell_groups(session)
    assets = session.execute(select(t.c.division_code, t.c.level, func.count(),
                                    func.sum(t.c.measure)).where(t.c.unit == "asset")
                             .group_by(t.c.division_code, t.c.level)).all()
    d = Division.__table__
    bounded = session.execute(select(d.c.code, d.c.name, as_wkb(d.c.boundary))
                              .where(d.c.boundary.is_not(None))).all()
    by_ordinal = {lv.ordinal: lv for lv in FIVE_COLOUR}
    rule = dict(scheme.params.get("division_rule") or {"rule": "area_share_from_top",
                                                       "share": 0.5})
    share = float(rule.get("share", 0.5))
    basis_of = bases(inputs)
    rows = []
    stamp = now()
    for code, name, raw in bounded:
        prefix = division_prefix(code)
        mine = [g for g in groups if (g[0] or "").startswith(prefix)]
        if not mine:
            continue
        top = max((c for c in highest if (c.division_code or "").startswith(prefix)),
                  key=lambda c: (c.ordinal, c.score or 0.0, c.ref), default=None)
        area: dict[str, float] = {}
        bare: dict[str, float] = {}
        count: dict[str, int] = {}
        for _, ordinal, unregistered, n, measure, _ in mine:
            code_ = by_ordinal[int(ordinal)].code
            km2 = float(measure or 0.0) / 1e6
            area[code_] = area.get(code_, 0.0) + km2
            count[code_] = count.get(code_, 0) + int(n)
            if unregistered:  # 无登记设施: in the shares, and said apart
                bare[code_] = bare.get(code_, 0.0) + km2
        total = sum(area.values())
        kind, basis = basis_of.get(code, ("mapped", total))
        lv, covered = area_level(area, share, basis)
        basis = basis if basis > 0 else total
        n_assets: dict[str, int] = {}
        length: dict[str, float] = {}
        for division_code, level, n, amount in assets:
            if (division_code or "").startswith(prefix):
                n_assets[level] = n_assets.get(level, 0) + int(n)
                length[level] = length.get(level, 0.0) + float(amount or 0.0) / 1000
        rows.append({"unit": "division", "ref": code, "name": name,
                     "geom": shapely.from_wkb(bytes(raw)), "division_code": code,
                     "level": lv.code, "ordinal": lv.ordinal, "colour": lv.colour,
                     "score": round(covered, 4), "measure": total * 1e6,
                     "decided_by": "area_share",
                     "explanation": {"rule": "area_share", "share": share, "level": lv.code,
                                     "covered": round(covered, 4), "cells": count,
                                     "basis": kind, "basis_km2": round(basis, 3),
                                     "mapped_km2": round(total, 3),
                                     "unmapped": round(max(0.0, 1 - total / basis), 6),
                                     "area_km2": {k: round(v, 3) for k, v in area.items()},
                                     "share_by_level": {k: round(v / basis, 6)
                                                        for k, v in area.items()},
                                     "unregistered_km2": {k: round(v, 3)
                                                          for k, v in bare.items()},
                                     "highest": None if top is None else {
                                         "cell": top.ref, "place": top.name,
                                         "level": by_ordinal[int(top.ordinal)].code},
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
                                     "after": {"decided_by": row["decided_by"],
                                               "share_by_level": row["explanation"][
                                                   "share_by_level"]}}))
    return diff
