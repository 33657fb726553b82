"""The four-colour map: risk points generated from the registry, and zones taking the highest.

Rules are data (:data:`RULES`): which assets become risk points and with which LEC/LS
factors (DOMAIN.md §3). A run keeps generated points in step with the registry — new ones
added, vanished ones retired, people's edits to unit, measures and review date kept — and
each zone (cell, tunnel, division, asset) takes the highest level of its points (就高),
recording the point that set it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import shapely
from sqlalchemy import Table, select, tuple_, update
from sqlalchemy.orm import Session

from inventory import ageing
from inventory.inspections.hazards import unverified
from resilience.dialects import insert_many
from resilience.divisions import division_prefix
from resilience.model import now
from resilience.spatial import as_wkb, from_wkb
from risk import presets
from risk.grid import Grid, to_lonlat
from risk.inputs import Inputs, Layer
from risk.levels import FOUR_COLOUR, Scheme, assess
from risk.points import FACTOR_FIELDS, RiskPoint

RULES: dict[str, dict[str, Any]] = {
    # 高压/次高压燃气管线: 可能，但不经常 × 每天暴露 × 一人死亡 → D = 270 (较大)
    "gas_high_pressure": {"category": "gas_pipeline", "method": "lec",
                          "factors": {"L": 3, "E": 6, "C": 15},
                          "pressure": ("high_a", "high_b", "sub_high_a", "sub_high_b")},
    # 中压燃气管线: 可能性小 × 每天暴露 × 一人死亡 → D = 90 (一般)
    "gas_medium_pressure": {"category": "gas_pipeline", "method": "lec",
                            "factors": {"L": 1, "E": 6, "C": 15},
                            "pressure": ("medium_a", "medium_b")},
    # 燃气舱: L = 3, S = 5 → R = 15 (较大)
    "gas_cabin": {"category": "tunnel_cabin", "method": "ls", "factors": {"L": 3, "S": 5}},
    # 老化或状况差的管线在人员密集处: 较差 → D = 135 (一般), 差或老化 → D = 270 (较大); 老化 by
    # the one ageing rule (inventory.ageing, 国办发〔2022〕22号: material, years, condition).
    "ageing_busy": {"category": "ageing_pipeline", "method": "lec",
                    "factors": {"L": 3, "E": 3, "C": 15}, "worse": {"L": 6, "E": 3, "C": 15},
                    "busy_per_km2": 5000.0, "ageing_rule": ageing.VERSION},
    # 未销号的事故隐患, at the hazard, until 销号 (DOMAIN.md §4): 一般 可能但不经常 × 每天暴露 ×
    # 重伤 → D = 126 (一般); 重大 相当可能 × 每天暴露 × 一人死亡 → D = 540 (重大).
    "hidden_hazard": {"category": "hidden_hazard", "method": "lec",
                      "factors": {"L": 3, "E": 6, "C": 7},
                      "by_grade": {"general": {"L": 3, "E": 6, "C": 7},
                                   "major": {"L": 6, "E": 6, "C": 15}}},
}
HAZARD_RULE = "hidden_hazard"


@dataclass
class Zone:
    """A four-colour zone and the points in it."""

    unit: str
    ref: str
    members: list[int] = field(default_factory=list)  # indices into the points layer


def wanted_points(inputs: Inputs, density: dict[str, float]) -> dict[tuple[str, str, int],
                                                                         dict[str, Any]]:
    """The generated points the registry calls for, keyed by (rule, collection, asset id)."""
    out: dict[tuple[str, str, int], dict[str, Any]] = {}
    p = inputs.pipelines
    if len(p):
        mids = to_lonlat(shapely.line_interpolate_point(p.geoms, 0.5, normalized=True))
        rule_a = RULES["ageing_busy"]
        for k in range(len(p)):
            cat, pressure = p.attrs["category"][k], p.attrs["pressure_class"][k]
            rule = None
            factors: dict[str, float] = {}
            if cat == "gas" and pressure in RULES["gas_high_pressure"]["pressure"]:
                rule = "gas_high_pressure"
            elif cat == "gas" and pressure in RULES["gas_medium_pressure"]["pressure"]:
                rule = "gas_medium_pressure"
            if rule:
                factors = RULES[rule]["factors"]
            else:
                grade, built = p.attrs["condition_grade"][k], p.attrs["build_year"][k]
                material = p.attrs["material"][k] if "material" in p.attrs else None
                old = ageing.is_old(cat, material, built, grade, inputs.today.year)[0]
                busy = density.get(p.attrs["division_code"][k] or "", 0.0) \
                    >= rule_a["busy_per_km2"]
                if busy and (grade in (3, 4) or old):
                    rule = "ageing_busy"
                    factors = rule_a["worse"] if grade == 4 or old else rule_a["factors"]
            if rule:
                out[(rule, "pipelines", int(p.ids[k]))] = {
                    "geom": mids[k], "factors": factors, "name": p.attrs["name"][k],
                    "division_code": p.attrs["division_code"][k], "tunnel_id": None}
    t = inputs.tunnels
    if len(t) and inputs.gas_cabin_tunnels:
        mids = to_lonlat(shapely.line_interpolate_point(t.geoms, 0.5, normalized=True))
        for k in range(len(t)):
            tid = int(t.ids[k])
            for cabin_id, cabin_name in inputs.gas_cabin_tunnels.get(tid, []):
                out[("gas_cabin", "tunnel-cabins", cabin_id)] = {
                    "geom": mids[k], "factors": RULES["gas_cabin"]["factors"],
                    "name": f"{t.attrs['name'][k] or ''} {cabin_name}".strip(),
                    "division_code": t.attrs["division_code"][k], "tunnel_id": tid}
    return out


def sync_generated(session: Session, inputs: Inputs, density: dict[str, float],
                   scope: set[tuple[str, int]] | None = None) -> dict[str, int]:
    """Bring generated points in line with the registry (only assets in ``scope`` if given)."""
    wanted = wanted_points(inputs, density)
    table = cast(Table, RiskPoint.__table__)
    c = table.c
    stmt = select(c.id, c.rule, c.asset_collection, c.asset_id, c.level, c.score, c.preset,
                  c.factor_l, c.factor_e, c.factor_c, c.factor_s).where(
        c.source == "generated", c.retired_at.is_(None), c.rule != HAZARD_RULE)
    if scope is not None:
        wanted = {k: v for k, v in wanted.items() if (k[1], k[2]) in scope}
        have = {}
        pairs = sorted(scope)
        for start in range(0, len(pairs), 500):  # only the scope's points, not the city's
            part = pairs[start:start + 500]
            have.update({(r.rule, r.asset_collection, r.asset_id): r for r in session.execute(
                stmt.where(tuple_(c.asset_collection, c.asset_id).in_(part)))})
    else:
        have = {(r.rule, r.asset_collection, r.asset_id): r for r in session.execute(stmt)}
    stamp = now()
    rows = []
    tables = city_tables(session)
    for key, want in wanted.items():
        values = _point_values(key[0], want["factors"], tables)
        old = have.get(key)
        if old is not None:
            if (old.factor_l, old.factor_e, old.factor_c, old.factor_s, old.preset) != tuple(
                    values[f] for f in ("factor_l", "factor_e", "factor_c", "factor_s",
                                        "preset")):
                session.execute(update(table).where(c.id == old.id).values(
                    **values, updated_at=stamp, updated_by="risk-run", version=c.version + 1))
            continue
        rows.append({**values, "geom": want["geom"], "name": want["name"],
                     "division_code": want["division_code"], "tunnel_id": want["tunnel_id"],
                     "rule": key[0], "asset_collection": key[1], "asset_id": key[2],
                     "source": "generated", "version": 1, "created_at": stamp,
                     "created_by": "risk-run", "updated_at": stamp, "updated_by": "risk-run",
                     "assessed_at": stamp.date()})
    gone = [have[k].id for k in have if k not in wanted]
    if gone:
        for start in range(0, len(gone), 5000):
            session.execute(update(table).where(c.id.in_(gone[start:start + 5000])).values(
                retired_at=stamp, retired_by="risk-run", retired_reason="asset no longer qualifies",
                updated_at=stamp, updated_by="risk-run", version=c.version + 1))
    insert_many(session, table, rows, geom_column="geom")
    updated = sum(1 for k in wanted if k in have)
    hazards = sync_hazard_points(session, inputs, scope)
    return {"added": len(rows) + hazards["added"], "retired": len(gone) + hazards["retired"],
            "checked": updated + hazards["checked"]}


def wanted_hazard_points(inputs: Inputs, unverified: set[int] | frozenset[int] = frozenset()
                         ) -> dict[int, dict[str, Any]]:
    """One point per open hidden hazard, at the hazard, linked to the asset it touches.

    A report not yet graded (``unverified``: 发现/登记) is a candidate and weighs at most 一般,
    whatever grade it was filed with; 重大 appears only after 评估定级 (DOMAIN.md §10).
    """
    h = inputs.hazards
    by_grade = RULES[HAZARD_RULE]["by_grade"]
    out = {}
    for k in range(len(h)):
        hid = int(h.ids[k])
        coll, aid = h.attrs["asset_collection"][k], h.attrs["asset_id"][k]
        name = h.attrs["name"][k]
        grade = "general" if hid in unverified else h.attrs["grade"][k]
        out[hid] = {"geom": h.lonlat[k] if h.lonlat is not None else None,
                    "factors": by_grade.get(grade, RULES[HAZARD_RULE]["factors"]),
                    "asset_collection": coll if aid is not None else "hazards",
                    "asset_id": int(aid) if aid is not None else hid,
                    "tunnel_id": int(aid) if coll == "tunnels" and aid is not None else None,
                    "division_code": h.attrs["division_code"][k],
                    "name": f"隐患#{hid} {name}" if name else f"隐患#{hid}"}
    return out


def sync_hazard_points(session: Session, inputs: Inputs,
                       scope: set[tuple[str, int]] | None = None) -> dict[str, int]:
    """Keep one generated point per open hazard (``external_id`` = ``hazards/<id>``): added
    when filed, moved or re-graded with it, retired at 销号."""
    wanted = wanted_hazard_points(inputs, unverified(session, [int(i) for i in inputs.hazards.ids]))
    table = cast(Table, RiskPoint.__table__)
    c = table.c
    stmt = select(c.id, c.external_id, c.factor_l, c.factor_e, c.factor_c, c.asset_collection,
                  c.asset_id, c.division_code, c.preset, as_wkb(c.geom)).where(
        c.source == "generated", c.rule == HAZARD_RULE, c.retired_at.is_(None))
    if scope is not None:
        ids = sorted(i for name, i in scope if name == "hazards")
        wanted = {i: v for i, v in wanted.items() if i in set(ids)}
        refs = [f"hazards/{i}" for i in ids]
        rows = [r for start in range(0, len(refs), 500)
                for r in session.execute(stmt.where(c.external_id.in_(refs[start:start + 500])))]
    else:
        rows = list(session.execute(stmt))
    have = {int(r.external_id.partition("/")[2]): r for r in rows
            if (r.external_id or "").startswith("hazards/")}
    stamp = now()
    added, checked = [], 0
    tables = city_tables(session)
    for hid, want in wanted.items():
        values = _point_values(HAZARD_RULE, want["factors"], tables)
        link = {"asset_collection": want["asset_collection"], "asset_id": want["asset_id"],
                "tunnel_id": want["tunnel_id"], "division_code": want["division_code"]}
        old = have.get(hid)
        if old is None:
            added.append({**values, **link, "geom": want["geom"], "name": want["name"],
                          "rule": HAZARD_RULE, "external_id": f"hazards/{hid}",
                          "source": "generated", "version": 1, "created_at": stamp,
                          "created_by": "risk-run", "updated_at": stamp,
                          "updated_by": "risk-run", "assessed_at": stamp.date()})
            continue
        checked += 1
        same_place = shapely.equals_exact(shapely.from_wkb(bytes(old[-1])), want["geom"], 1e-9)
        if (old.factor_l, old.factor_e, old.factor_c, old.preset) != (
                values["factor_l"], values["factor_e"], values["factor_c"], values["preset"]) \
                or (old.asset_collection, old.asset_id, old.division_code) != (
                    link["asset_collection"], link["asset_id"], link["division_code"]) \
                or not same_place:
            session.execute(update(table).where(c.id == old.id).values(
                **values, **link, geom=from_wkb(shapely.to_wkb(want["geom"])),
                updated_at=stamp, updated_by="risk-run", version=c.version + 1))
    gone = [r.id for hid, r in have.items() if hid not in wanted]
    if gone:
        session.execute(update(table).where(c.id.in_(gone)).values(
            retired_at=stamp, retired_by="risk-run", retired_reason="hidden hazard closed (销号)",
            updated_at=stamp, updated_by="risk-run", version=c.version + 1))
    insert_many(session, table, added, geom_column="geom")
    return {"added": len(added), "retired": len(gone), "checked": checked}


def city_tables(session: Session) -> dict[str, Scheme]:
    """The table each method's generated points are scored on: the city's choice."""
    known = presets.every(session)
    return {method: known[name] for method, name in presets.defaults(session).items()}


def _point_values(rule: str, factors: dict[str, float], tables: dict[str, Scheme]
                  ) -> dict[str, Any]:
    """A generated point's fields, scored on the city's table for its method."""
    method = RULES[rule]["method"]
    table = tables[method]
    preset = table.name
    result = assess(table, dict(factors))
    values: dict[str, Any] = {f: None for f in FACTOR_FIELDS.values()}
    for name, value in factors.items():
        values[FACTOR_FIELDS[name]] = float(value)
    values.update(category=RULES[rule]["category"], method=method, preset=preset,
                  score=result.score, level=result.level.code,
                  band_name=result.band.name or None, scheme_version=result.version)
    return values


def zones(points: Layer, grid: Grid, division_codes: list[str]) -> list[Zone]:
    """Cells, tunnels, divisions (every level, by code prefix) and assets, with their points."""
    by: dict[tuple[str, str], Zone] = {}

    def add(unit: str, ref: str, k: int) -> None:
        zone = by.get((unit, ref))
        if zone is None:
            zone = by[(unit, ref)] = Zone(unit, ref)
        zone.members.append(k)

    if len(points):
        xy = shapely.get_coordinates(points.geoms)
        ij = np.floor(xy / grid.size).astype(np.int64)
        prefixes = {code: division_prefix(code) for code in division_codes}
        for k in range(len(points)):
            add("cell", grid.key(int(ij[k, 0]), int(ij[k, 1])), k)
            tunnel = points.attrs["tunnel_id"][k]
            if tunnel is not None:
                add("tunnel", f"tunnels/{int(tunnel)}", k)
            coll, aid = points.attrs["asset_collection"][k], points.attrs["asset_id"][k]
            if coll in ("pipelines", "tunnels", "shelters", "flood-points") and aid is not None:
                add("asset", f"{coll}/{int(aid)}", k)
            own = points.attrs["division_code"][k] or ""
            for code, prefix in prefixes.items():
                if own.startswith(prefix):
                    add("division", code, k)
    return list(by.values())


def decide(points: Layer, zone: Zone) -> dict[str, Any]:
    """A zone's level: the highest of its points (就高), the point that set it and the counts."""
    order = {lv.code: lv.ordinal for lv in FOUR_COLOUR}

    def rank(k: int) -> tuple[int, float, int]:
        return order[points.attrs["level"][k]], float(points.attrs["score"][k]), -int(points.ids[k])

    best = max(zone.members, key=rank)
    level = next(lv for lv in FOUR_COLOUR if lv.code == points.attrs["level"][best])
    counts: dict[str, int] = {}
    for k in zone.members:
        counts[points.attrs["level"][k]] = counts.get(points.attrs["level"][k], 0) + 1
    a = points.attrs
    method = a["method"][best]
    names = ("L", "E", "C") if method == "lec" else ("L", "S")
    factors = {n: a[FACTOR_FIELDS[n]][best] for n in names}
    return {"level": level, "score": float(a["score"][best]),
            "decided_by": f"risk-points/{int(points.ids[best])}", "points": len(zone.members),
            "explanation": {"rule": "highest", "points": len(zone.members), "counts": counts,
                            "point": {"id": int(points.ids[best]), "name": a["name"][best],
                                      "category": a["category"][best], "method": method,
                                      "preset": a["preset"][best], "factors": factors,
                                      "score": float(a["score"][best]),
                                      "band_name": a["band_name"][best],
                                      "scheme_version": a["scheme_version"][best],
                                      "source": a["source"][best], "rule": a["rule"][best]},
                            "formula": "D = L × E × C" if method == "lec" else "R = L × S",
                            "level": level.code}}

