"""Create and edit forms: each problem beside its field, geometry drawn or typed, stale edits merged.

Thin: the form's text goes to the same service as the API (same validation, same messages,
same access rules). An edit carries the version it was opened at; if a colleague saved in
between, the form is merged with the saved record field by field (``edit_merge``, the opened
version read back from the audit trail): what only one of them changed is kept and saved, and
a field both changed differently is shown side by side for a decision, with nothing saved.
"""

from __future__ import annotations

import json
from typing import Any

import shapely
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from shapely.geometry import mapping, shape

from inventory import repository, service
from inventory.assets import CollectionSpec, FieldSpec
from resilience import audit
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, StaleVersion
from resilience.messages import describe
from web.auth import caller, signed_in
from web.extensions import csrf, select_locale
from web.pages.assets import display
from web.pages.edit_merge import LIST_SEPARATORS, Merged, as_text, merge
from web.session import db, settings, unit

bp = Blueprint("edit", __name__)


def editable_fields(spec: CollectionSpec) -> list[FieldSpec]:
    """The fields a person types (read-only and derived ones are the registry's to set)."""
    return [f for f in spec.fields if not f.readonly]


def parse_geometry_text(text: str) -> dict[str, Any] | None:
    """Typed coordinates as GeoJSON: GeoJSON, WKT, or lon,lat pairs one per line (a point or a line).

    Raises InvalidInput naming the geometry field when the text is none of those.
    """
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError as error:
            raise _bad_geometry() from error
        return value.get("geometry", value) if isinstance(value, dict) else None
    try:
        return dict(mapping(shapely.from_wkt(text)))
    except shapely.errors.ShapelyError:
        pass
    pairs = []
    for line in text.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        parts = line.replace("，", ",").replace(",", " ").split()
        try:
            lon, lat = (float(v) for v in parts)
        except ValueError as error:
            raise _bad_geometry() from error
        pairs.append([lon, lat])
    if len(pairs) == 1:
        return {"type": "Point", "coordinates": pairs[0]}
    return {"type": "LineString", "coordinates": pairs}


def _bad_geometry() -> InvalidInput:
    return InvalidInput("bad coordinates", [Problem("geometry", "malformed_geometry",
                                                    {"type": "GeoJSON/WKT/lon,lat"})])


def form_body(spec: CollectionSpec, form: Any) -> dict[str, Any]:
    """The submitted form as a GeoJSON Feature for the service (text is coerced there)."""
    props: dict[str, Any] = {}
    for field in editable_fields(spec):
        raw = (form.get(field.name) or "").strip() if field.kind != "text" else form.get(field.name)
        if raw in (None, ""):
            props[field.name] = None
        elif field.kind in ("str_list", "int_list"):
            for sep in LIST_SEPARATORS[1:]:
                raw = raw.replace(sep, LIST_SEPARATORS[0])
            items = [p.strip() for p in raw.split(LIST_SEPARATORS[0]) if p.strip()]
            props[field.name] = [int(p) if field.kind == "int_list" and p.isdigit() else p
                                 for p in items]
        else:
            props[field.name] = raw
    typed = parse_geometry_text(form.get("coordinates") or "")
    drawn = form.get("geometry") or ""
    geometry = typed if typed is not None else (json.loads(drawn) if drawn.strip() else None)
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _controls(spec: CollectionSpec, values: dict[str, Any], locale: str) -> list[dict[str, Any]]:
    """What the template draws for each field: its input kind, choices and current text."""
    out = []
    for f in editable_fields(spec):
        value = values.get(f.name)
        control: dict[str, Any] = {"name": f.name, "label": f.label(locale), "required": f.required,
                                   "value": value if isinstance(value, str) else as_text(value),
                                   "kind": f.kind}
        if f.codes is not None:
            control["choices"] = [(c.value, c.label(locale)) for c in f.codes.codes]
            if f.kind == "int":
                control["kind"] = "code"
            parent = _parent_field(spec, f)
            if parent is not None and parent.codes is not None:  # 管线小类 grouped by 管线大类
                control["follows"] = parent.name
                control["groups"] = [(p.value, p.label(locale),
                                      [(c.value, c.label(locale)) for c in f.codes.children(p.value)])
                                     for p in parent.codes]
        elif f.kind == "bool":
            control["choices"] = [("true", _("yes")), ("false", _("no"))]
        if f.min is not None:
            control["min"] = f.min
        if f.max is not None:
            control["max"] = f.max
        out.append(control)
    return out


