"""Survey result tables (管线点表 + 管线段表, CJJ 61 / GB/T 35644) imported as a pair.

A survey company delivers a point table (物探点号, X, Y, 地面高程, 特征, 附属物…) and a line
table whose rows name their start and end point numbers (起点点号, 终点点号, 起点埋深…).
The pair becomes network points and the segments between them. Surveyors write X for
northing and Y for easting, so a point is (Y, X) in the declared CRS. The survey QA rules
are validation here: start ≠ end, no duplicate or reversed segment, every referenced point
exists, depths in range, and one point's depth agrees across the segments that meet there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely import wkb
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import service
from inventory.batch_import import import_batches
from inventory.formats import Record, Source, open_source
from inventory.import_report import ImportReport, Tick, finish_job, settle, start_job, ticking
from inventory.mapping import ALIASES, build, normalise
from inventory.service import WriteContext
from inventory.validation import coerce
from resilience import geo
from resilience.codes import pipeline_type
from resilience.errors import Forbidden, InvalidInput, Problem
from resilience.jobs import Job
from resilience.spatial import as_wkb

POINT_NO = ("物探点号", "点号", "图上点号", "外业点号", "管线点号", "测点号", "pointno", "pointnumber",
            "point_no", "expno")
START_NO = ("起点点号", "起点号", "起始点号", "起点", "startpoint", "start_point_no", "spoint", "s_point")
END_NO = ("终点点号", "终点号", "连接点号", "终点", "endpoint", "end_point_no", "epoint", "e_point")
NORTHING = ("x", "x坐标", "纵坐标", "北坐标", "northing")
EASTING = ("y", "y坐标", "横坐标", "东坐标", "easting")
FEATURE = ("附属物", "附属设施")  # a manhole or valve says more than the point's feature
DEPTH_TOLERANCE_M = 0.5  # one pipe's depth at a point, as two segments record it

# CJJ 61 特征 and 附属物 words as the registry's point kinds.
SURVEY_KINDS = {
    "直线点": "feature_point", "特征点": "feature_point", "变径": "feature_point",
    "变材": "feature_point", "出地": "feature_point", "进房": "feature_point",
    "上杆": "feature_point", "非普查": "other", "转折点": "bend", "拐点": "bend",
    "弯头": "bend", "三通": "junction", "四通": "junction", "多通": "junction",
    "分支": "junction", "预留口": "end_cap", "盲板": "end_cap", "终点": "end_cap",
    "检修井": "manhole", "检查井": "manhole", "窨井": "manhole", "污水井": "manhole",
    "雨水井": "manhole", "人孔": "manhole", "手孔": "manhole", "阀门井": "valve",
    "阀门": "valve", "阀": "valve", "消防栓": "hydrant", "消火栓": "hydrant",
    "水表": "meter", "水表井": "meter", "流量计": "meter", "雨水篦": "inlet",
    "雨篦": "inlet", "雨水口": "inlet", "出水口": "outfall", "排放口": "outfall",
    "调压箱": "regulator", "调压站": "regulator", "变压器": "transformer",
    "接线箱": "cable_joint", "泵站": "pump",
}


def _column(columns: list[str], names: tuple[str, ...]) -> str | None:
    wanted = {normalise(n) for n in names}
    return next((c for c in columns if normalise(c) in wanted), None)


def is_point_table(columns: list[str], has_geometry: bool = False) -> bool:
    """A table of numbered points with X/Y (or a point geometry) and no start/end numbers."""
    return (_column(columns, POINT_NO) is not None and _column(columns, START_NO) is None
            and (has_geometry or (_column(columns, NORTHING) is not None
                                  and _column(columns, EASTING) is not None)))


def is_line_table(columns: list[str]) -> bool:
    """A table whose rows name a start and an end point number."""
    return _column(columns, START_NO) is not None and _column(columns, END_NO) is not None


def find_pair(path: str | Path, **options: Any) -> tuple[Source, Source] | None:
    """The line and point tables among a workbook's sheets or a dataset's layers, if both are there."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from inventory.formats.xlsx import sheets

        names, key = sheets(p), "sheet"
    elif suffix in (".gpkg", ".zip", ".gdb"):
        from inventory.formats.ogr import layers

        names, key = layers(p), "layer"
    else:
        return None
    if len(names) < 2:
        return None
    lines = points = None
    for name in names:
        source = open_source(p, **{**options, key: name, "plain": True})
        if lines is None and is_line_table(source.columns):
            lines = open_source(p, **{**options, key: name})
        elif points is None and is_point_table(source.columns, source.format not in ("xlsx", "csv")):
            points = source
    return (lines, points) if lines is not None and points is not None else None


