"""Bulk import of a file into a collection: all or nothing, every rejected row reported.

This first version stores rows through the same service as the API (validation, division,
access, audit), inside one savepoint: any rejected row rolls the savepoint back unless
``skip_invalid`` is set, and ``dry_run`` always rolls it back. Rows whose ``external_id``
is already in the registry update that record instead of duplicating it. Every audit entry
names the import (its job id), so ``undo`` can put back what the import changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import mapping as as_geojson
from shapely.geometry.base import BaseGeometry
from sqlalchemy import LargeBinary, bindparam, select
from sqlalchemy.orm import Session

from inventory import repository, service
from inventory.assets import CollectionSpec
from inventory.bulk import force_2d, geodesic_lengths, geojson_dicts, insert_rows, parse_geometries
from inventory.formats import Record, Source
from inventory.mapping import Mapping, build
from inventory.service import WriteContext
from inventory.validation import check_geometries, check_values, parse_rows
from resilience import audit, geo
from resilience.audit import AuditEntry
from resilience.dialects import insert_many
from resilience.divisions import DivisionIndex, choose
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, ResilienceError
from resilience.jobs import DONE, Job
from resilience.model import SRID, now
from resilience.spatial import from_wkb

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
    unchanged: int = 0  # of ``updated``: rows that matched the registry already
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
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows, "dry_run": self.dry_run, "stored": self.stored,
            "unmapped_columns": self.unmapped,
            "rejected": [{"row": p.row, "field": p.field, "code": p.code, "params": p.params}
                         for p in self.rejected],
        }


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


Tick = Callable[[int, int | None], None]  # rows done, rows expected (None when unknown)


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
    if job is None:
        job = Job(kind=IMPORT_KIND, status="running", created_by=ctx.by.username, params=params,
                  started_at=now())
        session.add(job)
    else:
        job.params = {**(job.params or {}), **params}
    session.flush()
    report = ImportReport(job.id, spec.name, source.path.name, dry_run=dry_run)
    row_ctx = WriteContext(by=ctx.by, extent=ctx.extent, job_id=job.id, today=ctx.today)
    missing = missing_columns(spec, source, mapping)
    if missing:  # one problem per absent column beats the same problem on every row
        report.rejected.extend(missing)
        job.status, job.finished_at, job.progress = DONE, now(), 1.0
        job.result = report.as_dict()
        session.flush()
        return report
    rows = _ticking(mapped_rows(source, spec.name, mapping, report), source.size_hint, tick)
    if spec.children:
        _row_by_row(session, rows, spec.name, row_ctx, crs_ref, report,
                    dry_run=dry_run, skip_invalid=skip_invalid)
    else:
        _batched(session, rows, spec, row_ctx, crs_ref, report,
                 dry_run=dry_run, skip_invalid=skip_invalid)
    if report.rows == 0:
        report.rejected.append(Problem("file", "no_rows", {}, None))
    job.status, job.finished_at, job.progress = DONE, now(), 1.0
    job.result = report.as_dict()
    session.flush()
    return report


def missing_columns(spec: CollectionSpec, source: Source, mapping: dict[str, Any] | None
                    ) -> list[Problem]:
    """Required fields no column of a table provides (files with fixed columns only)."""
    if not source.columns:
        return []  # GeoJSON: each feature names its own properties
    mapped = set(build(spec, source.columns, mapping).columns.values())
    return [Problem("file", "missing_column", {"value": f.name, "label": f.zh}, None)
            for f in spec.fields
            if f.required and not f.readonly and f.default is None and f.name not in mapped]


Rows = Iterator[tuple[Record, dict[str, Any]]]


def _ticking(rows: Rows, expected: int | None, tick: Tick | None, every: int = 1000) -> Rows:
    """Pass rows through, telling ``tick`` how far along the file is every ``every`` rows."""
    done = 0
    for item in rows:
        yield item
        done += 1
        if tick is not None and done % every == 0:
            tick(done, expected)
    if tick is not None:
        tick(done, expected)


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
    keep = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    if keep:
        savepoint.commit()
    else:
        savepoint.rollback()
    report.stored = keep


BATCH = 2000


@dataclass
class _Valid:
    """A row that passed validation, ready to be written."""

    row: int
    props: dict[str, Any]
    values: dict[str, Any]
    geom: BaseGeometry
    division: str


def _chunks(rows: Iterator[tuple[Record, dict[str, Any]]], size: int
            ) -> Iterator[list[tuple[Record, dict[str, Any]]]]:
    chunk: list[tuple[Record, dict[str, Any]]] = []
    for item in rows:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_chunk(session: Session, spec: CollectionSpec, chunk: list[tuple[Record, dict[str, Any]]],
                 ctx: WriteContext, crs: geo.CrsRef, index: DivisionIndex, seen: dict[str, int],
                 report: ImportReport, cache: dict[Any, Any]) -> list[_Valid]:
    """Validate a batch of rows without writing: values per row, geometry and divisions per batch.

    Every problem goes to the report with its row; the rows without problems come back.
    """
    today = ctx.today or date.today()
    rows: list[tuple[Record, dict[str, Any], dict[str, Any]]] = []
    problems: dict[int, list[Problem]] = {}
    report.rows += len(chunk)
    readable = []
    for record, props in chunk:
        if "__invalid__" in record.properties:
            report.rejected.append(Problem("row", record.properties["__invalid__"], {}, record.row))
        else:
            readable.append((record, props))
    parsed = parse_rows(spec, [props for _, props in readable], today, cache)
    for (record, props), (values, found) in zip(readable, parsed, strict=True):
        failed = {p.field for p in found}
        found.extend(p for p in check_values(spec, values, today) if p.field not in failed)
        external_id = values.get("external_id")
        if external_id is not None:
            first = seen.setdefault(external_id, record.row)
            if first != record.row:
                found.append(Problem("external_id", "duplicate_in_file",
                                     {"value": external_id, "first": first}))
        start, end = values.get("start_point_id"), values.get("end_point_id")
        if start is not None and start == end:
            found.append(Problem("end_point_id", "same_start_end", {}))
        problems[record.row] = [p.at_row(record.row) for p in found]
        rows.append((record, props, values))
    geoms, codes = parse_geometries([record.geometry for record, _, _ in rows])
    readable = np.array([c is None for c in codes], dtype=bool)
    if readable.any():
        geoms[readable] = force_2d(geo.to_storage(geoms[readable], crs))
    checks = check_geometries(spec, geoms[readable], ctx.extent)
    placed = [i for i, ok in enumerate(readable) if ok]
    geometry_problems: dict[int, list[Problem]] = dict(zip(placed, checks, strict=True))
    locatable = [i for i in placed if not geometry_problems[i]]
    located = dict(zip(locatable, index.locate_many(geoms[locatable]), strict=True))
    if crs.epsg is not None and crs.epsg not in (SRID, 4326):
        _hint_geographic(rows, geometry_problems, crs, ctx.extent)
    valid: list[_Valid] = []
    for i, (record, props, values) in enumerate(rows):
        found = problems[record.row]
        if codes[i] is not None:
            found.append(Problem("geometry", codes[i], {"type": "WKB/WKT/GeoJSON"}, record.row))
        found.extend(p.at_row(record.row) for p in geometry_problems.get(i, ()))
        division = None
        if i in located:
            given = values.get("division_code")
            division, problem = choose(given, given is None or index.exists(given), located[i])
            if problem is not None:
                found.append(problem.at_row(record.row))
            elif division is not None and not ctx.by.sees(division):
                found.append(Problem("division_code", "division_not_granted",
                                     {"value": division}, record.row))
        if not found and spec.derive is not None:
            derived, wrong = _derive(spec, values)
            values.update(derived)
            found.extend(p.at_row(record.row) for p in wrong)
        if found:
            report.rejected.extend(found)
        else:
            assert division is not None
            valid.append(_Valid(record.row, props, values, geoms[i], division))
    return _with_references(session, spec, valid, report)


def _derive(spec: CollectionSpec, values: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The values a collection derives for a row (a risk point's score and level).

    The row has passed the collection's checks, so this normally succeeds; should the
    factors still be off their tables, that is the row's problem, never a failed import.
    """
    assert spec.derive is not None
    try:
        return spec.derive(values), []
    except InvalidInput as error:
        return {}, list(error.problems)
    except (KeyError, TypeError, ValueError) as error:
        return {}, [Problem("row", "invalid_value", {"value": str(error)[:80]})]


