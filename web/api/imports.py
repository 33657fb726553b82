"""Imports over HTTP: upload a file, follow the job, fetch the rejected rows, undo: a thin adapter.

Small uploads are imported while the client waits (201, or 200 for a dry run or a refused
file, with the report); larger ones are queued for the scheduler (202 with the status URL).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, request, url_for
from werkzeug.datastructures import FileStorage

from inventory import import_jobs, importing, service
from inventory.assets import importable_collections
from inventory.service import WriteContext
from resilience.accounts import Principal
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem, ResilienceError
from resilience.jobs import DONE, FAILED, QUEUED, Job
from resilience.messages import describe
from web.api.protocol import check_csrf, json_response
from web.auth import caller, signed_in
from web.errors import locale
from web.session import db, settings, unit

bp = Blueprint("imports", __name__)
TRUE = {"1", "true", "yes", "on"}


def _flag(name: str) -> bool:
    return request.form.get(name, "").strip().lower() in TRUE


def _save(file: FileStorage | None, folder: Path, field: str, required: bool) -> str | None:
    if file is None or not file.filename:
        if required:
            raise InvalidInput("no file", [Problem(field, "required", {})])
        return None
    name = import_jobs.safe_name(file.filename)
    file.save(folder / name)
    return name


def _may_see(principal: Principal, job: Job) -> None:
    if principal.role != "admin" and job.created_by != principal.username:
        raise Forbidden("not your import", [Problem("import_id", "not_yours", {"value": job.id})])


def _status(job: Job) -> dict[str, Any]:
    """The job as the client follows it: state, progress, report, links."""
    result = job.result or {}
    body: dict[str, Any] = {
        "id": job.id, "status": job.status, "progress": job.progress, "message": job.message,
        "collection": (job.params or {}).get("collection"), "file": (job.params or {}).get("file"),
        "created_by": job.created_by,
        "created_at": job.created_at.isoformat() if job.created_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "links": [{"rel": "self", "href": url_for("imports.status", import_id=job.id)}],
    }
    if job.status not in (DONE, FAILED):
        live = import_jobs.read_progress(job)
        if live is not None:
            body["progress"] = max(job.progress or 0.0, live.get("fraction") or 0.0)
            body["rows_done"], body["rows_expected"] = live.get("rows"), live.get("expected")
    if result:
        report = dict(result)
        report["rejected"] = [
            {**p, "message": describe(Problem(p["field"], p["code"], p.get("params") or {}),
                                      locale())}
            for p in result.get("rejected", [])]
        body["report"] = report
        if result.get("rejected_rows"):
            body["links"] += [
                {"rel": "rejected", "type": "text/csv",
                 "href": url_for("imports.rejected", import_id=job.id, fmt="csv")},
                {"rel": "rejected", "type": XLSX,
                 "href": url_for("imports.rejected", import_id=job.id, fmt="xlsx")}]
    if job.error:
        error = dict(job.error)
        error["problems"] = [
            {**p, "message": describe(Problem(p["field"], p["code"], p.get("params") or {}),
                                      locale())}
            for p in error.get("problems") or []]
        body["error"] = error
    return body


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.post("/api/imports")
@signed_in
def create() -> Response:
    """Upload a file (and a survey point table) into a collection."""
    request.max_content_length = settings().max_upload_bytes  # survey files outgrow API bodies
    principal = caller()
    check_csrf()
    if not importable_collections(principal):
        raise Forbidden("role may not import", role=principal.role)
    collection = request.form.get("collection", "").strip()
    if not collection:
        raise InvalidInput("no collection", [Problem("collection", "required", {})])
    spec = service.writable(collection)
    spec.require_edit(principal)  # hazard zones and risk points: emergency managers too
    if not spec.importable:
        raise InvalidInput("not importable", [Problem("collection", "not_importable",
                                                      {"value": collection})])
    cfg = settings()
    folder = import_jobs.new_folder(cfg.instance_path)
    try:
        file = _save(request.files.get("file"), folder, "file", True)
        points = _save(request.files.get("points"), folder, "points", False)
        mapping = _save(request.files.get("mapping"), folder, "mapping", False)
        options = {k: request.form.get(k) for k in ("crs", "encoding", "layer", "sheet")}
        options.update(dry_run=_flag("dry_run"), skip_invalid=_flag("skip_invalid"),
                       max_size=cfg.max_unpacked_bytes)
        size = sum(p.stat().st_size for p in folder.iterdir())
        with unit() as s:
            job = import_jobs.submit(s, folder, file or "", spec.name, by=principal.username,
                                     extent=cfg.extent, options=options, points=points,
                                     mapping=mapping)
            job_id = job.id
            if size <= import_jobs.INLINE_BYTES:
                import_jobs.run(s, job)
    except ResilienceError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    job = import_jobs.get(db(), job_id)
    body = _status(job)
    if job.status == QUEUED:
        status = 202
    else:
        report = job.result or {}
        status = 201 if report.get("stored") else 200 if report.get("dry_run") else 422
    resp = json_response(body, status)
    resp.headers["Location"] = url_for("imports.status", import_id=job_id, _external=True)
    return resp


@bp.get("/api/imports")
@signed_in
def listing() -> Response:
    """The latest imports: everyone's for an admin, one's own otherwise."""
    principal = caller()
    jobs = import_jobs.recent(db(), by=None if principal.role == "admin" else principal.username)
    return json_response({"imports": [_status(j) for j in jobs]})


@bp.get("/api/imports/<int:import_id>")
@signed_in
def status(import_id: int) -> Response:
    """An import's state, progress and report."""
    principal = caller()
    job = import_jobs.get(db(), import_id)
    _may_see(principal, job)
    return json_response(_status(job))


@bp.get("/api/imports/<int:import_id>/rejected.<fmt>")
@signed_in
def rejected(import_id: int, fmt: str) -> Response:
    """The rejected rows as they were in the file, with an error column, as CSV or XLSX."""
    principal = caller()
    job = import_jobs.get(db(), import_id)
    _may_see(principal, job)
    if fmt == "csv":
        data, mimetype = import_jobs.rejected_csv(job, locale()), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        data, mimetype = import_jobs.rejected_xlsx(job, locale()), XLSX
    else:
        raise NotFound("no such format", [Problem("format", "unknown_code",
                                                  {"value": fmt, "allowed": ["csv", "xlsx"]})])
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="import-{import_id}-rejected.{fmt}"'
    return resp


@bp.delete("/api/imports/<int:import_id>")
@signed_in
def remove(import_id: int) -> Response:
    """Cancel a queued import, or undo a finished one (retire what it created, restore the rest)."""
    principal = caller()
    check_csrf()
    with unit() as s:
        job = import_jobs.get(s, import_id)
        _may_see(principal, job)
        if job.status == QUEUED:
            job.status, job.error = FAILED, {"code": "cancelled", "by": principal.username}
            import_jobs.remove_upload(job)
            done: dict[str, Any] = {"cancelled": True}
        else:
            done = importing.undo(s, import_id, WriteContext(by=principal, extent=None))
    return json_response({"id": import_id, **done})
