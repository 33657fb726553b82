"""Hidden hazards over HTTP: a thin adapter over ``inventory.inspections.hazards``.

The collection is served by the generic features API; creating one goes through
:func:`hazard_steps.report` here (a retried POST with the same ``client_id`` answers with the
first record). A PATCH or PUT may not change the state, grade, deadline or 督办 fields
(409 ``state_by_transition`` / ``field_by_step`` naming the field and the step that sets it:
``POST /api/hazards/{id}/transitions``), nor touch a closed hazard (409 ``hazard_closed``).
``GET /api/hazards`` lists with the derived ``due`` day and ``overdue`` flag and filter,
``/trail`` gives the append-only steps and the 督办 unit's acceptance, ``/photos`` takes
before/after photos and the acceptance document, ``/api/hazards/major-report`` is the
period's 重大隐患 report (its XLSX is the page ``/hazards/major-report.xlsx``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, request, url_for

from inventory import service
from inventory.inspections import hazard_acceptance, hazard_report, hazard_steps, hazards
from inventory.inspections import hazard_flow as flow
from resilience import clock
from resilience.accounts import Principal
from resilience.errors import InvalidInput, Problem
from web.api.features import written
from web.api.protocol import (
    body_in_storage_crs,
    check_csrf,
    if_match,
    json_response,
    key_of,
    read_body,
    write_context,
)
from web.auth import caller, roles, signed_in
from web.errors import BadRequest, locale
from web.hazard_views import RETIRING_ROLES, event_json, retire_refused
from web.session import attachment_store, db, public_url_for, settings, unit

bp = Blueprint("hazards_api", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NAME = hazards.HAZARDS.name
LIST_MAX = 1000


def as_json(hazard: hazards.Hazard, principal: Principal, today: date) -> dict[str, Any]:
    """A hazard as the API and the pages' scripts see it, with what the user may do next."""
    snap = service.snapshot(hazards.HAZARDS, hazard)
    geometry = snap.pop("geometry")
    facts = hazards.facts_of(db(), hazard)
    due = hazard.due
    return {"id": hazard.id, "type": "Feature", "geometry": geometry,
            "properties": {**snap, "due": due.isoformat() if due else None,
                           "overdue": hazard.is_overdue(today)},
            "allowed_actions": flow.allowed(principal.role, facts, principal.username)
            if principal.sees(hazard.division_code) else [],
            "links": [{"rel": "self", "href": url_for("features.item", name=NAME, key=hazard.id,
                                                      _external=True)},
                      {"rel": "trail", "href": url_for("hazards_api.trail_of",
                                                       hazard_id=hazard.id, _external=True)}]}


@bp.post("/api/collections/hazards/items")
@signed_in
def create() -> Response:
    """File a hazard (发现): 201 with Location; the same ``client_id`` again answers 200."""
    principal = caller()
    check_csrf()
    body = body_in_storage_crs(read_body())
    if not isinstance(body, dict) or not isinstance(body.get("properties", {}), dict):
        raise InvalidInput("not a feature", [Problem("body", "not_a_feature", {})])
    values = dict(body.get("properties") or {})
    if "geometry" in body:
        values["geometry"] = body["geometry"]
    extra = [k for k in body if k not in ("type", "id", "geometry", "properties", "bbox",
                                          "links", "crs")]
    if extra:
        raise InvalidInput("not a feature", [Problem(k, "unknown_member", {}) for k in extra])
    cid = values.get("client_id")
    with unit() as s:
        known = hazards.by_client_id(s, hazard_steps._client_id(cid)) if cid else None
        hazard = hazard_steps.report(s, values, write_context(principal))
    resp = written(hazards.HAZARDS, hazard, 200 if known is not None else 201)
    resp.headers["Location"] = url_for("features.item", name=NAME, key=hazard.id, _external=True)
    return resp


@bp.patch("/api/collections/hazards/items/<key>")
@signed_in
def update(key: str) -> Response:
    """Merge-patch descriptive fields; the loop's fields are refused (they move by steps)."""
    return _change(key, "patch")


@bp.put("/api/collections/hazards/items/<key>")
@signed_in
def replace(key: str) -> Response:
    """Replace descriptive fields; the loop's fields are refused (they move by steps)."""
    return _change(key, "replace")


def _change(key: str, how: str) -> Response:
    principal = caller()
    check_csrf()
    ident = key_of(hazards.HAZARDS, key)
    body = body_in_storage_crs(read_body())
    write = service.patch if how == "patch" else service.replace
    with unit() as s:
        hazard = hazards.get(s, ident, principal)
        hazard_steps.check_edit(hazard, body.get("properties") if isinstance(body, dict)
                                else None, clock.today(settings().zone))
        obj = write(s, NAME, ident, body, write_context(principal), expected_version=if_match())
    return written(hazards.HAZARDS, obj, 200)


@bp.delete("/api/collections/hazards/items/<key>")
@roles(*RETIRING_ROLES, why="hazards stay on the books", problem=retire_refused)
def retire(key: str) -> Response:
    """Only an admin retires a hazard (one filed by mistake); the rest stay on the books."""
    principal = caller()
    check_csrf()
    with unit() as s:
        service.retire(s, NAME, key_of(hazards.HAZARDS, key), write_context(principal),
                       reason=request.args.get("reason"), expected_version=if_match())
    return Response(status=204)


