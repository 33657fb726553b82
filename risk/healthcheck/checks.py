"""A division's yearly health check: computed and entered values, targets, trends, problems.

A check is one row per (division, year). ``compute`` (re)computes the registry's indicators
from the entered inputs; ``enter`` validates and stores entered values (all problems named by
indicator code, nothing written on any); ``finalize`` freezes it. The report (values, targets
met, trends against earlier years' checks of the same division, the 问题清单) is built on
read, so a page, the XLSX and the print view say the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from resilience import audit
from resilience.divisions import Division
from resilience.errors import Conflict, InvalidInput, NotFound, Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json
from risk.healthcheck.catalogue import HealthIndicator, ensure_catalogue, note_text
from risk.healthcheck.indicators import Scope, compute_all

STATUSES = ("draft", "final")
EDITING_ROLES = frozenset({"admin", "engineer", "emergency_manager"})


class HealthCheck(Base):
    """One division's check for one year; ``final`` freezes it."""

    __tablename__ = "health_checks"
    __table_args__ = (UniqueConstraint("division_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"),
                                               nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(8), nullable=False, default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    values: Mapped[list[HealthValue]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="HealthValue.id")

    def value_of(self, code: str) -> HealthValue | None:
        """The stored value of an indicator."""
        return next((v for v in self.values if v.code == code), None)


class HealthValue(Base):
    """One indicator's value in a check, where it came from, and whether it meets its target."""

    __tablename__ = "health_values"
    __table_args__ = (UniqueConstraint("check_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("health_checks.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    version_year: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    entered_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(Json)
    target_met: Mapped[bool | None] = mapped_column(Boolean)


# --- writing ---------------------------------------------------------------------------------


def get_or_create(session: Session, division_code: str, year: int, *, by: str) -> HealthCheck:
    """The division's check for the year, made as a draft when absent."""
    if session.get(Division, division_code) is None:
        raise InvalidInput("unknown division",
                           [Problem("division", "unknown_division", {"value": division_code})])
    if not 1990 <= year <= 2100:
        raise InvalidInput("bad year", [Problem("year", "too_small" if year < 1990 else
                                                "too_large", {"value": year, "min": 1990,
                                                              "max": 2100})])
    check = find(session, division_code, year)
    if check is None:
        check = HealthCheck(division_code=division_code, year=year, created_by=by,
                            updated_by=by)
        session.add(check)
        session.flush()
    return check


def find(session: Session, division_code: str, year: int) -> HealthCheck | None:
    """The stored check of a division and year, if any."""
    return session.scalar(select(HealthCheck).where(HealthCheck.division_code == division_code,
                                                    HealthCheck.year == year))


def get(session: Session, check_id: int) -> HealthCheck:
    """A check by id (NotFound if absent)."""
    check = session.get(HealthCheck, check_id)
    if check is None:
        raise NotFound("no such health check", id=check_id)
    return check


def _require_draft(check: HealthCheck) -> None:
    if check.status == "final":
        raise Conflict("the health check is final", id=check.id, year=check.year)


def _entered_inputs(check: HealthCheck) -> dict[str, float]:
    return {v.code: v.value for v in check.values if v.source == "entered" and v.value is not None}


def compute(session: Session, division_code: str, year: int, *, by: str) -> HealthCheck:
    """(Re)compute the registry's indicators of a draft check; entered values are kept."""
    check = get_or_create(session, division_code, year, by=by)
    _require_draft(check)
    catalogue = {r.code: r for r in ensure_catalogue(session, year)}
    division = session.get(Division, division_code)
    assert division is not None
    results = compute_all(Scope(session, division, year, _entered_inputs(check)))
    for code, row in catalogue.items():
        if row.source != "computed":
            continue
        result = results.get(code)
        stored = check.value_of(code)
        if stored is None:
            stored = HealthValue(code=code, version_year=year, source="computed")
            check.values.append(stored)
        stored.source, stored.entered_by = "computed", None  # a row once entered (the base data)
        stored.value = None if result is None else result.value
        stored.note = None if result is None else result.note
        stored.detail = {} if result is None else dict(result.detail)
        stored.target_met = row.meets(stored.value)
    check.computed_at = now()
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="compute", collection="health-checks",
                 record_id=check.id, division_code=division_code, before=None,
                 after={"year": year, "values": len(check.values)})
    return check


_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_entry(row: HealthIndicator, raw: Any) -> tuple[float | None, Problem | None]:
    """An entered value as a number in the indicator's unit, or the problem with it.

    Accepts numbers and text such as "12.5" or "12.5 km²" (the unit must be the indicator's);
    an empty value clears the entry.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, bool):
        return None, Problem(row.code, "not_a_number", {"value": raw})
    if isinstance(raw, int | float):
        number, unit = float(raw), ""
    else:
        match = _NUMBER.match(str(raw).replace(",", ""))
        if not match:
            return None, Problem(row.code, "not_a_number", {"value": raw})
        number, unit = float(match.group(1)), match.group(2)
    if unit and unit != row.unit:
        return None, Problem(row.code, "wrong_unit", {"value": unit, "unit": row.unit})
    if row.min_value is not None and number < row.min_value:
        return None, Problem(row.code, "too_small", {"value": number, "min": row.min_value})
    if row.max_value is not None and number > row.max_value:
        return None, Problem(row.code, "too_large", {"value": number, "max": row.max_value})
    return number, None


def enter(session: Session, division_code: str, year: int, values: dict[str, Any], *,
          by: str) -> HealthCheck:
    """Store entered values (code → number or "number unit"); all problems or nothing."""
    check = get_or_create(session, division_code, year, by=by)
    _require_draft(check)
    catalogue = {r.code: r for r in ensure_catalogue(session, year)}
    problems: list[Problem] = []
    parsed: dict[str, float | None] = {}
    for code, raw in values.items():
        row = catalogue.get(code)
        if row is None:
            problems.append(Problem(code, "unknown_indicator", {"value": code}))
            continue
        if row.source != "entered":
            problems.append(Problem(code, "indicator_computed", {"value": code}))
            continue
        number, problem = parse_entry(row, raw)
        if problem is not None:
            problems.append(problem)
        else:
            parsed[code] = number
    if problems:
        raise InvalidInput("invalid health-check values", problems)
    before = {c: v.value for c, v in ((c, check.value_of(c)) for c in parsed) if v}
    for code, number in parsed.items():
        stored = check.value_of(code)
        if stored is None:
            stored = HealthValue(code=code, version_year=year, source="entered")
            check.values.append(stored)
        stored.value, stored.entered_by, stored.note = number, by, None
        stored.target_met = catalogue[code].meets(number)
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="enter", collection="health-checks",
                 record_id=check.id, division_code=division_code, before=before,
                 after={c: n for c, n in parsed.items()})
    return check


def finalize(session: Session, check: HealthCheck, *, by: str) -> HealthCheck:
    """Freeze a check: later computes and entries are refused (Conflict)."""
    _require_draft(check)
    check.status = "final"
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="finalize", collection="health-checks",
                 record_id=check.id, division_code=check.division_code,
                 before={"status": "draft"}, after={"status": "final"})
    return check


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One indicator of a report, ready to show."""

    code: str
    level: str
    aspect: str
    name: str
    unit: str
    source: str
    value: float | None
    target: str
    met: bool | None
    trend: str | None  # "better" | "worse" | "same" | None (no earlier value or no direction)
    previous: list[tuple[int, float | None]]
    formula: str
    note: str
    inferred: bool
    detail: dict[str, Any]


@dataclass(frozen=True)
class ProblemItem:
    """One entry of the 问题清单: the indicator, why it is listed, and what lies behind it."""

    code: str
    name: str
    reason: str  # "target" | "worse"
    text: str


@dataclass(frozen=True)
class Report:
    """A check as every output shows it."""

    check: HealthCheck
    division_name: str
    lines: list[Line]
    problems: list[ProblemItem] = field(default_factory=list)


def trend(direction: str | None, value: float | None, before: float | None) -> str | None:
    """better / worse / same against the previous value, by the indicator's direction."""
    if direction is None or value is None or before is None:
        return None
    if abs(value - before) < 1e-9:
        return "same"
    up = value > before
    return "better" if up == (direction == "higher_better") else "worse"


def _history(session: Session, check: HealthCheck) -> dict[str, list[tuple[int, float | None]]]:
    """Earlier years' values of the same division, per indicator code, oldest first."""
    rows = session.execute(
        select(HealthCheck.year, HealthValue.code, HealthValue.value)
        .join(HealthValue, HealthValue.check_id == HealthCheck.id)
        .where(HealthCheck.division_code == check.division_code, HealthCheck.year < check.year)
        .order_by(HealthCheck.year)).all()
    out: dict[str, list[tuple[int, float | None]]] = {}
    for year, code, value in rows:
        out.setdefault(code, []).append((year, value))
    return out


def fmt(value: float | None) -> str:
    """A value for people: thousands separated, two decimals, three significant below 1."""
    if value is None:
        return "—"
    if value == int(value):
        return f"{int(value):,}"
    if abs(value) < 1:
        return f"{value:.3g}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def report(session: Session, check: HealthCheck, locale: str = "zh") -> Report:
    """Values, targets met, trends and the problem list of a check, in a locale."""
    zh = locale.lower().startswith("zh")
    catalogue = ensure_catalogue(session, check.year)
    history = _history(session, check)
    lines, problems = [], []
    for row in catalogue:
        stored = check.value_of(row.code)
        value = stored.value if stored else None
        detail = dict(stored.detail or {}) if stored else {}
        previous = history.get(row.code, [])
        before = next((v for _, v in reversed(previous) if v is not None), None)
        t = trend(row.direction, value, before)
        met = row.meets(value)
        lines.append(Line(
            code=row.code, level=row.level, aspect=row.aspect(locale), name=row.name(locale),
            unit=row.unit, source=row.source, value=value, target=row.target_text(), met=met,
            trend=t, previous=previous, formula=row.formula(locale),
            note=note_text(stored.note if stored else None, detail, locale),
            inferred=row.inferred, detail=detail))
        if met is False or t == "worse":
            template = (row.problem_zh if zh else row.problem_en) or ""
            params = {**{k: fmt(v) if isinstance(v, float) else v for k, v in detail.items()},
                      "value": fmt(value), "target": row.target_text()}
            try:
                said = template.format(**params) if template else ""
            except (KeyError, IndexError):
                said = ""
            if not said:
                said = (f"{row.name_zh} {fmt(value)} {row.unit}" if zh
                        else f"{row.name_en}: {fmt(value)} {row.unit}")
            if met is False:
                said += (f"（目标 {row.target_text()}）" if zh else f" (target {row.target_text()})")
            if t == "worse":
                said += (f"；较上年 {fmt(before)} 变差" if zh
                         else f"; worse than the previous {fmt(before)}")
            problems.append(ProblemItem(row.code, row.name(locale),
                                        "target" if met is False else "worse", said))
    division = session.get(Division, check.division_code)
    name = (division.name if zh or not division.name_en else division.name_en) \
        if division else check.division_code
    return Report(check, name, lines, problems)


def checks_of(session: Session, *, divisions: tuple[str, ...] | None = None,
              year: int | None = None) -> list[HealthCheck]:
    """Stored checks, optionally for some division codes and a year."""
    stmt = select(HealthCheck).order_by(HealthCheck.year.desc(), HealthCheck.division_code)
    if divisions is not None:
        stmt = stmt.where(HealthCheck.division_code.in_(divisions))
    if year is not None:
        stmt = stmt.where(HealthCheck.year == year)
    return list(session.scalars(stmt))
