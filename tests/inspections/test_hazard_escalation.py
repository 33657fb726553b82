"""Overdue hidden hazards are escalated once to the emergency managers who see them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections import hazard_escalation, hazard_steps, hazards
from inventory.inspections.notifications import Notification
from inventory.service import WriteContext
from resilience import accounts
from tests import factories as f


def ctx(session: Session, username: str) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, username)))


def test_an_overdue_hazard_is_escalated_once_and_noted_in_the_trail(session: Session) -> None:
    late = hazard_steps.report(session, {"category": "leakage", "description": "渗漏",
                                         "geometry": f.point()}, ctx(session, "inspector"))
    hazard_steps.transition(session, late.id, "register", ctx(session, "engineer"),
                            deadline="2020-03-01")
    on_time = hazard_steps.report(session, {"category": "leakage", "description": "渗漏",
                                            "geometry": f.point()}, ctx(session, "inspector"))
    hazard_steps.transition(session, on_time.id, "register", ctx(session, "engineer"),
                            deadline="2099-03-01")
    assert hazard_escalation.escalate_overdue(session, date.today()) == 1  # the city's manager
    again = hazard_escalation.escalate_overdue(session, date.today())  # a rerun, a second scheduler
    assert again == 0
    notes = list(session.scalars(select(Notification).where(Notification.kind == "hazard_overdue")))
    assert [(n.username, n.subject_id) for n in notes] == [("manager", late.id)]
    assert notes[0].params["deadline"] == "2020-03-01"
    assert [e.action for e in hazards.trail(session, late.id)] == ["report", "register",
                                                                   "escalate"]
    assert [e.action for e in hazards.trail(session, on_time.id)] == ["report", "register"]


def test_a_missed_extension_is_escalated_again(session: Session) -> None:
    """Before: the notification was unique per hazard and person, so once escalated, a 延期
    that passed in its turn told nobody. Now each missed due day is told once."""
    late = hazard_steps.report(session, {"category": "leakage", "description": "渗漏",
                                         "geometry": f.point()}, ctx(session, "inspector"))
    hazard_steps.transition(session, late.id, "register", ctx(session, "engineer"),
                            deadline="2020-03-01")
    hazard_steps.transition(session, late.id, "grade", ctx(session, "engineer"), grade="general")
    assert hazard_escalation.escalate_overdue(session, date.today()) == 1
    hazard_steps.transition(session, late.id, "extend", ctx(session, "manager"),
                            deadline="2020-06-30", reason="雨季无法开挖")
    assert hazard_escalation.escalate_overdue(session, date.today()) == 1  # missed again
    assert hazard_escalation.escalate_overdue(session, date.today()) == 0  # a rerun
    notes = list(session.scalars(select(Notification).where(
        Notification.kind == "hazard_overdue").order_by(Notification.id)))
    assert [(n.username, n.occasion, n.params["deadline"]) for n in notes] == [
        ("manager", "2020-03-01", "2020-03-01"), ("manager", "2020-06-30", "2020-06-30")]
    assert [e.action for e in hazards.trail(session, late.id)] == [
        "report", "register", "grade", "escalate", "extend", "escalate"]
