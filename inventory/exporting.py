"""Exports of a collection to GeoJSON, CSV, GeoPackage, XLSX or zipped Shapefile, streamed.

Records are read in keyset pages through ``repository.page`` (the API's own filters and
division rules), transformed a page at a time with ``resilience.geo`` and written as they
come, so memory stays flat whatever the size of the collection.

Column conventions, shared by every flat format (CSV, XLSX, GeoPackage, Shapefile):

- the key (``id``, ``code`` for divisions), then every field of the collection's spec in
  order, read-only ones included (``version``, ``created_at``…), so the file is a faithful
  copy; then the nested lists (``cabins``, ``nodes``, ``events``);
- code values are the registry's words (``water_supply``), dates ISO text, booleans
  true/false, empty values null (an empty cell in CSV);
- list fields (``facilities``, ``segment_ids``) and nested lists are compact JSON text;
  a tunnel node's ``position`` stays lon/lat EPSG:4490 whatever the export CRS, as in the API;
- CSV and XLSX carry the geometry as WKT in a last column ``wkt``; Shapefile columns are
  shortened to ten characters through ``inventory.formats.shortnames``.

GeoJSON is the API's representation: ``id`` on the Feature, nested lists as real JSON.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import shapely
from sqlalchemy import JSON, func, select
from sqlalchemy.orm import Session

from inventory import repository
from inventory.assets import CollectionSpec
from inventory.formats.shortnames import short
from inventory.repository import Query
from inventory.service import collection as collection_spec
from resilience import geo
from resilience.accounts import SYSTEM, Principal
from resilience.errors import Forbidden, InvalidInput, Problem
from resilience.geo import CrsRef
from resilience.spatial import BBox

BATCH = 5000
DEFAULT_CRS = "EPSG:4490"
XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included
XLSX_MAX_CELL = 32_767  # characters in one Excel cell
DBF_MAX_BYTES = 254  # bytes in one dBase text field

Progress = Callable[[int, int], None]  # (records written, records in the export)


@dataclass(frozen=True)
class Format:
    """A file format the registry exports to."""

    name: str
    extension: str
    media_type: str
    title: str
    streamable: bool  # written front to back (GeoJSON, CSV), so HTTP can stream it


FORMATS: dict[str, Format] = {
    "geojson": Format("geojson", ".geojson", "application/geo+json", "GeoJSON", True),
    "csv": Format("csv", ".csv", "text/csv; charset=utf-8", "CSV (UTF-8, WKT)", True),
    "gpkg": Format("gpkg", ".gpkg", "application/geopackage+sqlite3", "GeoPackage", False),
    "xlsx": Format("xlsx", ".xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "Excel (XLSX, WKT)", False),
    "shp": Format("shp", ".shp.zip", "application/zip", "Shapefile (zip)", False),
}

# Besides EPSG:4490 (storage): WGS84, Web Mercator and the CGCS2000 Gauss-Krüger zones.
_PLAIN_EPSG = {4490, 4326, 3857}
_GAUSS_KRUGER = range(4491, 4555)


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote: how many records, in which CRS, to which file(s)."""

    collection: str
    format: str
    crs: str  # as ``import --crs`` takes it back: EPSG:4549, GCJ-02…
    records: int
    path: str | None
    files: tuple[str, ...] = ()  # the shapefiles inside a zip
    seconds: float = 0.0


@dataclass(frozen=True)
class Plan:
    """A checked export request: what to read, as whom, and how to write it."""

    spec: CollectionSpec
    format: Format
    crs: CrsRef
    query: Query
    viewer: Principal

    @property
    def crs_label(self) -> str:
        """The CRS as the import command takes it back."""
        return self.crs.offset or f"EPSG:{self.crs.epsg}"

    @property
    def layer(self) -> str:
        """Layer and file base name (``network_points``)."""
        return self.spec.name.replace("-", "_")


def export_crs(value: str | int | None) -> CrsRef:
    """The CRS of an export: EPSG:4490 by default, 4326, 3857, a CGCS2000 GK zone or GCJ-02."""
    raw = DEFAULT_CRS if value is None or value == "" else value
    ref = geo.parse_crs(raw, field="crs")
    if ref.is_crs84:
        return CrsRef(epsg=4326)  # the same lon/lat numbers; files name it EPSG:4326
    if ref.offset or ref.epsg in _PLAIN_EPSG or ref.epsg in _GAUSS_KRUGER:
        return ref
    raise InvalidInput("unsupported CRS", [Problem("crs", "unknown_crs", {"value": str(raw)})])


