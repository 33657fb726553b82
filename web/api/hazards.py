"""Hidden hazards over HTTP: a thin adapter over ``inventory.inspections.hazards``.

The collection is served by the generic features API; creating one goes through
:func:`hazards.report` here (a retried POST with the same ``client_id`` answers with the
first record), and a PATCH or PUT may not change the state, which moves only by
``POST /api/hazards/{id}/transitions``. ``GET /api/hazards`` lists with the derived
``overdue`` flag and filter, ``/trail`` gives the append-only steps, ``/photos`` takes
before/after photos.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, request, url_for
from geoalchemy2.shape import to_shape

from inventory import attachments, service
from inventory.inspections import hazard_flow as flow
from inventory.inspections import hazards
from resilience.accounts import Principal
from resilience.errors import Conflict, Forbidden, InvalidInput, Problem
from web.api.features import (
    _body,
    _body_in_storage_crs,
    _check_csrf,
    _ctx,
    _if_match,
    _json,
    _key,
    _written,
)
from web.errors import BadRequest, locale
from web.session import db, require_principal, settings, unit

bp = Blueprint("hazards_api", __name__)
NAME = hazards.HAZARDS.name
LIST_MAX = 1000


def store() -> attachments.Store:
    """Where photos are kept (the settings' attachment store)."""
    s = settings()
    return attachments.store_for(s.attachments_url, s.instance_path, s.s3_endpoint_url or None)


def as_json(hazard: hazards.Hazard, principal: Principal, today: date) -> dict[str, Any]:
    """A hazard as the API and the pages' scripts see it, with what the user may do next."""
    snap = service.snapshot(hazards.HAZARDS, hazard)
    geometry = snap.pop("geometry")
    facts = flow.Facts(hazard.state, hazard.grade)
    return {"id": hazard.id, "type": "Feature", "geometry": geometry,
            "properties": {**snap, "overdue": hazard.is_overdue(today)},
            "allowed_actions": flow.allowed(principal.role, facts)
            if principal.sees(hazard.division_code) else [],
            "links": [{"rel": "self", "href": url_for("api.item", name=NAME, key=hazard.id,
                                                      _external=True)},
                      {"rel": "trail", "href": url_for("hazards_api.trail_of",
                                                       hazard_id=hazard.id, _external=True)}]}


@bp.post("/api/collections/hazards/items")
def create() -> Response:
    """File a hazard (发现): 201 with Location; the same ``client_id`` again answers 200."""
    principal = require_principal()
    _check_csrf()
    body = _body_in_storage_crs(_body())
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
        known = hazards.by_client_id(s, hazards._client_id(cid)) if cid else None
        hazard = hazards.report(s, values, _ctx(principal))
    resp = _written(hazards.HAZARDS, hazard, 200 if known is not None else 201)
    resp.headers["Location"] = url_for("api.item", name=NAME, key=hazard.id, _external=True)
    return resp


def _no_state_change(key: Any, body: Any) -> None:
    props = body.get("properties") if isinstance(body, dict) else None
    if not isinstance(props, dict) or "state" not in props:
        return
    current = hazards.get(db(), key, require_principal()).state
    if props["state"] != current:
        raise Conflict("state moves by transitions", [Problem("state", "state_by_transition", {
            "value": props["state"], "current": current})])


@bp.patch("/api/collections/hazards/items/<key>")
def update(key: str) -> Response:
    """Merge-patch descriptive fields; the state is refused (it moves by transitions)."""
    return _change(key, "patch")


@bp.put("/api/collections/hazards/items/<key>")
def replace(key: str) -> Response:
    """Replace descriptive fields; the state is refused (it moves by transitions)."""
    return _change(key, "replace")


def _change(key: str, how: str) -> Response:
    principal = require_principal()
    _check_csrf()
    ident = _key(hazards.HAZARDS, key)
    body = _body_in_storage_crs(_body())
    _no_state_change(ident, body)
    write = service.patch if how == "patch" else service.replace
    with unit() as s:
        hazards.get(s, ident, principal)
        obj = write(s, NAME, ident, body, _ctx(principal), expected_version=_if_match())
    return _written(hazards.HAZARDS, obj, 200)


@bp.delete("/api/collections/hazards/items/<key>")
def retire(key: str) -> Response:
    """Only an admin retires a hazard (one filed by mistake); the rest stay on the books."""
    principal = require_principal()
    _check_csrf()
    if not principal.is_admin:
        raise Forbidden("hazards stay on the books", [Problem("action", "action_not_for_role", {
            "value": "retire", "role": principal.role, "allowed": ["admin"]})])
    with unit() as s:
        service.retire(s, NAME, _key(hazards.HAZARDS, key), _ctx(principal),
                       reason=request.args.get("reason"), expected_version=_if_match())
    return Response(status=204)


@bp.get("/api/hazards")
def listing() -> Response:
    """Hazards the user sees: ``state``, ``grade``, ``division``, ``open``, ``overdue``."""
    principal = require_principal()
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
    today = date.today()
    flag = args.get("overdue", "").lower() in ("1", "true", "yes")
    found = hazards.find(db(), principal, state=args.get("state") or None,
                         grade=args.get("grade") or None,
                         open_only=args.get("open", "").lower() in ("1", "true", "yes"),
                         overdue_on=today if flag else None,
                         division=args.get("division") or None, limit=limit, offset=offset)
    return _json({"hazards": [as_json(h, principal, today) for h in found],
                  "numberReturned": len(found)})


@bp.get("/api/hazards/<int:hazard_id>")
def one(hazard_id: int) -> Response:
    """One hazard with its derived ``overdue`` flag and the steps the user may take."""
    principal = require_principal()
    return _json(as_json(hazards.get(db(), hazard_id, principal), principal, date.today()))


@bp.post("/api/hazards/<int:hazard_id>/transitions")
def transitions(hazard_id: int) -> Response:
    """Take a step of the loop: ``{"action": …, "note", "reason", fields…, "attachments"}``."""
    principal = require_principal()
    _check_csrf()
    body = _body()
    if not isinstance(body, dict):
        raise InvalidInput("not an object", [Problem("body", "not_an_object", {})])
    fields = dict(body)
    action = fields.pop("action", None)
    if not action:
        raise InvalidInput("no action", [Problem("action", "required", {})])
    with unit() as s:
        hazard = hazards.transition(s, hazard_id, str(action), _ctx(principal), **fields)
        out = as_json(hazard, principal, date.today())
    return _json(out)


def event_json(ev: hazards.HazardEvent, zh: bool | None = None) -> dict[str, Any]:
    """One step of the trail (labelled in the request's language unless told)."""
    zh = locale().startswith("zh") if zh is None else zh
    return {"id": ev.id, "action": ev.action,
            "label": flow.event_label(ev.action, zh), "from": ev.from_state,
            "to": ev.to_state, "by": ev.by, "at": ev.at.isoformat(), "note": ev.note,
            "reason": ev.reason, "attachments": ev.attachment_ids or [],
            "changes": ev.changes or {}}


@bp.get("/api/hazards/<int:hazard_id>/trail")
def trail_of(hazard_id: int) -> Response:
    """The append-only steps, oldest first, with the photos each showed."""
    principal = require_principal()
    session = db()
    hazard = hazards.get(session, hazard_id, principal)
    photos = [{"id": a.id, "side": a.note, "filename": a.filename, "uploaded_by": a.uploaded_by,
               "uploaded_at": a.uploaded_at.isoformat(),
               "href": url_for("assets.attachment_file", attachment_id=a.id, _external=True)}
              for a in hazards.photos(session, hazard.id)]
    return _json({"id": hazard.id, "state": hazard.state,
                  "events": [event_json(e) for e in hazards.trail(session, hazard.id)],
                  "photos": photos})


@bp.post("/api/hazards/<int:hazard_id>/photos")
def photo(hazard_id: int) -> Response:
    """A photo before or after the fix (multipart ``file`` and ``side``): 201 with its id."""
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024
    principal = require_principal()
    _check_csrf()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("no file", [Problem("file", "required", {})])
    with unit() as s:
        item = hazards.attach_photo(s, store(), hazard_id, upload.filename, upload.stream,
                                    principal, side=request.form.get("side", "before"),
                                    max_bytes=settings().max_attachment_bytes)
        out = {"id": item.id, "side": item.note, "filename": item.filename,
               "content_type": item.content_type, "size": item.size}
    return _json(out, 201)


def position(hazard: hazards.Hazard) -> tuple[float, float]:
    """The hazard's lon/lat (for maps on the pages)."""
    geom = to_shape(hazard.geom)
    return float(geom.x), float(geom.y)
