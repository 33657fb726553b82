"""Stored plans keep their rhythm (DOMAIN.md §10), on both databases: month-end visits, the
rule checked from the plan's start, an ordered frequency table, 未评估 assets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections import plans, task_generation
from inventory.inspections.tasks import InspectionTask
from resilience.errors import InvalidInput
from resilience.messages import as_dicts
from tests.inspections import support


def _due(session: Session, plan_id: int, asset_id: int | None = None) -> list[date]:
    t = InspectionTask
    stmt = select(t.due_on).where(t.plan_id == plan_id).order_by(t.due_on)
    if asset_id is not None:
        stmt = stmt.where(t.asset_id == asset_id)
    return list(session.scalars(stmt))


@pytest.mark.parametrize(("start", "rule", "expected"), [
    (date(2026, 3, 31), "FREQ=MONTHLY;INTERVAL=3",
     [date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30), date(2026, 12, 31)]),
    (date(2027, 1, 31), "FREQ=MONTHLY",
     [date(2027, m + 1, 1) - timedelta(days=1) for m in range(1, 12)] + [date(2027, 12, 31)]),
    (date(2028, 1, 30), "FREQ=MONTHLY",
     [date(2028, 1, 30), date(2028, 2, 29), *(date(2028, m, 30) for m in range(3, 13))]),
])
def test_a_stored_month_end_plan_gets_one_task_per_period(session: Session, start: date,
                                                          rule: str, expected: list[date]) -> None:
    (pipe,) = support.pipelines(session, 1)
    plan = support.plan(session, recurrence=rule, starts_on=start.isoformat())
    task_generation.generate(session, plan, start, 364, {})
    assert _due(session, plan.id, pipe) == expected


def test_a_rule_with_no_visit_from_the_plans_start_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, recurrence="FREQ=WEEKLY;UNTIL=20261101", starts_on="2026-11-30")
    assert [(p.field, p.code) for p in caught.value.problems] == [("recurrence", "invalid_rrule")]
    with pytest.raises(InvalidInput) as caught:  # a table's rows too
        support.plan(session, recurrence=None, risk_based=True, starts_on="2026-11-30",
                     frequencies={"major": "FREQ=DAILY;UNTIL=20261101"})
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("frequencies.major", "invalid_rrule")]
    assert support.plan(session, recurrence="FREQ=WEEKLY;UNTIL=20261231",
                        starts_on="2026-11-30").recurrence == "FREQ=WEEKLY;UNTIL=20261231"


def test_a_disordered_frequency_table_is_refused_naming_the_levels(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, recurrence=None, risk_based=True,
                     frequencies={"major": "FREQ=YEARLY", "low": "FREQ=WEEKLY"})
    problems = caught.value.problems
    assert ("frequencies.major", "frequency_order") in {(p.field, p.code) for p in problems}
    messages = {e["field"]: e["message"] for e in as_dicts(problems, "zh")}
    assert "重大风险" in messages["frequencies.major"] and "低风险" in messages["frequencies.major"]
    assert "较大风险" in messages["frequencies.considerable"]  # the defaults it keeps, too


def test_an_asset_without_a_level_is_planned_as_unassessed(session: Session) -> None:
    low, unlisted = support.pipelines(session, 2)
    levels = {("pipelines", low): "low"}
    plan = support.plan(session, recurrence=None, risk_based=True,
                        frequencies={"unassessed": "FREQ=WEEKLY"})
    assert plans.as_dict(plan)["frequencies"]["unassessed"] == "FREQ=WEEKLY"
    task_generation.generate(session, plan, support.MONDAY, 14, levels)
    assert _due(session, plan.id, low) == [support.MONDAY]  # 低: quarterly
    assert len(_due(session, plan.id, unlisted)) == 3  # 未评估: weekly, as the plan says
    # A selection of 低 assets does not take the unassessed ones, and 未评估 can be chosen.
    chosen = plans.create(session, {**_patrol(), "selection": {
        "collection": "pipelines", "division": "330106", "risk_levels": ["low"]}},
        support.ctx(session, "engineer").by, today=support.MONDAY)
    assert [a[0] for a in plans.selected_assets(session, chosen, levels)] == [low]
    chosen.selection = {**chosen.selection, "risk_levels": ["unassessed"]}
    assert [a[0] for a in plans.selected_assets(session, chosen, levels)] == [unlisted]
    # When the map stops listing the low one, re-planning moves it to the unassessed rule.
    done = task_generation.replan(session, plan, support.MONDAY, 14, {})
    assert done["created"] == 2 and len(_due(session, plan.id, low)) == 3


def _patrol() -> dict[str, object]:
    return {"name": "低风险管线巡查", "template": "gas_pipeline_patrol",
            "recurrence": "FREQ=MONTHLY", "starts_on": support.MONDAY.isoformat(),
            "assignee": "inspector"}
