"""Imports as jobs: an upload kept under the instance folder, run at once or by the scheduler.

Small files are imported while the client waits; large ones are queued and the scheduler
process runs them, reporting progress on the job row. The upload is kept with the job, so
the rejected rows can be handed back as a file with an error column, and removed with it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import importing, survey
from inventory.assets import COLLECTIONS
from inventory.bulk import parse_geometries
from inventory.formats import open_source
from inventory.import_report import IMPORT_KIND
from inventory.mapping import build, load_mapping_file
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.jobs import QUEUED, RUNNING, Job
from resilience.messages import describe
from resilience.model import now
from resilience.sheets import FORMULA_START, safe_text

UPLOADS = "uploads"
PROGRESS = "progress.json"  # beside the upload: SQLite cannot take a second writer mid-import
INLINE_BYTES = 2 * 1024 * 1024  # smaller uploads are imported while the client waits
OPTIONS = ("crs", "dry_run", "skip_invalid", "encoding", "layer", "sheet", "max_size")
READER_OPTIONS = ("encoding", "layer", "sheet", "max_size")
_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def safe_name(filename: str) -> str:
    """A file name without folders or odd characters (Chinese kept), never empty."""
    name = Path(filename.replace("\\", "/")).name.strip()
    name = _UNSAFE.sub("_", name).lstrip(".")
    return name or "upload"


def new_folder(instance: Path) -> Path:
    """A fresh folder for one upload."""
    folder = instance / UPLOADS / uuid.uuid4().hex
    folder.mkdir(parents=True)
    return folder


def submit(session: Session, folder: Path, file: str, collection: str, *, by: str,
           extent: tuple[float, float, float, float] | None, options: dict[str, Any],
           points: str | None = None, mapping: str | None = None) -> Job:
    """Record an import of an uploaded file as a queued job (the caller commits or runs it)."""
    params = {"folder": str(folder), "file": file, "collection": collection, "points": points,
              "mapping": mapping, "extent": list(extent) if extent else None,
              **{k: options[k] for k in OPTIONS if options.get(k) not in (None, "")}}
    job = Job(kind=IMPORT_KIND, status=QUEUED, created_by=by, params=params)
    session.add(job)
    session.flush()
    return job


def run(session: Session, job: Job) -> dict[str, Any]:
    """Carry out a queued import job; its report becomes the job's result.

    Progress goes to a small file beside the upload (see :data:`PROGRESS`).
    """
    params = dict(job.params or {})
    folder = Path(params["folder"])
    user = accounts.get_user(session, job.created_by or "")
    ctx = WriteContext(by=accounts.principal_of(user),
                       extent=tuple(params["extent"]) if params.get("extent") else None)
    reader_options = {k: params[k] for k in READER_OPTIONS if params.get(k)}
    source = open_source(folder / params["file"], **reader_options)
    overrides = load_mapping_file(folder / params["mapping"]) if params.get("mapping") else None

    def tick(done: int, expected: int | None) -> None:
        # Not through the job row: the import's transaction holds it (it records the job's
        # parameters and outcome), and SQLite has one writer at a time anyway.
        fraction = min(0.99, done / expected) if expected else 0.0
        (folder / PROGRESS).write_text(json.dumps({"rows": done, "expected": expected,
                                                   "fraction": fraction}))

    job.status, job.started_at = RUNNING, job.started_at or now()
    pair = None
    if params.get("points"):
        pair = (source, open_source(folder / params["points"], **reader_options, plain=True))
    elif params["collection"] == "pipelines" and not (params.get("layer") or params.get("sheet")):
        pair = survey.find_pair(folder / params["file"], **reader_options)
    if pair is not None:
        report = survey.import_pair(session, pair[0], pair[1], ctx, crs=params.get("crs"),
                                    mapping=overrides, dry_run=bool(params.get("dry_run")),
                                    skip_invalid=bool(params.get("skip_invalid")), job=job,
                                    tick=tick)
    else:
        report = importing.import_source(session, source, params["collection"], ctx,
                                         crs=params.get("crs"), mapping=overrides,
                                         dry_run=bool(params.get("dry_run")),
                                         skip_invalid=bool(params.get("skip_invalid")),
                                         job=job, tick=tick)
    return report.as_dict()


def read_progress(job: Job) -> dict[str, Any] | None:
    """How far a running import has got: ``{rows, expected, fraction}``, if it has said."""
    folder = (job.params or {}).get("folder")
    try:
        return dict(json.loads((Path(folder) / PROGRESS).read_text())) if folder else None
    except (OSError, ValueError):
        return None


def get(session: Session, import_id: int) -> Job:
    """An import job by id, or NotFound."""
    job = session.get(Job, import_id)
    if job is None or job.kind != IMPORT_KIND:
        raise NotFound("no such import", [Problem("import_id", "not_found", {"value": import_id})])
    return job


def recent(session: Session, limit: int = 50, by: str | None = None) -> list[Job]:
    """The latest imports, newest first (one user's when ``by`` is given)."""
    q = select(Job).where(Job.kind == IMPORT_KIND)
    if by is not None:
        q = q.where(Job.created_by == by)
    return list(session.scalars(q.order_by(Job.id.desc()).limit(limit)))


def remove_upload(job: Job) -> None:
    """Delete the uploaded files kept with an import (its report stays on the job)."""
    folder = (job.params or {}).get("folder")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def rejected_rows(job: Job, locale: str = "zh") -> tuple[list[str], list[list[Any]]]:
    """The rejected rows of an import as they were in the file, with an error column first.

    The file is read again from the upload, every column as it was (its coordinate columns
    too, under their own headings, in their own places), so the engineer gets back exactly
    what to fix and can import the corrected file as it is. Files without a table (GeoJSON,
    GeoPackage, Shapefile) give each row's geometry as WKT in the file's own coordinates.
    """
    zh = locale.lower().startswith("zh")
    result = job.result or {}
    params = job.params or {}
    folder = Path(params.get("folder") or "")
    if not (folder / params.get("file", "")).is_file():
        raise InvalidInput("upload removed", [Problem("import_id", "upload_removed",
                                                      {"value": job.id})])
    reader_options = {k: params[k] for k in READER_OPTIONS if params.get(k)}
    source = open_source(folder / params["file"], **reader_options, plain=True)
    named = _column_names(source.columns, params, zh)
    problems: dict[int, list[str]] = {}
    for p in result.get("rejected", []):
        if p.get("row") is None or (p.get("params") or {}).get("table") == "points":
            continue
        text = describe(Problem(p["field"], p["code"], p.get("params") or {}), locale)
        base, sep, rest = p["field"].partition("[")  # cabins[0].pipeline_nos
        where = named.get(base, base) + sep + rest
        problems.setdefault(p["row"], []).append(f"{where}: {text}")
    tabular = source.format in ("csv", "xlsx")  # read plain: the geometry columns are values
    records = [r for r in source.records() if r.row in problems]
    # A GeoJSON feature names its own properties: the columns are those the rows have.
    columns = source.columns or list(dict.fromkeys(
        k for r in records for k in r.properties if not k.startswith("__")))
    header = [*REJECTED_HEADINGS["zh" if zh else "en"], *columns]
    if not tabular:
        header.append("wkt")
    rows: list[list[Any]] = []
    for record in records:
        values = [_plain(record.properties.get(c)) for c in columns]
        if not tabular:
            values.append(_wkt(record.geometry))
        rows.append(["; ".join(problems[record.row]), record.row, *values])
    return header, rows


# The columns a rejected-rows file adds in front of the file's own (an importer skips them).
REJECTED_HEADINGS = {"zh": ("错误", "原行号"), "en": ("Errors", "Row")}
REJECTED_SHEET = {"zh": "未导入的行", "en": "Rejected rows"}


def _column_names(columns: list[str], params: dict[str, Any], zh: bool) -> dict[str, str]:
    """Field → the file's own heading for it (材质), else its label: what a problem names."""
    spec = COLLECTIONS.get(params.get("collection") or "")
    if spec is None:
        return {}
    out = {f.name: f.zh if zh else f.en for f in spec.fields}
    out["geometry"] = "几何" if zh else "Geometry"
    try:
        mapped = build(spec, columns, load_mapping_file(Path(params["folder"]) / params["mapping"])
                       if params.get("mapping") else None)
    except InvalidInput:
        return out
    out.update({name: column for column, name in mapped.columns.items()})
    return out


def _plain(value: Any) -> Any:
    """A cell: lists and objects (a GeoJSON feature's) as the JSON text an import reads back."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _wkt(geometry: Any) -> str | None:
    """A row's geometry (WKB, WKT or GeoJSON-like) as WKT, as the file gave its coordinates."""
    if geometry is None or isinstance(geometry, str):
        return geometry
    geoms, codes = parse_geometries([geometry])
    return None if codes[0] is not None else str(shapely.to_wkt(geoms[0], rounding_precision=-1))


def rejected_csv(job: Job, locale: str = "zh") -> bytes:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel shows Chinese).

    Text a spreadsheet would run as a formula gets an apostrophe that the CSV reader takes
    off again, so the corrected file imports the values the rows held.
    """
    header, rows = rejected_rows(job, locale)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_text(h) for h in header])
    writer.writerows([[safe_text(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rejected_xlsx(job: Job, locale: str = "zh") -> bytes:
    """The rejected rows as an Excel sheet; text that looks like a formula stays text.

    Such text is kept as it was, marked as text (a quote prefix Excel shows and never
    stores), so the corrected sheet imports the same values back.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    header, rows = rejected_rows(job, locale)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(REJECTED_SHEET["zh" if locale.lower().startswith("zh") else "en"])
    sheet.append(header)
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, str) and value.startswith(FORMULA_START):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"
                cell.quotePrefix = True
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
