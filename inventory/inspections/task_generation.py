"""Tasks made from plans: the due dates a rule gives, generation, and re-planning on new levels.

Generation is the scheduler's hot path, benchmarked for 100k assets: one selection query, one
read of the existing keys, then the rows in bulk with no ORM object per row
(``insert_rows_ignoring``: COPY through a staging table on PostgreSQL). The tasks' unique key
makes it idempotent, so a rerun or a second scheduler adds nothing. Re-planning follows
changed risk levels (handed in by the caller; inventory never reads the risk maps).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, cast

from sqlalchemy import Table, or_, select, update
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.inspections import checklists, plans
from inventory.inspections.checklists import ChecklistTemplate
from inventory.inspections.plans import InspectionPlan, rule_for, selected_assets
from inventory.inspections.recurrence import UNASSESSED, last_before, occurrences
from inventory.inspections.tasks import InspectionTask, set_status
from resilience.dialects import insert_rows_ignoring
from resilience.model import now


def _names(session: Session, collection: str, ids: list[int]) -> dict[int, str | None]:
    table = COLLECTIONS[collection].model.__table__
    if len(ids) > 2000:  # a whole collection: one scan beats a long IN list
        return dict(session.execute(select(table.c.id, table.c.name)).tuples().all())
    return dict(session.execute(select(table.c.id, table.c.name)
                                .where(table.c.id.in_(ids))).tuples().all())


def wanted_dates(plan: InspectionPlan, rule: str, today: date, horizon_days: int) -> list[date]:
    """The due dates a plan's asset following ``rule`` should have now.

    Every occurrence still open today or ahead within the horizon; of those that closed
    while the scheduler was down (after ``generated_through``), only the latest — missed
    visits are recorded once, not piled up.
    """
    upper = today + timedelta(days=horizon_days)
    still_open_from = max(plan.starts_on, today - timedelta(days=plan.open_days - 1))
    dates = occurrences(rule, plan.starts_on, still_open_from, upper)
    if plan.generated_through is not None and plan.generated_through < still_open_from:
        missed = last_before(rule, plan.starts_on, still_open_from,
                             max(plan.starts_on, plan.generated_through + timedelta(days=1)))
        if missed is not None:
            dates.insert(0, missed)
    return dates


def generate(session: Session, plan: InspectionPlan, today: date, horizon_days: int,
             levels: Mapping[tuple[str, int], str], *, template: ChecklistTemplate | None = None
             ) -> int:
    """Create the plan's missing tasks up to ``today + horizon_days``; returns how many.

    Idempotent by the unique key; fast for 100k assets (one selection query, one read of
    the existing keys, batched inserts with no ORM objects per row).
    """
    if not plan.active:
        return 0
    template = template or checklists.latest(session, plan.template_code)
    assets = selected_assets(session, plan, levels)
    if not assets:
        plan.generated_through = today + timedelta(days=horizon_days)
        return 0
    by_rule: dict[str, list[date]] = {}
    lowest = today
    for collection_id in {rule_for(plan, levels.get((plan.collection, a[0]), UNASSESSED))
                          for a in assets}:
        by_rule[collection_id] = wanted_dates(plan, collection_id, today, horizon_days)
        lowest = min([lowest, *by_rule[collection_id]])
    t = InspectionTask.__table__.c
    existing = set(session.execute(
        select(t.asset_id, t.due_on).where(t.plan_id == plan.id,
                                           t.asset_collection == plan.collection,
                                           t.due_on >= lowest)).tuples())
    names = _names(session, plan.collection, [a[0] for a in assets])
    created = now()
    fixed = {"plan_id": plan.id, "template_id": template.id, "asset_collection": plan.collection,
             "assignee": plan.assignee, "team_role": plan.team_role, "created_at": created}
    collection, span = plan.collection, timedelta(days=plan.open_days - 1)
    rule_of = {level: rule_for(plan, level) for level in plans.PLAN_LEVELS}
    rows: list[dict[str, Any]] = []
    for asset_id, division, lon, lat in assets:
        level = levels.get((collection, asset_id), UNASSESSED)
        rule = rule_of.get(level) or rule_for(plan, level)
        for due in by_rule[rule]:
            if (asset_id, due) in existing:
                continue
            closes = due + span
            rows.append({
                **fixed, "asset_id": asset_id, "asset_name": names.get(asset_id),
                "division_code": division, "lon": lon, "lat": lat, "due_on": due,
                "opens_on": due, "closes_on": closes, "rule": rule,
                "status": "due" if closes >= today else "overdue",
            })
    count = insert_rows_ignoring(session, cast(Table, InspectionTask.__table__), rows)
    through = today + timedelta(days=horizon_days)
    if plan.generated_through is None or plan.generated_through < through:
        plan.generated_through = through
    session.flush()
    return count


def replan(session: Session, plan: InspectionPlan, today: date, horizon_days: int,
           levels: Mapping[tuple[str, int], str], *, run_id: int | None = None) -> dict[str, int]:
    """Follow changed risk levels: cancel future tasks the new frequency no longer has, add
    the ones it has (idempotent: a second call changes nothing)."""
    wanted: dict[int, set[date]] = {}
    rules: dict[int, str] = {}
    dates_by_rule: dict[str, set[date]] = {}
    upper = today + timedelta(days=horizon_days)
    for asset_id, *_ in selected_assets(session, plan, levels):
        rule = rule_for(plan, levels.get((plan.collection, asset_id), UNASSESSED))
        if rule not in dates_by_rule:
            dates_by_rule[rule] = set(occurrences(rule, plan.starts_on, today, upper))
        wanted[asset_id], rules[asset_id] = dates_by_rule[rule], rule
    t = InspectionTask.__table__.c
    future = session.execute(
        select(t.id, t.asset_id, t.due_on, t.status, t.cancelled_reason, t.division_code)
        .where(t.plan_id == plan.id, t.due_on > today,
               or_(t.status == "due", t.cancelled_reason == "replan"))).all()
    cancel = [r for r in future if r.status == "due" and r.due_on not in wanted.get(r.asset_id, ())]
    revive = [r for r in future if r.status == "cancelled" and r.due_on in wanted.get(r.asset_id, ())]
    set_status(session, cancel, "cancelled", reason="replan", action="cancel")
    set_status(session, revive, "due", reason=None, action="restore")
    for r in revive:  # the rule they follow now
        session.execute(update(InspectionTask).where(InspectionTask.id == r.id)
                        .values(rule=rules[r.asset_id]))
    created = generate(session, plan, today, horizon_days, levels)
    if run_id is not None:
        plan.planned_run_id = run_id
    session.flush()
    return {"cancelled": len(cancel), "restored": len(revive), "created": created}
