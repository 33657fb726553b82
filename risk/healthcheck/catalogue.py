"""The 城市体检 indicator catalogue: one row per (indicator code, year), seeded from data.

建科〔2023〕75号 versions its indicator sets by year, province and city (DOMAIN.md §5), so the
catalogue is a table, not code: ``ensure_catalogue(session, year)`` gives a year its own rows,
copied from the nearest earlier year a city has edited, or from the shipped set
(``defaults``); a row shipped later joins every year's set after its own rows. The shipped
rows are working definitions **[I]** (the official 城区 list and 统计口径 are [?]): targets
(参考值, each with its source), radii and the built-up stand-in are defaults a city changes in
its own rows.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.model import Base
from risk.healthcheck.defaults import DEFAULTS

LEVELS = {"housing": ("住房", "Housing"), "community": ("小区(社区)", "Community"),
          "block": ("街区", "Block"), "district": ("城区(城市)", "City district")}
DIRECTIONS = ("higher_better", "lower_better")
SOURCES = ("computed", "entered")
COMPARISONS = (">=", "<=", ">", "<", "=")


class HealthIndicator(Base):
    """One indicator of one year's set: what it measures, how, and what it should reach."""

    __tablename__ = "health_indicators"
    __table_args__ = (UniqueConstraint("code", "version_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    version_year: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    aspect_zh: Mapped[str] = mapped_column(String(40), nullable=False)
    aspect_en: Mapped[str] = mapped_column(String(60), nullable=False)
    name_zh: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str] = mapped_column(String(160), nullable=False)
    unit: Mapped[str] = mapped_column(String(24), nullable=False, default="")
    direction: Mapped[str | None] = mapped_column(String(16))
    target_op: Mapped[str | None] = mapped_column(String(2))
    target_value: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    formula_zh: Mapped[str] = mapped_column(Text, nullable=False, default="")
    formula_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    problem_zh: Mapped[str | None] = mapped_column(Text)
    problem_en: Mapped[str | None] = mapped_column(Text)
    inferred: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # Whose figure the target is: every shipped one is a 参考值 (reference value) [I]/[?].
    target_source_zh: Mapped[str | None] = mapped_column(Text)
    target_source_en: Mapped[str | None] = mapped_column(Text)

    def name(self, locale: str) -> str:
        """The indicator's name in a locale."""
        return self.name_zh if locale.lower().startswith("zh") else self.name_en

    def formula(self, locale: str) -> str:
        """How the value is computed (or what is entered), in a locale."""
        return self.formula_zh if locale.lower().startswith("zh") else self.formula_en

    def aspect(self, locale: str) -> str:
        """The aspect (安全韧性…) in a locale."""
        return self.aspect_zh if locale.lower().startswith("zh") else self.aspect_en

    def target_source(self, locale: str) -> str:
        """Where the target (参考值) comes from, in a locale (empty when none is said)."""
        text = self.target_source_zh if locale.lower().startswith("zh") else self.target_source_en
        return text or ""

    def target_text(self) -> str:
        """The target as "≥ 60" (empty when the indicator has none)."""
        if self.target_op is None or self.target_value is None:
            return ""
        sign = {">=": "≥", "<=": "≤"}.get(self.target_op, self.target_op)
        return f"{sign} {self.target_value:g}"

    def meets(self, value: float | None) -> bool | None:
        """Whether a value reaches the target (None: no value or no target)."""
        if value is None or self.target_op is None or self.target_value is None:
            return None
        t = self.target_value
        return {">=": value >= t, "<=": value <= t, ">": value > t, "<": value < t,
                "=": abs(value - t) < 1e-9}[self.target_op]


# Why a value is missing or what it stands on, by note code (stored in health_values.note).
NOTES: dict[str, tuple[str, str]] = {
    "no_built_up_area": ("城市概况中无建成区面积：无数据，不作判定",
                         "no built-up area in the city profile: no data, not judged"),
    "no_population": ("城市概况中无常住人口：无数据，不作判定",
                      "no resident population in the city profile: no data, not judged"),
    "example_figures": ("城市概况示例数据（{profile_year} 年），非官方统计",
                        "the city profile's example figures ({profile_year}), not official "
                        "statistics"),
    "earlier_figures": ("城市概况 {profile_year} 年数据（本年未填报）",
                        "the city profile's {profile_year} figures (none for this year)"),
    # Notes of checks computed before the city profile (kept so their reports still read).
    "area_fallback": ("建成区面积未填报，按行政区面积 {area_km2} km² 计算",
                      "no built-up area entered: the division's area ({area_km2} km²) is used"),
    "population_fallback": ("常住人口未填报，按区划表人口 {population} 计算",
                            "no population entered: the division table's ({population}) is used"),
    "no_area": ("无面积数据（行政区无边界）", "no area (the division has no boundary)"),
    "no_table": ("尚无 {table} 数据表，暂无数据", "no {table} table yet: no data"),
    "none_due": ("体检年内无到期记录", "nothing fell due in the year"),
    "none_open": ("年初无未消除的积水点", "no point was open on 1 January"),
    "no_lines": ("无在用管线", "no in-service pipelines"),
    "no_flood_survey": ("体检年末辖区尚无易涝点记录（未普查）：无数据，不作判定",
                        "no flood point recorded in the division by the end of the year (not "
                        "surveyed): no data, not judged"),
    "no_ageing_rule": ("老化规则（国办发〔2022〕22号）未涵盖此类管线：不计算",
                       "the ageing rule (Guo Ban Fa [2022] 22) does not cover this category: "
                       "not computed"),
    "none_old": ("上年末无老化管线（无需更新改造）", "no old pipe at the end of the previous year"),
    "asset_footprint": ("覆盖率按登记管线所在 {cells} 个 {cell_m:g} m 网格（约 {area_km2} km²）计，"
                        "为建成区近似", "over the {cells} cells of {cell_m:g} m holding registered "
                        "pipe (about {area_km2} km²), the built-up stand-in"),
    "no_footprint": ("体检年末无登记在用管线，无法近似建成区：无数据",
                     "no registered in-service pipe at the end of the year to stand in for the "
                     "built-up area: no data"),
}


def note_text(code: str | None, params: dict[str, Any], locale: str) -> str:
    """A stored note in a locale."""
    if not code:
        return ""
    zh, en = NOTES.get(code, (code, code))
    text = zh if locale.lower().startswith("zh") else en
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


def _copied(row: HealthIndicator) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in HealthIndicator.__table__.columns
            if c.key not in ("id", "version_year")}


