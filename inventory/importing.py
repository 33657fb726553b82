"""Bulk import of a file into a collection: all or nothing, every rejected row reported.

This first version stores rows through the same service as the API (validation, division,
access, audit), inside one savepoint: any rejected row rolls the savepoint back unless
``skip_invalid`` is set, and ``dry_run`` always rolls it back. Rows whose ``external_id``
is already in the registry update that record instead of duplicating it. Every audit entry
names the import (its job id), so ``undo`` can put back what the import changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import shapely
from geoalchemy2 import WKTElement
from shapely import wkt
from shapely.geometry import mapping as as_geojson
from shapely.geometry import shape
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from inventory import repository, service
from inventory.assets import CollectionSpec
from inventory.formats import Record, Source
from inventory.mapping import Mapping, build
from inventory.service import WriteContext
from inventory.validation import Parsed, parse_feature
from resilience import audit, geo
from resilience.audit import AuditEntry
from resilience.divisions import DivisionIndex, choose
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, ResilienceError
from resilience.jobs import DONE, Job
from resilience.model import SRID, now

IMPORT_KIND = "import"


@dataclass
class ImportReport:
    """What an import did, or would do: counts, and every rejected row with its field."""

    import_id: int | None
    collection: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: list[Problem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False

    @property
    def rejected_rows(self) -> int:
        """How many rows had at least one problem."""
        return len({p.row for p in self.rejected})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the job's result)."""
        return {
            "import_id": self.import_id, "collection": self.collection, "file": self.file,
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "rejected_rows": self.rejected_rows, "dry_run": self.dry_run, "stored": self.stored,
            "unmapped_columns": self.unmapped,
            "rejected": [{"row": p.row, "field": p.field, "code": p.code, "params": p.params}
                         for p in self.rejected],
        }


def _geometry(raw: Any, crs: geo.CrsRef, row: int) -> tuple[dict[str, Any] | None, Problem | None]:
    """A file's geometry (WKT text or GeoJSON-like, any CRS) as lon/lat GeoJSON."""
    if raw is None or raw == "":
        return None, Problem("geometry", "required", {}, row)
    try:
        if isinstance(raw, str):
            geom = wkt.loads(raw)
        else:
            coords = raw.get("coordinates")
            if raw.get("type") == "Point" and isinstance(coords, list):
                raw = {"type": "Point", "coordinates": [float(c) for c in coords]}
            geom = shape(raw)
    except (shapely.errors.ShapelyError, ValueError, TypeError, AttributeError, KeyError):
        return None, Problem("geometry", "malformed_geometry", {"type": "WKT/GeoJSON"}, row)
    return as_geojson(geo.to_storage(geom, crs)), None


def mapped_rows(source: Source, spec_name: str, overrides: dict[str, Any] | None,
                 report: ImportReport) -> Iterator[tuple[Record, dict[str, Any]]]:
    """Each record with its properties under the registry's names (mapping built per key set)."""
    spec = service.collection(spec_name)
    cache: dict[tuple[str, ...], Mapping] = {}
    for record in source.records():
        keys = tuple(k for k in record.properties if not k.startswith("__"))
        mapping = cache.get(keys)
        if mapping is None:
            mapping = cache[keys] = build(spec, list(keys), overrides)
            report.unmapped = sorted(set(report.unmapped) | set(mapping.unmapped))
        yield record, mapping.apply(record.properties)


def _existing_by_external_id(session: Session, spec_name: str, external_id: str) -> int | None:
    model = service.collection(spec_name).model
    return session.scalar(select(model.id).where(model.external_id == external_id,
                                                 model.retired_at.is_(None)).limit(1))


def import_source(session: Session, source: Source, spec_name: str, ctx: WriteContext, *,
                  crs: str | None = None, mapping: dict[str, Any] | None = None,
                  dry_run: bool = False, skip_invalid: bool = False) -> ImportReport:
    """Load a file's rows into a collection; nothing is stored if any row is rejected."""
    spec = service.writable(spec_name)
    if not ctx.by.can_edit_assets:
        raise Forbidden("role may not edit", role=ctx.by.role)
    crs_ref = geo.parse_crs(crs or source.crs, field="crs")
    job = Job(kind=IMPORT_KIND, status="running", created_by=ctx.by.username,
              params={"file": source.path.name, "collection": spec.name, "crs": crs_ref.uri,
                      "dry_run": dry_run, "skip_invalid": skip_invalid},
              started_at=now())
    session.add(job)
    session.flush()
    report = ImportReport(job.id, spec.name, source.path.name, dry_run=dry_run)
    row_ctx = WriteContext(by=ctx.by, extent=ctx.extent, job_id=job.id, today=ctx.today)
    if spec.children:
        _row_by_row(session, source, spec.name, row_ctx, crs_ref, mapping, report,
                    dry_run=dry_run, skip_invalid=skip_invalid)
    else:
        _batched(session, source, spec, row_ctx, crs_ref, mapping, report,
                 dry_run=dry_run, skip_invalid=skip_invalid)
    if report.rows == 0:
        report.rejected.append(Problem("file", "no_rows", {}, None))
    job.status, job.finished_at, job.progress = DONE, now(), 1.0
    job.result = report.as_dict()
    session.flush()
    return report


