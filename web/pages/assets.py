"""The asset page: every attribute, the geometry on a map, what is connected, the history.

Thin: values come from the repository (as the API serves them), the history from the audit
trail, and retire/restore go through the same service as the API.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from inventory import attachments, repository, service
from inventory.assets import CollectionSpec, FieldSpec
from resilience import audit
from resilience.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, Problem
from resilience.messages import describe
from web.auth import caller, signed_in
from web.extensions import csrf, select_locale
from web.session import attachment_store, db, settings, unit

bp = Blueprint("assets", __name__)

HIDDEN = {"created_at", "updated_at", "created_by", "updated_by", "version", "retired_at",
          "retired_by", "retired_reason"}


def action_label(action: str) -> str:
    """An audit action in the page's language."""
    return {"create": _("created"), "update": _("changed"), "retire": _("retired"),
            "restore": _("restored"), "attach": _("file attached"),
            "detach": _("file removed")}.get(action, action)


def _label(field: FieldSpec | None, name: str, locale: str) -> str:
    return field.label(locale) if field is not None else name


def display(field: FieldSpec | None, value: Any, locale: str) -> dict[str, Any]:
    """A value as the page shows it: a code's label (and CJJ 61 colour), lists joined."""
    if value is None or value == "" or value == []:
        return {"text": "—", "empty": True}
    if field is not None and field.codes is not None and not isinstance(value, list):
        code = field.codes.get(str(value))
        if code is not None:
            return {"text": code.label(locale), "code": str(value), "colour": code.colour}
    if isinstance(value, bool):
        return {"text": _("yes") if value else _("no")}
    if isinstance(value, list):
        return {"text": ", ".join(str(v) for v in value)}
    if isinstance(value, dict):  # a published map's explanation
        return {"text": json.dumps(value, ensure_ascii=False)}
    if isinstance(value, float):
        return {"text": f"{value:,.3f}".rstrip("0").rstrip(".")}
    return {"text": str(value)}


