"""Bulk import of a file into a collection: all or nothing, every rejected row reported.

This first version stores rows through the same service as the API (validation, division,
access, audit), inside one savepoint: any rejected row rolls the savepoint back unless
``skip_invalid`` is set, and ``dry_run`` always rolls it back. Rows whose ``external_id``
is already in the registry update that record instead of duplicating it. Every audit entry
names the import (its job id), so ``undo`` can put back what the import changed.

Collections with nested lists go row by row through the service here; the others take the
batched path of ``inventory.batch_import``. The report, the job row and the rule for keeping
or rolling back the rows are ``inventory.import_report``'s, shared with the survey import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shapely.geometry import mapping as as_geojson
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import references, service
from inventory.assets import CollectionSpec
from inventory.batch_import import import_batches
from inventory.bulk import force_2d, parse_geometries
from inventory.formats import Record, Source
from inventory.import_report import (
    IMPORT_KIND,
    ImportReport,
    Rows,
    Tick,
    finish_job,
    settle,
    start_job,
    ticking,
)
from inventory.mapping import Mapping, build
from inventory.service import WriteContext
from resilience import audit, geo
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, ResilienceError
from resilience.jobs import Job


def _geometry(raw: Any, crs: geo.CrsRef, row: int) -> tuple[dict[str, Any] | None, Problem | None]:
    """A file's geometry (WKB, WKT or GeoJSON-like, any CRS) as lon/lat GeoJSON."""
    geoms, codes = parse_geometries([raw])
    if codes[0] is not None:
        return None, Problem("geometry", codes[0], {"type": "WKB/WKT/GeoJSON"}, row)
    return as_geojson(force_2d(geo.to_storage(geoms, crs))[0]), None


def mapped_rows(source: Source, spec_name: str, overrides: dict[str, Any] | None,
                 report: ImportReport) -> Iterator[tuple[Record, dict[str, Any]]]:
    """Each record with its properties under the registry's names (mapping built per key set)."""
    spec = service.collection(spec_name)
    cache: dict[tuple[str, ...], Mapping] = {}
    for record in source.records():
        keys = tuple(record.properties)
        mapping = cache.get(keys)
        if mapping is None:
            mapping = cache[keys] = build(spec, [k for k in keys if not k.startswith("__")],
                                          overrides)
            report.unmapped = sorted(set(report.unmapped) | set(mapping.unmapped))
        yield record, mapping.apply(record.properties)


def _existing_by_external_id(session: Session, spec_name: str, external_id: str) -> int | None:
    model = service.collection(spec_name).model
    return session.scalar(select(model.id).where(model.external_id == external_id,
                                                 model.retired_at.is_(None)).limit(1))


def import_source(session: Session, source: Source, spec_name: str, ctx: WriteContext, *,
                  crs: str | None = None, mapping: dict[str, Any] | None = None,
                  dry_run: bool = False, skip_invalid: bool = False, job: Job | None = None,
                  tick: Tick | None = None) -> ImportReport:
    """Load a file's rows into a collection; nothing is stored if any row is rejected.

    The import is a job row (made here, or the queued ``job`` the scheduler runs), so its
    id names the audit entries and ``undo`` can find them.
    """
    spec = service.writable(spec_name)
    spec.require_edit(ctx.by)
    crs_ref = geo.parse_crs(crs or source.crs, field="crs")
    params = {"file": source.path.name, "collection": spec.name, "crs": crs_ref.uri,
              "dry_run": dry_run, "skip_invalid": skip_invalid}
    job = start_job(session, job, params, ctx.by.username)
    report = ImportReport(job.id, spec.name, source.path.name, dry_run=dry_run)
    row_ctx = WriteContext(by=ctx.by, extent=ctx.extent, job_id=job.id, today=ctx.today)
    missing = missing_columns(spec, source, mapping)
    if missing:  # one problem per absent column beats the same problem on every row
        report.rejected.extend(missing)
        finish_job(session, job, report.as_dict())
        return report
    # Numbers (a point's 物探点号) name records in any install; ids only in the one that wrote them.
    mapped = references.resolve(session, spec, mapped_rows(source, spec.name, mapping, report),
                                report)
    rows = ticking(mapped, source.size_hint, tick)
    if spec.children:
        _row_by_row(session, rows, spec.name, row_ctx, crs_ref, report,
                    dry_run=dry_run, skip_invalid=skip_invalid)
    else:
        import_batches(session, rows, spec, row_ctx, crs_ref, report,
                       dry_run=dry_run, skip_invalid=skip_invalid)
    if report.rows == 0:
        report.rejected.append(Problem("file", "no_rows", {}, None))
    finish_job(session, job, report.as_dict())
    return report


def missing_columns(spec: CollectionSpec, source: Source, mapping: dict[str, Any] | None
                    ) -> list[Problem]:
    """Required fields no column provides, nor one implying them (a 小类 column its 大类)."""
    if not source.columns:
        return []  # GeoJSON: each feature names its own properties
    mapped = set(build(spec, source.columns, mapping).columns.values())
    return [Problem("file", "missing_column", {"value": f.name, "label": f.zh}, None)
            for f in spec.fields
            if f.required and not f.readonly and f.default is None and f.name not in mapped
            and spec.implied_by.get(f.name) not in mapped]


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


def _row_by_row(session: Session, rows: Rows, spec_name: str, row_ctx: WriteContext,
                crs_ref: geo.CrsRef, report: ImportReport, *, dry_run: bool,
                skip_invalid: bool) -> None:
    """Collections with nested lists go through the API's service, one row at a time."""
    seen: dict[str, int] = {}
    savepoint = session.begin_nested()
    for record, props in rows:
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
    settle(savepoint, report, dry_run=dry_run, skip_invalid=skip_invalid)


def undo(session: Session, import_id: int, ctx: WriteContext) -> dict[str, int]:
    """Put back what an import changed: retire what it created, restore what it updated."""
    job = session.get(Job, import_id)
    if job is None or job.kind != IMPORT_KIND:
        raise NotFound("no such import", [Problem("import_id", "not_found", {"value": import_id})])
    if (job.result or {}).get("undone"):
        raise InvalidInput("already undone", [Problem("import_id", "already_undone",
                                                      {"value": import_id})])
    entries = audit.entries_of_job(session, import_id)  # a survey pair touches two collections
    undo_ctx = WriteContext(by=ctx.by, extent=None, today=ctx.today)
    retired = restored = 0
    created: dict[str, list[int]] = {}
    for entry in reversed(entries):
        if entry.action == "create":
            created.setdefault(entry.collection, []).append(entry.record_id)
    for spec_name, ids in created.items():  # segments before the points they join
        retired += service.retire_many(session, spec_name, ids, undo_ctx,
                                       reason=f"import {import_id} undone")
    for entry in reversed(entries):
        spec_name = entry.collection
        spec = service.writable(spec_name)
        if entry.action == "update" and entry.before:
            obj = session.get(spec.model, entry.record_id)
            if obj is None:
                continue
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
