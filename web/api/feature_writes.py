"""OGC API – Features Part 4 over the registry's collections: create, replace, update, retire,
restore, and each feature's history; a thin adapter over ``inventory.service``.

Every write answers with the feature as stored and its new ETag; a stale ``If-Match`` is 412.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from inventory import service
from resilience import audit
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
from web.session import db, unit

bp = Blueprint("feature_writes", __name__)


@bp.post("/api/collections/<name>/items")
@signed_in
def create(name: str) -> Response:
    """Add a feature (OGC API Part 4): 201 with Location and ETag."""
    principal = caller()
    check_csrf()
    spec = service.writable(name)
    body = body_in_storage_crs(read_body())
    with unit() as s:
        obj = service.create(s, spec.name, body, write_context(principal))
    return written(spec, obj, 201)


@bp.put("/api/collections/<name>/items/<key>")
@signed_in
def replace(name: str, key: str) -> Response:
    """Replace a feature; a stale If-Match gets 412."""
    principal = caller()
    check_csrf()
    spec = service.writable(name)
    body = body_in_storage_crs(read_body())
    with unit() as s:
        obj = service.replace(s, spec.name, key_of(spec, key), body, write_context(principal),
                              expected_version=if_match())
    return written(spec, obj, 200)


@bp.patch("/api/collections/<name>/items/<key>")
@signed_in
def update(name: str, key: str) -> Response:
    """Merge-patch a feature's properties or geometry."""
    principal = caller()
    check_csrf()
    spec = service.writable(name)
    body = body_in_storage_crs(read_body())
    with unit() as s:
        obj = service.patch(s, spec.name, key_of(spec, key), body, write_context(principal),
                            expected_version=if_match())
    return written(spec, obj, 200)


@bp.delete("/api/collections/<name>/items/<key>")
@signed_in
def retire(name: str, key: str) -> Response:
    """Retire a feature (hidden, restorable): 204."""
    principal = caller()
    check_csrf()
    spec = service.writable(name)
    reason = request.args.get("reason")
    with unit() as s:
        service.retire(s, spec.name, key_of(spec, key), write_context(principal), reason=reason,
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
