"""The steps of a hidden hazard's loop: filing it (发现), each transition, its photos.

:func:`report` is idempotent on the phone's ``client_id`` (a retried submission returns the
first hazard). :func:`transition` is the only writer of ``state``: it checks role and order
with the pure rules of :mod:`hazard_flow`, and writes nothing unless every check passes;
then the record, an append-only ``hazard_events`` row and an audit entry go into the
caller's transaction. :func:`attach_photo` adds the before/after photos a step shows, and
the 督办 unit's signed acceptance a supervised hazard's 销号 records (``hazard_acceptances``).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any, cast

from geoalchemy2.shape import to_shape
from shapely.geometry import mapping
from sqlalchemy import Table, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inventory import attachments, service
from inventory.assets import COLLECTIONS
from inventory.inspections import hazard_flow as flow
from inventory.inspections.hazard_acceptance import ACCEPTANCE_FIELDS, HazardAcceptance
from inventory.inspections.hazards import (
    BY_STEP,
    HAZARD_ASSETS,
    HAZARDS,
    Hazard,
    HazardEvent,
    by_client_id,
    facts_of,
    get,
    photos,
    stepping,
    trail,
)
from inventory.service import WriteContext
from inventory.validation import coerce
from resilience import audit
from resilience.accounts import Principal
from resilience.errors import Conflict, InvalidInput, Problem
from resilience.model import now

PHOTO_NOTES = ("before", "after", "acceptance")
# Set when filed (the reporter's grade, a first deadline); afterwards by the loop's steps only.
FILED_WITH = ("grade", "deadline")


def _client_id(raw: Any) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except ValueError as error:
        raise InvalidInput("bad client id", [Problem("client_id", "invalid_value",
                                                     {"value": str(raw)[:40]})]) from error


def _asset_position(session: Session, props: dict[str, Any]) -> dict[str, Any] | None:
    """A point on the named asset (its stored geometry's representative point), or None."""
    name, ident = props.get("asset_collection"), props.get("asset_id")
    spec = COLLECTIONS.get(str(name)) if name in HAZARD_ASSETS else None
    if spec is None or not isinstance(ident, int) or not 0 < ident < 2**31:  # no such key
        return None
    obj = session.get(spec.model, ident)
    if obj is None or obj.geom is None:
        return None
    return dict(mapping(to_shape(obj.geom).representative_point()))


def _asset_exists(session: Session, props: dict[str, Any]) -> list[Problem]:
    name, ident = props.get("asset_collection"), props.get("asset_id")
    if name is None or ident is None or name not in HAZARD_ASSETS:
        return []
    spec = COLLECTIONS.get(name)
    found = spec is not None and isinstance(ident, int) and 0 < ident < 2**31 and session.scalar(
        select(spec.model.id).where(spec.model.id == ident, spec.model.retired_at.is_(None)))
    if not found:
        return [Problem("asset_id", "reference_not_found", {"collection": name, "value": ident})]
    return []


def report(session: Session, values: dict[str, Any], ctx: WriteContext, *,
           client_id: str | None = None) -> Hazard:
    """File a hazard (发现); a retried submission with the same ``client_id`` returns the first.

    ``values`` holds the collection's properties and ``geometry`` (GeoJSON; when absent, a
    point on the named asset), plus ``task_id`` / ``answer_ref`` when an inspection found it.
    """
    props = dict(values)
    geom = props.pop("geometry", None)
    given = props.pop("client_id", None)
    provenance = {k: props.pop(k, None) for k in ("task_id", "answer_ref")}
    filed, problems = _coerce({k: props.pop(k) for k in FILED_WITH
                               if props.get(k) not in (None, "")}, ctx.today or date.today())
    cid = _client_id(client_id or given) if (client_id or given) else None
    if cid is not None:
        existing = by_client_id(session, cid)
        if existing is not None:
            ctx.by.require_read(existing.division_code)
            return existing
    HAZARDS.require_edit(ctx.by)
    problems += _asset_exists(session, props)
    if geom is None and not problems:  # the asset is known to exist: its id is a sane key
        geom = _asset_position(session, props)
    if problems:
        raise InvalidInput("invalid hazard", problems)
    body = {"type": "Feature", "geometry": geom, "properties": props}
    try:
        with session.begin_nested():
            hazard: Hazard = service.create(session, HAZARDS.name, body, ctx)
            extra = {"client_id": cid, "task_id": _int_or_none(provenance["task_id"]),
                     "answer_ref": None if provenance["answer_ref"] is None
                     else str(provenance["answer_ref"])[:64], **filed}
            if any(v is not None for v in extra.values()):
                # Set with the row it belongs to; no second version: it is one creation.
                session.execute(update(cast(Table, Hazard.__table__))
                                .where(Hazard.id == hazard.id).values(**extra))
                session.refresh(hazard)
    except IntegrityError:  # another submission of the same client id won the race
        existing = by_client_id(session, cid) if cid is not None else None
        if existing is None:
            raise
        return existing
    return hazard


def _int_or_none(raw: Any) -> int | None:
    try:
        return None if raw is None else int(raw)
    except (TypeError, ValueError) as error:
        raise InvalidInput("bad task id", [Problem("task_id", "not_an_integer",
                                                   {"value": str(raw)[:40]})]) from error


def _coerce(given: dict[str, Any], today: date) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, raw in given.items():
        spec = HAZARDS.field(name) or ACCEPTANCE_FIELDS.get(name)
        if spec is None:
            values[name] = raw.strip() if isinstance(raw, str) else raw
            continue
        value, problem = coerce(spec, raw, today)
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = value
    return values, problems


def transition(session: Session, hazard_id: int, action: str, ctx: WriteContext,
               **fields: Any) -> Hazard:
    """Take one step of the loop: role and order checked, trail row and audit entry written.

    ``fields`` are the step's own values (五落实 when rectifying, ``reason`` when a review
    fails, ``supervising_unit`` and ``supervision_deadline`` for 挂牌督办, ``grade`` and
    ``reason`` for 重新定级, ``deadline`` and ``reason`` for 延期, the 督办 unit's acceptance
    for a supervised hazard's 销号), ``note``, and ``attachments`` (ids of this hazard's
    photos the step shows; default: those not yet shown by an earlier step). Nothing is
    written unless every check passes.
    """
    hazard = get(session, hazard_id, ctx.by)
    today = ctx.today or date.today()
    attachment_ids = fields.pop("attachments", None)
    given = {k: v for k, v in fields.items() if v is not None and v != ""}
    values, problems = _coerce(given, today)
    linked = _photos_for_step(session, hazard, attachment_ids, problems)
    current = {name: getattr(hazard, name) for name in flow.FIVE_FIXES}
    current.update({k: v for k, v in values.items() if k in flow.FIVE_FIXES})
    files = photos(session, hazard.id)
    stored = facts_of(session, hazard)
    facts = replace(stored, values=current, after_photos=sum(1 for a in files if a.note == "after"))
    try:
        target = flow.check(action, ctx.by.role, facts, values, ctx.by.username)
    except InvalidInput as error:  # a value that did not parse is named as such, not "missing"
        named = {p.field for p in problems}
        raise InvalidInput("invalid step", problems + [
            p for p in error.problems if p.field not in named]) from None
    document = values.get("acceptance_attachment")
    if document is not None and document not in {a.id for a in files}:
        problems.append(Problem("acceptance_attachment", "reference_not_found",
                                {"collection": "attachments", "value": document}))
    if problems:
        raise InvalidInput("invalid step", problems)
    before = service.snapshot(HAZARDS, hazard)
    step = flow.TRANSITIONS[action]
    with stepping(hazard.id):
        for name in step.fields:
            if name in values:
                setattr(hazard, name, values[name])
        if action == "supervise":
            hazard.supervised = True
        if action == "fail_review":
            hazard.review_failures = (hazard.review_failures or 0) + 1
        hazard.state = target
        hazard.closed_at = now() if target == flow.CLOSED else None
        hazard.updated_at, hazard.updated_by = now(), ctx.by.username
        service._flush(session, hazard)  # a concurrent step on the same hazard: StaleVersion
    after = service.snapshot(HAZARDS, hazard)
    changes = {k: v for k, v in audit.changed(before, after).items()
               if k not in ("version", "updated_at", "updated_by")}
    event = HazardEvent(hazard_id=hazard.id, division_code=hazard.division_code,
                        action=action, from_state=before["state"], to_state=target,
                        by=ctx.by.username, at=now(), note=values.get("note"),
                        reason=values.get("reason"), attachment_ids=linked or None,
                        changes=changes or None)
    session.add(event)
    if document is not None:
        session.flush()  # the trail row's id
        session.add(HazardAcceptance(
            hazard_id=hazard.id, event_id=event.id, division_code=hazard.division_code,
            supervising_unit=hazard.supervising_unit, accepted_by=values["acceptance_by"],
            accepted_on=values["acceptance_on"], opinion=values["acceptance_opinion"],
            attachment_id=document, recorded_by=ctx.by.username, recorded_at=now()))
    audit.record(session, actor=ctx.by.username, action=action[:16], collection=HAZARDS.name,
                 record_id=hazard.id, division_code=hazard.division_code, before=before,
                 after=after, reason=values.get("reason"), job_id=ctx.job_id)
    session.flush()
    return hazard


def check_edit(hazard: Hazard, props: Any, today: date) -> None:
    """Refuse a plain edit (PATCH, PUT) of a closed hazard, or one giving a field the loop's
    steps set (grade, deadline, state, the 督办 fields…) a new value: a Conflict naming each
    field and the step that sets it. The value it already has may be sent back (a GET's body).
    """
    if hazard.state == flow.CLOSED:
        raise Conflict("closed", [Problem("state", "hazard_closed", {"value": hazard.id})])
    if not isinstance(props, dict):
        return
    problems = []
    for name, step in BY_STEP.items():
        if name not in props:
            continue
        spec = HAZARDS.field(name)
        value, problem = coerce(spec, props[name], today) if spec is not None \
            else (props[name], None)
        current = getattr(hazard, name)
        if problem is None and value == current:
            continue
        shown = current.isoformat() if isinstance(current, date) else current
        problems.append(Problem(name, "state_by_transition" if name == "state" else
                                "field_by_step", {"value": props[name], "current": shown,
                                                  "step": step}))
    if problems:
        raise Conflict("set by the loop's steps only", problems)


def _photos_for_step(session: Session, hazard: Hazard, ids: Any, problems: list[Problem]
                     ) -> list[int]:
    """The photos a step shows: the ids given (this hazard's own), else those not yet shown."""
    mine = {a.id for a in photos(session, hazard.id)}
    if ids is not None:
        if not isinstance(ids, list) or any(not isinstance(i, int) for i in ids):
            problems.append(Problem("attachments", "not_integers", {}))
            return []
        problems += [Problem("attachments", "reference_not_found",
                             {"collection": "attachments", "value": i}) for i in ids
                     if i not in mine]
        return [i for i in ids if i in mine]
    shown: set[int] = set()
    for ev in trail(session, hazard.id):
        shown |= set(ev.attachment_ids or [])
    return sorted(mine - shown)


def attach_photo(session: Session, store: attachments.Store, hazard_id: int, filename: str,
                 stream: Any, by: Principal, *, side: str, max_bytes: int = attachments.MAX_BYTES
                 ) -> attachments.Attachment:
    """A photo of the hazard before or after the fix, or the 督办 unit's signed acceptance
    (``side="acceptance"``: a photo or a PDF); type sniffed, size checked."""
    if side not in PHOTO_NOTES:
        raise InvalidInput("bad side", [Problem("note", "unknown_code",
                                                {"value": side, "allowed": list(PHOTO_NOTES)})])
    hazard = get(session, hazard_id, by)
    if hazard.state == flow.CLOSED:
        raise Conflict("closed", [Problem("state", "hazard_closed", {"value": hazard_id})])
    item = attachments.add(session, store, HAZARDS.name, hazard.id, filename, stream, by,
                           note=side, max_bytes=max_bytes)
    document = side == "acceptance" and item.content_type == "application/pdf"
    if not document and (not item.content_type.startswith("image/") or "dwg" in item.content_type
                         or "dxf" in item.content_type):
        raise InvalidInput("not a photo", [Problem("file", "attachment_type", {
            "value": item.content_type, "allowed": [".jpg", ".png", ".webp", ".gif"]
            + ([".pdf"] if side == "acceptance" else [])})])
    return item
