"""Hidden hazards past their due day, escalated: the emergency managers told once per due day.

Due is the earlier of the deadline and the 督办 deadline (``hazards.due_on``).

The scheduler's nightly check runs it. Being overdue is derived, not a state (DOMAIN.md §4),
so escalating changes no state: it adds notification rows (their unique key makes a rerun or
a second scheduler add nothing) and a 逾期督促 row in each hazard's trail.
"""

from __future__ import annotations

from datetime import date
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from inventory.inspections.hazard_wording import title
from inventory.inspections.hazards import HazardEvent, overdue
from inventory.inspections.notifications import Notification
from resilience import accounts
from resilience.dialects import insert_ignoring
from resilience.model import now


def escalate_overdue(session: Session, today: date) -> int:
    """Tell the emergency managers who see each overdue hazard (admins when none does), once
    per hazard, person and due day: a notification row (e-mailed by
    ``notifications.send_emails``) and a 逾期督促 row in the trail. A 延期 that passes in its
    turn is told again; a rerun or a second scheduler adds nothing (the notification's unique
    key). Returns how many notifications are new.
    """
    late = overdue(session, today)
    if not late:
        return 0
    people = [accounts.principal_of(u) for u in session.scalars(
        select(accounts.User).where(accounts.User.active.is_(True),
                                    accounts.User.role.in_(("emergency_manager", "admin"))))]
    table = cast(Table, Notification.__table__)
    new = 0
    for hazard in late:
        who = [p.username for p in people if p.role == "emergency_manager"
               and p.sees(hazard.division_code)] or [p.username for p in people if p.is_admin and p.everywhere]
        due = hazard.due
        rows = [{"username": name, "kind": "hazard_overdue", "subject_id": hazard.id,
                 "occasion": due.isoformat() if due else "",
                 "division_code": hazard.division_code, "created_at": now(),
                 "params": {"hazard_id": hazard.id, "hazard": title(hazard.name,
                                                                    hazard.description),
                            "deadline": due.isoformat() if due else "", "grade": hazard.grade,
                            "state": hazard.state}} for name in sorted(who)]
        if not rows:
            continue
        told = [r.username for r in session.execute(
            insert_ignoring(session, table).returning(table.c.username), rows)]
        if told:
            new += len(told)
            session.add(HazardEvent(hazard_id=hazard.id, division_code=hazard.division_code,
                                    action="escalate", from_state=hazard.state,
                                    to_state=hazard.state, by="scheduler", at=now(),
                                    note=", ".join(sorted(told)),
                                    changes={"deadline": hazard.deadline.isoformat()
                                             if hazard.deadline else None,
                                             "due": due.isoformat() if due else None}))
    session.flush()
    return new
