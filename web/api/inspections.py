"""Inspections over HTTP: checklist templates, plans, tasks and submissions; a thin adapter.

``GET /api/inspections/templates`` (newest version of each; ``all=1`` every version) ·
``POST`` a new version (admin, engineer) → 201 ·
``GET /api/inspections/plans`` · ``POST`` (admin, engineer, emergency manager) → 201; a bad
RRULE is a 400 naming ``recurrence`` ·
``GET /api/inspections/tasks?assignee=me&status=due|overdue|done&division=…&near=lon,lat
&day=YYYY-MM-DD&limit=&offset=`` — open tasks from their opening day (today's by default),
nearest first with ``distance_m`` when ``near`` is given ·
``GET /api/inspections/tasks/{id}`` → ``{"task", "template" (its items), "asset",
"last_answers", "submission"}`` ·
``POST /api/inspections/tasks/{id}`` ``{"client_id", "answers", "position": [lon, lat]}`` →
201 with the submission, 200 with the same body for a retry of the same ``client_id``; 422
with ``answers.<item>`` problems; 403 when not the assignee or team; 409 when cancelled or
already done. The JSON of a task and a submission is in ``inventory.inspections.tasks``.
``GET /api/inspections/notifications`` the caller's unread ones (overdue tasks escalated to a
plan's owner) · ``POST …/notifications/read`` ``{"ids": [...]}``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, request, url_for

from inventory import COLLECTIONS
from inventory.inspections import checklists, plans, presets, task_submission, tasks
from inventory.service import WriteContext
from resilience.errors import Forbidden, InvalidInput, Problem
from web.api.protocol import check_csrf, json_response
from web.auth import caller, roles, signed_in
from web.errors import BadRequest, locale
from web.session import db, settings, unit

bp = Blueprint("inspections_api", __name__)

TEMPLATE_ROLES = ("admin", "engineer")
MAX_LIMIT = 500
STATUS_ARGS = {"due": ("due",), "overdue": ("overdue",), "done": ("done",), "open": tasks.OPEN,
               "cancelled": ("cancelled",)}


def today() -> date:
    """The city's local date (tasks fall due on local days)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", [Problem("body", "not_an_object", {})])
    return body


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"invalid {name}", [Problem(name, "not_an_integer", {"value": raw})]) \
            from None
    if not low <= value <= high:
        code, key = ("too_small", "min") if value < low else ("too_large", "max")
        raise BadRequest(f"invalid {name}", [Problem(name, code, {"value": value,
                                                                  key: low if key == "min" else high})])
    return value


# -- templates ---------------------------------------------------------------------------------

@bp.get("/api/inspections/templates")
@signed_in
def template_list() -> Response:
    """Checklist templates: the newest version of each (``all=1``: every version)."""
    rows = checklists.listing(db(), all_versions=request.args.get("all") in ("1", "true"))
    if not rows:
        with unit() as s:
            presets.ensure_presets(s)
        rows = checklists.listing(db(), all_versions=request.args.get("all") in ("1", "true"))
    return json_response({"templates": [checklists.as_dict(r) for r in rows]})


@bp.get("/api/inspections/templates/<int:template_id>")
@signed_in
def template_one(template_id: int) -> Response:
    """One template version, with its items."""
    return json_response(checklists.as_dict(checklists.get(db(), template_id)))


@bp.post("/api/inspections/templates")
@roles(*TEMPLATE_ROLES, why="role may not edit checklists")
def template_save() -> Response:
    """A new version of a template (version 1 for a new code): admins and engineers."""
    principal = caller()
    check_csrf()
    body = _body()
    with unit() as s:
        row = checklists.save_version(s, body, by=principal.username,
                                      collections=tuple(plans.TYPE_FIELDS))
        saved = checklists.as_dict(row)
    resp = json_response(saved, 201)
    resp.headers["Location"] = url_for("inspections_api.template_one", template_id=saved["id"],
                                       _external=True)
    return resp


