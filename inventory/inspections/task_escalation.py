"""Late inspection tasks: marked overdue, and each plan's owner told once per task.

The scheduler's nightly check runs both. Each is a few bulk statements with the audit rows
inserted in bulk; the notification's unique key makes a rerun or a second scheduler add
nothing, and e-mail goes out afterwards (``notifications.send_emails``).
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from inventory.inspections.notifications import Notification
from inventory.inspections.plans import InspectionPlan
from inventory.inspections.tasks import AUDIT_COLLECTION, InspectionTask, set_status
from resilience import audit
from resilience.dialects import insert_many, insert_rows_ignoring
from resilience.model import now


def mark_overdue(session: Session, today: date) -> int:
    """Tasks past their close date and not done become overdue (audited); returns how many."""
    t = InspectionTask.__table__.c
    rows = session.execute(select(t.id, t.status, t.division_code)
                           .where(t.status == "due", t.closes_on < today)).all()
    set_status(session, rows, "overdue", reason="past closes_on", action="update")
    return len(rows)


def escalate(session: Session, today: date) -> int:
    """Tell each overdue task's plan owner, once per task (a notification row); returns how many.

    The notification's unique key makes a rerun or a second scheduler add nothing; e-mail is
    sent afterwards by ``notifications.send_emails``.
    """
    t = InspectionTask.__table__.c
    p = InspectionPlan.__table__.c
    rows = session.execute(
        select(t.id, t.division_code, t.asset_collection, t.asset_id, t.asset_name, t.due_on,
               t.closes_on, t.status, p.owner, p.name)
        .join(InspectionPlan.__table__, p.id == t.plan_id)
        .where(t.status == "overdue", t.escalated_at.is_(None), t.closes_on < today)).all()
    if not rows:
        return 0
    at = now()
    notes = [{"username": r.owner, "kind": "task_overdue", "subject_id": r.id,
              "division_code": r.division_code, "created_at": at,
              "params": {"task_id": r.id, "plan": r.name,
                         "asset": r.asset_name or f"{r.asset_collection}/{r.asset_id}",
                         "collection": r.asset_collection, "asset_id": r.asset_id,
                         "due_on": r.due_on.isoformat(), "closes_on": r.closes_on.isoformat()}}
             for r in rows]
    insert_rows_ignoring(session, cast(Table, Notification.__table__), notes)
    ids = [r.id for r in rows]
    for start in range(0, len(ids), 1000):
        session.execute(update(InspectionTask)
                        .where(InspectionTask.id.in_(ids[start:start + 1000]),
                               InspectionTask.escalated_at.is_(None))
                        .values(escalated_at=at))
    insert_many(session, cast(Table, audit.AuditEntry.__table__), [
        {"at": at, "actor": "scheduler", "action": "escalate", "collection": AUDIT_COLLECTION,
         "record_id": r.id, "division_code": r.division_code, "before": None,
         "after": {"escalated_to": r.owner}, "reason": "overdue"} for r in rows])
    return len(rows)