@bp.get("/api/hazards")
@signed_in
def listing() -> Response:
    """Hazards the user sees: ``state``, ``grade``, ``division``, ``open``, ``overdue``."""
    principal = caller()
    args = request.args
    for name, codes in (("state", hazards.HAZARD_STATES), ("grade", hazards.HAZARD_GRADES)):
        if args.get(name) and args[name] not in codes:
            raise BadRequest("bad filter", [Problem(name, "unknown_code", {
                "value": args[name], "allowed": codes.values()})])
    try:
        limit = min(max(int(args.get("limit", 200)), 1), LIST_MAX)
        offset = max(int(args.get("offset", 0)), 0)
    except ValueError as error:
        raise BadRequest("bad limit", [Problem("limit", "invalid_limit",
                                               {"max": LIST_MAX})]) from error
    today = clock.today(settings().zone)
    flag = args.get("overdue", "").lower() in ("1", "true", "yes")
    found = hazards.find(db(), principal, state=args.get("state") or None,
                         grade=args.get("grade") or None,
                         open_only=args.get("open", "").lower() in ("1", "true", "yes"),
                         overdue_on=today if flag else None,
                         division=args.get("division") or None, limit=limit, offset=offset)
    return json_response({"hazards": [as_json(h, principal, today) for h in found],
                          "numberReturned": len(found)})


@bp.get("/api/hazards/<int:hazard_id>")
@signed_in
def one(hazard_id: int) -> Response:
    """One hazard with its derived ``overdue`` flag and the steps the user may take."""
    principal = caller()
    return json_response(as_json(hazards.get(db(), hazard_id, principal), principal, clock.today(settings().zone)))


@bp.post("/api/hazards/<int:hazard_id>/transitions")
@signed_in
def transitions(hazard_id: int) -> Response:
    """Take a step of the loop: ``{"action": …, "note", "reason", fields…, "attachments"}``."""
    principal = caller()
    check_csrf()
    body = read_body()
    if not isinstance(body, dict):
        raise InvalidInput("not an object", [Problem("body", "not_an_object", {})])
    fields = dict(body)
    action = fields.pop("action", None)
    if not action:
        raise InvalidInput("no action", [Problem("action", "required", {})])
    with unit() as s:
        hazard = hazard_steps.transition(s, hazard_id, str(action), write_context(principal), **fields)
        out = as_json(hazard, principal, clock.today(settings().zone))
    return json_response(out)


@bp.get("/api/hazards/<int:hazard_id>/trail")
@signed_in
def trail_of(hazard_id: int) -> Response:
    """The append-only steps, oldest first, with the photos each showed."""
    principal = caller()
    session = db()
    hazard = hazards.get(session, hazard_id, principal)
    photos = [{"id": a.id, "side": a.note, "filename": a.filename, "uploaded_by": a.uploaded_by,
               "uploaded_at": a.uploaded_at.isoformat(),
               "href": url_for("assets.attachment_file", attachment_id=a.id, _external=True)}
              for a in hazards.photos(session, hazard.id)]
    accepted = [{"event_id": a.event_id, "supervising_unit": a.supervising_unit,
                 "by": a.accepted_by, "on": a.accepted_on.isoformat(), "opinion": a.opinion,
                 "attachment_id": a.attachment_id, "recorded_by": a.recorded_by}
                for a in hazard_acceptance.of_hazard(session, hazard.id)]
    return json_response({"id": hazard.id, "state": hazard.state,
                          "events": [event_json(e) for e in hazards.trail(session, hazard.id)],
                          "photos": photos, "acceptances": accepted})


@bp.post("/api/hazards/<int:hazard_id>/photos")
@signed_in
def photo(hazard_id: int) -> Response:
    """A photo before or after the fix (multipart ``file`` and ``side``): 201 with its id."""
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024
    principal = caller()
    check_csrf()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("no file", [Problem("file", "required", {})])
    with unit() as s:
        item = hazard_steps.attach_photo(s, attachment_store(), hazard_id, upload.filename, upload.stream,
                                         principal, side=request.form.get("side", "before"),
                                         max_bytes=settings().max_attachment_bytes)
        out = {"id": item.id, "side": item.note, "filename": item.filename,
               "content_type": item.content_type, "size": item.size}
    return json_response(out, 201)


@bp.get("/api/hazards/major-report")
@signed_in
def major_report() -> Response:
    """The period's graded 重大 hazards the user sees, each with its trail (逐级上报):
    ``period`` (``2026``, ``2026-Q1``, ``2026-03``) or ``from``/``to``; this quarter by default."""
    principal = caller()
    args = request.args
    today = clock.today(settings().zone)
    period = hazard_report.parse_period(args.get("period"), args.get("from"), args.get("to"),
                                        today)
    data = hazard_report.report(
        db(), principal, period, settings().zone, today,
        lambda i: public_url_for("hazards.detail_page", hazard_id=i), locale().startswith("zh"))
    data["links"] = [{"rel": "alternate", "type": XLSX, "href": url_for(
        "hazards.major_report_xlsx", **{"from": period.start.isoformat(),
                                        "to": period.end.isoformat()}, _external=True)}]
    return json_response(data)
