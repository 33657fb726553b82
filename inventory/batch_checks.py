"""Checks of an import's rows a batch at a time, before anything of the batch is written.

Values are coerced per row (cached across batches), geometries transformed and checked per
batch with one GEOS call each, divisions found in memory, references looked up once per
batch. Every problem goes to the report with its row; the rows without problems come back
as ``ValidRow``s for the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from inventory import repository, service
from inventory.assets import CollectionSpec
from inventory.bulk import force_2d, parse_geometries
from inventory.formats import Record
from inventory.import_report import ImportReport
from inventory.service import WriteContext
from inventory.validation import check_geometries, check_values, parse_rows
from resilience import geo
from resilience.divisions import DivisionIndex, choose
from resilience.errors import InvalidInput, Problem
from resilience.model import SRID


@dataclass
class ValidRow:
    """A row that passed validation, ready to be written."""

    row: int
    props: dict[str, Any]
    values: dict[str, Any]
    geom: BaseGeometry
    division: str


def check_batch(session: Session, spec: CollectionSpec, chunk: list[tuple[Record, dict[str, Any]]],
                ctx: WriteContext, crs: geo.CrsRef, index: DivisionIndex, seen: dict[str, int],
                report: ImportReport, cache: dict[Any, Any]) -> list[ValidRow]:
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
    geometry_ok = np.array([c is None for c in codes], dtype=bool)
    if geometry_ok.any():
        geoms[geometry_ok] = force_2d(geo.to_storage(geoms[geometry_ok], crs))
    checks = check_geometries(spec, geoms[geometry_ok], ctx.extent)
    placed = [i for i, ok in enumerate(geometry_ok) if ok]
    geometry_problems: dict[int, list[Problem]] = dict(zip(placed, checks, strict=True))
    locatable = [i for i in placed if not geometry_problems[i]]
    located = dict(zip(locatable, index.locate_many(geoms[locatable]), strict=True))
    if crs.epsg is not None and crs.epsg not in (SRID, 4326):
        _hint_geographic(rows, geometry_problems, crs, ctx.extent)
    valid: list[ValidRow] = []
    for i, (record, props, values) in enumerate(rows):
        found = problems[record.row]
        code = codes[i]
        if code is not None:
            found.append(Problem("geometry", code, {"type": "WKB/WKT/GeoJSON"}, record.row))
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
            derived, wrong = derive(spec, values, session)
            values.update(derived)
            found.extend(p.at_row(record.row) for p in wrong)
        if found:
            report.rejected.extend(found)
        else:
            assert division is not None
            valid.append(ValidRow(record.row, props, values, geoms[i], division))
    return _with_references(session, spec, valid, report)


def derive(spec: CollectionSpec, values: dict[str, Any], session: Session | None = None
           ) -> tuple[dict[str, Any], list[Problem]]:
    """The values a collection derives for a row (a risk point's score and level).

    The row has passed the collection's checks, so this normally succeeds; should the
    factors still be off their tables, that is the row's problem, never a failed import.
    """
    assert spec.derive is not None
    try:
        return spec.derive(values, session), []
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
    bounds: tuple[float, float, float, float] = geom.bounds
    minx, miny, maxx, maxy = bounds
    return extent[0] <= minx and extent[1] <= miny and maxx <= extent[2] and maxy <= extent[3]


def _with_references(session: Session, spec: CollectionSpec, valid: list[ValidRow],
                     report: ImportReport) -> list[ValidRow]:
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