def ensure_catalogue(session: Session, year: int) -> list[HealthIndicator]:
    """The year's indicator set, creating it when absent.

    A new year copies the nearest earlier year that has rows (a city's own edits carry
    forward), or the shipped defaults when there is none; shipped rows a stored set lacks
    (indicators added since) join it after its own rows.
    """
    rows = list(session.scalars(select(HealthIndicator)
                                .where(HealthIndicator.version_year == year)
                                .order_by(HealthIndicator.position)))
    created = not rows
    if created:
        earlier = session.scalar(select(HealthIndicator.version_year)
                                 .where(HealthIndicator.version_year < year)
                                 .order_by(HealthIndicator.version_year.desc()).limit(1))
        if earlier is not None:
            sources: list[dict[str, Any]] = [_copied(r) for r in session.scalars(
                select(HealthIndicator).where(HealthIndicator.version_year == earlier)
                .order_by(HealthIndicator.position))]
        else:
            sources = [{**asdict(d), "position": i} for i, d in enumerate(DEFAULTS)]
        rows = [HealthIndicator(version_year=year, **s) for s in sources]
        session.add_all(rows)
    have = {r.code for r in rows}
    after = max((r.position for r in rows), default=-1) + 1
    added = [HealthIndicator(version_year=year, **{**asdict(d), "position": after + i})
             for i, d in enumerate(d for d in DEFAULTS if d.code not in have)]
    session.add_all(added)
    if created or added:
        session.flush()
    return sorted([*rows, *added], key=lambda r: r.position)


def default_rows(year: int) -> list[HealthIndicator]:
    """The shipped set as unsaved rows (benchmarks and previews that write nothing)."""
    return [HealthIndicator(version_year=year, position=i, **asdict(d))
            for i, d in enumerate(DEFAULTS)]
