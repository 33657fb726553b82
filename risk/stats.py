"""Per-division statistics of the published colour maps: GROUP BY on the result tables.

One query per table, the same SQL on SpatiaLite and PostGIS (counts and sums only, no
spatial functions); the per-division pivot is plain Python, so the page, the charts and the
XLSX all read the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resilience.divisions import Division, level_of
from risk.levels import FIVE_COLOUR, FOUR_COLOUR
from risk.points import RiskPoint
from risk.results import FiveColourResult, FourColourResult

NO_DIVISION = ""  # results outside every division (the key of their row)


@dataclass(frozen=True)
class Cell:
    """How many units of one kind sit at one level in a division, and their length or area."""

    count: int = 0
    measure: float = 0.0


@dataclass
class DivisionStats:
    """One division's tallies: ``five[unit][level]``, ``four[unit][level]``, ``points[level]``."""

    code: str
    name: str
    name_en: str | None
    five: dict[str, dict[str, Cell]] = field(default_factory=lambda: defaultdict(dict))
    four: dict[str, dict[str, Cell]] = field(default_factory=lambda: defaultdict(dict))
    points: dict[str, int] = field(default_factory=dict)

    def label(self, locale: str) -> str:
        """The division's name in a locale (its code when outside every division)."""
        if locale.lower().startswith("zh"):
            return self.name
        return self.name_en or self.name


def _tally(session: Session, model: Any) -> list[tuple[str | None, str, str, int, float]]:
    stmt = (select(model.division_code, model.unit, model.level, func.count(),
                   func.coalesce(func.sum(model.measure), 0.0))
            .group_by(model.division_code, model.unit, model.level))
    return [(d, u, lv, int(n), float(m or 0.0)) for d, u, lv, n, m in session.execute(stmt)]


def _points(session: Session) -> list[tuple[str | None, str, int]]:
    stmt = (select(RiskPoint.division_code, RiskPoint.level, func.count())
            .where(RiskPoint.retired_at.is_(None))
            .group_by(RiskPoint.division_code, RiskPoint.level))
    return [(d, lv, int(n)) for d, lv, n in session.execute(stmt)]


def by_division(session: Session, codes: set[str] | None = None) -> list[DivisionStats]:
    """Every division holding results (or risk points), ordered by code; ``codes`` narrows.

    Five colour: cells' area and assets' count and length per level; four colour: zones
    (cells, tunnels, divisions, assets) per level and the risk points per level.
    """
    out: dict[str, DivisionStats] = {}
    names = {c: (n, e) for c, n, e in session.execute(
        select(Division.code, Division.name, Division.name_en))}

    def stats(code: str | None) -> DivisionStats | None:
        key = code or NO_DIVISION
        if codes is not None and key not in codes:
            return None
        if key not in out:
            name, name_en = names.get(key, (key, key))
            out[key] = DivisionStats(key, name, name_en)
        return out[key]

    for model, target in ((FiveColourResult, "five"), (FourColourResult, "four")):
        for code, unit, level, n, measure in _tally(session, model):
            s = stats(code)
            if s is not None:
                getattr(s, target)[unit][level] = Cell(n, measure)
    for code, level, n in _points(session):
        s = stats(code)
        if s is not None:
            s.points[level] = n
    return [out[k] for k in sorted(out)]


def totals(rows: list[DivisionStats]) -> DivisionStats:
    """The sum over divisions, as one more row (the whole city as the user sees it)."""
    total = DivisionStats("*", "合计", "Total")
    for row in rows:
        for target in ("five", "four"):
            mine, theirs = getattr(total, target), getattr(row, target)
            for unit, levels in theirs.items():
                for level, cell in levels.items():
                    have = mine[unit].get(level, Cell())
                    mine[unit][level] = Cell(have.count + cell.count, have.measure + cell.measure)
        for level, n in row.points.items():
            total.points[level] = total.points.get(level, 0) + n
    return total


def division_extent(session: Session, code: str) -> tuple[float, float, float, float] | None:
    """A division's lon/lat bounds (for the print view), None when unknown or without a boundary."""
    from inventory import repository
    from inventory.service import collection
    from resilience.accounts import SYSTEM

    if session.get(Division, code) is None:
        return None
    return repository.extent(session, collection("divisions"), SYSTEM,
                             repository.Query(ids=[code], limit=1))


def results_extent(session: Session, map_: str, prefixes: tuple[str, ...] | None = None
                   ) -> tuple[float, float, float, float] | None:
    """The lon/lat extent of a published map's cells, lines and points (divisions left out: a
    city's own row would always span everything), within the given division prefixes."""
    from sqlalchemy import or_

    from resilience.spatial import extent_columns

    model = FiveColourResult if map_ == "five" else FourColourResult
    stmt = select(*extent_columns(model.geom)).where(model.unit != "division")
    if prefixes is not None:
        stmt = stmt.where(or_(*(model.division_code.startswith(p) for p in prefixes)))
    row = session.execute(stmt).one()
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def presets_in_use(session: Session) -> list[str]:
    """The four-colour tables the live risk points were assessed with (the legend shows them)."""
    return sorted(session.scalars(select(RiskPoint.preset).distinct()
                                  .where(RiskPoint.retired_at.is_(None))))


def division_name(session: Session, code: str) -> tuple[str, str | None] | None:
    """A division's Chinese and English names."""
    row = session.get(Division, code)
    return (row.name, row.name_en) if row is not None else None


def place_name(session: Session, code: str | None, locale: str = "zh") -> str | None:
    """A division as people name the place: a street or township with its district
    (``西湖区 北山街道``), a district alone; None when the code is unknown."""
    if not code:
        return None
    zh = locale.lower().startswith("zh")
    names = []
    for part in ((code[:6], code) if level_of(code) == "township" else (code,)):
        found = division_name(session, part)
        if found is not None:
            names.append(found[0] if zh or not found[1] else found[1])
    return " ".join(names) or None


LEVELS = {"five": FIVE_COLOUR, "four": FOUR_COLOUR}
