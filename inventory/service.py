"""Use cases on registry records: create, replace, patch, retire, restore. Never commits.

Every write validates the whole record first (values, geometry, division, references,
access), raises with all problems at once, then writes the row, its children and an
audit entry with the values before and after, in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from inventory import repository
from inventory.assets import COLLECTIONS, CollectionSpec
from inventory.derived import derived_values, same_place
from inventory.flood_points import WaterloggingEvent
from inventory.tunnels import CabinLine, TunnelCabin, TunnelNode
from inventory.validation import Extent, parse_feature
from resilience import audit, divisions
from resilience.accounts import Principal
from resilience.dialects import insert_many
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, StaleVersion
from resilience.model import SRID, now


@dataclass(frozen=True)
class WriteContext:
    """Who writes and against which city extent (built by the edge from settings)."""

    by: Principal
    extent: Extent | None = None
    job_id: int | None = None
    today: date | None = None


def collection(name: str) -> CollectionSpec:
    """A collection by name, or NotFound."""
    spec = COLLECTIONS.get(name)
    if spec is None:
        raise NotFound("no such collection", [Problem("collection", "not_found", {"value": name})])
    return spec


def writable(name: str) -> CollectionSpec:
    """A collection that accepts writes, or NotFound/Forbidden."""
    spec = collection(name)
    if spec.readonly_collection:
        raise Forbidden("read-only collection",
                        [Problem("collection", "read_only_collection", {"value": name})],
                        collection=name)
    return spec


def get_record(session: Session, spec: CollectionSpec, record_id: int) -> Any:
    """The ORM record by id, or NotFound."""
    obj = session.get(spec.model, record_id)
    if obj is None:
        raise NotFound("no such feature", [Problem("id", "not_found", {"value": record_id})])
    return obj


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def snapshot(spec: CollectionSpec, obj: Any) -> dict[str, Any]:
    """The record as plain JSON values (for the audit trail and merges)."""
    out: dict[str, Any] = {}
    for name in repository.stored_fields(spec):
        out[name] = _json_value(getattr(obj, name))
    for name in ("retired_at", "retired_by", "retired_reason"):
        out[name] = _json_value(getattr(obj, name, None))
    geom = to_shape(obj.geom) if obj.geom is not None else None
    out["geometry"] = rounded(mapping(geom)) if geom is not None else None
    if spec.name == "tunnels":
        out["cabins"] = [
            {"id": c.id, "name": c.name, "use": c.use, "fire_compartment_m": c.fire_compartment_m,
             "pipeline_ids": c.pipeline_ids} for c in obj.cabins
        ]
        out["nodes"] = [
            {"id": n.id, "kind": n.kind, "name": n.name, "position": [n.lon, n.lat]}
            for n in obj.nodes
        ]
    if spec.name == "flood-points":
        out["events"] = [
            {"id": e.id, "occurred_on": _json_value(e.occurred_on), "max_depth_cm": e.max_depth_cm,
             "duration_h": e.duration_h, "rainfall_mm": e.rainfall_mm, "area_m2": e.area_m2,
             "note": e.note} for e in obj.events
        ]
    return out


def rounded(geo: Any) -> Any:
    """A GeoJSON geometry as records are shown and audited: coordinates to 8 decimals (~1 mm)."""
    if isinstance(geo, dict):
        return {k: rounded(v) for k, v in geo.items()}
    if isinstance(geo, list | tuple):
        return [rounded(v) for v in geo]
    if isinstance(geo, float):
        return round(geo, 8)
    return geo


def as_feature(spec: CollectionSpec, obj: Any) -> dict[str, Any]:
    """The record as a GeoJSON Feature with its writable properties (a merge base)."""
    snap = snapshot(spec, obj)
    geometry = snap.pop("geometry")
    props = {k: v for k, v in snap.items()
             if (f := spec.field(k)) is not None and not f.readonly or spec.child(k)}
    return {"type": "Feature", "geometry": geometry, "properties": props}


def create(session: Session, spec_name: str, body: Any, ctx: WriteContext) -> Any:
    """Validate and store a new record; returns it with its id."""
    spec = writable(spec_name)
    obj = spec.model()
    _write(session, spec, obj, body, ctx, action="create", before=None)
    return obj


def replace(session: Session, spec_name: str, record_id: int, body: Any, ctx: WriteContext,
            *, expected_version: int | None) -> Any:
    """Replace a record wholesale (PUT), refusing a stale version."""
    spec = writable(spec_name)
    obj = _editable(session, spec, record_id, ctx, expected_version)
    _write(session, spec, obj, body, ctx, action="update", before=snapshot(spec, obj))
    return obj


def patch(session: Session, spec_name: str, record_id: int, body: Any, ctx: WriteContext,
          *, expected_version: int | None) -> Any:
    """Merge-patch a record (RFC 7396 on properties), then validate it whole."""
    spec = writable(spec_name)
    obj = _editable(session, spec, record_id, ctx, expected_version)
    if not isinstance(body, dict):
        raise InvalidInput("not a feature", [Problem("body", "not_a_feature", {})])
    merged = as_feature(spec, obj)
    props = body.get("properties")
    if props is not None and not isinstance(props, dict):
        raise InvalidInput("bad properties", [Problem("properties", "not_an_object", {})])
    if spec.prepare is not None and props:
        expanded = dict(props)
        if not spec.prepare(expanded):  # "WS" as the category brings its 小类 along
            props = expanded
    if "geometry" in body and "division_code" not in (props or {}):
        merged["properties"].pop("division_code", None)  # a moved record is located anew
    merged["properties"].update(props or {})
    for key, value in body.items():
        if key != "properties":
            merged[key] = value
    _write(session, spec, obj, merged, ctx, action="update", before=snapshot(spec, obj))
    return obj


def retire(session: Session, spec_name: str, record_id: int, ctx: WriteContext, *,
           reason: str | None = None, expected_version: int | None = None) -> Any:
    """Hide rather than delete, so the audit trail and a restore still find the row."""
    spec = writable(spec_name)
    obj = _editable(session, spec, record_id, ctx, expected_version)
    before = snapshot(spec, obj)
    obj.retired_at, obj.retired_by, obj.retired_reason = now(), ctx.by.username, reason
    obj.updated_at, obj.updated_by = now(), ctx.by.username
    _flush(session, obj)
    audit.record(session, actor=ctx.by.username, action="retire", collection=spec.name,
                 record_id=obj.id, division_code=obj.division_code, before=before,
                 after=snapshot(spec, obj), reason=reason, job_id=ctx.job_id)
    return obj


def retire_many(session: Session, spec_name: str, record_ids: list[int], ctx: WriteContext, *,
                reason: str | None = None, chunk: int = 2000) -> int:
    """:func:`retire` for many records (undoing a large import): a statement per chunk.

    Every record is checked against the user's divisions first; records already retired
    are left as they are. Returns how many were retired.
    """
    spec = writable(spec_name)
    model, table, done = spec.model, spec.model.__table__, 0
    for i in range(0, len(record_ids), chunk):
        objs = session.scalars(select(model).where(model.id.in_(record_ids[i:i + chunk]),
                                                   model.retired_at.is_(None))).all()
        for obj in objs:
            spec.require_edit(ctx.by, obj.division_code)
        stamp, by = now(), ctx.by.username
        entries = []
        for obj in objs:
            before = snapshot(spec, obj)
            after = {**before, "retired_at": stamp.isoformat(), "retired_by": by,
                     "retired_reason": reason, "version": obj.version + 1, "updated_by": by}
            entries.append({"at": stamp, "actor": by, "action": "retire", "collection": spec.name,
                            "record_id": obj.id, "division_code": obj.division_code,
                            "before": before, "after": after, "reason": reason,
                            "job_id": ctx.job_id})
            session.expunge(obj)  # changed below without the ORM
        if not objs:
            continue
        session.execute(update(table).where(table.c.id.in_([o.id for o in objs]),
                                            table.c.retired_at.is_(None))
                        .values(retired_at=stamp, retired_by=by, retired_reason=reason,
                                updated_at=stamp, updated_by=by, version=table.c.version + 1))
        insert_many(session, cast(Table, audit.AuditEntry.__table__), entries)
        done += len(objs)
    return done


def restore(session: Session, spec_name: str, record_id: int, ctx: WriteContext) -> Any:
    """Bring a retired record back as it was."""
    spec = writable(spec_name)
    obj = get_record(session, spec, record_id)
    spec.require_edit(ctx.by, obj.division_code)
    if obj.retired_at is None:
        raise InvalidInput("not retired", [Problem("id", "not_retired", {"value": record_id})])
    before = snapshot(spec, obj)
    obj.retired_at = obj.retired_by = obj.retired_reason = None
    obj.updated_at, obj.updated_by = now(), ctx.by.username
    _flush(session, obj)
    audit.record(session, actor=ctx.by.username, action="restore", collection=spec.name,
                 record_id=obj.id, division_code=obj.division_code, before=before,
                 after=snapshot(spec, obj), job_id=ctx.job_id)
    return obj


def _editable(session: Session, spec: CollectionSpec, record_id: int, ctx: WriteContext,
              expected_version: int | None) -> Any:
    obj = get_record(session, spec, record_id)
    spec.require_edit(ctx.by, obj.division_code)
    if obj.retired_at is not None:
        raise NotFound("retired", [Problem("id", "retired", {"value": record_id})])
    if expected_version is not None and expected_version != obj.version:
        raise StaleVersion(current=obj.version, given=expected_version)
    return obj


def _flush(session: Session, obj: Any) -> None:
    try:
        session.flush()
    except StaleDataError as error:
        session.expire(obj)
        raise StaleVersion("changed meanwhile", current=-1, given=None) from error


def _write(session: Session, spec: CollectionSpec, obj: Any, body: Any, ctx: WriteContext,
           *, action: str, before: dict[str, Any] | None) -> None:
    parsed = parse_feature(spec, body, extent=ctx.extent, today=ctx.today)
    problems = list(parsed.problems)
    values = parsed.values
    geom = parsed.geometry if not any(p.field == "geometry" for p in problems) else None
    division = _division(session, values.get("division_code"), geom, problems)
    problems.extend(_references(session, spec, obj, values, parsed.children))
    if division is not None:
        spec.require_edit(ctx.by)
        if not ctx.by.sees(division):
            problems.append(Problem("division_code", "division_not_granted", {"value": division}))
    if problems:
        if any(p.code == "division_not_granted" for p in problems) and len(problems) == 1:
            raise Forbidden("division not granted", problems)
        raise InvalidInput("invalid feature", problems)
    assert geom is not None and division is not None
    values["division_code"] = division
    for name, value in values.items():
        if name in spec.model.__table__.c and name != "id":
            setattr(obj, name, value)
    stored = to_shape(obj.geom) if obj.geom is not None else None
    if stored is not None and bool(same_place(stored, geom)):
        geom = stored  # handed back as shown (8 decimals): it keeps its own, and its length
    else:
        obj.geom = from_shape(geom, srid=SRID)
    for name, value in derived_values(spec, values, geom, session).items():
        setattr(obj, name, value)
    stamp = now()
    if action == "create":
        obj.created_at, obj.created_by = stamp, ctx.by.username
        session.add(obj)
    obj.updated_at, obj.updated_by = stamp, ctx.by.username
    _flush(session, obj)
    _write_children(session, spec, obj, parsed.children)
    _flush(session, obj)
    session.refresh(obj)
    audit.record(session, actor=ctx.by.username, action=action, collection=spec.name,
                 record_id=obj.id, division_code=obj.division_code, before=before,
                 after=snapshot(spec, obj), job_id=ctx.job_id)


def _division(session: Session, given: str | None, geom: BaseGeometry | None,
              problems: list[Problem]) -> str | None:
    """The record's division: given and consistent, or found from the geometry."""
    exists = given is None or divisions.get(session, given) is not None
    if geom is None:
        if not exists:
            problems.append(Problem("division_code", "unknown_division", {"value": given}))
        return None
    code, problem = divisions.choose(given, exists, divisions.locate(session, geom.wkb))
    if problem is not None:
        problems.append(problem)
    return code