def _parent_field(spec: CollectionSpec, field: FieldSpec) -> FieldSpec | None:
    """The field whose codes are the parents of this one's (管线大类 for 管线小类), if any."""
    if field.codes is None or not any(c.parent for c in field.codes):
        return None
    return next((g for g in editable_fields(spec) if g is not field and g.codes is not None
                 and all(c.parent in g.codes for c in field.codes)), None)


def _render(spec: CollectionSpec, *, key: int | None, values: dict[str, Any],
            geometry: Any, version: int | None, problems: list[Problem],
            conflict: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    locale = select_locale()
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    names = {f.name for f in editable_fields(spec)} | {"geometry"}
    for p in problems:
        (by_field.setdefault(p.field, []) if p.field in names else general).append(
            describe(p, locale) if p.field in names else f"{p.field}: {describe(p, locale)}")
    return render_template(
        "asset_form.html", spec=spec, key=key, title=spec.title(locale),
        controls=_controls(spec, values, locale), geometry=geometry, version=version,
        errors=by_field, general=general, conflict=conflict,
        geometry_types=list(spec.geometry_types), extent=_work_area()), status


def _work_area() -> tuple[float, float, float, float]:
    """Where a new drawing starts: the extent of the user's own pipelines, else the city."""
    box = repository.extent(db(), service.collection("pipelines"), caller())
    return tuple(box) if box else settings().extent  # type: ignore[return-value]


def _spec(name: str) -> CollectionSpec:
    try:
        return service.writable(name)
    except (NotFound, Forbidden):  # unknown, or read-only (divisions)
        abort(404)


@bp.route("/collections/<name>/new", methods=["GET", "POST"])
@signed_in
def create(name: str) -> Any:
    """A new asset: fields and a geometry drawn on the map or typed."""
    principal = caller()
    spec = _spec(name)
    if not spec.editable_by(principal):
        abort(403)
    if request.method == "GET":
        return _render(spec, key=None, values={f.name: f.default for f in editable_fields(spec)},
                       geometry=None, version=None, problems=[])
    csrf.protect()
    try:
        body = form_body(spec, request.form)
        with unit() as s:
            obj = service.create(s, spec.name, body, service.WriteContext(
                by=principal, extent=settings().extent))
            key = obj.id
    except InvalidInput as error:
        return _render(spec, key=None, values=dict(request.form), geometry=_posted_geometry(),
                       version=None, problems=error.problems, status=422)
    return redirect(url_for("assets.asset_page", name=spec.name, key=key, done="create"))


@bp.route("/collections/<name>/items/<int:key>/edit", methods=["GET", "POST"])
@signed_in
def edit(name: str, key: int) -> Any:
    """Change an asset; a stale form is merged with the saved record, real conflicts are shown."""
    principal = caller()
    spec = _spec(name)
    current, version = _current(spec, key)
    spec.require_edit(principal, current["properties"].get("division_code"))
    if request.method == "GET":
        return _render(spec, key=key, values=current["properties"], geometry=current["geometry"],
                       version=version, problems=[])
    csrf.protect()
    form: dict[str, str] = request.form.to_dict()
    opened = int(form.get("version") or 0)
    try:
        body = form_body(spec, form)
        if opened != version:  # a colleague saved since this form was opened
            merged = _merge(spec, key, form, body, opened, current)
            if merged.conflicts:
                return _render_conflict(spec, key, form, merged, current, version)
            form = {**merged.form, "geometry": json.dumps(merged.geometry), "coordinates": ""}
            body, opened = form_body(spec, form), version
        with unit() as s:
            service.replace(s, spec.name, key, body, service.WriteContext(
                by=principal, extent=settings().extent), expected_version=opened)
    except StaleVersion:  # a save landed between reading and writing: show the merge, save nothing
        current, version = _current(spec, key)
        merged = _merge(spec, key, form, form_body(spec, form), opened, current)
        return _render_conflict(spec, key, form, merged, current, version)
    except InvalidInput as error:
        return _render(spec, key=key, values=form, geometry=_geometry_of(form),
                       version=opened, problems=error.problems, status=422)
    return redirect(url_for("assets.asset_page", name=spec.name, key=key, done="update"))


def _current(spec: CollectionSpec, key: int) -> tuple[dict[str, Any], int]:
    """The record as saved now (a Feature) and its version."""
    with unit() as s:
        obj = service.get_record(s, spec, key)
        return service.as_feature(spec, obj), int(obj.version)


def _opened(spec: CollectionSpec, key: int, version: int) -> dict[str, Any] | None:
    """The record as it was at a version, from the audit trail (hidden originals could be forged)."""
    for entry in reversed(audit.history(db(), spec.name, key)):
        if entry.after is not None and entry.after.get("version") == version:
            return entry.after
    return None


def _merge(spec: CollectionSpec, key: int, form: dict[str, str], body: dict[str, Any],
           opened: int, current: dict[str, Any]) -> Merged:
    return merge(editable_fields(spec), form, body["geometry"], base=_opened(spec, key, opened),
                 saved={**current["properties"], "geometry": current["geometry"]})


def _render_conflict(spec: CollectionSpec, key: int, form: dict[str, str], merged: Merged,
                     current: dict[str, Any], version: int) -> tuple[str, int]:
    """The merged form at the saved version, with the fields both people changed beside it."""
    return _render(spec, key=key, values=merged.form, geometry=merged.geometry, version=version,
                   problems=[], conflict=_conflict(spec, form, merged, current), status=409)


def _geometry_of(form: dict[str, str]) -> Any:
    try:
        return json.loads(form.get("geometry") or "null")
    except ValueError:
        return None


def _posted_geometry() -> Any:
    return _geometry_of(request.form.to_dict())


def _conflict(spec: CollectionSpec, form: dict[str, str], merged: Merged,
              current: dict[str, Any]) -> dict[str, Any]:
    """The fields both people changed differently: this person's value and the saved one."""
    locale = select_locale()
    saved = current["properties"]
    rows = []
    for f in editable_fields(spec):
        if f.name in merged.conflicts:
            mine = (form.get(f.name) or "").strip()
            rows.append({"name": f.name, "label": f.label(locale),
                         "mine": display(f, mine, locale)["text"],
                         "theirs": display(f, saved.get(f.name), locale)["text"],
                         "theirs_raw": as_text(saved.get(f.name))})
    if "geometry" in merged.conflicts:
        rows.append({"name": "coordinates", "label": _("Geometry"),
                     "mine": _wkt(merged.geometry, short=True),
                     "theirs": _wkt(current["geometry"], short=True),
                     "theirs_raw": _wkt(current["geometry"])})
    return {"rows": rows, "fields": {r["name"]: r["theirs"] for r in rows},
            "updated_by": saved.get("updated_by"), "updated_at": saved.get("updated_at")}


def _wkt(geometry: dict[str, Any] | None, *, short: bool = False) -> str:
    """A geometry as WKT (what the coordinates box accepts); shortened for the table."""
    if geometry is None:
        return "—"
    text = str(shape(geometry).wkt)
    return text if not short or len(text) <= 60 else text[:57] + "…"