def export_format(value: str | None) -> Format:
    """A format by name, or InvalidInput naming the ones there are."""
    fmt = FORMATS.get((value or "").strip().lower())
    if fmt is None:
        raise InvalidInput("unsupported format", [Problem("format", "unsupported_format", {
            "value": value or "", "allowed": list(FORMATS)})])
    return fmt


def parse_bbox(raw: str | Iterable[float] | None) -> BBox | None:
    """A lon/lat bbox from ``minx,miny,maxx,maxy`` (or six numbers, as OGC API allows)."""
    if raw is None or raw == "":
        return None
    problem = Problem("bbox", "invalid_bbox", {})
    try:
        values = [float(v) for v in (raw.split(",") if isinstance(raw, str) else raw)]
    except (TypeError, ValueError) as error:
        raise InvalidInput("invalid bbox", [problem]) from error
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise InvalidInput("invalid bbox", [problem])
    return (values[0], values[1], values[2], values[3])


def plan(collection: str, fmt: str, *, crs: str | int | None = DEFAULT_CRS,
         division: str | None = None, bbox: str | Iterable[float] | None = None,
         filters: Mapping[str, Any] | None = None, by: Principal) -> Plan:
    """Check an export request whole before anything is read or written."""
    spec = collection_spec(collection)
    problems: list[Problem] = []
    checked: dict[str, Any] = {}
    for name, check, raw in (("format", export_format, fmt), ("crs", export_crs, crs),
                             ("bbox", parse_bbox, bbox)):
        try:
            checked[name] = check(raw)
        except InvalidInput as error:
            problems.extend(error.problems)
    try:
        checked["filters"] = repository.parse_filters(spec, filters)
    except InvalidInput as error:
        problems.extend(error.problems)
    if problems:
        raise InvalidInput("invalid export", problems)
    # Division boundaries are public administrative data, as in the items API.
    viewer = SYSTEM if spec.name == "divisions" else by
    division = (division or "").strip() or None
    if division and not viewer.sees(division):
        raise Forbidden("division not granted",
                        [Problem("division", "division_not_granted", {"value": division})])
    query = Query(bbox=checked["bbox"], division=division, filters=checked["filters"])
    return Plan(spec, checked["format"], checked["crs"], query, viewer)


def count(session: Session, p: Plan) -> int:
    """How many records the export holds (for progress bars and the XLSX row limit)."""
    keys, _ = repository._base(session, p.spec, p.viewer, p.query)  # the API's own filters
    return int(session.scalar(select(func.count()).select_from(keys.subquery())) or 0)


def export(session: Session, collection: str, fmt: str, out: str | os.PathLike[str] | IO[bytes],
           *, crs: str | int | None = DEFAULT_CRS, division: str | None = None,
           bbox: str | Iterable[float] | None = None, filters: Mapping[str, Any] | None = None,
           by: Principal, progress: Progress | None = None, batch: int = BATCH) -> ExportReport:
    """Write the records a user sees, filtered, to a file or binary stream in a format and CRS."""
    p = plan(collection, fmt, crs=crs, division=division, bbox=bbox, filters=filters, by=by)
    return write(session, p, out, progress=progress, batch=batch)


