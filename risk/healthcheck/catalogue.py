"""The 城市体检 indicator catalogue: one row per (indicator code, year), seeded from data.

建科〔2023〕75号 versions its indicator sets by year, province and city (DOMAIN.md §5), so the
catalogue is a table, not code: ``ensure_catalogue(session, year)`` gives a year its own rows,
copied from the nearest earlier year a city has edited, or from the shipped set below. The
shipped rows are working definitions **[I]** (the official 城区 list and 统计口径 are [?]):
targets, design ages and radii are defaults a city changes in its own rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Boolean, Float, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.model import Base

LEVELS = {"housing": ("住房", "Housing"), "community": ("小区(社区)", "Community"),
          "block": ("街区", "Block"), "district": ("城区(城市)", "City district")}
DIRECTIONS = ("higher_better", "lower_better")
SOURCES = ("computed", "entered")
COMPARISONS = (">=", "<=", ">", "<", "=")

# Categories whose per-category shares the catalogue lists (CJJ 61-2017 大类 codes).
CATEGORIES = {"water_supply": ("给水", "water supply"), "drainage": ("排水", "drainage"),
              "gas": ("燃气", "gas"), "heat": ("热力", "heat"), "power": ("电力", "power"),
              "telecom": ("通信", "telecom")}

# Design service lives per category in years, for 管线焕新 candidates [I]: common practice
# (燃气 steel/PE mains 30 a, 供水/排水 50 a, 热力 30 a, cables 30 a, telecom ducts 20 a).
DESIGN_AGE_YEARS = {"water_supply": 50, "drainage": 50, "gas": 30, "heat": 30, "power": 30,
                    "telecom": 20, "industrial": 30, "other": 50}

# Service radius of a shelter per class, metres [I]: 紧急 500 m, 固定 2000 m (DOMAIN.md §7
# leaves the table open), 中心 5000 m.
SERVICE_RADIUS_M = {"emergency": 500.0, "fixed_short": 2000.0, "fixed_medium": 2000.0,
                    "fixed_long": 2000.0, "central": 5000.0}


# The denominators come from the city profile (resilience.profiles), entered once per division
# and year by an admin, never from the check nor from the administrative area (issue 13 §3).
PROFILE_AREA_ZH = ("城市概况（管理员据统计年鉴或国土调查按年填报）中本年的建成区面积，无则取最近上一年；"
                   "均无时密度类指标无数据、不作判定")
PROFILE_AREA_EN = ("the city profile's built-up area for the year (entered by an admin from the "
                   "statistical yearbook or land survey), else the latest earlier year's; without "
                   "it the densities have no data and are not judged")
PROFILE_POPULATION_ZH = ("城市概况（管理员据统计公报按年填报）中本年的常住人口，无则取最近上一年；"
                         "均无时人均类指标无数据、不作判定")
PROFILE_POPULATION_EN = ("the city profile's resident population for the year (entered by an "
                         "admin from the statistical bulletin), else the latest earlier year's; "
                         "without it the per-person figures have no data and are not judged")


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

    def name(self, locale: str) -> str:
        """The indicator's name in a locale."""
        return self.name_zh if locale.lower().startswith("zh") else self.name_en

    def formula(self, locale: str) -> str:
        """How the value is computed (or what is entered), in a locale."""
        return self.formula_zh if locale.lower().startswith("zh") else self.formula_en

    def aspect(self, locale: str) -> str:
        """The aspect (安全韧性…) in a locale."""
        return self.aspect_zh if locale.lower().startswith("zh") else self.aspect_en

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


@dataclass(frozen=True)
class Default:
    """A shipped catalogue row (see ``DEFAULTS``)."""

    code: str
    name_zh: str
    name_en: str
    unit: str
    source: str
    formula_zh: str
    formula_en: str
    direction: str | None = None
    target_op: str | None = None
    target_value: float | None = None
    problem_zh: str | None = None
    problem_en: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    level: str = "district"
    aspect_zh: str = "安全韧性"
    aspect_en: str = "Safety and resilience"
    inferred: bool = True


