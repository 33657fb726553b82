"""五年一评估: a division's last five yearly checks side by side, each indicator's trend as a
chart drawn by the server (SVG geometry here, no script and nothing from outside the app).

Years without a stored check, and values a check has no data for, are gaps in the line, never
zeros; the five-year verdict compares the earliest and the latest year that have a value, by
the indicator's direction, and is not given with fewer than two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience.divisions import Division
from risk.healthcheck.catalogue import ensure_catalogue
from risk.healthcheck.models import HealthCheck
from risk.healthcheck.reports import fmt, reference_text, trend

SPAN = 5
WIDTH, HEIGHT = 280.0, 120.0
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56.0, 24.0, 14.0, 22.0


@dataclass(frozen=True)
class Dot:
    """One year on a chart: where it is drawn and its label (no ``y`` when no data)."""

    year: int
    value: float | None
    x: float
    y: float | None
    label: str


@dataclass(frozen=True)
class Chart:
    """A trend chart's geometry in a WIDTH × HEIGHT box: dots, lines between consecutive years
    with data, the reference value's line, and the value axis's ticks."""

    dots: list[Dot]
    lines: list[str]  # SVG polyline "x,y x,y" runs, split at gaps
    reference_y: float | None
    ticks: list[tuple[float, str]]
    width: float = WIDTH
    height: float = HEIGHT
    left: float = PAD_LEFT


@dataclass(frozen=True)
class Series:
    """One indicator over the span: its values, reference value and verdict, and its chart."""

    code: str
    name: str
    aspect: str
    unit: str
    source: str
    values: list[tuple[int, float | None]]
    reference: str
    reference_source: str
    verdict: str | None  # better / worse / same from the first to the last year with data
    chart: Chart


@dataclass(frozen=True)
class Evaluation:
    """A division's five-year evaluation."""

    division_code: str
    division_name: str
    years: list[int]
    checked: dict[int, str]  # year → status of its stored check (draft / final)
    series: list[Series] = field(default_factory=list)

    @property
    def missing(self) -> list[int]:
        """Years of the span without a stored check."""
        return [y for y in self.years if y not in self.checked]


def _step(span: float) -> float:
    """A round tick step (1, 2 or 5 × 10ⁿ) giving two to four intervals over ``span``."""
    raw = span / 3
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _axis(lo: float, hi: float) -> tuple[float, float, list[float]]:
    """Round bounds holding [lo, hi] (zero kept as the floor of non-negative data) and ticks."""
    nonnegative = lo >= 0
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    if nonnegative:
        lo = 0.0 if lo < (hi - lo) else max(0.0, lo)  # a zero baseline when it costs little
    step = _step(hi - lo)
    low, high = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if nonnegative:
        low = max(0.0, low)
    ticks = [round(low + k * step, 10) for k in range(int(round((high - low) / step)) + 1)]
    return low, high, ticks


def chart(values: list[tuple[int, float | None]], reference: float | None = None) -> Chart:
    """The geometry of a trend chart: x by year, y by value (the reference value in range)."""
    known = [v for _, v in values if v is not None]
    span = [*known, *([reference] if reference is not None else [])]
    lo, hi, tick_values = _axis(min(span), max(span)) if span else (0.0, 1.0, [0.0, 0.5, 1.0])
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(values) - 1)

    def y_of(v: float) -> float:
        return round(PAD_TOP + inner_h * (1 - (v - lo) / (hi - lo)), 1)

    dots = [Dot(year, v, round(PAD_LEFT + i * step, 1), None if v is None else y_of(v), fmt(v))
            for i, (year, v) in enumerate(values)]
    lines: list[str] = []
    run: list[str] = []
    for d in dots:
        if d.y is None:
            if len(run) > 1:
                lines.append(" ".join(run))
            run = []
            continue
        run.append(f"{d.x},{d.y}")
    if len(run) > 1:
        lines.append(" ".join(run))
    ticks = [(y_of(v), fmt(v)) for v in tick_values]
    ref_y = y_of(reference) if reference is not None else None
    return Chart(dots, lines, ref_y, ticks)


def _verdict(direction: str | None, values: list[tuple[int, float | None]]) -> str | None:
    known = [v for _, v in values if v is not None]
    if len(known) < 2:
        return None
    return trend(direction, known[-1], known[0])


def evaluate(session: Session, division_code: str, end_year: int, locale: str = "zh",
             span: int = SPAN) -> Evaluation:
    """The division's checks of ``end_year`` and the years before it, indicator by indicator
    (the set of ``end_year``'s catalogue; base data left out)."""
    zh = locale.lower().startswith("zh")
    years = list(range(end_year - span + 1, end_year + 1))
    checks = {c.year: c for c in session.scalars(
        select(HealthCheck).where(HealthCheck.division_code == division_code,
                                  HealthCheck.year.in_(years)))}
    division = session.get(Division, division_code)
    name = division_code if division is None else (
        division.name if zh or not division.name_en else division.name_en)
    out = Evaluation(division_code, name, years, {y: c.status for y, c in checks.items()})
    for row in ensure_catalogue(session, end_year):
        if row.aspect_en == "Base data":
            continue
        values: list[tuple[int, float | None]] = []
        for year in years:
            stored = checks[year].value_of(row.code) if year in checks else None
            values.append((year, stored.value if stored is not None else None))
        reference = row.target_value if row.target_op is not None else None
        out.series.append(Series(
            row.code, row.name(locale), row.aspect(locale), row.unit, row.source, values,
            reference_text(row, zh), row.target_source(locale), _verdict(row.direction, values),
            chart(values, reference)))
    return out
