"""Exports of a collection to GeoJSON, CSV, GeoPackage, XLSX or zipped Shapefile, streamed.

The use case: a request is checked whole (``plan``), then records are read in keyset pages
through ``repository.page`` (the API's own filters and division rules) and handed to the
format's writer in ``inventory.formats``, which transforms a page at a time with
``resilience.geo`` and writes it as it comes, so memory stays flat whatever the size of the
collection. A file is made in a scratch folder and moved into place only when whole.
The columns every flat format shares are described in ``inventory.formats.pages``, the
languages CSV and XLSX speak in ``inventory.formats.labels``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import references, repository
from inventory.formats import labels
from inventory.formats.csv_writer import csv_chunks
from inventory.formats.geojson_writer import geojson_chunks
from inventory.formats.ogr_writer import write_gpkg, write_shp
from inventory.formats.pages import Page, Pages, Progress, Tally, Target
from inventory.formats.xlsx_writer import write_xlsx
from inventory.repository import Query
from inventory.service import collection as collection_spec
from resilience import geo
from resilience.accounts import SYSTEM, Principal
from resilience.clock import DEFAULT_ZONE
from resilience.errors import Forbidden, InvalidInput, Problem
from resilience.geo import CrsRef
from resilience.spatial import BBox

BATCH = 5000
DEFAULT_CRS = "EPSG:4490"


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

# The writers, by format: the streamable ones give chunks, the others write a file.
Chunks = Callable[[Target, Pages, Tally], Iterator[bytes]]
FileWriter = Callable[[Target, Pages, Path, Tally], None]
_CHUNKS: dict[str, Chunks] = {"geojson": geojson_chunks, "csv": csv_chunks}
_FILES: dict[str, FileWriter] = {"xlsx": write_xlsx, "gpkg": write_gpkg, "shp": write_shp}

# The formats written for people, in their language; the others speak field names and codes.
SPEAKING = frozenset({"csv", "xlsx"})

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
    lang: str = labels.MACHINE  # what CSV and XLSX headings and codes were written in


@dataclass(frozen=True)
class Plan(Target):
    """A checked export request: what to read, as whom, and how to write it."""

    format: Format
    query: Query
    viewer: Principal


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
         filters: Mapping[str, Any] | None = None, by: Principal,
         lang: str | None = labels.MACHINE, zone: ZoneInfo = DEFAULT_ZONE) -> Plan:
    """Check an export request whole before anything is read or written.

    ``lang`` is how CSV and XLSX speak: ``zh`` or ``en`` (labels as headings and coded
    values) or ``machine`` (field names and codes); the other formats always speak machine.
    """
    spec = collection_spec(collection)
    problems: list[Problem] = []
    checked: dict[str, Any] = {}
    checks: tuple[tuple[str, Callable[[Any], Any], Any], ...] = (
        ("format", export_format, fmt), ("crs", export_crs, crs), ("bbox", parse_bbox, bbox),
        ("lang", lambda v: labels.language(v, labels.MACHINE), lang))
    for name, check, raw in checks:
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
    return Plan(spec=spec, crs=checked["crs"], format=checked["format"], query=query, viewer=viewer,
                lang=checked["lang"], zone=zone)


def count(session: Session, p: Plan) -> int:
    """How many records the export holds (for progress bars and the XLSX row limit)."""
    keys, _ = repository.matching_keys(session, p.spec, p.viewer, p.query)  # the API's own filters
    return int(session.scalar(select(func.count()).select_from(keys.subquery())) or 0)


def export(session: Session, collection: str, fmt: str, out: str | os.PathLike[str] | IO[bytes],
           *, crs: str | int | None = DEFAULT_CRS, division: str | None = None,
           bbox: str | Iterable[float] | None = None, filters: Mapping[str, Any] | None = None,
           by: Principal, progress: Progress | None = None, batch: int = BATCH,
           lang: str | None = labels.MACHINE, zone: ZoneInfo = DEFAULT_ZONE) -> ExportReport:
    """Write the records a user sees, filtered, to a file or binary stream in a format and CRS."""
    p = plan(collection, fmt, crs=crs, division=division, bbox=bbox, filters=filters, by=by,
             lang=lang, zone=zone)
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
    spoken = p.lang if p.format.name in SPEAKING else labels.MACHINE
    return ExportReport(p.spec.name, p.format.name, p.crs_label, tally.records, path,
                        tally.names, round(time.perf_counter() - started, 3), spoken)


def format_for(path: str | os.PathLike[str]) -> str | None:
    """The format a file name asks for by its extension (``.zip`` is a zipped Shapefile)."""
    name = Path(path).name.lower()
    for fmt in FORMATS.values():
        if name.endswith(fmt.extension):
            return fmt.name
    return {".json": "geojson", ".zip": "shp"}.get(Path(name).suffix)


def stream(session: Session, p: Plan, *, batch: int = BATCH) -> Iterator[bytes]:
    """The file as chunks, front to back, for the formats that allow it (GeoJSON, CSV)."""
    chunks = _CHUNKS.get(p.format.name)
    if chunks is None:
        raise InvalidInput("not streamable", [Problem("format", "unsupported_format", {
            "value": p.format.name, "allowed": [f for f, v in FORMATS.items() if v.streamable]})])
    return chunks(p, _pages(session, p, batch), Tally())


def _pages(session: Session, p: Plan, size: int) -> Pages:
    """The export's records in key order, one page at a time (never OFFSET, never all)."""
    pk = repository.pk_of(p.spec).name

    def read(geometry: str) -> Iterator[Page]:
        after = None
        while True:
            rows = repository.page(session, p.spec, p.viewer,
                                   replace(p.query, after=after, limit=size), geometry)
            if not rows:
                return
            keys = [r._mapping[pk] for r in rows]
            extra = repository.derived(session, p.spec, keys) if p.spec.children else {}
            references.add_numbers(session, p.spec, keys, extra)  # what the ids point at
            yield Page(keys, [r.geometry for r in rows], [r.properties for r in rows], extra)
            if len(rows) < size:
                return
            after = keys[-1]

    return read


def _write_chunks(chunks: Iterator[bytes], path: Path) -> None:
    with path.open("wb") as f:
        for chunk in chunks:
            f.write(chunk)


def _write(session: Session, p: Plan, path: Path, progress: Progress | None,
           size: int) -> tuple[Path, Tally]:
    """Write the whole export to ``path`` (a fresh name in a scratch folder)."""
    tally = Tally(progress=progress)
    if progress is not None or p.format.name == "xlsx":
        tally.total = count(session, p)
    pages = _pages(session, p, size)
    name = p.format.name
    if name in _CHUNKS:
        _write_chunks(_CHUNKS[name](p, pages, tally), path)
    else:
        _FILES[name](p, pages, path, tally)
    if progress is not None and tally.records == 0:
        progress(0, 0)
    return path, tally
