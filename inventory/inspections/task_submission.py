"""Submitting a task's answers from a phone: checked whole, stored once, defects filed as hazards.

A submission carries the id the phone gave it (``client_id``), so a retry after a dropped
connection finds the stored one instead of writing another; the task closes by a conditional
update, so a second phone racing in loses. Each defect answer files a hidden hazard through
``hazard_steps.report`` (the loop of DOMAIN.md §4), with the answer's photos as its 'before'
photos, worded in the record's language with the inspector's remarks copied in
(``hazard_wording.defect_hazard``).
"""

from __future__ import annotations

import math
import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.attachments import Attachment
from inventory.inspections import checklists, hazard_steps, hazard_wording, hazards
from inventory.inspections.tasks import (
    AUDIT_COLLECTION,
    CLIENT_ID_MAX,
    OPEN,
    InspectionSubmission,
    InspectionTask,
    get,
    may_submit,
)
from resilience import audit, divisions
from resilience.accounts import Principal
from resilience.errors import Conflict, Forbidden, InvalidInput, Problem
from resilience.model import now


def _check_position(position: Any, extent: tuple[float, float, float, float] | None
                    ) -> tuple[list[Problem], tuple[float, float] | None]:
    if position is None:
        return [], None
    if (not isinstance(position, list | tuple) or len(position) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       and math.isfinite(v) for v in position)):
        return [Problem("position", "not_a_position", {"value": position})], None
    lon, lat = float(position[0]), float(position[1])
    if extent is not None and not (extent[0] <= lon <= extent[2] and extent[1] <= lat <= extent[3]):
        return [Problem("position", "outside_city", {"value": [lon, lat]})], None
    return [], (lon, lat)


def _stored(session: Session, client_id: str) -> InspectionSubmission | None:
    return session.scalars(select(InspectionSubmission)
                           .where(InspectionSubmission.client_id == client_id)).first()


def submit(session: Session, task_id: int, answers: Any, position: Any, ctx: Any, *,
           client_id: str) -> tuple[InspectionSubmission, bool]:
    """Store a task's answers once; returns (submission, created).

    A retry with the same ``client_id`` returns the stored submission (``created`` False).
    Checks everything before writing: every answer against the task's template version
    (``answers.<item>``), the position; the user must be the assignee or of the team; a
    cancelled task is a Conflict, so is a task already done by another submission. Each
    defect answer files a hidden hazard (``hazard_steps.report``, client id
    ``<client_id>:<item>``).
    """
    principal: Principal = ctx.by
    if not isinstance(client_id, str) or not 8 <= len(client_id) <= CLIENT_ID_MAX:
        raise InvalidInput("invalid client id", [Problem("client_id", "invalid_client_id",
                                                         {"min": 8, "max": CLIENT_ID_MAX})])
    stored = _stored(session, client_id)
    if stored is not None:
        if stored.task_id != task_id:
            raise Conflict("client id used for another task",
                           [Problem("client_id", "client_id_reused", {"value": client_id})])
        return stored, False
    task = get(session, task_id)
    principal.require_read(task.division_code)
    if not may_submit(principal, task):
        raise Forbidden("not this task's assignee or team", role=principal.role)
    if task.status == "cancelled":
        raise Conflict("task cancelled", [Problem("task", "task_cancelled", {"value": task_id})])
    if task.status == "done":
        stored = _stored(session, client_id)  # the same submission, committed meanwhile
        if stored is not None and stored.task_id == task_id:
            return stored, False
        raise Conflict("task already done", [Problem("task", "task_done", {"value": task_id})])
    template = checklists.get(session, task.template_id)
    problems = checklists.check_answers(template.items, answers)
    position_problems, point = _check_position(position, getattr(ctx, "extent", None))
    problems += position_problems
    if problems:
        raise InvalidInput("invalid answers", problems)
    found = checklists.defects(template.items, answers)
    at = now()
    try:
        with session.begin_nested():
            sub = InspectionSubmission(
                task_id=task.id, client_id=client_id, answers=dict(answers),
                defects=[d.item for d in found], hazard_ids=[], lon=point[0] if point else None,
                lat=point[1] if point else None, submitted_by=principal.username, at=at,
                template_id=template.id, template_version=template.version)
            session.add(sub)
            session.flush()
    except IntegrityError:  # the same client id raced in from a second request
        stored = _stored(session, client_id)
        if stored is None:
            raise
        return stored, False
    before = {"status": task.status}
    # Conditional: a second phone's submission racing in loses. (An UPDATE's result is a
    # CursorResult, with a rowcount; Session.execute is typed wider.)
    closed = cast(CursorResult[Any], session.execute(
        update(InspectionTask).where(InspectionTask.id == task.id, InspectionTask.status.in_(OPEN))
        .values(status="done", done_at=at, done_by=principal.username, client_id=client_id,
                done_lon=point[0] if point else None, done_lat=point[1] if point else None)
        .execution_options(synchronize_session="fetch")))
    if not closed.rowcount:
        raise Conflict("task already done", [Problem("task", "task_done", {"value": task_id})])
    hazard_ids = _report_defects(session, task, sub, found, point, ctx)
    sub.hazard_ids = hazard_ids
    audit.record(session, actor=principal.username, action="update",
                 collection=AUDIT_COLLECTION, record_id=task.id,
                 division_code=task.division_code, before=before,
                 after={"status": "done", "submission_id": sub.id, "defects": sub.defects,
                        "hazard_ids": hazard_ids})
    session.flush()
    return sub, True


