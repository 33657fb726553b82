"""A past year's check reads the registry as it stood at the end of that year (issue 14 §5).

The two defects of the issue — 上城区 in 2000 counting points first recorded in 2019–2023, and a
county with no flood survey reported as "0 易涝点, target met" — are held here through the
stored check only (``checks.compute`` / ``value_of`` / ``report``), as before the fix; the rest
through the indicators: build years, retirements, status and condition changes in the audit
trail, the renewal completion rate.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from inventory import service
from risk.healthcheck import checks
from tests import factories as f
from tests.healthcheck.conftest import YEAR, ctx

SHANGCHENG = "330102"
FIRST_EVENTS = (2019, 2019, 2020, 2021, 2022, 2022, 2023, 2023)


def flood_points_first_recorded_2019_to_2023(session: Session) -> list[Any]:
    """Eight 上城区 points, each first flooded in its year; the 2019 one eliminated in 2022."""
    made = []
    for i, year in enumerate(FIRST_EVENTS):
        props: dict[str, Any] = {"events": [{"occurred_on": f"{year}-07-0{1 + i % 8}",
                                             "max_depth_cm": 30}]}
        if i == 0:
            props.update(status="eliminated", eliminated_on="2022-05-01")
        at = (f.SHANGCHENG[0] + 0.002 * i, f.SHANGCHENG[1] + 0.001 * i)
        made.append(service.create(session, "flood-points", f.flood_point(at, **props),
                                   ctx(session)))
    session.flush()
    return made


def test_shangcheng_in_2000_has_no_flood_points_recorded_later(session: Session) -> None:
    points = flood_points_first_recorded_2019_to_2023(session)
    assert all(p.division_code == SHANGCHENG for p in points)
    check = checks.compute(session, SHANGCHENG, 2000, by="t")
    value = check.value_of("waterlogging_points")
    assert value is not None and value.value is None  # not 7 (or 8) open points
    assert value.target_met is None  # no data is never judged
    report = checks.report(session, check, "zh")
    line = next(x for x in report.lines if x.code == "waterlogging_points")
    assert "未普查" in line.note
    assert "waterlogging_points" not in {p.code for p in report.problems}


def test_shangcheng_counts_the_points_recorded_by_each_year(session: Session) -> None:
    flood_points_first_recorded_2019_to_2023(session)
    by_year = {}
    for year in (2019, 2021, 2022, 2023):
        check = checks.compute(session, SHANGCHENG, year, by="t")
        by_year[year] = check.value_of("waterlogging_points").value
    # 2021: the four first flooded by then, all open; 2022: six recorded, the 2019 one eliminated
    assert by_year == {2019: 2.0, 2021: 4.0, 2022: 5.0, 2023: 7.0}
    check = checks.find(session, SHANGCHENG, 2022)
    elimination = check.value_of("waterlogging_elimination")
    assert elimination.value == 25.0  # 1 of the 4 open at the end of 2021
    assert elimination.detail == {"start_open": 4, "eliminated": 1, "still_open": 3}


def test_a_county_without_a_flood_survey_is_no_data_not_target_met(session: Session) -> None:
    flood_points_first_recorded_2019_to_2023(session)  # 上城区 only; 拱墅区 has none
    check = checks.compute(session, "330105", YEAR, by="t")
    for code in ("waterlogging_points", "waterlogging_density"):
        value = check.value_of(code)
        assert value is not None and value.value is None and value.target_met is None, code
    report = checks.report(session, check, "zh")
    lines = {x.code: x for x in report.lines}
    assert lines["waterlogging_points"].judgement == "no_data"
    assert "waterlogging_points" not in {p.code for p in report.problems}
    assert checks.report(session, check, "en").lines[2].note.startswith("no flood point recorded")


def test_build_years_retirements_and_status_changes_are_read_as_of_the_year(
        session: Session) -> None:
    c = ctx(session)

    def pipe(i: int, **props: Any) -> Any:
        at = (f.XIHU[0] + 0.004 * i, f.XIHU[1])
        feature = f.pipeline(at, category="drainage", subcategory="sewage", **props)
        feature["geometry"] = f.line(at, dx=0.0005 * 2 ** i)  # lengths apart: sums tell them
        return service.create(session, "pipelines", feature, c)

    new = pipe(0, build_year=2010)
    retired = pipe(1, build_year=2000)
    abandoned = pipe(2, build_year=2000)
    unknown = pipe(3, build_year=None, survey_date="2015-06-01")
    service.retire(session, "pipelines", retired.id, c, reason="拆除")
    service.patch(session, "pipelines", abandoned.id, {"properties": {"status": "abandoned"}}, c,
                  expected_version=None)
    session.flush()

    def drains_km(year: int) -> float:
        check = checks.compute(session, "330106", year, by="t")
        return check.value_of("tunnel_share.drainage").detail["total_km"]

    def km(*pipes: Any) -> float:
        return round(sum(p.length_m for p in pipes) / 1000, 2)

    assert len({km(new, unknown), km(retired, abandoned), km(new), km(unknown)}) == 4

    assert drains_km(2009) == km(retired, abandoned)  # the 2010 one not yet built
    assert drains_km(2014) == km(new, retired, abandoned)
    assert drains_km(2015) == km(new, retired, abandoned, unknown)  # first recorded 2015
    assert drains_km(YEAR - 1) == km(new, retired, abandoned, unknown)  # before the changes
    assert drains_km(YEAR) == km(new, unknown)  # retired and abandoned this year


def test_renewal_completion_is_renewed_over_due_by_the_ageing_rule(session: Session) -> None:
    from resilience.divisions import Division
    from risk.healthcheck.indicators import Scope, compute_all

    c = ctx(session)

    def gas(i: int, **props: Any) -> Any:
        return service.create(session, "pipelines", f.pipeline(
            (f.XIHU[0] + 0.003 * i, f.XIHU[1] + 0.0005 * i), category="gas",
            subcategory="natural_gas", **props), c)

    grey = gas(0, material="cast_iron", build_year=1980)  # old by material: replaced this year
    steel = gas(1, material="steel", build_year=1990, condition_grade=4)  # relined this year
    pe = gas(2, material="pe", build_year=1995, condition_grade=4)  # old, left alone
    young = gas(3, material="pe", build_year=2015, condition_grade=4)  # 11 years: not old
    service.patch(session, "pipelines", grey.id, {"properties": {"status": "abandoned"}}, c,
                  expected_version=None)
    service.patch(session, "pipelines", steel.id, {"properties": {
        "material": "pe", "build_year": YEAR, "condition_grade": 1}}, c, expected_version=None)
    session.flush()
    division = session.get(Division, "330106")
    last = compute_all(Scope(session, division, YEAR - 1))
    assert last["pipeline_over_age.gas"].detail["segments"] == 3  # grey, steel, pe
    now = compute_all(Scope(session, division, YEAR))
    assert now["pipeline_over_age.gas"].detail["segments"] == 1  # pe
    done = now["renewal_completion"]
    due = grey.length_m + steel.length_m + pe.length_m
    assert done.value == pytest.approx(100 * (grey.length_m + steel.length_m) / due, abs=1e-3)
    assert done.detail["segments"] == 3 and young.id
    stored = checks.compute(session, "330106", YEAR, by="t").value_of("renewal_completion")
    assert stored.value == pytest.approx(done.value) and stored.target_met is None  # 未评估


def test_reference_values_are_shown_with_their_source(session: Session,
                                                     city: dict[str, Any]) -> None:
    check = checks.compute(session, "330106", YEAR, by="t")
    lines = {x.code: x for x in checks.report(session, check, "zh").lines}
    assert lines["waterlogging_points"].target == "≤ 0"
    assert lines["waterlogging_points"].target_source.startswith("工作定义")
    assert "本系统默认参考值" in lines["shelter_coverage"].target_source
    assert lines["tunnel_length"].target_source == "" and lines["tunnel_length"].judgement == \
        "not_judged"
    en = {x.code: x for x in checks.report(session, check, "en").lines}
    assert en["drainage_density"].target_source.startswith("this registry's default reference")