def _per_category() -> list[Default]:
    rows = []
    for cat, (zh, en) in CATEGORIES.items():
        age = DESIGN_AGE_YEARS[cat]
        rows.append(Default(
            f"pipeline_over_age.{cat}", f"{zh}管线超设计年限比例",
            f"Share of {en} pipelines past design age", "%", "computed",
            f"在用{zh}管线中 (体检年 − 建设年代) > 设计年限 {age} 年 的长度 ÷ 在用{zh}管线总长 × 100"
            "（建设年代不详的不计入分子，计入分母）；为管线焕新候选",
            f"length of in-service {en} pipelines with (check year − build year) > design life "
            f"{age} a ÷ total in-service {en} length × 100 (unknown build year: not in the "
            "numerator, in the denominator); renewal candidates",
            "lower_better", "<=", 10.0,
            "{segments} 段" + zh + "管线（{over_km} km）超过设计年限，列入管线焕新候选",
            "{segments} " + en + " segments ({over_km} km) are past their design life: "
            "renewal candidates"))
    for cat, (zh, en) in CATEGORIES.items():
        rows.append(Default(
            f"tunnel_share.{cat}", f"{zh}管线入廊率", f"Share of {en} lines in utility tunnels",
            "%", "computed",
            f"敷设于综合管廊舱室的在用{zh}管线长度 ÷ 在用{zh}管线总长 × 100",
            f"length of in-service {en} pipelines carried in tunnel cabins ÷ total in-service "
            f"{en} length × 100", "higher_better"))
    return rows


DEFAULTS: tuple[Default, ...] = (
    Default("built_up_area", "建成区面积", "Built-up area", "km²", "computed",
            PROFILE_AREA_ZH, PROFILE_AREA_EN, aspect_zh="基础数据", aspect_en="Base data",
            inferred=False),
    Default("population", "常住人口", "Resident population", "人", "computed",
            PROFILE_POPULATION_ZH, PROFILE_POPULATION_EN, aspect_zh="基础数据",
            aspect_en="Base data", inferred=False),
    Default("waterlogging_points", "内涝积水点数量", "Waterlogging points", "个", "computed",
            "辖区内未消除（状态为未消除、未退役）的易涝点个数",
            "flood points in the division that are active (not eliminated, not retired)",
            "lower_better", "<=", 0.0,
            "{open} 个易涝点未消除", "{open} flood points are not eliminated"),
    Default("waterlogging_density", "内涝积水点密度", "Waterlogging point density", "个/km²",
            "computed", "内涝积水点数量 ÷ 建成区面积（城市概况；无则不作判定）",
            "waterlogging points ÷ built-up area (city profile; not judged without it)",
            "lower_better"),
    Default("waterlogging_elimination", "积水点消除比例", "Waterlogging points eliminated",
            "%", "computed",
            "年内消除（消除日期在体检年内）的积水点 ÷ 年初仍未消除的积水点 × 100；年初存在 = "
            "首次积水记录、普查日期或登记日期中最早者早于 1 月 1 日",
            "points eliminated in the year (eliminated_on within it) ÷ points open on 1 January "
            "× 100; a point existed by then when its first event, survey date or record date "
            "(the earliest) is before 1 January",
            "higher_better", ">=", 60.0,
            "年初 {start_open} 个积水点中 {still_open} 个年内未消除",
            "{still_open} of the {start_open} points open on 1 January were not eliminated"),
    Default("drainage_density", "排水管网密度", "Drainage network density", "km/km²",
            "computed",
            "在用排水管线长度（km）÷ 建成区面积（km²，城市概况；无则不作判定）",
            "in-service drainage pipeline length (km) ÷ built-up area (km², city profile; not "
            "judged without it)",
            "higher_better", ">=", 14.0,
            "排水管网密度 {value} km/km²（排水管线 {drainage_km} km）",
            "drainage density is {value} km/km² ({drainage_km} km of drains)"),
    Default("pipeline_over_age.all", "管线超设计年限比例（全部）",
            "Share of pipelines past design age (all)", "%", "computed",
            "各类在用管线中超过本类设计年限的长度之和 ÷ 在用管线总长 × 100（设计年限按类别取值，见"
            "各类指标）",
            "Σ length of in-service pipelines past their category's design life ÷ total "
            "in-service length × 100 (design lives per category, see the category rows)",
            "lower_better", "<=", 10.0,
            "{segments} 段管线（{over_km} km）超过设计年限，列入管线焕新候选",
            "{segments} segments ({over_km} km) are past their design life: renewal candidates"),
    *[r for r in _per_category() if r.code.startswith("pipeline_over_age.")],
    Default("tunnel_length", "综合管廊长度", "Utility tunnel length", "km", "computed",
            "辖区内在用综合管廊长度之和", "Σ length of the division's in-service utility tunnels",
            "higher_better"),
    Default("tunnel_share.all", "管线入廊率（全部）", "Share of lines in utility tunnels (all)",
            "%", "computed", "敷设于综合管廊舱室的在用管线长度 ÷ 在用管线总长 × 100",
            "length of in-service pipelines carried in tunnel cabins ÷ total in-service length "
            "× 100", "higher_better"),
    *[r for r in _per_category() if r.code.startswith("tunnel_share.")],
    Default("shelter_area_per_capita", "人均避难场所面积", "Shelter area per person",
            "m²/人", "computed",
            "辖区内开放的避难场所有效避难面积之和 ÷ 常住人口（城市概况；无则不作判定）",
            "Σ effective area of the division's open shelters ÷ resident population (city "
            "profile; not judged without it)",
            "higher_better", ">=", 1.5,
            "人均避难场所面积 {value} m²（{shelters} 处开放场所，共 {area_m2} m²）",
            "shelter area per person is {value} m² ({shelters} open shelters, {area_m2} m²)"),
    Default("shelter_capacity", "避难场所容量", "Shelter capacity", "人", "computed",
            "Σ floor(有效避难面积 ÷ 该类别人均最小面积)：紧急 0.5、短期 2.0、中期 3.0、长期/中心 4.5 m²",
            "Σ floor(effective area ÷ the class's minimum per person): emergency 0.5, short "
            "2.0, medium 3.0, long/central 4.5 m²", "higher_better"),
    Default("shelter_coverage", "避难场所服务半径覆盖率", "Shelter service-radius coverage", "%",
            "computed",
            "行政区内位于任一开放避难场所服务半径内的面积 ÷ 行政区面积 × 100（EPSG:4549 平面计算；"
            "半径：紧急 500 m、固定 2000 m、中心 5000 m，邻区场所亦计）",
            "area of the division within the service radius of any open shelter ÷ its area × "
            "100 (in the EPSG:4549 plane; radius: emergency 500 m, fixed 2,000 m, central "
            "5,000 m; shelters of neighbouring divisions count)",
            "higher_better", ">=", 80.0,
            "{uncovered_km2} km² 不在任何避难场所服务半径内",
            "{uncovered_km2} km² lie outside every shelter's service radius"),
    Default("hazards_found", "隐患发现数", "Hidden hazards found", "个", "computed",
            "发现日期在体检年内的隐患数", "hazards whose found date falls in the year"),
    Default("road_collapse_hazards", "道路塌陷隐患点数量", "Open road-collapse hazards", "个",
            "computed",
            "体检年末（或今天，取较早者）仍未销号的道路塌陷类隐患数（发现不晚于该日、未退役）",
            "hazards of category road collapse still open (not closed, not retired) at the end "
            "of the year or today, whichever is earlier",
            "lower_better", "<=", 0.0,
            "{open} 处道路塌陷隐患未销号", "{open} road-collapse hazards are still open"),
    Default("hazards_closed_on_time", "隐患按期整改销号率", "Hazards closed on time", "%",
            "computed",
            "整改期限在体检年内且已到期的隐患中，在期限当日或之前销号的 ÷ 其总数 × 100",
            "of the hazards whose deadline fell in the year and has passed, those closed on or "
            "before it ÷ all of them × 100",
            "higher_better", ">=", 90.0,
            "{late} 项隐患未按期整改销号", "{late} hazards were not closed by their deadline"),
    Default("inspections_on_time", "巡检按期完成率", "Inspections done on time", "%",
            "computed",
            "应完成日在体检年内且已截止的巡检任务中，在截止日当日或之前完成的 ÷ 其总数 × 100",
            "of the inspection tasks due in the year whose window has closed, those done on or "
            "before their closing day ÷ all of them × 100",
            "higher_better", ">=", 95.0,
            "{late} 项巡检任务未按期完成", "{late} inspection tasks were not done on time"),
)

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