def _record(spec: CollectionSpec, key: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The record's properties and geometry as the API serves them (whatever its division)."""
    row = repository.one(db(), spec, caller(), key)
    raw_props, geometry = row._mapping["properties"], row._mapping["geometry"]
    props = json.loads(raw_props) if isinstance(raw_props, str) else dict(raw_props)
    if isinstance(geometry, str):
        geometry = json.loads(geometry)
    props.setdefault("division_code", row._mapping.get("division_code"))
    if "retired_at" in spec.model.__table__.c:
        obj = service.get_record(db(), spec, key)
        props.update(retired_at=obj.retired_at, retired_reason=obj.retired_reason)
    extra = repository.derived(db(), spec, [key]).get(key, {})
    props.update(extra)
    return props, geometry


def _history(spec: CollectionSpec, key: int, locale: str) -> list[dict[str, Any]]:
    """Each audit entry, newest first, with the fields it changed as before → after."""
    out = []
    for entry in reversed(audit.history(db(), spec.name, key)):
        diff = audit.changed(entry.before, entry.after)
        rows = []
        for name, (before, after) in diff.items():
            if name in HIDDEN:
                continue
            field = spec.field(name)
            if name == "geometry":
                rows.append({"label": _("Geometry"), "before": {"text": _("moved") if before else "—"},
                             "after": {"text": _("new position") if after else "—"}})
                continue
            rows.append({"label": _label(field, name, locale), "before": display(field, before, locale),
                         "after": display(field, after, locale)})
        out.append({"id": entry.id, "at": entry.at, "actor": entry.actor, "action": entry.action,
                    "reason": entry.reason, "job_id": entry.job_id, "changes": rows})
    return out


def _connected(spec: CollectionSpec, props: dict[str, Any]) -> list[dict[str, Any]]:
    """Links to what the record is tied to: a segment's points, a point's segments, a cabin's lines."""
    links: list[dict[str, Any]] = []
    if spec.name == "pipelines":
        for name in ("start_point_id", "end_point_id"):
            if props.get(name):
                links.append({"label": _label(spec.field(name), name, select_locale()),
                              "collection": "network-points", "ids": [props[name]]})
        if props.get("cabin_id"):
            links.append({"label": _label(spec.field("cabin_id"), "cabin_id", select_locale()),
                          "collection": None, "ids": [props["cabin_id"]]})
    elif spec.name == "network-points" and props.get("segment_ids"):
        links.append({"label": _label(spec.field("segment_ids"), "segment_ids", select_locale()),
                      "collection": "pipelines", "ids": props["segment_ids"]})
    return links


@bp.get("/collections/<name>/items/<int:key>")
@signed_in
def asset_page(name: str, key: int) -> Any:
    """One asset: attributes, map, connections, children, history; retire and restore."""
    principal = caller()
    try:
        spec = service.collection(name)
    except NotFound:
        abort(404)
    props, geometry = _record(spec, key)
    if not principal.sees(props.get("division_code")):
        raise Forbidden("outside your divisions",
                        [Problem("division_code", "division_not_granted",
                                 {"value": props.get("division_code")})])
    locale = select_locale()
    fields = [{"name": f.name, "label": f.label(locale), "value": display(f, props.get(f.name), locale)}
              for f in spec.fields if f.name not in HIDDEN]
    children = {c.name: {"title": c.zh if locale.startswith("zh") else c.en,
                         "columns": [(f.name, f.label(locale)) for f in c.fields],
                         "fields": {f.name: f for f in c.fields},
                         "items": props.get(c.name) or []} for c in spec.children}
    editable = spec.editable_by(principal) and principal.sees(props.get("division_code"))
    can_attach = editable  # photos of a risk point: whoever may edit it may attach them
    return render_template(
        "asset.html", spec=spec, key=key, props=props, fields=fields, children=children,
        title=spec.title(locale), geometry=geometry, history=_history(spec, key, locale),
        connected=_connected(spec, props), editable=editable, can_attach=can_attach,
        display=display, locale=locale,
        action_label=action_label,
        retired=props.get("retired_at") is not None, notice=request.args.get("done"),
        attachments=attachments.of_record(db(), spec.name, key),
        max_attachment_mb=settings().max_attachment_bytes // (1024 * 1024),
        error=request.args.get("error"))


@bp.post("/collections/<name>/items/<int:key>/retire")
@signed_in
def retire(name: str, key: int) -> Response:
    """Retire with a reason (hidden from lists and maps; restorable)."""
    return _change(name, key, "retire")


@bp.post("/collections/<name>/items/<int:key>/restore")
@signed_in
def restore(name: str, key: int) -> Response:
    """Bring a retired asset back as it was."""
    return _change(name, key, "restore")


def _change(name: str, key: int, action: str) -> Response:
    principal = caller()
    csrf.protect()
    spec = service.writable(name)
    ctx = service.WriteContext(by=principal, extent=None)
    reason = (request.form.get("reason") or "").strip() or None
    try:
        with unit() as s:
            if action == "retire":
                if reason is None:
                    raise InvalidInput("reason needed", [Problem("reason", "required", {})])
                service.retire(s, spec.name, key, ctx, reason=reason[:200])
            else:
                service.restore(s, spec.name, key, ctx)
    except InvalidInput as error:
        message = "; ".join(describe(p, select_locale()) for p in error.problems)
        return redirect(url_for("assets.asset_page", name=name, key=key,  # type: ignore[return-value]
                                error=message))
    return redirect(url_for("assets.asset_page", name=name, key=key,  # type: ignore[return-value]
                            done=action))


@bp.post("/collections/<name>/items/<int:key>/attachments")
@signed_in
def attach(name: str, key: int) -> Response:
    """Attach a photo, drawing or document (type read from its bytes, size limited)."""
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024  # the form around it
    principal = caller()
    csrf.protect()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("no file", [Problem("file", "required", {})])
        with unit() as s:
            attachments.add(s, attachment_store(), name, key, upload.filename, upload.stream, principal,
                            note=request.form.get("note"), max_bytes=settings().max_attachment_bytes)
    except (InvalidInput, PayloadTooLarge) as error:
        message = "; ".join(describe(p, select_locale()) for p in error.problems)
        return redirect(url_for("assets.asset_page", name=name, key=key,  # type: ignore[return-value]
                                error=message) + "#attachments-title")
    return redirect(url_for("assets.asset_page", name=name, key=key,  # type: ignore[return-value]
                            done="attach") + "#attachments-title")


@bp.get("/attachments/<int:attachment_id>")
@signed_in
def attachment_file(attachment_id: int) -> Response:
    """The attached file, shown in the browser when it is an image or a PDF."""
    principal = caller()
    item = attachments.get(db(), attachment_id, principal)
    stream = attachment_store().open(item.sha256)
    if stream is None:
        abort(404)
    inline = item.content_type.startswith("image/") and "dwg" not in item.content_type \
        or item.content_type == "application/pdf"
    resp = send_file(stream, mimetype=item.content_type, as_attachment=not inline,
                     download_name=item.filename, max_age=3600, etag=item.sha256)
    resp.headers["Cache-Control"] = "private, max-age=3600"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return resp


@bp.post("/attachments/<int:attachment_id>/delete")
@signed_in
def detach(attachment_id: int) -> Response:
    """Remove an attachment (audited)."""
    principal = caller()
    csrf.protect()
    with unit() as s:
        item = attachments.get(s, attachment_id, principal)
        name, key = item.collection, item.record_id
        attachments.remove(s, attachment_store(), attachment_id, principal)
    return redirect(url_for("assets.asset_page", name=name, key=key,  # type: ignore[return-value]
                            done="detach") + "#attachments-title")