def prepare_row(record: Record, props: dict[str, Any], crs: geo.CrsRef, seen: dict[str, int],
                report: ImportReport) -> dict[str, Any] | None:
    """A row as a lon/lat GeoJSON Feature, or None after reporting why it cannot be one."""
    if "__invalid__" in record.properties:
        report.rejected.append(Problem("row", record.properties["__invalid__"], {}, record.row))
        return None
    geometry, problem = _geometry(record.geometry, crs, record.row)
    if problem is not None:
        report.rejected.append(problem)
        return None
    external_id = str(props.get("external_id") or "").strip() or None
    if external_id is not None:
        if external_id in seen and seen[external_id] != record.row:
            report.rejected.append(Problem("external_id", "duplicate_in_file",
                                           {"value": external_id, "first": seen[external_id]},
                                           record.row))
            return None
        seen[external_id] = record.row
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _row_by_row(session: Session, source: Source, spec_name: str, row_ctx: WriteContext,
                crs_ref: geo.CrsRef, mapping: dict[str, Any] | None, report: ImportReport, *,
                dry_run: bool, skip_invalid: bool) -> None:
    """Collections with nested lists go through the API's service, one row at a time."""
    seen: dict[str, int] = {}
    savepoint = session.begin_nested()
    for record, props in mapped_rows(source, spec_name, mapping, report):
        report.rows += 1
        feature = prepare_row(record, props, crs_ref, seen, report)
        if feature is None:
            continue
        external_id = str(props.get("external_id") or "").strip() or None
        try:
            with session.begin_nested():
                existing = (_existing_by_external_id(session, spec_name, external_id)
                            if external_id else None)
                if existing is None:
                    obj = service.create(session, spec_name, feature, row_ctx)
                    report.created += 1
                else:
                    obj = service.replace(session, spec_name, existing, feature, row_ctx,
                                          expected_version=None)
                    report.updated += 1
                session.expunge(obj)  # keep memory flat over a long file
        except InvalidInput as error:
            report.rejected.extend(p.at_row(record.row) for p in error.problems)
        except Forbidden:
            report.rejected.append(Problem("division_code", "division_not_granted",
                                           {"value": props.get("division_code") or ""},
                                           record.row))
    # ``created``/``updated`` count the valid rows either way; ``stored`` says if they were kept.
    keep = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    if keep:
        savepoint.commit()
    else:
        savepoint.rollback()
    report.stored = keep


BATCH = 2000


def _checked(spec: CollectionSpec, record: Record, feature: dict[str, Any], ctx: WriteContext,
             index: DivisionIndex) -> tuple[Parsed, str | None, list[Problem]]:
    """Validation of one row without the database: values, geometry, division, access."""
    parsed = parse_feature(spec, feature, extent=ctx.extent, today=ctx.today)
    problems = [p.at_row(record.row) for p in parsed.problems]
    division = None
    if parsed.geometry is not None and not any(p.field == "geometry" for p in parsed.problems):
        given = parsed.values.get("division_code")
        division, problem = choose(given, given is None or index.exists(given),
                                   index.locate(parsed.geometry))
        if problem is not None:
            problems.append(problem.at_row(record.row))
        elif division is not None and not ctx.by.sees(division):
            problems.append(Problem("division_code", "division_not_granted",
                                    {"value": division}, record.row))
    start, end = parsed.values.get("start_point_id"), parsed.values.get("end_point_id")
    if start is not None and start == end:
        problems.append(Problem("end_point_id", "same_start_end", {}, record.row))
    return parsed, division, problems


