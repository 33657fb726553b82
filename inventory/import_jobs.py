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

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import importing, survey
from inventory.formats import open_source
from inventory.import_report import IMPORT_KIND
from inventory.mapping import load_mapping_file
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.jobs import QUEUED, RUNNING, Job
from resilience.messages import describe
from resilience.model import now

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

    The file is read again from the upload, so the engineer gets back exactly what to fix.
    """
    result = job.result or {}
    problems: dict[int, list[str]] = {}
    for p in result.get("rejected", []):
        if p.get("row") is None or (p.get("params") or {}).get("table") == "points":
            continue
        text = describe(Problem(p["field"], p["code"], p.get("params") or {}), locale)
        problems.setdefault(p["row"], []).append(f"{p['field']}: {text}")
    params = job.params or {}
    folder = Path(params.get("folder") or "")
    if not (folder / params.get("file", "")).is_file():
        raise InvalidInput("upload removed", [Problem("import_id", "upload_removed",
                                                      {"value": job.id})])
    reader_options = {k: params[k] for k in READER_OPTIONS if params.get(k)}
    source = open_source(folder / params["file"], **reader_options)
    header = ["错误" if locale.startswith("zh") else "errors", "row", *source.columns]
    rows: list[list[Any]] = []
    for record in source.records():
        if record.row in problems:
            geometry = record.geometry if isinstance(record.geometry, str) else None
            rows.append(["; ".join(problems[record.row]), record.row,
                         *[record.properties.get(c) for c in source.columns],
                         *([geometry] if geometry is not None else [])])
    if any(len(r) > len(header) for r in rows):
        header.append("wkt")
    return header, rows


def rejected_csv(job: Job, locale: str = "zh") -> bytes:
    """The rejected rows as CSV (UTF-8 with BOM, so Excel shows Chinese)."""
    header, rows = rejected_rows(job, locale)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rejected_xlsx(job: Job, locale: str = "zh") -> bytes:
    """The rejected rows as an Excel sheet; text that looks like a formula stays text."""
    from openpyxl import Workbook

    header, rows = rejected_rows(job, locale)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("rejected")
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(value: Any) -> Any:
    """A value safe in a spreadsheet: a leading = + - @ never starts a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