def _references(session: Session, spec: CollectionSpec, obj: Any, values: dict[str, Any],
                children: dict[str, list[dict[str, Any]]]) -> list[Problem]:
    """References to other records must exist (a segment's points, a cabin's pipelines)."""
    problems: list[Problem] = []
    for name, target in spec.references.items():
        ref = values.get(name)
        if ref is None:
            continue
        found = repository.existing_ids(session, collection(target), {ref})
        if ref not in found:
            problems.append(Problem(name, "reference_not_found",
                                    {"collection": target, "value": ref}))
    if spec.name == "pipelines":
        start, end = values.get("start_point_id"), values.get("end_point_id")
        if start is not None and start == end:
            problems.append(Problem("end_point_id", "same_start_end", {}))
    for index, cabin in enumerate(children.get("cabins", [])):
        ids = set(cabin.get("pipeline_ids") or [])
        found = repository.existing_ids(session, collection("pipelines"), ids)
        for missing in sorted(ids - set(found)):
            problems.append(Problem(f"cabins[{index}].pipeline_ids", "reference_not_found",
                                    {"collection": "pipelines", "value": missing}))
        held = repository.cabins_holding(session, ids, getattr(obj, "id", None))
        for pipeline_id in sorted(held):
            problems.append(Problem(f"cabins[{index}].pipeline_ids", "already_in_cabin",
                                    {"value": pipeline_id}))
    seen: dict[int, int] = {}
    for index, cabin in enumerate(children.get("cabins", [])):
        for pipeline_id in cabin.get("pipeline_ids") or []:
            if pipeline_id in seen and seen[pipeline_id] != index:
                problems.append(Problem(f"cabins[{index}].pipeline_ids", "already_in_cabin",
                                        {"value": pipeline_id}))
            seen[pipeline_id] = index
    return problems


