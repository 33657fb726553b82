"""What the status page says about one asset besides its risk: open hazards, open inspections.

Gathers the counts the colour rules read (``status_rules.Facts``) and the rows the page
lists. Risk levels are handed in by the caller: inventory does not read the risk maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections import hazards as hazard_records
from inventory.inspections.hazard_flow import REGISTERED, REPORTED
from inventory.inspections.hazards import Hazard
from inventory.inspections.status_rules import Facts
from inventory.inspections.tasks import OPEN, InspectionTask
from resilience.accounts import Principal

MAX_LISTED = 50


@dataclass(frozen=True)
class AssetStatus:
    """The facts for the colour rules and the hazards and tasks the page lists."""

    facts: Facts
    hazards: list[Hazard]
    tasks: list[InspectionTask]


def open_tasks(session: Session, collection: str, asset_id: int, today: date
               ) -> list[InspectionTask]:
    """The asset's inspections open today (due or overdue), overdue and earliest first."""
    t = InspectionTask
    return list(session.scalars(
        select(t).where(t.asset_collection == collection, t.asset_id == asset_id,
                        t.status.in_(OPEN), t.opens_on <= today)
        .order_by(t.status.desc(), t.closes_on, t.id).limit(MAX_LISTED)))


def asset_status(session: Session, collection: str, asset_id: int, by: Principal, today: date,
                 *, four_level: str | None = None, five_level: str | None = None) -> AssetStatus:
    """The asset's open hazards and inspections, counted for the colour rules."""
    found = hazard_records.find(session, by, open_only=True, asset=(collection, asset_id),
                                limit=MAX_LISTED)
    tasks = open_tasks(session, collection, asset_id, today)
    facts = Facts(
        four_level=four_level, five_level=five_level,
        open_hazards=len(found),
        # A report not yet graded weighs at most 一般 (DOMAIN.md §10): 重大 once graded.
        open_major_hazards=sum(1 for h in found if h.grade == "major"
                               and h.state not in (REPORTED, REGISTERED)),
        supervised_hazards=sum(1 for h in found if h.supervised),
        overdue_hazards=sum(1 for h in found if h.is_overdue(today)),
        overdue_tasks=sum(1 for t in tasks if t.status == "overdue" or t.closes_on < today),
        open_tasks=len(tasks))
    return AssetStatus(facts, found, tasks)