def _hint_geographic(rows: list[Any], problems: dict[int, list[Problem]], crs: geo.CrsRef,
                     extent: tuple[float, float, float, float] | None) -> None:
    """Coordinates that are lon/lat inside the city although a projected CRS was declared."""
    if extent is None:
        return
    for i, found in problems.items():
        for p in found:
            if p.code not in ("outside_city", "non_finite_coordinates") or "hint" in p.params:
                continue  # a transform far outside its zone gives infinities
            raw, _ = parse_geometries([rows[i][0].geometry])
            if raw[0] is None:
                continue
            if check_geometries_inside(raw[0], extent):
                p.params["hint"] = "geographic"
                p.params["crs"] = crs.uri
            elif _other_zone(raw[0].bounds[0], crs.epsg):
                p.params["hint"] = "other_zone"


def _other_zone(easting: float, epsg: int | None) -> bool:
    """Eastings with a zone prefix (40 500 000) under a zone without one, or the reverse.

    CGCS2000 Gauss-Krüger: EPSG:4513–4533 carry the zone number in front of the easting,
    EPSG:4534–4554 do not; the two are confused in nearly every survey delivery.
    """
    if epsg is None:
        return False
    if 4534 <= epsg <= 4554:
        return easting >= 1_000_000
    if 4513 <= epsg <= 4533:
        return 0 < easting < 1_000_000
    return False