def write(session: Session, p: Plan, out: str | os.PathLike[str] | IO[bytes], *,
          progress: Progress | None = None, batch: int = BATCH) -> ExportReport:
    """Carry out a checked export; a path is replaced whole, never left half-written.

    The file is made in a scratch folder beside the target and moved into place at the end,
    so a failed export (a value too long for the format, a lost connection) leaves nothing.
    """
    started = time.perf_counter()
    if isinstance(out, str | os.PathLike):
        target = Path(out)
        work = Path(tempfile.mkdtemp(prefix=".export-", dir=target.parent))
        try:
            written, tally = _write(session, p, work / ("out" + p.format.extension),
                                    progress, batch)
            os.replace(written, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        path: str | None = str(target)
    else:
        with tempfile.TemporaryDirectory(prefix="export-") as tmp:
            written, tally = _write(session, p, Path(tmp) / ("out" + p.format.extension),
                                    progress, batch)
            with written.open("rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
        path = None
    return ExportReport(p.spec.name, p.format.name, p.crs_label, tally.records, path,
                        tally.names, round(time.perf_counter() - started, 3))


def format_for(path: str | os.PathLike[str]) -> str | None:
    """The format a file name asks for by its extension (``.zip`` is a zipped Shapefile)."""
    name = Path(path).name.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.extension):
            return fmt.name
    return {".json": "geojson", ".zip": "shp"}.get(Path(name).suffix)


def stream(session: Session, p: Plan, *, batch: int = BATCH) -> Iterator[bytes]:
    """The file as chunks, front to back, for the formats that allow it (GeoJSON, CSV)."""
    if p.format.name == "geojson":
        return _geojson_chunks(session, p, batch, _Tally())
    if p.format.name == "csv":
        return _csv_chunks(session, p, batch, _Tally())
    raise InvalidInput("not streamable", [Problem("format", "unsupported_format", {
        "value": p.format.name, "allowed": [f for f, v in FORMATS.items() if v.streamable]})])


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Tally:
    """Records written so far, and the shapefiles made (filled in by the writers)."""

    records: int = 0
    total: int = 0
    names: tuple[str, ...] = ()
    progress: Progress | None = None

    def add(self, n: int) -> None:
        self.records += n
        if self.progress is not None:
            self.progress(self.records, max(self.total, self.records))


@dataclass(frozen=True)
class _Batch:
    """One keyset page: keys, geometry (GeoJSON text or WKB), property JSON, nested lists."""

    keys: list[Any]
    geometry: list[Any]
    properties: list[str]
    extra: dict[Any, dict[str, Any]]


def _batches(session: Session, p: Plan, geometry: str, size: int) -> Iterator[_Batch]:
    """The export's records in key order, one page at a time (never OFFSET, never all)."""
    pk = repository.pk_of(p.spec).name
    after = None
    while True:
        rows = repository.page(session, p.spec, p.viewer, replace(p.query, after=after, limit=size),
                               geometry)
        if not rows:
            return
        keys = [r._mapping[pk] for r in rows]
        extra = repository.derived(session, p.spec, keys) if p.spec.children else {}
        yield _Batch(keys, [r.geometry for r in rows], [r.properties for r in rows], extra)
        if len(rows) < size:
            return
        after = keys[-1]


def _geometries(p: Plan, raw: list[Any]) -> np.ndarray:
    """Stored WKB of a page as shapely geometries in the export's CRS (one transform call)."""
    geoms = shapely.from_wkb(np.array([bytes(g) for g in raw], dtype=object))
    return geo.from_storage(geoms, p.crs) if p.crs.epsg != geo.STORAGE_EPSG else geoms


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(frozen=True)
class _Column:
    name: str
    kind: str  # a FieldSpec kind, or "json" for nested lists


def columns(spec: CollectionSpec) -> list[str]:
    """The flat formats' columns, in order (without the geometry)."""
    return [c.name for c in _columns(spec)]


def _columns(spec: CollectionSpec) -> list[_Column]:
    pk = repository.pk_of(spec).name
    out = [_Column(pk, "int" if pk == "id" else "str")]
    out += [_Column(f.name, f.kind) for f in spec.fields if f.name != pk]
    out += [_Column(c.name, "json") for c in spec.children]
    return out


def _rows(p: Plan, b: _Batch) -> Iterator[list[Any]]:
    """A page's records as Python values in column order (lists still lists)."""
    cols = _columns(p.spec)
    for key, props_text in zip(b.keys, b.properties, strict=True):
        props = json.loads(props_text)
        props.update(_plain(b.extra.get(key, {})))
        props[cols[0].name] = key
        yield [props.get(c.name) for c in cols]


def _text(value: Any) -> Any:
    """Lists and nested lists as compact JSON text, other values as they are."""
    return _dumps(value) if isinstance(value, list | dict) else value


# --- GeoJSON and CSV: streamed ---------------------------------------------------------------


def _geojson_crs(crs: CrsRef) -> str:
    """The legacy ``crs`` member GDAL and QGIS honour; none for plain WGS84 (RFC 7946)."""
    if crs.offset:
        name = crs.offset  # GDAL falls back to WGS84, which is how GCJ-02 data is drawn
    elif crs.epsg == 4326:
        return ""
    else:
        name = f"urn:ogc:def:crs:EPSG::{crs.epsg}"
    return ',"crs":{"type":"name","properties":{"name":' + _dumps(name) + "}}"


def _geojson_chunks(session: Session, p: Plan, size: int, tally: _Tally) -> Iterator[bytes]:
    """A FeatureCollection, one page of features per chunk."""
    yield ('{"type":"FeatureCollection","name":' + _dumps(p.layer) + _geojson_crs(p.crs)
           + ',"features":[\n').encode()
    in_db = p.crs.epsg == geo.STORAGE_EPSG  # the database writes the GeoJSON geometry itself
    first = True
    for b in _batches(session, p, "geojson" if in_db else "wkb", size):
        geometry = b.geometry if in_db else shapely.to_geojson(_geometries(p, b.geometry))
        parts = []
        for key, geom, props in zip(b.keys, geometry, b.properties, strict=True):
            extra = b.extra.get(key)
            if extra:
                tail = ",".join(_dumps(k) + ":" + _dumps(_plain(v)) for k, v in extra.items())
                props = props[:-1] + ("," if len(props) > 2 else "") + tail + "}"
            parts.append('{"type":"Feature","id":' + _dumps(key) + ',"geometry":' + geom
                         + ',"properties":' + props + "}")
        yield (("" if first else ",\n") + ",\n".join(parts)).encode()
        first = False
        tally.add(len(b.keys))
    yield b"\n]}\n"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(value)


def _csv_chunks(session: Session, p: Plan, size: int, tally: _Tally) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then reads Chinese right), geometry as WKT."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*columns(p.spec), "wkt"])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    for b in _batches(session, p, "wkb", size):
        buffer.seek(0)
        buffer.truncate()
        wkt = shapely.to_wkt(_geometries(p, b.geometry), rounding_precision=-1)
        for row, text in zip(_rows(p, b), wkt, strict=True):
            writer.writerow([*(_csv_value(v) for v in row), text])
        yield buffer.getvalue().encode()
        tally.add(len(b.keys))


