"""The hazard indicators of a past year read each hazard as it stood then (issue 14 item 5).

Before: 按期整改销号率 and 道路塌陷隐患点数量 read today's deadline and withdrawal, so a 延期
approved this year took a hazard that was overdue at the end of last year out of last year's
figures ("none due"), and an entry withdrawn this year vanished from a year in which it was
live. The hazards here go through the loop over HTTP; only their first days are moved back a
year, as if they had been filed then.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from inventory.inspections import hazards
from resilience.divisions import Division
from risk.healthcheck import indicators
from risk.healthcheck.scope import Scope
from tests.inspections.test_hazard_integrity import graded
from tests.inspections.test_hazards_api import file, step

THIS = datetime.now(UTC).year
LAST = THIS - 1


def backdate(session: Session, key: int, found: date, deadline: date | None = None) -> None:
    """File the hazard (and the steps it has had so far) in March of last year."""
    moment = datetime(found.year, found.month, found.day, 2, tzinfo=UTC)
    values: dict[str, Any] = {"found_at": moment}
    if deadline is not None:
        values["deadline"] = deadline
    session.execute(update(hazards.Hazard.__table__).where(
        hazards.Hazard.__table__.c.id == key).values(**values))
    session.execute(update(hazards.HazardEvent.__table__).where(
        hazards.HazardEvent.__table__.c.hazard_id == key).values(at=moment))
    session.commit()


def last_year(session: Session) -> dict[str, indicators.Value]:
    division = session.get(Division, "330106")
    assert division is not None
    return indicators.hazards(Scope(session, division, LAST, {}, today=date(THIS, 12, 31)))


def test_a_later_extension_and_withdrawal_do_not_rewrite_last_year(
        client: Any, auth: Any, session: Session) -> None:
    late = graded(client, auth, grade="general", deadline=f"{THIS}-12-31")
    backdate(session, late, date(LAST, 3, 1), deadline=date(LAST, 10, 1))
    withdrawn = int(file(client, auth, category="road_collapse").get_json()["id"])
    backdate(session, withdrawn, date(LAST, 3, 5))
    before = last_year(session)
    assert before["hazards_closed_on_time"].detail == {"due": 1, "on_time": 0, "late": 1}
    assert before["road_collapse_hazards"].value == 1.0
    assert before["hazards_found"].value == 2.0

    # This year: the overdue hazard is given until the end of this year (延期); the road
    # collapse report is withdrawn as a duplicate.
    extended = step(client, auth, "manager", late, "extend", deadline=f"{THIS}-12-31",
                    reason="雨季无法开挖")
    assert extended.status_code == 200, extended.get_json()
    hazard = session.get(hazards.Hazard, withdrawn)
    assert hazard is not None
    hazard.retired_at, hazard.retired_reason, hazard.updated_by = (
        datetime.now(UTC), "重复上报", "admin")
    session.commit()
    session.expire_all()
    assert session.get(hazards.Hazard, late).deadline == date(THIS, 12, 31)

    after = last_year(session)
    assert after["hazards_closed_on_time"].detail == {"due": 1, "on_time": 0, "late": 1}
    assert after["hazards_closed_on_time"].value == 0.0
    assert after["road_collapse_hazards"].value == 1.0  # live, and open, at the end of last year
    assert after["hazards_found"].value == 2.0
    this_year = indicators.hazards(Scope(session, session.get(Division, "330106"), THIS, {},
                                         today=date(THIS, 12, 31)))
    assert this_year["road_collapse_hazards"].value == 0.0  # withdrawn now
