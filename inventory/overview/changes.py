"""The week's changes: audit entries by collection and action, and the newest one by one.

Read from the audit trail, restricted by the same division grants as the records.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from inventory.overview.figures import Change, Overview
from resilience.accounts import Principal
from resilience.audit import AuditEntry
from resilience.divisions import division_prefix, within

LATEST = 20  # changes listed one by one


def changes(session: Session, principal: Principal, code: str | None, out: Overview) -> None:
    """The week's audit entries by collection and action, and the newest few one by one."""
    a = AuditEntry.__table__.c
    conditions: list[ColumnElement[bool]] = [a.at >= out.since]
    if not principal.everywhere:
        conditions.append(within(a.division_code, principal.prefixes))
    if code is not None:
        conditions.append(within(a.division_code, (division_prefix(code),)))
    stmt = select(a.collection, a.action, func.count()).where(*conditions) \
        .group_by(a.collection, a.action)
    for collection, action, n in session.execute(stmt):
        out.changes.setdefault(collection, {})[action] = int(n)
    if not out.changes:
        return
    latest = (select(a.id, a.at, a.actor, a.action, a.collection, a.record_id, a.division_code)
              .where(*conditions).order_by(a.at.desc(), a.id.desc()).limit(LATEST))
    out.latest = [Change(*row) for row in session.execute(latest)]