# -- plans -------------------------------------------------------------------------------------

@bp.get("/api/inspections/plans")
@signed_in
def plan_list() -> Response:
    """The plans the user sees."""
    principal = caller()
    rows = [p for p in plans.listing(db()) if plans.visible(principal, p)]
    return json_response({"plans": [plans.as_dict(p) for p in rows]})


@bp.get("/api/inspections/plans/<int:plan_id>")
@signed_in
def plan_one(plan_id: int) -> Response:
    """One plan."""
    principal = caller()
    plan = plans.get(db(), plan_id)
    if not plans.visible(principal, plan):
        raise Forbidden("division not granted")
    return json_response(plans.as_dict(plan))


@bp.post("/api/inspections/plans")
@signed_in
def plan_create() -> Response:
    """A new plan → 201; a request that cannot make one is a 400 naming each field."""
    principal = caller()
    check_csrf()
    body = _body()
    try:
        with unit() as s:
            presets.ensure_presets(s)
            plan = plans.create(s, body, principal, today=today())
            saved = plans.as_dict(plan)
    except InvalidInput as error:
        raise BadRequest(error.message, error.problems) from error
    resp = json_response(saved, 201)
    resp.headers["Location"] = url_for("inspections_api.plan_one", plan_id=saved["id"],
                                       _external=True)
    return resp


# -- tasks -------------------------------------------------------------------------------------

def _near() -> tuple[float, float] | None:
    raw = request.args.get("near")
    if not raw:
        return None
    try:
        lon, lat = (float(v) for v in raw.split(","))
    except ValueError:
        raise BadRequest("invalid near", [Problem("near", "not_a_position", {"value": raw})]) \
            from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise BadRequest("invalid near", [Problem("near", "not_a_position", {"value": raw})])
    return lon, lat


def _query() -> tasks.TaskQuery:
    assignee = request.args.get("assignee")
    if assignee not in (None, "", "me", "any"):
        raise BadRequest("invalid assignee", [Problem("assignee", "unknown_code",
                                                      {"value": assignee,
                                                       "allowed": ["me", "any"]})])
    status = request.args.get("status") or "open"
    if status not in STATUS_ARGS:
        raise BadRequest("invalid status", [Problem("status", "unknown_code",
                                                    {"value": status,
                                                     "allowed": list(STATUS_ARGS)})])
    raw_day = request.args.get("day")
    try:
        day = date.fromisoformat(raw_day) if raw_day else today()
    except ValueError:
        raise BadRequest("invalid day", [Problem("day", "not_a_date", {"value": raw_day})]) \
            from None
    division = request.args.get("division") or None
    if division is not None and not division.isdigit():
        raise BadRequest("invalid division", [Problem("division", "unknown_division",
                                                      {"value": division})])
    return tasks.TaskQuery(
        mine=assignee == "me", statuses=STATUS_ARGS[status], division=division, near=_near(),
        today=None if request.args.get("upcoming") in ("1", "true") else day,
        limit=_int_arg("limit", 50, 1, MAX_LIMIT), offset=_int_arg("offset", 0, 0, 10_000_000))


def _templates(ids: set[int]) -> dict[int, checklists.ChecklistTemplate]:
    return {i: checklists.get(db(), i) for i in ids}


def _plan_names(ids: set[int]) -> dict[int, str]:
    return {i: plans.get(db(), i).name for i in ids}


@bp.get("/api/inspections/tasks")
@signed_in
def task_list() -> Response:
    """Tasks the user sees: open ones from their opening day, soonest to close (or nearest) first."""
    principal = caller()
    q = _query()
    rows, distances = tasks.listing(db(), principal, q)
    templates = _templates({r.template_id for r in rows})
    names = _plan_names({r.plan_id for r in rows})
    body: dict[str, Any] = {
        "tasks": [tasks.as_dict(r, plan_name=names[r.plan_id], template=templates[r.template_id],
                                distance=distances.get(r.id)) for r in rows],
        "limit": q.limit, "offset": q.offset, "day": q.today.isoformat() if q.today else None,
    }
    if len(rows) == q.limit:
        args = {**request.args.to_dict(), "offset": q.offset + q.limit}
        body["next"] = url_for("inspections_api.task_list", **args)
    return json_response(body)