def _as_stored(name: str, obj: Any, given: list[dict[str, Any]]) -> bool:
    """True when a nested list is the one stored, ids aside (a save that left it alone)."""
    if name == "cabins":
        return [(c.name, c.use, c.fire_compartment_m, c.pipeline_ids) for c in obj.cabins] == [
            (c["name"], c["use"], c.get("fire_compartment_m"), sorted(c.get("pipeline_ids") or []))
            for c in given]
    if name == "nodes":
        return [(n.kind, n.name, n.lon, n.lat) for n in obj.nodes] == [
            (n["kind"], n.get("name"), *n["position"]) for n in given]
    wanted = [{k: v for k, v in e.items() if k != "id"} for e in given]
    return [{k: getattr(e, k) for k in w} for e, w in zip(obj.events, wanted, strict=False)
            ] == wanted and len(obj.events) == len(wanted)


def _write_children(session: Session, spec: CollectionSpec, obj: Any,
                    children: dict[str, list[dict[str, Any]]]) -> None:
    """Replace nested lists given in the body and changed; the others stay as they are."""
    children = {k: v for k, v in children.items() if not _as_stored(k, obj, v)}
    if "cabins" in children:
        obj.cabins.clear()
        session.flush()
        for position, c in enumerate(children["cabins"]):
            obj.cabins.append(TunnelCabin(
                position=position, name=c["name"], use=c["use"],
                fire_compartment_m=c.get("fire_compartment_m"),
                lines=[CabinLine(pipeline_id=p) for p in c.get("pipeline_ids") or []],
            ))
    if "nodes" in children:
        obj.nodes.clear()
        for position, n in enumerate(children["nodes"]):
            lon, lat = n["position"]
            obj.nodes.append(TunnelNode(position=position, kind=n["kind"], name=n.get("name"),
                                        lon=lon, lat=lat))
    if "events" in children:
        obj.events.clear()
        for e in children["events"]:
            obj.events.append(WaterloggingEvent(**{k: v for k, v in e.items() if k != "id"}))
