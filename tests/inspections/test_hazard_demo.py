"""The demo city holds a handful of hidden hazards at several steps of their loop, once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import city as demo
from demo import hidden_hazards as demo_hazards
from inventory.inspections import hazards


def test_the_demo_has_hazards_at_several_steps_and_loads_them_once(session: Session) -> None:
    demo.load(session, segments=400)
    found = list(session.scalars(select(hazards.Hazard).order_by(hazards.Hazard.id)))
    assert len(found) == 5
    assert {h.state for h in found} == {"reported", "registered", "graded", "rectifying"}
    major = [h for h in found if h.grade == "major"]
    assert len(major) == 1 and major[0].supervised and major[0].supervising_unit
    overdue = hazards.overdue(session, date.today())
    assert [h.name for h in overdue] == ["古墩路路面塌陷"]
    assert all(h.asset_id is not None and h.client_id for h in found)
    assert all(len(hazards.trail(session, h.id)) >= 1 for h in found)
    assert demo_hazards.load(session) == 0
    demo.load(session, segments=400)
    assert len(list(session.scalars(select(hazards.Hazard)))) == 5