def check_geometries_inside(geom: BaseGeometry, extent: tuple[float, float, float, float]) -> bool:
    """True when a geometry's bounds lie inside the extent."""
    minx, miny, maxx, maxy = geom.bounds
    return extent[0] <= minx and extent[1] <= miny and maxx <= extent[2] and maxy <= extent[3]


def _with_references(session: Session, spec: CollectionSpec, valid: list[_Valid],
                     report: ImportReport) -> list[_Valid]:
    """Rows whose references (a segment's points) exist; the others are reported."""
    bad: set[int] = set()
    for name, target in spec.references.items():
        wanted = {v.values[name] for v in valid if v.values.get(name) is not None}
        if not wanted:
            continue
        found = repository.existing_ids(session, service.collection(target), wanted)
        for v in valid:
            ref = v.values.get(name)
            if ref is not None and ref not in found:
                report.rejected.append(Problem(name, "reference_not_found",
                                               {"collection": target, "value": ref}, v.row))
                bad.add(v.row)
    return [v for v in valid if v.row not in bad]


def _batched(session: Session, rows: Rows, spec: CollectionSpec, ctx: WriteContext,
             crs_ref: geo.CrsRef, report: ImportReport, *, dry_run: bool,
             skip_invalid: bool) -> None:
    """One pass over the file in batches: validate a batch, then write it, in one savepoint.

    Divisions are found in memory and references and known external ids are looked up once
    per batch. New rows go in with one multi-row INSERT … RETURNING per batch, their audit
    entries likewise; rows that update a known external id go through the service. Once any
    row is rejected (without ``skip_invalid``) writing stops and the rest is only validated;
    the savepoint is rolled back at the end, so the database is left as it was.
    """
    index = DivisionIndex.load(session)
    seen: dict[str, int] = {}
    cache: dict[Any, Any] = {}
    model = spec.model
    writer = _Writer(session, spec, ctx, report.rejected)
    savepoint = session.begin_nested()
    try:
        for chunk in _chunks(rows, BATCH):
            valid = _check_chunk(session, spec, chunk, ctx, crs_ref, index, seen, report, cache)
            wanted = [v.values["external_id"] for v in valid if v.values.get("external_id")]
            known = dict(session.execute(select(model.external_id, model.id).where(
                model.external_id.in_(wanted), model.retired_at.is_(None))).tuples().all()
                ) if wanted else {}
            updates = [v for v in valid if v.values.get("external_id") in known]
            report.updated += len(updates)
            report.created += len(valid) - len(updates)
            if dry_run or (report.rejected and not skip_invalid):
                continue
            report.unchanged += writer.update(updates, known)
            writer.create([v for v in valid if v.values.get("external_id") not in known])
    except BaseException:
        savepoint.rollback()
        raise
    report.stored = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    if report.stored:
        savepoint.commit()
    else:
        savepoint.rollback()


