"""A division's yearly check: compute, entered values, targets, trends, problems, freeze, XLSX."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import profiles
from resilience.audit import AuditEntry
from resilience.errors import Conflict, InvalidInput
from risk.healthcheck import checks, export
from risk.healthcheck.catalogue import DEFAULTS, HealthIndicator, ensure_catalogue
from tests.healthcheck.conftest import YEAR


def test_catalogue_is_seeded_per_year_and_a_year_keeps_its_own_edits(session: Session) -> None:
    rows = ensure_catalogue(session, YEAR)
    assert [r.code for r in rows] == [d.code for d in DEFAULTS]
    assert all(r.formula_zh and r.formula_en for r in rows)
    # Built-up area and population are the city profile's, shown by the check, not entered in it;
    # what is entered is what the registry cannot know (survey-only indicators, monitoring).
    entered = {r.code for r in rows if r.source == "entered"}
    assert entered == {"fire_5min_coverage", "drainage_rescue_capacity",
                       *(f"lifeline_monitoring.{k}" for k in ("gas", "water_supply", "drainage",
                                                              "bridge", "tunnel"))}
    assert {r.code for r in rows if r.source == "computed"} >= {
        "built_up_area", "population", "renewal_completion"}
    assert all(r.target_source_zh and r.target_source_en for r in rows if r.target_op)
    target = next(r for r in rows if r.code == "shelter_area_per_capita")
    target.target_value = 2.0  # the city raises its target from this year on
    session.flush()
    later = {r.code: r for r in ensure_catalogue(session, YEAR + 1)}
    assert later["shelter_area_per_capita"].target_value == 2.0
    earlier = {r.code: r for r in ensure_catalogue(session, YEAR - 1)}
    assert earlier["shelter_area_per_capita"].target_value == 1.5  # shipped default
    count = session.scalar(select(HealthIndicator.id).where(
        HealthIndicator.version_year == YEAR + 1).limit(1))
    assert count is not None


def test_compute_targets_and_problem_list(session: Session, city: dict[str, Any]) -> None:
    check = checks.compute(session, "330106", YEAR, by="engineer")
    assert check.status == "draft" and check.computed_at is not None
    unjudged = check.value_of("drainage_density")  # no city profile yet: no data, not judged
    assert (unjudged.value, unjudged.note, unjudged.target_met) == (None, "no_built_up_area", None)
    profiles.save(session, "330106", YEAR, {"built_up_area_km2": 80, "population": 1_000_000},
                  by="admin", source="西湖区统计年鉴")
    checks.compute(session, "330106", YEAR, by="engineer")  # the density now uses 80 km²
    value = check.value_of("drainage_density")
    assert value is not None and value.note is None and value.target_met is not None
    assert check.value_of("built_up_area").value == 80.0
    assert check.value_of("built_up_area").source == "computed"
    assert check.value_of("waterlogging_points").target_met is False
    report = checks.report(session, check, "zh")
    problems = {p.code: p for p in report.problems}
    assert problems["waterlogging_points"].text == "1 个易涝点未消除（参考值 ≤ 0）"
    assert "2 段管线" in problems["pipeline_over_age.all"].text
    assert problems["shelter_area_per_capita"].reason == "target"
    en = checks.report(session, check, "en")
    assert any(p.text.startswith("1 flood points are not eliminated") for p in en.problems)
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.collection == "health-checks", AuditEntry.record_id == check.id)).all()
    assert actions == ["compute", "compute"]


def survey_rows(session: Session) -> None:
    """An entered row a city adds to the year's catalogue beside the shipped survey-only ones."""
    ensure_catalogue(session, YEAR)
    for code, unit, high in (("rescue_teams", "个", 1000.0),):
        session.add(HealthIndicator(code=code, version_year=YEAR, position=99, level="district",
                                    aspect_zh="安全韧性", aspect_en="Safety", name_zh=code,
                                    name_en=code, unit=unit, source="entered", min_value=0.0,
                                    max_value=high, formula_zh="填报", formula_en="entered"))
    session.flush()