@dataclass
class _Point:
    row: int
    x: float  # easting (the table's Y)
    y: float  # northing (the table's X)
    category: Any = None  # the point table's 管线类型, if it has one


def _cell(props: dict[str, Any], column: str | None) -> Any:
    """A row's value in a column, None when the table has no such column."""
    return props.get(column) if column is not None else None


def _number(value: Any) -> str | None:
    """A point number as text: 12.0 read from Excel is point "12"."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


_PREFIX = re.compile(r"^([A-Za-z]{2})\d")


def _category(props: dict[str, Any], column: str | None, number: str) -> Any:
    """A point's pipeline type: its 管线类型, else the CJJ 61 code its number starts with (JS12, YS12)."""
    if column is not None and props.get(column) not in (None, ""):
        return props[column]
    match = _PREFIX.match(number)
    if match and pipeline_type(match.group(1)) is not None:
        return match.group(1).upper()
    return None


def _line_category(line: dict[str, Any], point: Any) -> Any:
    """The type a segment takes from its start point: the 小类 too, unless the line names one."""
    if line.get("subcategory") in (None, ""):
        return point
    found = pipeline_type(point)
    return found[0] if found is not None else point


def _read_points(points: Source, report: ImportReport) -> tuple[dict[str, _Point], list[Record]]:
    """Every numbered point with its position in the file's CRS; problems go to the report."""
    number_col = _column(points.columns, POINT_NO)
    north_col, east_col = _column(points.columns, NORTHING), _column(points.columns, EASTING)
    category_col = next((c for c in points.columns if ALIASES.get(normalise(c)) == "category"), None)
    found: dict[str, _Point] = {}
    records: list[Record] = []
    for record in points.records():
        props = record.properties
        number = _number(props.get(number_col)) if number_col else None
        if number is None:
            report.rejected.append(Problem("point_no", "required", {"table": "points"}, record.row))
            continue
        if number in found:
            report.rejected.append(Problem("point_no", "duplicate_in_file",
                                           {"value": number, "first": found[number].row,
                                            "table": "points"}, record.row))
            continue
        geometry = record.geometry
        if geometry is None and north_col and east_col:
            north, east = _float(props.get(north_col)), _float(props.get(east_col))
            if north is None or east is None:
                report.rejected.append(Problem("geometry", "required", {"table": "points"},
                                               record.row))
                continue
            geometry = {"type": "Point", "coordinates": [east, north]}
            found[number] = _Point(record.row, east, north, _category(props, category_col, number))
        else:
            from inventory.bulk import parse_geometries

            geoms, codes = parse_geometries([geometry])
            if codes[0] is not None or geoms[0].geom_type != "Point":
                report.rejected.append(Problem("geometry", codes[0] or "wrong_geometry_type",
                                               {"table": "points", "value": "?", "allowed": "Point",
                                                "type": "Point"}, record.row))
                continue
            found[number] = _Point(record.row, geoms[0].x, geoms[0].y,
                                   _category(props, category_col, number))
        records.append(Record(record.row, props, geometry))
    return found, records


def _point_rows(records: list[Record], points: Source, mapping: dict[str, Any] | None,
                report: ImportReport) -> Iterator[tuple[Record, dict[str, Any]]]:
    """Point records as network-point properties: number as external id, kind from 附属物/特征."""
    spec = service.collection("network-points")
    skip = {_column(points.columns, n) for n in (NORTHING, EASTING, FEATURE)} - {None}
    columns = [c for c in points.columns if c not in skip]
    table = build(spec, columns, mapping)
    report.unmapped = sorted(set(report.unmapped) | {f"points:{c}" for c in table.unmapped})
    number_col = _column(points.columns, POINT_NO)
    feature_col = _column(points.columns, FEATURE)
    kind_col = next((c for c, f in table.columns.items() if f == "kind"), None)
    for record in records:
        props = table.apply({k: v for k, v in record.properties.items() if k in table.columns})
        props["external_id"] = _number(_cell(record.properties, number_col))
        words = [record.properties.get(c) for c in (feature_col, kind_col) if c]
        kinds = [SURVEY_KINDS.get(str(w).strip()) for w in words if w not in (None, "")]
        kind = next((k for k in kinds if k), None)
        if props.get("category") in (None, ""):
            props["category"] = _category({}, None, props["external_id"] or "")
        props["kind"] = kind or next((w for w in words if w not in (None, "")), "feature_point")
        yield record, props


