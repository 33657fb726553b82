"""A hazard filed from a checklist answer is written in the record's language, with the
inspector's remarks copied in and a title that is never cut mid-word (issue 14, item 3)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections import hazards, task_generation, task_submission
from inventory.inspections.tasks import InspectionTask
from tests.inspections import support

GOOD = {"markers": "good", "occupation": False, "third_party_works": False, "lel": 0,
        "gas_smell": False, "valve_well_water": False, "valve_corrosion": False,
        "regulator": "none", "ground_subsidence": False}
REMARKS = "井盖旁堆放钢管等建材约 20 米，已告知施工单位限期清运"


def test_a_defect_hazard_is_chinese_in_a_chinese_registry_with_the_remarks(
        session: Session) -> None:
    support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, support.MONDAY, 0, {})
    task = session.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan.id)).first()
    assert task is not None
    sub, _ = task_submission.submit(
        session, task.id, {**GOOD, "markers": "damaged", "lel": 5, "remarks": REMARKS},
        [120.0801, 30.2801], support.ctx(session, "inspector"), client_id=str(uuid.uuid4()))
    found = {h.answer_ref.split(":")[1]: h for h in
             (session.get(hazards.Hazard, i) for i in sub.hazard_ids) if h is not None}
    markers, lel = found["markers"], found["lel"]
    assert markers.name == "管线标志桩/警示牌完好：破损/缺失"
    assert lel.name == "可燃气体检测浓度：5 %LEL"
    from inventory.inspections import hazard_wording  # new in issue 14

    for hazard in (markers, lel):
        assert REMARKS in hazard.description
        text = hazard.description.replace("%LEL", "")
        assert not any(c.isascii() and c.isalpha() for c in text), hazard.description
        assert "damaged" not in hazard.description
        assert hazard_wording.title(hazard.name, hazard.description) == hazard.name
