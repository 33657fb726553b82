"""A stored check as every output shows it: values, 参考值 with their source, whether each is
judged (met, missed, 无数据, 未评估), trends against earlier years, and the 问题清单.

Built on read, so the page, the XLSX, the print view and the API say the same thing. A value
that is missing (无数据) or has no reference value (未评估) is never judged and never listed
as a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience.divisions import Division
from risk.healthcheck.catalogue import HealthIndicator, ensure_catalogue, note_text
from risk.healthcheck.models import HealthCheck, HealthValue

# How a line stands: judged against its 参考值, or why not.
JUDGEMENTS = ("met", "missed", "no_data", "not_judged")


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
    target_source: str = ""

    @property
    def judgement(self) -> str:
        """met / missed against the 参考值; no_data (无数据) or not_judged (未评估, no 参考值)."""
        if self.value is None:
            return "no_data"
        if self.met is None:
            return "not_judged"
        return "met" if self.met else "missed"


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


def history(session: Session, division_code: str, before_year: int
            ) -> dict[str, list[tuple[int, float | None]]]:
    """Earlier years' values of a division, per indicator code, oldest first."""
    rows = session.execute(
        select(HealthCheck.year, HealthValue.code, HealthValue.value)
        .join(HealthValue, HealthValue.check_id == HealthCheck.id)
        .where(HealthCheck.division_code == division_code, HealthCheck.year < before_year)
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


def reference_text(row: HealthIndicator, zh: bool) -> str:
    """The target as a reference value: "参考值 ≤ 0" (empty without one)."""
    target = row.target_text()
    if not target:
        return ""
    return f"参考值 {target}" if zh else f"reference {target}"


def _problem(row: HealthIndicator, line: Line, before: float | None, zh: bool) -> str:
    template = (row.problem_zh if zh else row.problem_en) or ""
    params = {**{k: fmt(v) if isinstance(v, float) else v for k, v in line.detail.items()},
              "value": fmt(line.value), "target": line.target}
    try:
        said = template.format(**params) if template else ""
    except (KeyError, IndexError):
        said = ""
    if not said:
        said = (f"{row.name_zh} {fmt(line.value)} {row.unit}" if zh
                else f"{row.name_en}: {fmt(line.value)} {row.unit}")
    if line.met is False:
        said += f"（{reference_text(row, True)}）" if zh else f" ({reference_text(row, False)})"
    if line.trend == "worse":
        said += f"；较上年 {fmt(before)} 变差" if zh else f"; worse than the previous {fmt(before)}"
    return said


def report(session: Session, check: HealthCheck, locale: str = "zh") -> Report:
    """Values, reference values met, trends and the problem list of a check, in a locale."""
    zh = locale.lower().startswith("zh")
    catalogue = ensure_catalogue(session, check.year)
    earlier = history(session, check.division_code, check.year)
    lines, problems = [], []
    for row in catalogue:
        stored = check.value_of(row.code)
        value = stored.value if stored else None
        detail = dict(stored.detail or {}) if stored else {}
        previous = earlier.get(row.code, [])
        before = next((v for _, v in reversed(previous) if v is not None), None)
        line = Line(
            code=row.code, level=row.level, aspect=row.aspect(locale), name=row.name(locale),
            unit=row.unit, source=row.source, value=value, target=row.target_text(),
            met=row.meets(value), trend=trend(row.direction, value, before), previous=previous,
            formula=row.formula(locale),
            note=note_text(stored.note if stored else None, detail, locale),
            inferred=row.inferred, detail=detail, target_source=row.target_source(locale))
        lines.append(line)
        if line.met is False or line.trend == "worse":
            problems.append(ProblemItem(row.code, row.name(locale),
                                        "target" if line.met is False else "worse",
                                        _problem(row, line, before, zh)))
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