def _write_chunks(chunks: Iterator[bytes], path: Path) -> None:
    with path.open("wb") as f:
        for chunk in chunks:
            f.write(chunk)


# --- XLSX ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _xlsx_cell(ws: Any, value: Any, problems: list[Problem], row: int, column: str) -> Any:
    """A cell value; text that Excel could take for a formula is stored as marked text."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = _text(value)
    if not isinstance(value, str):
        return value
    if len(value) > XLSX_MAX_CELL:
        problems.append(Problem(column, "too_long_for_format", {
            "format": "XLSX", "max": XLSX_MAX_CELL, "value": len(value)}, row))
        return None
    # XML 1.0 cannot hold these control characters: shown as U+FFFD rather than dropped.
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if value.startswith(_FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string cell, never evaluated
        cell.quotePrefix = True  # and it stays text when someone edits it in Excel
        return cell
    return value


def _write_xlsx(session: Session, p: Plan, path: Path, size: int, tally: _Tally) -> None:
    """openpyxl's write-only workbook: rows go to disk as they come."""
    from openpyxl import Workbook

    if tally.total >= XLSX_MAX_ROWS:
        raise InvalidInput("too many rows for XLSX", [Problem("format", "too_many_rows", {
            "format": "XLSX", "max": XLSX_MAX_ROWS - 1, "value": tally.total})])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=p.spec.name[:31])
    ws.freeze_panes = "A2"
    names = [*columns(p.spec), "wkt"]
    ws.append(names)
    problems: list[Problem] = []
    row_number = 1
    for b in _batches(session, p, "wkb", size):
        wkt = shapely.to_wkt(_geometries(p, b.geometry), rounding_precision=-1)
        for row, text in zip(_rows(p, b), wkt, strict=True):
            row_number += 1
            ws.append([_xlsx_cell(ws, v, problems, row_number, n)
                       for v, n in zip([*row, text], names, strict=True)])
        tally.add(len(b.keys))
    if problems:
        raise InvalidInput("values too long for XLSX", problems[:100])
    wb.save(path)


# --- GeoPackage and Shapefile through pyogrio ------------------------------------------------


