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
from typing import Any

import shapely
from shapely import wkt
from shapely.geometry import mapping as as_geojson
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import service
from inventory.formats import Record, Source
from inventory.mapping import Mapping, build
from inventory.service import WriteContext
from resilience import audit, geo
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, ResilienceError
from resilience.jobs import DONE, Job
from resilience.model import now

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


def _mapped_rows(source: Source, spec_name: str, overrides: dict[str, Any] | None,
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
    seen: dict[str, int] = {}
    savepoint = session.begin_nested()
    for record, props in _mapped_rows(source, spec.name, mapping, report):
        report.rows += 1
        if "__invalid__" in record.properties:
            report.rejected.append(Problem("row", record.properties["__invalid__"], {},
                                           record.row))
            continue
        geometry, problem = _geometry(record.geometry, crs_ref, record.row)
        if problem is not None:
            report.rejected.append(problem)
            continue
        external_id = str(props.get("external_id") or "").strip() or None
        if external_id is not None:
            if external_id in seen:
                report.rejected.append(Problem("external_id", "duplicate_in_file",
                                               {"value": external_id, "first": seen[external_id]},
                                               record.row))
                continue
            seen[external_id] = record.row
        feature = {"type": "Feature", "geometry": geometry, "properties": props}
        try:
            with session.begin_nested():
                existing = (_existing_by_external_id(session, spec.name, external_id)
                            if external_id else None)
                if existing is None:
                    obj = service.create(session, spec.name, feature, row_ctx)
                    report.created += 1
                else:
                    obj = service.replace(session, spec.name, existing, feature, row_ctx,
                                          expected_version=None)
                    report.updated += 1
                session.expunge(obj)  # keep memory flat over a long file
        except InvalidInput as error:
            report.rejected.extend(p.at_row(record.row) for p in error.problems)
        except Forbidden:
            report.rejected.append(Problem("division_code", "division_not_granted",
                                           {"value": props.get("division_code") or ""},
                                           record.row))
    keep = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    # ``created``/``updated`` count the valid rows either way; ``stored`` says if they were kept.
    if keep:
        savepoint.commit()
    else:
        savepoint.rollback()
    report.stored = keep
    if report.rows == 0:
        report.rejected.append(Problem("file", "no_rows", {}, None))
    job.status, job.finished_at, job.progress = DONE, now(), 1.0
    job.result = report.as_dict()
    session.flush()
    return report


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