def _in_chunks(values: list[Any], size: int = 5000) -> Iterator[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _batched(session: Session, source: Source, spec: CollectionSpec, ctx: WriteContext,
             crs_ref: geo.CrsRef, mapping: dict[str, Any] | None, report: ImportReport, *,
             dry_run: bool, skip_invalid: bool) -> None:
    """Two passes over the file: validate every row (no writes), then insert in batches.

    Divisions are found in memory, references and known external ids are looked up in
    bulk, and new rows go in with one multi-row INSERT … RETURNING per batch, their audit
    entries likewise; rows that update a known external id use the service one by one.
    """
    index = DivisionIndex.load(session)
    references: dict[str, dict[int, list[int]]] = {name: {} for name in spec.references}
    external: dict[str, int] = {}
    seen: dict[str, int] = {}
    for record, props in mapped_rows(source, spec.name, mapping, report):
        report.rows += 1
        feature = prepare_row(record, props, crs_ref, seen, report)
        if feature is None:
            continue
        parsed, _, problems = _checked(spec, record, feature, ctx, index)
        report.rejected.extend(problems)
        for name in spec.references:
            ref = parsed.values.get(name)
            if ref is not None:
                references[name].setdefault(ref, []).append(record.row)
        if not problems and parsed.values.get("external_id"):
            external[parsed.values["external_id"]] = record.row
    for name, target in spec.references.items():
        wanted = list(references[name])
        found: set[int] = set()
        for chunk in _in_chunks(wanted):
            found |= set(repository.existing_ids(session, service.collection(target), set(chunk)))
        for missing in set(wanted) - found:
            report.rejected.extend(Problem(name, "reference_not_found",
                                           {"collection": target, "value": missing}, row)
                                   for row in references[name][missing])
    known: dict[str, int] = {}
    model = spec.model
    for chunk in _in_chunks(list(external)):
        known.update(session.execute(select(model.external_id, model.id).where(
            model.external_id.in_(chunk), model.retired_at.is_(None))).tuples().all())
    bad = {p.row for p in report.rejected}
    report.updated = sum(1 for ext, row in external.items() if ext in known and row not in bad)
    report.created = report.rows - len(bad) - report.updated
    report.stored = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    if not report.stored:
        return
    table = model.__table__
    stamp = now()
    batch: list[tuple[dict[str, Any], dict[str, Any]]] = []

    def flush() -> None:
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                              [row for row, _ in batch]).scalars().all()
        session.execute(insert(AuditEntry.__table__), [
            {"at": stamp, "actor": ctx.by.username, "action": "create", "collection": spec.name,
             "record_id": rid, "division_code": row["division_code"], "before": None,
             "after": after, "reason": None, "job_id": ctx.job_id}
            for rid, (row, after) in zip(ids, batch, strict=True)])
        batch.clear()

    for record, props in mapped_rows(source, spec.name, mapping, report):
        if record.row in bad:
            continue
        feature = prepare_row(record, props, crs_ref, {}, report)
        assert feature is not None
        parsed, division, _ = _checked(spec, record, feature, ctx, index)
        values, geom = dict(parsed.values), parsed.geometry
        assert geom is not None and division is not None
        ext = values.get("external_id")
        if ext in known:
            service.replace(session, spec.name, known[ext], feature, ctx, expected_version=None)
            continue
        values["division_code"] = division
        values.update(service.derived_values(spec, values, geom))
        row = {k: v for k, v in values.items() if k in table.c and k != "id"}
        after = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
        after["geometry"] = as_geojson(geom)
        row.update(geom=WKTElement(shapely.to_wkt(geom, rounding_precision=9, trim=True,
                                                  output_dimension=2), srid=SRID),
                   version=1, created_at=stamp, updated_at=stamp,
                   created_by=ctx.by.username, updated_by=ctx.by.username)
        batch.append((row, after))
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()


def undo(session: Session, import_id: int, ctx: WriteContext) -> dict[str, int]:
    """Put back what an import changed: retire what it created, restore what it updated."""
    job = session.get(Job, import_id)
    if job is None or job.kind != IMPORT_KIND:
        raise NotFound("no such import", [Problem("import_id", "not_found", {"value": import_id})])
    if (job.result or {}).get("undone"):
        raise InvalidInput("already undone", [Problem("import_id", "already_undone",
                                                      {"value": import_id})])
    spec_name = job.params["collection"]
    spec = service.writable(spec_name)
    entries = [e for e in audit.entries_of_job(session, import_id) if e.collection == spec_name]
    undo_ctx = WriteContext(by=ctx.by, extent=None, today=ctx.today)
    retired = restored = 0
    for entry in reversed(entries):
        obj = session.get(spec.model, entry.record_id)
        if obj is None:
            continue
        if entry.action == "create" and obj.retired_at is None:
            service.retire(session, spec_name, obj.id, undo_ctx,
                           reason=f"import {import_id} undone")
            retired += 1
        elif entry.action == "update" and entry.before:
            before = dict(entry.before)
            geometry = before.pop("geometry")
            props = {k: v for k, v in before.items()
                     if (f := spec.field(k)) is not None and not f.readonly}
            for child in spec.children:
                if child.name in before:
                    props[child.name] = before[child.name]
            try:
                service.replace(session, spec_name, obj.id,
                                {"type": "Feature", "geometry": geometry, "properties": props},
                                undo_ctx, expected_version=None)
            except ResilienceError:
                continue
            restored += 1
    job.result = {**(job.result or {}), "undone": True, "undone_by": ctx.by.username}
    session.flush()
    return {"retired": retired, "restored": restored}