def ensure_catalogue(session: Session, year: int) -> list[HealthIndicator]:
    """The year's indicator set, creating it when absent.

    A new year copies the nearest earlier year that has rows (a city's own edits carry
    forward), or the shipped defaults when there is none.
    """
    rows = list(session.scalars(select(HealthIndicator)
                                .where(HealthIndicator.version_year == year)
                                .order_by(HealthIndicator.position)))
    if rows:
        return rows
    earlier = session.scalar(select(HealthIndicator.version_year)
                             .where(HealthIndicator.version_year < year)
                             .order_by(HealthIndicator.version_year.desc()).limit(1))
    if earlier is not None:
        sources: list[dict[str, Any]] = [
            {c.key: getattr(r, c.key) for c in HealthIndicator.__table__.columns
             if c.key not in ("id", "version_year")}
            for r in session.scalars(select(HealthIndicator)
                                     .where(HealthIndicator.version_year == earlier))]
    else:
        sources = [{**asdict(d), "position": i} for i, d in enumerate(DEFAULTS)]
    rows = [HealthIndicator(version_year=year, **s) for s in sources]
    session.add_all(rows)
    session.flush()
    return sorted(rows, key=lambda r: r.position)


def default_rows(year: int) -> list[HealthIndicator]:
    """The shipped set as unsaved rows (benchmarks and previews that write nothing)."""
    return [HealthIndicator(version_year=year, position=i, **asdict(d))
            for i, d in enumerate(DEFAULTS)]
