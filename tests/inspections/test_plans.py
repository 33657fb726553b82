"""Inspection plans: recurrence rules checked, risk-based frequency as data, asset selection."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from inventory.inspections import plans
from inventory.inspections.plans import check_rule, occurrences, rule_for
from resilience import audit
from resilience.errors import Forbidden, InvalidInput
from tests import factories as f
from tests.inspections import support


def test_rrules_are_checked_and_counted_from_the_start() -> None:
    assert check_rule("FREQ=WEEKLY;BYDAY=MO,TH") == []
    assert check_rule("RRULE:FREQ=MONTHLY;BYMONTHDAY=1") == []
    assert check_rule("FREQ=SOMETIMES")[0].code == "invalid_rrule"
    assert check_rule("every monday")[0].code == "invalid_rrule"
    assert check_rule("FREQ=HOURLY")[0].code == "rrule_too_frequent"
    assert check_rule("")[0].code == "required"
    assert check_rule("FREQ=DAILY", "frequencies.major") == []
    days = occurrences("FREQ=WEEKLY;INTERVAL=2", date(2026, 11, 30), date(2026, 12, 1),
                       date(2026, 12, 31))
    assert days == [date(2026, 12, 14), date(2026, 12, 28)]


def test_risk_based_frequency_follows_the_level_and_takes_the_plans_own_table() -> None:
    plan = plans.InspectionPlan(risk_based=True, frequencies={"major": "FREQ=DAILY"})
    assert rule_for(plan, "major") == "FREQ=DAILY"
    assert rule_for(plan, "considerable") == "FREQ=WEEKLY;INTERVAL=2"
    assert rule_for(plan, "general") == "FREQ=MONTHLY"
    assert rule_for(plan, None) == "FREQ=MONTHLY;INTERVAL=3"  # unlisted: low (blue)
    fixed = plans.InspectionPlan(risk_based=False, recurrence="FREQ=WEEKLY")
    assert rule_for(fixed, "major") == "FREQ=WEEKLY"


def test_a_plan_is_stored_audited_and_selects_its_assets(session: Session) -> None:
    gas = support.pipelines(session, 3)
    water = support.pipelines(session, 1, category="water_supply")
    support.pipelines(session, 1, at=f.SHANGCHENG)
    plan = support.plan(session)
    assert plan.id and plan.owner == "engineer" and plan.team_division == "330106"
    assert audit.history(session, plans.AUDIT_COLLECTION, plan.id)[0].action == "create"
    chosen = plans.selected_assets(session, plan, {})
    assert [a[0] for a in chosen] == gas
    assert all(a[1] == "330106" and 120 < a[2] < 121 and 30 < a[3] < 31 for a in chosen)
    plan.selection = {**plan.selection, "risk_levels": ["major"]}
    assert [a[0] for a in plans.selected_assets(
        session, plan, {("pipelines", gas[1]): "major"})] == [gas[1]]
    plan.selection = {"collection": "pipelines", "bbox": [120.079, 30.279, 120.0815, 30.281]}
    assert [a[0] for a in plans.selected_assets(session, plan, {})] == [gas[0], *water]


def test_a_bad_plan_is_refused_with_every_problem(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, recurrence="FREQ=FORTNIGHTLY", assignee="nobody_here",
                     open_days=0, selection={"collection": "roads", "bbox": [1, 2]},
                     template="no_such_list", colour="red", starts_on="next monday")
    fields = {(p.field, p.code) for p in caught.value.problems}
    assert {("recurrence", "invalid_rrule"), ("assignee", "unknown_user"),
            ("open_days", "too_small"), ("selection.collection", "unknown_code"),
            ("selection.bbox", "invalid_bbox"), ("template", "unknown_code"),
            ("colour", "unknown_property"), ("starts_on", "not_a_date")} <= fields


def test_risk_based_plans_take_no_rule_and_check_their_table(session: Session) -> None:
    plan = support.plan(session, recurrence=None, risk_based=True)
    assert plan.recurrence is None and plans.as_dict(plan)["frequencies"]["major"] == "FREQ=WEEKLY"
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, recurrence=None, risk_based=True,
                     frequencies={"purple": "FREQ=DAILY", "major": "FREQ=MINUTELY"})
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("frequencies.purple", "unknown_code"), ("frequencies.major", "rrule_too_frequent")}
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, risk_based=True)  # and a recurrence
    assert caught.value.problems[0].code == "recurrence_or_risk_based"


def test_the_template_must_apply_and_roles_may_not_plan(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, template="shelter_readiness")
    assert caught.value.problems[0].field == "selection.collection"
    with pytest.raises(Forbidden):
        plans.create(session, {"name": "x"}, support.ctx(session, "inspector").by,
                     today=support.MONDAY)
    with pytest.raises(InvalidInput) as caught:
        support.plan(session, assignee=None)
    assert caught.value.problems[0].code == "assignee_or_team"
    team = support.plan(session, assignee=None, team_role="inspector")
    assert team.team_role == "inspector"


def test_the_demo_plans_load_once_with_last_weeks_answers(session: Session) -> None:
    from demo import inspection_plans as demo_plans

    support.pipelines(session, 4)
    today = date(2026, 12, 3)
    first = demo_plans.load(session, today)
    assert first["plans"] >= 3 and first["answered"] >= 1 and first["tasks"] > 0
    again = demo_plans.load(session, today)  # nothing added: plans, tasks, answers are there
    assert again == {"plans": first["plans"], "tasks": 0, "answered": 0, "overdue": 0}
    from sqlalchemy import func, select

    from inventory.inspections.tasks import InspectionSubmission

    assert session.scalar(select(func.count()).select_from(InspectionSubmission)) == \
        first["answered"]
    names = [p.name for p in plans.listing(session)]
    assert len(names) == len(set(names))
    gas = next(p for p in plans.listing(session) if p.template_code == "gas_pipeline_patrol")
    assert gas.assignee == "inspector" and gas.owner == "engineer"