@pytest.mark.parametrize(("values", "codes"), [
    ({"fire_5min_coverage": "lots"}, {("fire_5min_coverage", "not_a_number")}),
    ({"fire_5min_coverage": "80 ha"}, {("fire_5min_coverage", "wrong_unit")}),
    ({"fire_5min_coverage": -3, "rescue_teams": 10**9},
     {("fire_5min_coverage", "too_small"), ("rescue_teams", "too_large")}),
    ({"waterlogging_points": 3}, {("waterlogging_points", "indicator_computed")}),
    ({"built_up_area": 80}, {("built_up_area", "indicator_computed")}),  # the profile's
    ({"no_such": 1}, {("no_such", "unknown_indicator")}),
])
def test_entered_values_are_validated_and_nothing_is_half_written(
        session: Session, values: dict[str, Any], codes: set[tuple[str, str]]) -> None:
    survey_rows(session)
    values = {"rescue_teams": 12, **values} if "rescue_teams" not in values else values
    with pytest.raises(InvalidInput) as caught:
        checks.enter(session, "330106", YEAR, values, by="engineer")
    assert {(p.field, p.code) for p in caught.value.problems} == codes
    check = checks.find(session, "330106", YEAR)
    assert check is None or check.value_of("rescue_teams") is None
    checks.enter(session, "330106", YEAR, {"rescue_teams": "12 个"}, by="engineer")
    assert checks.find(session, "330106", YEAR).value_of("rescue_teams").value == 12


def test_trend_against_earlier_years(session: Session, city: dict[str, Any]) -> None:
    before = checks.get_or_create(session, "330106", YEAR - 1, by="t")
    before.values.append(checks.HealthValue(code="waterlogging_points", version_year=YEAR - 1,
                                            value=0.0, source="computed"))
    before.values.append(checks.HealthValue(code="tunnel_length", version_year=YEAR - 1,
                                            value=0.01, source="computed"))
    session.flush()
    check = checks.compute(session, "330106", YEAR, by="t")
    lines = {line.code: line for line in checks.report(session, check).lines}
    assert lines["waterlogging_points"].trend == "worse"  # 0 → 1, lower is better
    assert lines["waterlogging_points"].previous == [(YEAR - 1, 0.0)]
    assert lines["tunnel_length"].trend == "better"  # 0.01 km → the tunnel's length
    assert lines["shelter_capacity"].trend is None  # no earlier value
    assert checks.trend("higher_better", 5, 5) == "same"
    problems = {p.code: p for p in checks.report(session, check).problems}
    assert "较上年 0 变差" in problems["waterlogging_points"].text


def test_a_final_check_is_frozen(session: Session, city: dict[str, Any]) -> None:
    check = checks.compute(session, "330106", YEAR, by="t")
    checks.finalize(session, check, by="t")
    with pytest.raises(Conflict):
        checks.compute(session, "330106", YEAR, by="t")
    with pytest.raises(Conflict):
        checks.enter(session, "330106", YEAR, {"population": 1}, by="t")


def test_unknown_division_and_year_are_problems(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        checks.compute(session, "999999", YEAR, by="t")
    assert caught.value.problems[0].code == "unknown_division"
    with pytest.raises(InvalidInput):
        checks.compute(session, "330106", 1800, by="t")


def test_xlsx_has_the_indicators_and_the_problems(session: Session, city: dict[str, Any]) -> None:
    check = checks.compute(session, "330106", YEAR, by="t")
    data = export.workbook(checks.report(session, check, "zh"), "zh")
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["指标", "问题清单"]
    ws = wb["指标"]
    assert ws["A1"].value.endswith(f"{YEAR} 年城市体检")
    header = [c.value for c in ws[3]]
    assert header[:9] == ["层级", "方面", "指标代码", "指标", "数值", "单位", "参考值", "达标", "趋势"]
    assert header[13] == "参考值来源"
    rows = {r[2]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["waterlogging_points"][4] == 1 and rows["waterlogging_points"][7] == "否"
    assert "工作定义" in rows["waterlogging_points"][13]
    assert rows["fire_5min_coverage"][7] == "无数据"  # entered, not yet: never judged
    assert rows["tunnel_length"][7] == "未评估"  # a value without a reference value
    assert rows["pipeline_over_age.gas"][4] == 100
    assert "[I]" in rows["shelter_coverage"][12]
    problems = list(wb["问题清单"].iter_rows(min_row=2, values_only=True))
    assert any(p[1] == "waterlogging_points" and "1 个易涝点未消除" in p[4] for p in problems)
    en = load_workbook(io.BytesIO(export.workbook(checks.report(session, check, "en"), "en")))
    assert en.sheetnames == ["Indicators", "Problems"]
