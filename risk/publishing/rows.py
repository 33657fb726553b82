"""The published result rows as the writers see them: read by key, deleted by key, counted.

Both maps are replaced the same way: the rows a run recomputed are read first (the diff's
"before"), deleted and inserted again; a unit whose level moved becomes a diff line.
Keys go to the database in chunks, so an IN list stays within every driver's limits.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Row, Table, delete, func, select, tuple_
from sqlalchemy.orm import Session

from risk.points import RiskPoint
from risk.results import FiveColourResult, FourColourResult

Result = type[FiveColourResult] | type[FourColourResult]
Key = tuple[str, str]  # (unit, ref)


def published_rows(session: Session, model: Result, units: tuple[str, ...],
                   refs: set[str] | None = None) -> dict[Key, Row[Any]]:
    """The published rows of some units (those with the given refs, if any), by key."""
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


def delete_rows(session: Session, model: Result, keys: list[Key] | None,
                units: tuple[str, ...]) -> None:
    """Delete the given keys, or (without keys) every row of the units."""
    t = cast(Table, model.__table__)
    if keys is None:
        session.execute(delete(t).where(t.c.unit.in_(units)))
        return
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        session.execute(delete(t).where(tuple_(t.c.unit, t.c.ref).in_(part)))


def change(map_: str, unit: str, ref: str, name: Any, division: Any, old: Any, new: dict[str, Any]
           | None, reason: dict[str, Any]) -> dict[str, Any]:
    """One diff line: a unit's level and score before and after, and why."""
    return {"map": map_, "unit": unit, "ref": ref, "name": name, "division_code": division,
            "before_level": old.level if old is not None else None,
            "after_level": new["level"] if new is not None else None,
            "before_score": old.score if old is not None else None,
            "after_score": new["score"] if new is not None else None, "reason": reason}


def counts(session: Session) -> dict[str, Any]:
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