def _report_defects(session: Session, task: InspectionTask, sub: InspectionSubmission,
                    found: list[checklists.Defect], point: tuple[float, float] | None,
                    ctx: Any) -> list[int]:
    """File one hidden hazard per defect answer, where the inspector stood (else on the asset).

    The hazard's client id is derived from the submission's (a UUID5 of ``<client_id>:<item>``),
    so a retried submission can never file a defect twice.
    """
    if not found:
        return []
    template = checklists.get(session, sub.template_id)
    items = {i["code"]: i for i in template.items}
    zh = _in_chinese(session, task)
    notes = [(i, str(sub.answers[i["code"]])) for i in template.items if i["kind"] == "text"
             and isinstance(sub.answers.get(i["code"]), str) and sub.answers[i["code"]].strip()]
    ids = []
    for d in found:
        category = d.category if d.category and hazards.HAZARD_CATEGORIES.get(d.category) \
            else "other"
        name, description = hazard_wording.defect_hazard(
            items[d.item], d.value, notes, template.name("zh" if zh else "en"), task.id, zh)
        values: dict[str, Any] = {
            "name": name, "category": category, "grade": d.grade, "description": description,
            "asset_collection": task.asset_collection, "asset_id": task.asset_id,
            "division_code": task.division_code, "task_id": task.id,
            "answer_ref": f"{sub.id}:{d.item}",
        }
        if point is not None:
            values["geometry"] = {"type": "Point", "coordinates": list(point)}
        hazard = hazard_steps.report(session, values, ctx,
                                client_id=str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                         f"{sub.client_id}:{d.item}")))
        ids.append(int(hazard.id))
        _photos_to_hazard(session, task, sub, int(hazard.id), hazard.division_code)
    return ids


def _photos_to_hazard(session: Session, task: InspectionTask, sub: InspectionSubmission,
                      hazard_id: int, division_code: str) -> None:
    """The submission's photos (attachments of the asset, by id) also become the hazard's
    'before' photos: new rows over the same stored bytes (the store is content-addressed)."""
    template = checklists.get(session, sub.template_id)
    refs = {r for i in template.items if i["kind"] == "photo"
            for r in sub.answers.get(i["code"]) or [] if isinstance(r, int)}
    if not refs:
        return
    found = session.scalars(select(Attachment).where(
        Attachment.id.in_(refs), Attachment.collection == task.asset_collection,
        Attachment.record_id == task.asset_id))
    for photo in found:
        session.add(Attachment(collection="hazards", record_id=hazard_id,
                               division_code=division_code, filename=photo.filename,
                               content_type=photo.content_type, size=photo.size,
                               sha256=photo.sha256, note="before",
                               uploaded_by=sub.submitted_by))


def _in_chinese(session: Session, task: InspectionTask) -> bool:
    """The record's language: Chinese unless its division and asset are both named otherwise."""
    division = divisions.get(session, task.division_code)
    spec = COLLECTIONS.get(task.asset_collection or "")
    asset = session.get(spec.model, task.asset_id) if spec is not None and task.asset_id else None
    names = [division.name if division is not None else None, getattr(asset, "name", None)]
    return any(hazard_wording.is_chinese(n) for n in names) or not any(names)
