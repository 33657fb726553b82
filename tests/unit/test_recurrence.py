"""Plans keep their rhythm (DOMAIN.md §10): month-end anchors, the real start, ordered tables.

Pure date logic, no database.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from inventory.inspections import plans
from inventory.inspections.plans import InspectionPlan, check_rule, occurrences, rule_for
from inventory.inspections.task_generation import wanted_dates
from resilience.messages import describe


def _year(rule: str, start: date, year: int | None = None) -> list[date]:
    year = year or start.year
    return occurrences(rule, start, date(year, 1, 1), date(year, 12, 31))


def _month_ends(year: int) -> list[date]:
    return [date(year, m + 1, 1) - timedelta(days=1) for m in range(1, 12)] + [date(year, 12, 31)]


def test_quarterly_from_31_march_visits_four_times_a_year_at_the_quarters_end() -> None:
    quarterly = "FREQ=MONTHLY;INTERVAL=3"
    assert _year(quarterly, date(2026, 3, 31)) == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]
    assert len(_year(quarterly, date(2026, 3, 31), 2027)) == 4
    # The same quarters written as a yearly rule in four months.
    assert _year("FREQ=YEARLY;BYMONTH=3,6,9,12", date(2026, 3, 31)) == [
        date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]


@pytest.mark.parametrize("year", [2026, 2028])  # common and leap
def test_monthly_from_31_january_visits_every_month_on_its_last_day(year: int) -> None:
    days = _year("FREQ=MONTHLY", date(year, 1, 31))
    assert len(days) == 12 and days == _month_ends(year)
    assert date(year, 2, 29 if year == 2028 else 28) in days
    # "BYMONTHDAY=31" said outright means the same month end.
    assert _year("FREQ=MONTHLY;BYMONTHDAY=31", date(year, 1, 1)) == _month_ends(year)


@pytest.mark.parametrize("year", [2026, 2028])
def test_monthly_from_30_january_visits_on_the_30th_or_the_end_of_february(year: int) -> None:
    days = _year("FREQ=MONTHLY", date(year, 1, 30))
    assert len(days) == 12
    assert days[1] == date(year, 2, 29 if year == 2028 else 28)
    assert all(d.day == 30 for i, d in enumerate(days) if i != 1)
    assert len(_year("FREQ=MONTHLY", date(year, 1, 29))) == 12  # the 29th too


def test_yearly_from_29_february_visits_every_year() -> None:
    days = occurrences("FREQ=YEARLY", date(2024, 2, 29), date(2024, 1, 1), date(2028, 12, 31))
    assert days == [date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28),
                    date(2028, 2, 29)]


def test_rules_that_name_their_days_keep_their_meaning() -> None:
    start = date(2026, 1, 31)
    assert _year("FREQ=MONTHLY;BYMONTHDAY=15", start)[:2] == [date(2026, 2, 15), date(2026, 3, 15)]
    assert _year("FREQ=MONTHLY;BYDAY=-1FR", start)[:2] == [date(2026, 2, 27), date(2026, 3, 27)]
    assert _year("FREQ=MONTHLY;BYMONTHDAY=30,31", start)[:2] == [date(2026, 1, 31),
                                                                   date(2026, 3, 30)]
    assert _year("FREQ=WEEKLY", start)[:2] == [date(2026, 1, 31), date(2026, 2, 7)]
    assert len(_year("FREQ=MONTHLY;COUNT=3", start)) == 3


def test_missed_and_upcoming_visits_keep_the_month_end() -> None:
    plan = InspectionPlan(starts_on=date(2026, 1, 31), open_days=3,
                          generated_through=date(2026, 2, 10))
    # The scheduler was down over February's end: that visit is the one recorded as missed.
    assert wanted_dates(plan, "FREQ=MONTHLY", date(2026, 3, 20), 14) == [
        date(2026, 2, 28), date(2026, 3, 31)]
    assert wanted_dates(plan, "FREQ=MONTHLY", date(2026, 4, 20), 14) == [
        date(2026, 3, 31), date(2026, 4, 30)]


def test_the_rule_check_counts_from_the_plans_real_start() -> None:
    ended = "FREQ=WEEKLY;UNTIL=20260201"
    assert check_rule(ended, starts_on=date(2026, 1, 5)) == []
    (problem,) = check_rule(ended, starts_on=date(2026, 3, 1))
    assert (problem.field, problem.code) == ("recurrence", "invalid_rrule")
    assert "2026-03-01" in problem.params["reason"]
    values = {"name": "x", "template": "t", "selection": {"collection": "pipelines"},
              "recurrence": ended, "starts_on": "2026-03-01", "assignee": "u"}
    problems = plans.check_values(values, templates={"t": ["pipelines"]}, users={"u": "inspector"},
                                  today=date(2026, 1, 5))
    assert [(p.field, p.code) for p in problems] == [("recurrence", "invalid_rrule")]
    values["starts_on"] = "2026-01-05"
    assert plans.check_values(values, templates={"t": ["pipelines"]}, users={"u": "inspector"},
                              today=date(2026, 3, 1)) == []


def test_a_disordered_frequency_table_is_refused_naming_the_field_and_levels() -> None:
    start = date(2026, 1, 5)
    values = {"name": "x", "template": "t", "selection": {"collection": "pipelines"},
              "risk_based": True, "frequencies": {"major": "FREQ=YEARLY", "low": "FREQ=WEEKLY"},
              "starts_on": "2026-01-05", "assignee": "u"}
    refused = plans.check_values(values, templates={"t": ["pipelines"]}, users={"u": "inspector"},
                                 today=start)
    assert ("frequencies.major", "frequency_order") in {(p.field, p.code) for p in refused}
    from inventory.inspections import recurrence

    table = plans.frequency_table({"major": "FREQ=YEARLY", "low": "FREQ=WEEKLY"})
    problems = recurrence.check_order(table, start)
    assert [(p.field, p.params["level"], p.params["lower"]) for p in problems] == [
        ("frequencies.major", "major", "low"), ("frequencies.considerable", "considerable", "low"),
        ("frequencies.general", "general", "low")]
    assert {p.code for p in problems} == {"frequency_order"}
    zh = describe(problems[0], "zh")
    assert "重大风险" in zh and "低风险" in zh and "FREQ=YEARLY" in zh
    assert "major" in describe(problems[0]) and "low" in describe(problems[0])
    # Ties are allowed, more often is fine, BYDAY=MO,TH counts as twice a week.
    assert recurrence.check_order(plans.frequency_table({"major": "FREQ=WEEKLY;BYDAY=MO,TH",
                                                         "considerable": "FREQ=WEEKLY"}),
                                  start) == []
    assert recurrence.check_order(plans.frequency_table({"considerable": "FREQ=DAILY"}),
                                  start)[0].field == "frequencies.major"
    # 未评估 never less often than 低.
    (rare,) = recurrence.check_order(plans.frequency_table({"unassessed": "FREQ=YEARLY"}), start)
    assert (rare.field, rare.params["lower"]) == ("frequencies.unassessed", "low")
    assert "未评估" in describe(rare, "zh")


def test_an_asset_without_a_level_follows_the_unassessed_row() -> None:
    plan = InspectionPlan(risk_based=True, frequencies={"unassessed": "FREQ=MONTHLY",
                                                        "low": "FREQ=YEARLY"})
    assert rule_for(plan, None) == rule_for(plan, "unassessed") == "FREQ=MONTHLY"
    assert rule_for(plan, "low") == "FREQ=YEARLY"
    default = InspectionPlan(risk_based=True, frequencies={"low": "FREQ=MONTHLY;INTERVAL=2"})
    assert rule_for(default, None) == "FREQ=MONTHLY;INTERVAL=2"  # the plan's 低 row by default
    assert plans.frequency_table(None)["unassessed"] == plans.RISK_FREQUENCIES["low"]
    assert plans.check_selection({"collection": "pipelines", "risk_levels": ["unassessed"]}) == []
