"""OGC API – Features Part 4 over the registry's collections: create, replace, update, retire,
restore, and each feature's history; a thin adapter over ``inventory.service``.

Every write answers with the feature as stored and its new ETag; a stale ``If-Match`` is 412.
A layer of one geometry family (``inventory.layers``: ``shelters-points``) is written like its
collection, but only with geometries of its family, and only the records it holds: QGIS
editing the points layer can neither turn a shelter's outline into a point nor reach it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from inventory import CollectionSpec, layers, service
from inventory import repository as repo
from resilience import audit
from resilience.accounts import SYSTEM
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
from web.auth import caller, signed_in
from web.session import current_principal, db, unit

bp = Blueprint("feature_writes", __name__)


def _target(name: str, key: str | None = None, body: Any = None) -> tuple[CollectionSpec, Any]:
    """The collection a write goes to through a URL's collection or layer, and the record's
    key; 404 for a record the layer does not hold, 422 for a geometry of another family."""
    part = layers.layer(name)
    spec = service.writable(part.spec.name)
    geometry = body.get("geometry") if isinstance(body, dict) else None
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    # Through the collection's own name, its validation names the types it takes.
    if isinstance(kind, str) and part.id != spec.name and not part.holds(kind):
        raise InvalidInput("geometry of another type than the layer's", [Problem(
            "geometry", "geometry_not_in_layer",
            {"value": kind, "layer": part.id, "expected": part.geometry_type or ""})])
    record = None if key is None else key_of(spec, key)
    if record is not None and part.id != spec.name:
        repo.one(db(), spec, SYSTEM, record, "none", layer=part.id)  # NotFound unless held
    return spec, record


@bp.post("/api/collections/<name>/items")
@signed_in
def create(name: str) -> Response:
    """Add a feature (OGC API Part 4): 201 with Location and ETag."""
    principal = caller()
    check_csrf()
    body = body_in_storage_crs(read_body())
    spec, _ = _target(name, body=body)
    with unit() as s:
        obj = service.create(s, spec.name, body, write_context(principal))
    return written(spec, obj, 201, name)


@bp.put("/api/collections/<name>/items/<key>")
@signed_in
def replace(name: str, key: str) -> Response:
    """Replace a feature; a stale If-Match gets 412."""
    principal = caller()
    check_csrf()
    body = body_in_storage_crs(read_body())
    spec, record = _target(name, key, body)
    with unit() as s:
        obj = service.replace(s, spec.name, record, body, write_context(principal),
                              expected_version=if_match())
    return written(spec, obj, 200, name)


@bp.patch("/api/collections/<name>/items/<key>")
@signed_in
def update(name: str, key: str) -> Response:
    """Merge-patch a feature's properties or geometry."""
    principal = caller()
    check_csrf()
    body = body_in_storage_crs(read_body())
    spec, record = _target(name, key, body)
    with unit() as s:
        obj = service.patch(s, spec.name, record, body, write_context(principal),
                            expected_version=if_match())
    return written(spec, obj, 200, name)


@bp.delete("/api/collections/<name>/items/<key>")
@signed_in
def retire(name: str, key: str) -> Response:
    """Retire a feature (hidden, restorable): 204."""
    principal = caller()
    check_csrf()
    spec, record = _target(name, key)
    reason = request.args.get("reason")
    with unit() as s:
        service.retire(s, spec.name, record, write_context(principal), reason=reason,
                       expected_version=if_match())
    return Response(status=204)


@bp.post("/api/collections/<name>/items/<key>/restore")
@signed_in
def restore(name: str, key: str) -> Response:
    """Restore a retired feature."""
    principal = caller()
    check_csrf()
    spec = service.writable(name)
    with unit() as s:
        obj = service.restore(s, spec.name, key_of(spec, key), write_context(principal))
    return written(spec, obj, 200)


@bp.get("/api/collections/<name>/items/<key>/history")
@signed_in
def history(name: str, key: str) -> Response:
    """Every audit entry of a feature, with what changed."""
    principal = caller()
    spec = service.writable(name)
    session = db()
    obj = service.get_record(session, spec, key_of(spec, key))
    principal.require_read(obj.division_code)
    entries = audit.history(session, spec.name, obj.id)
    return json_response({"id": obj.id, "entries": [
        {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
         "reason": e.reason, "job_id": e.job_id, "changes": audit.changed(e.before, e.after)}
        for e in entries
    ]})


READS = ("GET", "HEAD", "OPTIONS")


def allowed_methods(name: str, one: bool) -> list[str]:
    """What the caller may do at a collection's (or layer's) items or one item: writes only
    for a writable collection and a role that edits it. An editing client (QGIS) reads this to
    decide whether to offer editing, so offering a write that would be refused is a bug."""
    principal = current_principal(optional=True)
    spec = layers.layer(name).spec
    if principal is None or spec.readonly_collection or not spec.editable_by(principal):
        return list(READS)
    return [*READS, *(("PUT", "PATCH", "DELETE") if one else ("POST",))]


@bp.before_app_request
def answer_options() -> Response | None:
    """``OPTIONS`` on items and on an item: ``Allow`` as the collection and the caller's role
    allow (Flask's automatic answer would list every method of the URL's routes)."""
    if request.method != "OPTIONS" or request.endpoint not in ("features.items", "features.item"):
        return None
    args = request.view_args or {}
    methods = allowed_methods(str(args.get("name")), request.endpoint == "features.item")
    resp = Response(status=204)
    resp.headers["Allow"] = ", ".join(methods)
    return resp