class _Registered:
    """Points a line table names that an earlier delivery stored, looked up as they are met."""

    def __init__(self, session: Session, crs: geo.CrsRef):
        self.session, self.crs = session, crs
        self.cache: dict[str, tuple[int, _Point] | None] = {}

    def get(self, number: str) -> tuple[int, _Point] | None:
        """The stored point's id and its position in the file's CRS, or None."""
        if number not in self.cache:
            model = service.collection("network-points").model
            row = self.session.execute(select(model.id, as_wkb(model.geom))
                                       .where(model.external_id == number,
                                              model.retired_at.is_(None)).limit(1)).first()
            if row is None:
                self.cache[number] = None
            else:
                point = geo.from_storage(wkb.loads(bytes(row[1])), self.crs)
                self.cache[number] = (row[0], _Point(0, point.x, point.y))
        return self.cache[number]


def _line_rows(lines: Source, points: dict[str, _Point], known: _Registered,
               ids: dict[str, int], mapping: dict[str, Any] | None, report: ImportReport,
               today: Any) -> Iterator[tuple[Record, dict[str, Any]]]:
    """Segments from the line table, checked by the survey QA rules before the registry's."""
    spec = service.collection("pipelines")
    start_col, end_col = _column(lines.columns, START_NO), _column(lines.columns, END_NO)
    columns = [c for c in lines.columns if c not in (start_col, end_col)]
    table = build(spec, columns, mapping)
    report.unmapped = sorted(set(report.unmapped) | set(table.unmapped))
    pairs: dict[tuple[str, str], int] = {}
    depths: dict[str, list[tuple[float, int, str]]] = {}
    rejected_rows: set[int] = set()
    rows: list[tuple[Record, dict[str, Any]]] = []
    for record in lines.records():
        props = table.apply({k: v for k, v in record.properties.items() if k in table.columns})
        start, end = _number(_cell(record.properties, start_col)), _number(_cell(record.properties, end_col))
        found: list[Problem] = []
        for field, number in (("start_point_no", start), ("end_point_no", end)):
            if number is None:
                found.append(Problem(field, "required", {}, record.row))
            elif number not in points and known.get(number) is None:
                found.append(Problem(field, "point_not_found", {"value": number}, record.row))
        if start is not None and start == end:
            found.append(Problem("end_point_no", "same_start_end", {}, record.row))
        elif start is not None and end is not None:
            if (start, end) in pairs:
                found.append(Problem("end_point_no", "duplicate_segment",
                                     {"start": start, "end": end, "first": pairs[(start, end)]},
                                     record.row))
            elif (end, start) in pairs:
                found.append(Problem("end_point_no", "reversed_segment",
                                     {"start": start, "end": end, "first": pairs[(end, start)]},
                                     record.row))
            else:
                pairs[(start, end)] = record.row
        for number, name in ((start, "start_depth_m"), (end, "end_depth_m")):
            depth, problem = coerce(spec.field(name), props.get(name), today)  # type: ignore[arg-type]
            if number is not None and problem is None and depth is not None:
                depths.setdefault(number, []).append((depth, record.row, name))
        if found:
            report.rejected.extend(found)
            rejected_rows.add(record.row)
            continue
        ends = []
        for number in (start, end):
            assert number is not None
            if number in points:
                ends.append((ids.get(number), points[number]))
            else:
                stored = known.get(number)
                assert stored is not None
                ends.append(stored)
        props["start_point_id"], props["end_point_id"] = ends[0][0], ends[1][0]
        if props.get("category") in (None, ""):
            props["category"] = _line_category(props, ends[0][1].category or ends[1][1].category)
        geometry = {"type": "LineString",
                    "coordinates": [[ends[0][1].x, ends[0][1].y], [ends[1][1].x, ends[1][1].y]]}
        rows.append((Record(record.row, record.properties, geometry), props))
    for number, found_depths in depths.items():
        values = [d for d, _, _ in found_depths]
        if len(values) > 1 and max(values) - min(values) > DEPTH_TOLERANCE_M:
            for _, row, name in found_depths:
                report.rejected.append(Problem(name, "depth_inconsistent", {
                    "point": number, "depths": sorted(set(values)), "tolerance": DEPTH_TOLERANCE_M},
                    row))
                rejected_rows.add(row)
    report.rows += len(rejected_rows)  # the rest are counted as the registry checks them
    for record, props in rows:
        if record.row not in rejected_rows:
            yield record, props


