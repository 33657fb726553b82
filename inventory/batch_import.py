"""The batched import path: the file read a batch at a time, each batch checked, then written.

For collections without nested lists (those go row by row through the service, in
``inventory.importing``), and for both tables of a survey pair (``inventory.survey``).
New rows go in with one bulk INSERT per batch, updates with one executemany per set of
columns, audit entries likewise; all of it inside one savepoint, kept or rolled back whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, cast

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import LargeBinary, Table, bindparam, select
from sqlalchemy.orm import Session

from inventory import service
from inventory.assets import CollectionSpec
from inventory.batch_checks import ValidRow, check_batch, derive
from inventory.bulk import geojson_dicts, insert_rows
from inventory.derived import derived_values, geodesic_lengths, same_place
from inventory.formats import Record
from inventory.import_report import ImportReport, Rows, settle
from inventory.service import WriteContext
from resilience import geo
from resilience.audit import AuditEntry
from resilience.dialects import insert_many
from resilience.divisions import DivisionIndex
from resilience.errors import Problem
from resilience.model import now
from resilience.spatial import from_wkb

BATCH = 2000
_AUDIT = cast(Table, AuditEntry.__table__)  # a mapped class's __table__ is typed as a FromClause


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


def import_batches(session: Session, rows: Rows, spec: CollectionSpec, ctx: WriteContext,
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
            valid = check_batch(session, spec, chunk, ctx, crs_ref, index, seen, report, cache)
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
    settle(savepoint, report, dry_run=dry_run, skip_invalid=skip_invalid)


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

    def create(self, valid: list[ValidRow]) -> None:
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
                values.update(derived_values(self.spec, values, v.geom, self.session))
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
        insert_many(self.session, _AUDIT, [
            {"at": stamp, "actor": by, "action": "create", "collection": self.spec.name,
             "record_id": rid, "division_code": row["division_code"], "before": None,
             "after": after, "reason": None, "job_id": self.ctx.job_id}
            for rid, row, after in zip(ids, rows, afters, strict=True)])

    def update(self, valid: list[ValidRow], known: dict[str, int]) -> int:
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
        objs = [current[known[v.values["external_id"]]] for v in valid]
        stored = np.array([to_shape(o.geom) for o in objs], dtype=object)
        geoms = np.array([v.geom for v in valid], dtype=object)
        kept = same_place(stored, geoms)  # a re-delivery within a millimetre leaves it in place
        geoms[kept] = stored[kept]
        lengths = geodesic_lengths(geoms).tolist() if self.lengths else None
        shapes, wkb = geojson_dicts(geoms), shapely.to_wkb(geoms, output_dimension=2).tolist()
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        audits: list[dict[str, Any]] = []
        unchanged = 0
        for i, (v, obj) in enumerate(zip(valid, objs, strict=True)):
            new = {k: v.values.get(k) for k in v.props if k in self.columns}
            new["division_code"] = v.division
            if lengths is not None:
                new["length_m"] = lengths[i]
            if self.spec.derive is not None:  # from the stored record with the file's values
                merged = {**{k: getattr(obj, k) for k in self.columns}, **new}
                wrong = [p for check in self.spec.cross_checks for p in check(merged)]
                derived, more = derive(self.spec, merged, self.session) if not wrong else ({}, [])
                wrong += more
                if wrong:
                    self.rejected.extend(p.at_row(v.row) for p in wrong)
                    continue
                new.update(derived)
            if kept[i] and all(getattr(obj, k) == x for k, x in new.items()):
                unchanged += 1
                continue
            before = service.snapshot(self.spec, obj)
            after = {**before, **{k: (x.isoformat() if isinstance(x, date) else x)
                                  for k, x in new.items()},
                     "geometry": before["geometry"] if kept[i] else service.rounded(shapes[i]),
                     "version": obj.version + 1, "updated_by": by}
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
        insert_many(self.session, _AUDIT, audits)
        return unchanged
