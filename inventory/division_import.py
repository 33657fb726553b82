"""Official division boundaries from a file, replacing the offline ones, all or nothing.

A city's land bureau delivers its districts and streets (街道/乡镇) as a Shapefile, GeoPackage
or GeoJSON, in whatever CRS (CGCS2000 Gauss-Krüger, GCJ-02…). This reads it like any survey
delivery (``inventory.formats``, the same CRS handling as asset imports), finds the code and
name columns, checks every row — a code the city does not have, a duplicate, an empty or
invalid geometry, a county outside its city, siblings that overlap or leave holes in their
parent — and only then hands the boundaries to the kernel (``resilience.division_sync``),
which audits each change. Records keep their division; only boundaries and names change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.bulk import force_2d, parse_geometries
from inventory.formats import Record, open_source
from resilience import geo
from resilience.division_sync import OfficialBoundary, SyncReport, parent_code_of, replace_boundaries
from resilience.divisions import Division, division_prefix
from resilience.errors import InvalidInput, Problem
from resilience.gb2260 import clean_boundary

CODE_COLUMNS = ("code", "division_code", "adcode", "gb", "pac", "xzqdm", "区划代码",
                "行政区划代码", "行政区代码", "代码", "xzqh", "dm")
NAME_COLUMNS = ("name", "division_name", "xzqmc", "区划名称", "行政区划名称", "行政区名称", "名称",
                "mc")
# Shares of a parent's area: siblings may overlap or leave a gap this much from digitising
# slivers; beyond it the file is wrong (two streets claim the same block, a block has none).
OVERLAP_TOLERANCE = 0.005
HOLE_TOLERANCE = 0.01
OUTSIDE_TOLERANCE = 0.01


_NO_RECORD = Record(row=0, properties={})


@dataclass
class Plan:
    """What an import of boundaries would do, before it does it."""

    rows: list[OfficialBoundary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _column(columns: list[str], wanted: str | None, candidates: tuple[str, ...],
            field_name: str) -> str:
    if wanted:
        if wanted not in columns:
            raise InvalidInput("no such column", [Problem(field_name, "unknown_column", {
                "value": wanted, "allowed": columns})])
        return wanted
    lowered = {c.strip().lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise InvalidInput("column not found", [Problem(field_name, "column_not_found", {
        "allowed": columns, "tried": ", ".join(candidates[:6])})])


def _code(raw: Any) -> str:
    text = str(raw if raw is not None else "").strip()
    if text.endswith(".0"):  # a code read as a number by a spreadsheet or a dBase N field
        text = text[:-2]
    if len(text) == 12 and text.endswith("000"):  # 12-digit township codes of the census
        text = text[:9]
    return text


def plan(session: Session, path: Path, *, city_code: str, crs: str | None = None,
         code_column: str | None = None, name_column: str | None = None,
         layer: str | None = None, encoding: str | None = None) -> Plan:
    """Read and check a boundary file; every problem named by row and field."""
    source = open_source(path, layer=layer, encoding=encoding)
    columns = source.columns or list(next(iter(source.records()), _NO_RECORD).properties)
    code_col = _column(columns, code_column, CODE_COLUMNS, "code_column")
    name_col = _column(columns, name_column, NAME_COLUMNS, "name_column")
    ref = geo.parse_crs(crs or source.crs, field="crs")
    city_prefix = division_prefix(city_code)
    known = {c: n for c, n in session.execute(select(Division.code, Division.name))}
    out = Plan()
    seen: dict[str, int] = {}
    for record in source.records():
        row = record.row
        code = _code(record.properties.get(code_col))
        name = str(record.properties.get(name_col) or "").strip()
        problems = []
        if not code.isdigit() or len(code) not in (6, 9):
            problems.append(Problem("code", "invalid_division_code", {"value": code}, row))
        elif not code.startswith(city_prefix):
            problems.append(Problem("code", "division_outside_city", {"value": code,
                                                                      "city": city_code}, row))
        elif code in seen:
            problems.append(Problem("code", "duplicate_in_file", {"value": code,
                                                                  "first": seen[code]}, row))
        elif code not in known and (len(code) != 9 or code[:6] not in known):
            problems.append(Problem("code", "unknown_division", {"value": code}, row))
        if not name:
            problems.append(Problem("name", "required", {}, row))
        geom = _geometry(record.geometry, ref, row, problems)
        if problems:
            out.problems += problems
            continue
        assert geom is not None
        seen[code] = row
        out.rows.append(OfficialBoundary(code=code, name=name, geom=geom))
    if not out.rows and not out.problems:
        out.problems.append(Problem("file", "empty", {}))
    out.problems += _nesting(session, out.rows, seen)
    return out


def _geometry(raw: Any, ref: geo.CrsRef, row: int, problems: list[Problem]
              ) -> BaseGeometry | None:
    geoms, codes = parse_geometries([raw])
    if codes[0] is not None or geoms[0] is None:
        problems.append(Problem("geometry", codes[0] or "required", {}, row))
        return None
    geom = force_2d(geo.to_storage(geoms, ref))[0]
    if geom.is_empty:
        problems.append(Problem("geometry", "empty_geometry", {}, row))
        return None
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        problems.append(Problem("geometry", "wrong_geometry_type", {
            "value": geom.geom_type, "allowed": "Polygon, MultiPolygon"}, row))
        return None
    if not np.isfinite(shapely.get_coordinates(geom)).all() or not -180 <= geom.bounds[0] <= 180:
        problems.append(Problem("geometry", "non_finite_coordinates", {}, row))
        return None
    cleaned = clean_boundary(geom)
    # A boundary that needs more than snapping to be valid (a bowtie, a ring crossing itself)
    # would change area when repaired: refuse it, saying why, rather than guess its shape.
    if cleaned.is_empty or abs(cleaned.area - geom.area) > 0.001 * max(cleaned.area, 1e-12):
        problems.append(Problem("geometry", "invalid_geometry", {
            "reason": shapely.is_valid_reason(geom)}, row))
        return None
    return cleaned


def _boundary_of(session: Session, code: str, new: dict[str, BaseGeometry]) -> BaseGeometry | None:
    if code in new:
        return new[code]
    division = session.get(Division, code)
    if division is None or division.boundary is None:
        return None
    return to_shape(division.boundary)


def _nesting(session: Session, rows: list[OfficialBoundary], seen: dict[str, int]
             ) -> list[Problem]:
    """Each boundary inside its parent; siblings neither overlapping nor leaving holes."""
    new = {r.code: r.geom for r in rows}
    problems: list[Problem] = []
    children: dict[str, list[str]] = {}
    for r in rows:
        parent = parent_code_of(r.code)
        while parent is not None and _boundary_of(session, parent, new) is None:
            parent = parent_code_of(parent)
        if parent is None:
            continue
        children.setdefault(parent, []).append(r.code)
        outer = _boundary_of(session, parent, new)
        assert outer is not None
        outside = r.geom.difference(outer).area / max(r.geom.area, 1e-12)
        if outside > OUTSIDE_TOLERANCE:
            problems.append(Problem("geometry", "outside_parent", {
                "value": r.code, "parent": parent, "share": f"{outside:.0%}"}, seen[r.code]))
    for parent, codes in children.items():
        outer = _boundary_of(session, parent, new)
        if outer is None or outer.area == 0:
            continue
        geoms = [new[c] for c in codes]
        tree = shapely.STRtree(geoms)
        for i, j in zip(*tree.query(geoms, predicate="intersects"), strict=True):
            if i < j:
                shared = geoms[i].intersection(geoms[j]).area / outer.area
                if shared > OVERLAP_TOLERANCE:
                    problems.append(Problem("geometry", "overlaps", {
                        "value": codes[j], "other": codes[i], "share": f"{shared:.1%}"},
                        seen[codes[j]]))
        # The children of a parent, as they would stand, must cover it: a file of streets
        # gives every street of its county (registered ones it leaves out keep theirs).
        stored = {c: to_shape(g) for c, g in session.execute(
            select(Division.code, Division.boundary).where(Division.parent_code == parent,
                                                           Division.boundary.is_not(None)))}
        siblings = {**stored, **{c: new[c] for c in codes}}
        gap = outer.difference(shapely.union_all(list(siblings.values()))).area / outer.area
        if gap > HOLE_TOLERANCE:
            problems.append(Problem("geometry", "leaves_hole", {
                "value": parent, "share": f"{gap:.0%}"}, min(seen[c] for c in codes)))
    return problems


def load(session: Session, path: Path, *, city_code: str, by: str, **options: Any) -> SyncReport:
    """Check a boundary file and store it, all or nothing (InvalidInput with every problem)."""
    checked = plan(session, path, city_code=city_code, **options)
    if checked.problems:
        raise InvalidInput("boundaries not stored", checked.problems)
    return replace_boundaries(session, checked.rows, actor=by, source=Path(path).name)
