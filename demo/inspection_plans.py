"""The demo's inspection plans and a few days of tasks for the demo inspector (西湖区 330106).

Four plans a district would run — a weekly gas patrol of one neighbourhood, flood points
checked on the first of each month, shelters on the first of each month, manhole covers every Wednesday by the
district's inspectors as a team — started two weeks back, with last week's gas visits
answered (so a re-inspection shows the previous answers) and the rest open or overdue.
Idempotent: plans are found by name, tasks by their key, answers by their client id.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.inspections import (
    checklists,
    plans,
    presets,
    task_escalation,
    task_generation,
    task_submission,
    tasks,
)
from inventory.inspections.plans import InspectionPlan
from inventory.inspections.tasks import InspectionTask
from resilience import accounts
from resilience.divisions import division_prefix
from resilience.spatial import point_on_surface

DIVISION = "330106"
INSPECTOR = "inspector"
OWNER = "engineer"
HORIZON_DAYS = 14
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "resilience-demo-inspections")


def _centre(session: Session, collection: str, kind_field: str, kind: str
            ) -> tuple[float, float] | None:
    """A point at the lowest-id asset of that kind in the division (a stable neighbourhood)."""
    table = COLLECTIONS[collection].model.__table__
    point = point_on_surface(table.c.geom)
    row = session.execute(select(func.ST_X(point), func.ST_Y(point))
                          .where(table.c.division_code.startswith(division_prefix(DIVISION)),
                                 table.c[kind_field] == kind, table.c.retired_at.is_(None))
                          .order_by(table.c.id).limit(1)).first()
    return (float(row[0]), float(row[1])) if row is not None else None


def _definitions(session: Session, starts_on: date) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    gas = _centre(session, "pipelines", "category", "gas")
    if gas is not None:
        x, y = gas
        out.append({"name": "西湖区燃气管线周巡（示范片区）", "template": "gas_pipeline_patrol",
                    "selection": {"collection": "pipelines", "division": DIVISION,
                                  "types": ["gas"], "bbox": [x - 0.003, y - 0.002,
                                                             x + 0.003, y + 0.002]},
                    "recurrence": "FREQ=WEEKLY", "open_days": 3})
    out.append({"name": "西湖区易涝点汛前检查（每月1日）", "template": "drainage_pre_flood",
                "selection": {"collection": "flood-points", "division": DIVISION},
                "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1", "open_days": 10})
    out.append({"name": "西湖区应急避难场所月检（每月1日）", "template": "shelter_readiness",
                "selection": {"collection": "shelters", "division": DIVISION},
                "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1", "open_days": 7})
    cover = _centre(session, "network-points", "kind", "manhole")
    if cover is not None:
        x, y = cover
        out.append({"name": "西湖区窨井盖周三巡查（班组）", "template": "manhole_covers",
                    "selection": {"collection": "network-points", "division": DIVISION,
                                  "types": ["manhole"], "bbox": [x - 0.0015, y - 0.001,
                                                                 x + 0.0015, y + 0.001]},
                    "recurrence": "FREQ=WEEKLY;BYDAY=WE", "open_days": 2,
                    "team_role": "inspector"})
    for d in out:
        d.setdefault("assignee", None if "team_role" in d else INSPECTOR)
        d["starts_on"] = starts_on.isoformat()
        d["owner"] = OWNER
        if d["assignee"] is None:
            d.pop("assignee")
    return out


def good_answers(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers with no defect for a checklist (the demo's routine visits)."""
    answers: dict[str, Any] = {}
    for item in items:
        kind = item["kind"]
        if kind == "yes_no":
            answers[item["code"]] = not item.get("defect_when", False)
        elif kind == "number":
            lo = item.get("ok_min", item.get("min"))
            answers[item["code"]] = lo if lo is not None else 0
        elif kind == "choice":
            answers[item["code"]] = next(o["code"] for o in item["options"] if not o.get("defect"))
        elif kind == "photo" and item.get("required"):
            answers[item["code"]] = ["demo-photo.jpg"]
    return answers


def load(session: Session, today: date | None = None) -> dict[str, int]:
    """Plans, last week's answered visits and the coming two weeks' tasks (idempotent)."""
    today = today or datetime.now(ZoneInfo("Asia/Shanghai")).date()
    presets.ensure_presets(session)
    engineer = accounts.principal_of(accounts.get_user(session, OWNER))
    have = {p.name: p for p in session.scalars(select(InspectionPlan))}
    made = []
    for values in _definitions(session, today - timedelta(days=14)):
        plan = have.get(values["name"]) or plans.create(session, values, engineer, today=today)
        made.append(plan)
    created = 0
    for plan in made:
        created += task_generation.generate(session, plan, today - timedelta(days=7), 6, {})
    answered = _answer_last_week(session, made[0], today) if made else 0
    for plan in made:
        created += task_generation.generate(session, plan, today, HORIZON_DAYS, {})
    overdue = task_escalation.mark_overdue(session, today)
    session.flush()
    return {"plans": len(made), "tasks": created, "answered": answered, "overdue": overdue}


def _answer_last_week(session: Session, plan: InspectionPlan, today: date) -> int:
    """Answer most of the first plan's visits of last week, as the inspector did on the day."""
    from inventory.service import WriteContext

    inspector = accounts.principal_of(accounts.get_user(session, INSPECTOR))
    ctx = WriteContext(by=inspector)
    rows = list(session.scalars(select(InspectionTask)
                                .where(InspectionTask.plan_id == plan.id,
                                       InspectionTask.due_on < today - timedelta(days=3),
                                       InspectionTask.status.in_(tasks.OPEN))
                                .order_by(InspectionTask.id)))
    done = 0
    for task in rows[: max(len(rows) - 2, 0)]:  # two left undone: they show as overdue
        template = checklists.get(session, task.template_id)
        cid = str(uuid.uuid5(NAMESPACE, f"{task.plan_id}/{task.asset_id}/{task.due_on}"))
        position = [task.lon, task.lat] if task.lon is not None else None
        sub, created = task_submission.submit(session, task.id, good_answers(template.items), position, ctx,
                                              client_id=cid)
        if created:  # answered on the day it was due, mid-morning
            on_the_day = datetime.combine(task.due_on, time(10, 0), ZoneInfo("Asia/Shanghai"))
            sub.at = on_the_day
            session.execute(update(InspectionTask).where(InspectionTask.id == task.id)
                            .values(done_at=on_the_day))
        done += 1
    return done