def _asset(task: tasks.InspectionTask) -> dict[str, Any]:
    spec = COLLECTIONS.get(task.asset_collection)
    obj = db().get(spec.model, task.asset_id) if spec is not None else None
    body: dict[str, Any] = {"collection": task.asset_collection, "id": task.asset_id,
                            "name": task.asset_name, "division_code": task.division_code,
                            "position": [task.lon, task.lat] if task.lon is not None else None,
                            "href": url_for("features.item", name=task.asset_collection,
                                            key=str(task.asset_id))}
    if obj is not None:
        body["name"] = obj.name
        body["retired"] = obj.retired_at is not None
    return body


@bp.get("/api/inspections/tasks/<int:task_id>")
@signed_in
def task_one(task_id: int) -> Response:
    """A task, its template's items, the asset, the asset's last answers and its submission."""
    principal = caller()
    task = tasks.get(db(), task_id)
    principal.require_read(task.division_code)
    template = checklists.get(db(), task.template_id)
    sub = tasks.submission_of(db(), task.id)
    return json_response({
        "task": tasks.as_dict(task, plan_name=plans.get(db(), task.plan_id).name,
                              template=template, submission_id=sub.id if sub else None),
        "template": checklists.as_dict(template),
        "asset": _asset(task),
        "last_answers": tasks.last_answers(db(), task.asset_collection, task.asset_id,
                                           before_task=task.id),
        "submission": tasks.submission_dict(sub) if sub else None,
        "may_submit": tasks.may_submit(principal, task) and task.status in tasks.OPEN,
    })


@bp.post("/api/inspections/tasks/<int:task_id>")
@signed_in
def task_submit(task_id: int) -> Response:
    """Submit a task's answers: 201 the first time, 200 with the same body for a retry."""
    principal = caller()
    check_csrf()
    body = _body()
    unknown = sorted(set(body) - {"client_id", "answers", "position"})
    if unknown:
        raise InvalidInput("unknown members", [Problem(k, "unknown_property") for k in unknown])
    ctx = WriteContext(by=principal, extent=settings().extent, today=today())
    with unit() as s:
        sub, created = task_submission.submit(s, task_id, body.get("answers"), body.get("position"), ctx,
                                              client_id=body.get("client_id"))  # type: ignore[arg-type]
        saved = tasks.submission_dict(sub)
    return json_response(saved, 201 if created else 200)


# -- notifications -----------------------------------------------------------------------------

@bp.get("/api/inspections/notifications")
@signed_in
def notification_list() -> Response:
    """The caller's unread notifications (overdue tasks of plans they own), newest first."""
    from inventory.inspections import notifications

    principal = caller()
    rows = notifications.unread(db(), principal.username)
    loc = locale()
    return json_response({"notifications": [
        {"id": n.id, "kind": n.kind, "subject_id": n.subject_id,
         "division_code": n.division_code, "text": notifications.text_of(n, loc),
         "params": n.params, "created_at": n.created_at.isoformat()} for n in rows]})


@bp.post("/api/inspections/notifications/read")
@signed_in
def notification_read() -> Response:
    """Mark the caller's notifications read: ``{"ids": [...]}`` → how many changed."""
    from inventory.inspections import notifications

    principal = caller()
    check_csrf()
    ids = _body().get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool)
                                            for i in ids):
        raise BadRequest("ids must be integers", [Problem("ids", "not_integers", {})])
    ids = [i for i in ids if 0 < i < 2**31]  # beyond a 32-bit key: no notification, as unknown
    with unit() as s:
        changed = notifications.mark_read(s, principal.username, ids)
    return json_response({"read": changed})
