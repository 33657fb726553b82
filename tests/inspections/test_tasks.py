"""Inspection tasks: generated once per key, missed ones once, submitted once, audited."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.inspections import checklists, task_escalation, task_generation, task_submission, tasks
from inventory.inspections.notifications import Notification
from inventory.inspections.tasks import InspectionSubmission, InspectionTask
from resilience import audit
from resilience.errors import Conflict, Forbidden, InvalidInput
from tests.inspections import support

MONDAY = support.MONDAY
GOOD = {"markers": "good", "occupation": False, "third_party_works": False, "lel": 0,
        "gas_smell": False, "valve_well_water": False, "valve_corrosion": False,
        "regulator": "none", "ground_subsidence": False}


def _tasks(session: Session, plan_id: int) -> list[InspectionTask]:
    return list(session.scalars(select(InspectionTask).where(InspectionTask.plan_id == plan_id)
                                .order_by(InspectionTask.asset_id, InspectionTask.due_on)))


def test_generation_creates_each_occurrence_once(session: Session) -> None:
    ids = support.pipelines(session, 3)
    plan = support.plan(session)
    created = task_generation.generate(session, plan, MONDAY, 14, {})
    rows = _tasks(session, plan.id)
    assert created == len(rows) == 9  # 3 assets × Mondays 30 Nov, 7 Dec, 14 Dec
    assert {r.due_on for r in rows} == {MONDAY + timedelta(days=d) for d in (0, 7, 14)}
    first = rows[0]
    assert (first.asset_id, first.opens_on, first.closes_on) == (ids[0], MONDAY,
                                                                MONDAY + timedelta(days=2))
    assert first.assignee == "inspector" and first.status == "due" and first.asset_name == "测试管0"
    template = checklists.latest(session, "gas_pipeline_patrol")
    assert first.template_id == template.id
    assert plan.generated_through == MONDAY + timedelta(days=14)
    assert task_generation.generate(session, plan, MONDAY, 14, {}) == 0
    assert task_generation.generate(session, plan, MONDAY + timedelta(days=1), 14, {}) == 0
    assert len(_tasks(session, plan.id)) == 9


def test_a_task_keeps_its_template_version(session: Session) -> None:
    support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 0, {})
    old = _tasks(session, plan.id)[0]
    values = {k: v for k, v in checklists.as_dict(checklists.latest(session, "gas_pipeline_patrol"))
              .items() if k in ("code", "name_zh", "name_en", "applies_to", "items")}
    values["items"] = values["items"][:3]
    v2 = checklists.save_version(session, values, by="engineer")
    task_generation.generate(session, plan, MONDAY + timedelta(days=7), 0, {})
    new = _tasks(session, plan.id)[-1]
    assert old.template_id != v2.id and new.template_id == v2.id


def test_after_a_long_downtime_the_missed_visit_is_recorded_once(session: Session) -> None:
    support.pipelines(session, 2)
    plan = support.plan(session, recurrence="FREQ=DAILY", open_days=1)
    task_generation.generate(session, plan, MONDAY, 1, {})  # up to Tuesday
    back = MONDAY + timedelta(days=9)  # nine days down
    created = task_generation.generate(session, plan, back, 1, {})
    dates = sorted({r.due_on for r in _tasks(session, plan.id)})
    # Mon, Tue from before; the latest missed day (the day before we came back), today, tomorrow
    assert dates == [MONDAY, MONDAY + timedelta(days=1), back - timedelta(days=1), back,
                     back + timedelta(days=1)]
    assert created == 2 * 3
    missed = [r for r in _tasks(session, plan.id) if r.due_on == back - timedelta(days=1)]
    assert {r.status for r in missed} == {"overdue"}
    assert task_generation.generate(session, plan, back, 1, {}) == 0


def test_overdue_tasks_are_marked_and_escalated_once(session: Session) -> None:
    support.pipelines(session, 2)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 0, {})
    later = MONDAY + timedelta(days=3)  # closes_on was Wednesday
    assert task_escalation.mark_overdue(session, later) == 2
    assert task_escalation.mark_overdue(session, later) == 0
    assert task_escalation.escalate(session, later) == 2
    assert task_escalation.escalate(session, later + timedelta(days=1)) == 0
    notes = list(session.scalars(select(Notification).where(Notification.username == "engineer")))
    assert len(notes) == 2 and notes[0].kind == "task_overdue"
    row = _tasks(session, plan.id)[0]
    trail = [e.action for e in audit.history(session, tasks.AUDIT_COLLECTION, row.id)]
    assert trail == ["update", "escalate"]


def _submit(session: Session, task_id: int, answers: dict, *, user: str = "inspector",
            client_id: str | None = None, position: list[float] | None = None):
    return task_submission.submit(session, task_id, answers, position or [120.0801, 30.2801],
                                  support.ctx(session, user), client_id=client_id or str(uuid.uuid4()))


def test_submitting_answers_closes_the_task_once(session: Session) -> None:
    support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 0, {})
    task = _tasks(session, plan.id)[0]
    cid = str(uuid.uuid4())
    sub, created = _submit(session, task.id, GOOD, client_id=cid)
    assert created and sub.defects == [] and sub.hazard_ids == []
    session.refresh(task)
    assert task.status == "done" and task.done_by == "inspector" and task.done_lon == 120.0801
    again, created = _submit(session, task.id, {"nonsense": 1}, client_id=cid)
    assert not created and again.id == sub.id
    assert session.scalar(select(func.count()).select_from(InspectionSubmission)
                          .where(InspectionSubmission.task_id == task.id)) == 1
    with pytest.raises(Conflict):
        _submit(session, task.id, GOOD)  # another submission for a task already done
    with pytest.raises(Conflict):
        _submit(session, task.id + 999, GOOD, client_id=cid)  # the id belongs to another task
    assert audit.history(session, tasks.AUDIT_COLLECTION, task.id)[-1].after["status"] == "done"


def test_bad_answers_wrong_people_and_cancelled_tasks_write_nothing(session: Session) -> None:
    support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 7, {})
    first, second = _tasks(session, plan.id)
    with pytest.raises(InvalidInput) as caught:
        _submit(session, first.id, {**GOOD, "lel": 250, "regulator": "purple"},
                position=[200, 30])
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("answers.lel", "too_large"), ("answers.regulator", "unknown_code"),
        ("position", "outside_city")}
    with pytest.raises(Forbidden):
        _submit(session, first.id, GOOD, user="engineer")
    second.status = "cancelled"
    session.flush()
    with pytest.raises(Conflict):
        _submit(session, second.id, GOOD)
    session.refresh(first)
    assert first.status == "due"
    assert session.scalar(select(func.count()).select_from(InspectionSubmission)) == 0


def test_a_defect_files_a_hidden_hazard_once_and_the_answers_show_next_time(
        session: Session) -> None:
    from inventory.inspections import hazards

    (pipe,) = support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 7, {})
    first, second = _tasks(session, plan.id)
    cid = str(uuid.uuid4())
    sub, _ = _submit(session, first.id, {**GOOD, "occupation": True, "lel": 5}, client_id=cid)
    assert sub.defects == ["occupation", "lel"] and len(sub.hazard_ids) == 2
    found = [hazards.Hazard and session.get(hazards.Hazard, i) for i in sub.hazard_ids]
    assert {h.grade for h in found} == {"major"}
    assert {h.category for h in found} == {"occupation", "leakage"}
    assert all(h.asset_collection == "pipelines" and h.asset_id == pipe and h.task_id == first.id
               for h in found)
    again, created = _submit(session, first.id, {**GOOD, "occupation": True}, client_id=cid)
    assert not created and again.hazard_ids == sub.hazard_ids
    last = tasks.last_answers(session, "pipelines", pipe)
    assert last is not None and last["answers"]["lel"] == 5 and last["task_id"] == first.id
    assert last["template_code"] == "gas_pipeline_patrol" and last["items"]
    assert tasks.last_answers(session, "pipelines", pipe, before_task=first.id) is None
    assert second.status == "due"


def test_team_tasks_go_to_any_inspector_of_the_division(session: Session) -> None:
    support.pipelines(session, 1)
    plan = support.plan(session, assignee=None, team_role="inspector")
    task_generation.generate(session, plan, MONDAY, 0, {})
    task = _tasks(session, plan.id)[0]
    assert task.assignee is None and task.team_role == "inspector"
    sub, created = _submit(session, task.id, GOOD)
    assert created and sub.submitted_by == "inspector"


def test_replanning_follows_changed_levels_and_is_idempotent(session: Session) -> None:
    a, b = support.pipelines(session, 2)
    plan = support.plan(session, recurrence=None, risk_based=True)
    low = {}
    task_generation.generate(session, plan, MONDAY, 28, low)
    assert [r.due_on for r in _tasks(session, plan.id)] == [MONDAY, MONDAY]  # quarterly
    raised = {("pipelines", a): "major"}
    today = MONDAY + timedelta(days=1)
    done = task_generation.replan(session, plan, today, 28, raised, run_id=7)
    assert done == {"cancelled": 0, "restored": 0, "created": 4}
    weekly = [r.due_on for r in _tasks(session, plan.id) if r.asset_id == a]
    assert weekly == [MONDAY + timedelta(days=d) for d in (0, 7, 14, 21, 28)]
    assert plan.planned_run_id == 7
    assert task_generation.replan(session, plan, today, 28, raised) == {"cancelled": 0, "restored": 0,
                                                                        "created": 0}
    lowered = task_generation.replan(session, plan, today, 28, low)
    assert lowered["cancelled"] == 4
    statuses = {r.due_on: r.status for r in _tasks(session, plan.id) if r.asset_id == a}
    assert statuses[MONDAY] == "due"  # open today: kept
    assert {statuses[MONDAY + timedelta(days=d)] for d in (7, 14, 21, 28)} == {"cancelled"}
    back = task_generation.replan(session, plan, today, 28, raised)
    assert back == {"cancelled": 0, "restored": 4, "created": 0}
    assert [r.status for r in _tasks(session, plan.id) if r.asset_id == b] == ["due"]


def test_the_list_is_nearest_first_and_filtered(session: Session) -> None:
    support.pipelines(session, 3)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 14, {})
    inspector = support.ctx(session, "inspector").by
    q = tasks.TaskQuery(mine=True, today=MONDAY, near=(120.0841, 30.2801))
    rows, distances = tasks.listing(session, inspector, q)
    assert [r.asset_name for r in rows] == ["测试管2", "测试管1", "测试管0"]
    assert distances[rows[0].id] < distances[rows[1].id] < distances[rows[2].id] < 1000
    everything, _ = tasks.listing(session, inspector, tasks.TaskQuery(mine=True))
    assert len(everything) == 9  # upcoming too when no day is given
    other = support.ctx(session, "engineer_sc").by
    assert tasks.listing(session, other, tasks.TaskQuery())[0] == []
    assert date(2026, 11, 30) == MONDAY


def test_the_photos_of_a_defect_become_the_hazards_before_photos(session: Session) -> None:
    from inventory.attachments import Attachment, of_record

    (pipe,) = support.pipelines(session, 1)
    plan = support.plan(session)
    task_generation.generate(session, plan, MONDAY, 0, {})
    (task,) = _tasks(session, plan.id)
    photo = Attachment(collection="pipelines", record_id=pipe, division_code="330106",
                       filename="occupation.jpg", content_type="image/jpeg", size=2048,
                       sha256="ab" * 32, note=f"task {task.id} · photos", uploaded_by="inspector")
    elsewhere = Attachment(collection="pipelines", record_id=pipe + 1000, division_code="330106",
                           filename="other.jpg", content_type="image/jpeg", size=10,
                           sha256="cd" * 32, uploaded_by="inspector")
    session.add_all([photo, elsewhere])
    session.flush()
    sub, _ = _submit(session, task.id, {**GOOD, "occupation": True,
                                        "photos": [photo.id, elsewhere.id, "local:x"]})
    (hazard_id,) = sub.hazard_ids
    (copied,) = of_record(session, "hazards", hazard_id)
    assert (copied.sha256, copied.note, copied.filename) == ("ab" * 32, "before", "occupation.jpg")