class _Writer:
    """New rows and their audit entries, written a batch at a time."""

    def __init__(self, session: Session, spec: CollectionSpec, ctx: WriteContext,
                 rejected: list[Problem]):
        self.session, self.spec, self.ctx = session, spec, ctx
        self.rejected = rejected  # the report's: rows found wrong only when merged on update
        self.table = spec.model.__table__
        self.columns = [c for c in self.table.c.keys() if c != "id"]
        self.lengths = "length_m" in self.table.c
        # Constant column defaults (a risk point's source) the ORM would fill in: PostgreSQL's
        # COPY, which the bulk insert uses there, knows only the server's defaults.
        self.defaults = {c.name: c.default.arg for c in self.table.c
                         if c.default is not None and c.default.is_scalar}

    def create(self, valid: list[_Valid]) -> None:
        """Insert the rows with one statement, then their audit entries with another."""
        if not valid:
            return
        stamp, by = now(), self.ctx.by.username
        geoms = np.array([v.geom for v in valid], dtype=object)
        lengths = geodesic_lengths(geoms).tolist() if self.lengths else None
        rows, afters = [], []
        shapes = geojson_dicts(geoms)
        for i, v in enumerate(valid):
            values = dict(v.values)
            values["division_code"] = v.division
            if lengths is not None:
                values["length_m"] = lengths[i]
            if self.spec.name == "shelters":
                values.update(service.derived_values(self.spec, values, v.geom))
            row = {k: values.get(k) for k in self.columns if k in values}
            for k, default in self.defaults.items():
                row.setdefault(k, default)
            after = {k: (x.isoformat() if isinstance(x, date) else x) for k, x in row.items()}
            after["geometry"] = shapes[i]
            row.update(geom=v.geom, version=1, created_at=stamp, updated_at=stamp, created_by=by,
                       updated_by=by)
            rows.append(row)
            afters.append(after)
        ids = insert_rows(self.session, self.table, rows)
        insert_many(self.session, AuditEntry.__table__, [
            {"at": stamp, "actor": by, "action": "create", "collection": self.spec.name,
             "record_id": rid, "division_code": row["division_code"], "before": None,
             "after": after, "reason": None, "job_id": self.ctx.job_id}
            for rid, row, after in zip(ids, rows, afters, strict=True)])


    def update(self, valid: list[_Valid], known: dict[str, int]) -> int:
        """Rows whose external id is in the registry: the columns the file gives are merged.

        Rows that would not change are left alone (a re-delivery is mostly the same data);
        the others are updated with one executemany per set of columns, each with an audit
        entry holding before and after. Returns how many rows were unchanged.
        """
        if not valid:
            return 0
        model, stamp, by = self.spec.model, now(), self.ctx.by.username
        current = {o.id: o for o in self.session.scalars(
            select(model).where(model.id.in_([known[v.values["external_id"]] for v in valid])))}
        geoms = np.array([v.geom for v in valid], dtype=object)
        lengths = geodesic_lengths(geoms).tolist() if self.lengths else None
        shapes, wkb = geojson_dicts(geoms), shapely.to_wkb(geoms, output_dimension=2).tolist()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        audits: list[dict[str, Any]] = []
        unchanged = 0
        for i, v in enumerate(valid):
            obj = current[known[v.values["external_id"]]]
            new = {k: v.values.get(k) for k in v.props if k in self.columns}
            new["division_code"] = v.division
            if lengths is not None:
                new["length_m"] = lengths[i]
            if self.spec.derive is not None:  # from the stored record with the file's values
                merged = {**{k: getattr(obj, k) for k in self.columns}, **new}
                wrong = [p for check in self.spec.cross_checks for p in check(merged)]
                derived, more = _derive(self.spec, merged) if not wrong else ({}, [])
                wrong += more
                if wrong:
                    self.rejected.extend(p.at_row(v.row) for p in wrong)
                    continue
                new.update(derived)
            same_place = shapely.equals_exact(to_shape(obj.geom), v.geom, tolerance=1e-9)
            if same_place and all(getattr(obj, k) == x for k, x in new.items()):
                unchanged += 1
                continue
            before = service.snapshot(self.spec, obj)
            after = {**before, **{k: (x.isoformat() if isinstance(x, date) else x)
                                  for k, x in new.items()},
                     "geometry": shapes[i], "version": obj.version + 1, "updated_by": by}
            groups.setdefault(tuple(sorted(new)), []).append(
                {"_id": obj.id, "_version": obj.version, "_wkb": wkb[i],
                 **{"v_" + k: x for k, x in new.items()}})
            audits.append({"at": stamp, "actor": by, "action": "update",
                           "collection": self.spec.name, "record_id": obj.id,
                           "division_code": v.division, "before": before, "after": after,
                           "reason": None, "job_id": self.ctx.job_id})
        for obj in current.values():
            self.session.expunge(obj)  # updated below without the ORM: drop the stale copies
        t = self.table
        for keys, rows in groups.items():
            self.session.execute(
                t.update().where(t.c.id == bindparam("_id"), t.c.version == bindparam("_version"))
                .values({**{k: bindparam("v_" + k, type_=t.c[k].type) for k in keys},
                         "geom": from_wkb(bindparam("_wkb", type_=LargeBinary)),
                         "version": t.c.version + 1, "updated_at": stamp, "updated_by": by}),
                rows)
        insert_many(self.session, AuditEntry.__table__, audits)
        return unchanged


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