def _arrays(p: Plan, rows: list[list[Any]], cols: list[_Column] | None = None
            ) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Column arrays with null masks, typed from the spec so every page has the same schema."""
    data: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    for i, col in enumerate(_columns(p.spec) if cols is None else cols):
        values = [r[i] for r in rows]
        if col.kind in ("int", "float", "bool"):
            nulls = np.array([v is None for v in values], dtype=bool)
            if col.kind == "float":
                data.append(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
                masks.append(None)  # NaN is null
                continue
            dtype = np.int64 if col.kind == "int" else np.bool_
            data.append(np.array([0 if v is None else v for v in values], dtype=dtype))
            masks.append(nulls if nulls.any() else None)
        else:
            data.append(np.array([None if v is None else _text(v) for v in values], dtype=object))
            masks.append(None)
    return data, masks


def _layer_crs(crs: CrsRef) -> str:
    """GCJ-02 has no EPSG code: its files say WGS84, over which the offset is defined."""
    return "EPSG:4326" if crs.offset else f"EPSG:{crs.epsg}"


def _ogr_write(path: Path, layer: str, driver: str, p: Plan, geometry: np.ndarray,
               rows: list[list[Any]], names: list[str], geometry_type: str, append: bool,
               cols: list[_Column] | None = None, **options: Any) -> None:
    from pyogrio import raw

    data, masks = _arrays(p, rows, cols)
    raw.write(str(path), geometry, data, names, field_mask=masks, layer=layer, driver=driver,
              geometry_type=geometry_type, crs=_layer_crs(p.crs), append=append,
              promote_to_multi=False, **options)


def _wkb(p: Plan, raw: list[Any]) -> np.ndarray:
    """A page's geometry as WKB in the export's CRS (stored bytes as they are for 4490)."""
    if p.crs.epsg == geo.STORAGE_EPSG:
        return np.array([bytes(g) for g in raw], dtype=object)
    return shapely.to_wkb(_geometries(p, raw))


def _write_gpkg(session: Session, p: Plan, path: Path, size: int, tally: _Tally) -> None:
    """One layer; a generic geometry type when the collection mixes points and polygons."""
    types = p.spec.geometry_types
    geometry_type = types[0] if len(types) == 1 else "Unknown"
    names = columns(p.spec)
    description = f"{p.spec.zh} / {p.spec.en}; coordinates {p.crs_label}"
    first = True
    for b in _batches(session, p, "wkb", size):
        _ogr_write(path, p.layer, "GPKG", p, _wkb(p, b.geometry), list(_rows(p, b)), names,
                   geometry_type, append=not first,
                   **({"dataset_options": {"VERSION": "1.2"},  # readable by GDAL ≥ 2 (QGIS 3 LTR)
                       "layer_options": {"DESCRIPTION": description}} if first else {}))
        first = False
        tally.add(len(b.keys))
    if first:  # nothing matched: still a valid file with the layer and its columns
        _ogr_write(path, p.layer, "GPKG", p, np.array([], dtype=object), [], names,
                   geometry_type, append=False, dataset_options={"VERSION": "1.2"},
                   layer_options={"DESCRIPTION": description})


# A shapefile holds one geometry type: a collection that mixes them gets one file per family.
_FAMILIES = {0: "point", 1: "line", 3: "polygon", 4: "multipoint", 5: "line", 6: "polygon"}
_FAMILY_TYPES = {"point": "Point", "line": "LineString", "polygon": "Polygon",
                 "multipoint": "MultiPoint"}
_SPEC_FAMILY = {"Point": "point", "LineString": "line", "MultiLineString": "line",
                "Polygon": "polygon", "MultiPolygon": "polygon", "MultiPoint": "multipoint"}


def shapefile_names(spec: CollectionSpec) -> dict[str, str]:
    """Family → file base name: ``pipelines``, or ``shelters_point`` and ``shelters_polygon``."""
    base = spec.name.replace("-", "_")
    families = list(dict.fromkeys(_SPEC_FAMILY[t] for t in spec.geometry_types))
    if len(families) == 1:
        return {families[0]: base}
    return {f: f"{base}_{f}" for f in families}


def _shapefile_columns(spec: CollectionSpec) -> list[int]:
    """The columns a shapefile gets: all but JSON documents shown as text (a published map's
    explanation runs to hundreds of characters; dBase holds 254, the GeoPackage keeps it)."""
    table = repository.table_of(spec)
    return [i for i, c in enumerate(_columns(spec))
            if not (c.kind == "text" and c.name in table.c
                    and isinstance(table.c[c.name].type, JSON))]


def _compact_children(value: Any) -> Any:
    """A nested list (a flood point's events, a tunnel's cabins) as short as it can be for
    dBase's 254 bytes: no empty members and no child ids (an import assigns its own), so
    two full events fit however large the ids have grown."""
    items = json.loads(value) if isinstance(value, str) and value.startswith("[") else value
    if not isinstance(items, list):
        return value
    return json.dumps([{k: v for k, v in item.items() if v is not None and k != "id"}
                       if isinstance(item, dict) else item for item in items],
                      ensure_ascii=False, separators=(",", ":"))


def _dbf_problems(rows: list[list[Any]], keys: list[Any], names: list[str],
                  problems: list[Problem]) -> None:
    """dBase text holds 254 bytes: longer values are refused, never silently cut."""
    for key, row in zip(keys, rows, strict=True):
        for value, name in zip(row, names, strict=True):
            text = _text(value)
            if isinstance(text, str) and len(text) > DBF_MAX_BYTES // 4 \
                    and len(text.encode()) > DBF_MAX_BYTES and len(problems) < 100:
                problems.append(Problem(name, "too_long_for_format", {
                    "format": "Shapefile", "max": DBF_MAX_BYTES, "value": len(text.encode()),
                    "id": key}))


def _write_shp(session: Session, p: Plan, path: Path, size: int, tally: _Tally) -> None:
    """Shapefiles written page by page (UTF-8 with a .cpg), zipped at the end."""
    folder = path.parent / "shp"
    folder.mkdir()
    files = shapefile_names(p.spec)
    keep = _shapefile_columns(p.spec)
    cols = [_columns(p.spec)[i] for i in keep]
    names = [short(c.name) for c in cols]
    made: list[str] = []
    problems: list[Problem] = []

    def write(family: str, geometry: np.ndarray, rows: list[list[Any]]) -> None:
        base = files.get(family) or f"{p.layer}_{family}"
        _ogr_write(folder / f"{base}.shp", base, "ESRI Shapefile", p, geometry, rows, names,
                   _FAMILY_TYPES[family], append=base in made, cols=cols, encoding="UTF-8")
        if base not in made:
            made.append(base)

    nested = [k for k, c in enumerate(cols) if p.spec.child(c.name) is not None]
    for b in _batches(session, p, "wkb", size):
        wkb = _wkb(p, b.geometry)
        rows = [[row[i] for i in keep] for row in _rows(p, b)]
        for row in rows:
            for k in nested:
                row[k] = _compact_children(row[k])
        _dbf_problems(rows, b.keys, names, problems)
        if problems:  # the export will fail: keep reading only to name every record
            tally.add(len(b.keys))
            continue
        kinds = shapely.get_type_id(shapely.from_wkb(wkb))
        for family in dict.fromkeys(_FAMILIES.get(int(k), "polygon") for k in kinds):
            chosen = [i for i, k in enumerate(kinds) if _FAMILIES.get(int(k), "polygon") == family]
            write(family, wkb[chosen], [rows[i] for i in chosen])
        tally.add(len(b.keys))
    if problems:
        raise InvalidInput("values too long for a shapefile", problems)
    if not made:  # nothing matched: an empty shapefile of the collection's first type
        write(next(iter(files)), np.array([], dtype=object), [])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for base in made:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                member = folder / f"{base}{ext}"
                if member.exists():
                    z.write(member, member.name)
    tally.names = tuple(f"{base}.shp" for base in made)


def _write(session: Session, p: Plan, path: Path, progress: Progress | None,
           size: int) -> tuple[Path, _Tally]:
    """Write the whole export to ``path`` (a fresh name in a scratch folder)."""
    tally = _Tally(progress=progress)
    if progress is not None or p.format.name == "xlsx":
        tally.total = count(session, p)
    name = p.format.name
    if name == "geojson":
        _write_chunks(_geojson_chunks(session, p, size, tally), path)
    elif name == "csv":
        _write_chunks(_csv_chunks(session, p, size, tally), path)
    elif name == "xlsx":
        _write_xlsx(session, p, path, size, tally)
    elif name == "gpkg":
        _write_gpkg(session, p, path, size, tally)
    else:
        _write_shp(session, p, path, size, tally)
    if progress is not None and tally.records == 0:
        progress(0, 0)
    return path, tally