def import_pair(session: Session, lines: Source, points: Source, ctx: WriteContext, *,
                crs: str | None = None, mapping: dict[str, Any] | None = None,
                dry_run: bool = False, skip_invalid: bool = False, job: Job | None = None,
                tick: Tick | None = None) -> ImportReport:
    """Load a survey's point and line tables as network points and segments, all or nothing.

    Problems in the point table carry ``params["table"] = "points"``; the report's rows,
    created and updated count segments.
    """
    if not ctx.by.can_edit_assets:
        raise Forbidden("role may not edit", role=ctx.by.role)
    if not is_line_table(lines.columns):
        raise InvalidInput("not a line table", [Problem("file", "not_a_line_table", {
            "value": lines.path.name, "allowed": list(START_NO[:2] + END_NO[:2])})])
    if not is_point_table(points.columns, points.format not in ("csv", "xlsx")):
        raise InvalidInput("not a point table", [Problem("points", "not_a_point_table", {
            "value": points.path.name, "allowed": list(POINT_NO[:2] + NORTHING[:2] + EASTING[:2])})])
    crs_ref = geo.parse_crs(crs or points.crs or lines.crs, field="crs")
    params = {"file": lines.path.name, "points": points.path.name, "collection": "pipelines",
              "crs": crs_ref.uri, "dry_run": dry_run, "skip_invalid": skip_invalid}
    job = start_job(session, job, params, ctx.by.username)
    report = ImportReport(job.id, "pipelines", lines.path.name, dry_run=dry_run)
    point_report = ImportReport(job.id, "network-points", points.path.name, dry_run=dry_run)
    row_ctx = WriteContext(by=ctx.by, extent=ctx.extent, job_id=job.id, today=ctx.today)
    outer = session.begin_nested()
    try:
        found, records = _read_points(points, point_report)
        import_batches(session, _point_rows(records, points, mapping, point_report),
                       service.collection("network-points"), row_ctx, crs_ref, point_report,
                       dry_run=dry_run or bool(point_report.rejected and not skip_invalid),
                       skip_invalid=skip_invalid)
        for p in point_report.rejected:
            p.params.setdefault("table", "points")
        report.rejected.extend(point_report.rejected)
        report.unmapped = point_report.unmapped
        ids = _point_ids(session, list(found))
        rows = ticking(
            _line_rows(lines, found, _Registered(session, crs_ref), ids, mapping, report,
                       row_ctx.today), lines.size_hint, tick)
        import_batches(session, rows, service.collection("pipelines"), row_ctx, crs_ref,
                       report, dry_run=dry_run, skip_invalid=skip_invalid)
    except BaseException:
        outer.rollback()
        raise
    settle(outer, report, dry_run=dry_run, skip_invalid=skip_invalid)
    finish_job(session, job, {**report.as_dict(), "points_created": point_report.created,
                              "points_updated": point_report.updated, "points": point_report.rows})
    return report


def _point_ids(session: Session, numbers: list[str]) -> dict[str, int]:
    """Network-point ids by survey number (the ones just stored and those stored before)."""
    model = service.collection("network-points").model
    out: dict[str, int] = {}
    for i in range(0, len(numbers), 5000):
        chunk = numbers[i:i + 5000]
        out.update(session.execute(select(model.external_id, model.id).where(
            model.external_id.in_(chunk), model.retired_at.is_(None))).tuples().all())
    return out
