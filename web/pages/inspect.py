"""The inspector's phone pages: today's tasks, a task's checklist, its photos.

The pages are shells: the lists and checklists come from the tasks API
(``/api/inspections/tasks``), so what a phone shows is what the API serves and nothing is
computed twice. What typing produces stays on the device until the registry has it: drafts
in localStorage as they are typed, photos and queued submissions kept until the connection
is back (``static/js/inspect*.js``). A small service worker (``/inspect/sw.js``) keeps the
pages themselves, so a reload with no connection still opens the checklist and its draft.
A submission carries a ``client_id`` made on the phone, so a retried one is stored once.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from PIL import Image

from inventory.assets import COLLECTIONS
from inventory.inspections import photos, tasks
from resilience.accounts import Principal
from resilience.errors import Forbidden, InvalidInput, PayloadTooLarge, Problem
from resilience.messages import as_dicts
from web.auth import caller, signed_in
from web.extensions import csrf, select_locale
from web.session import attachment_store, db, settings, unit

bp = Blueprint("inspect", __name__)

# Roles that walk checklists; viewers read the list and the status pages only.
SUBMITTING_ROLES = frozenset({"inspector", "engineer", "emergency_manager", "admin"})


def _titles() -> dict[str, str]:
    """Collection titles in the page's language (an asset with no name shows as 管线点 #644)."""
    locale = select_locale()
    return {name: spec.title(locale) for name, spec in COLLECTIONS.items()}


@bp.get("/inspect")
@signed_in
def today_page() -> Any:
    """Today's tasks: due and overdue first, the nearest first when the phone shares its position."""
    return render_template("inspect_today.html", locale=select_locale(), principal=caller(),
                           collection_titles=_titles())


@bp.get("/inspect/tasks/<int:task_id>")
@signed_in
def task_page(task_id: int) -> Any:
    """One task's checklist, item by item, with the asset's last answers beside each item."""
    principal = caller()
    return render_template("inspect_task.html", task_id=task_id, locale=select_locale(),
                           principal=principal, may_submit=principal.role in SUBMITTING_ROLES,
                           collection_titles=_titles(),
                           max_photo_mb=settings().max_attachment_bytes // (1024 * 1024))


@bp.get("/inspect/sw.js")
def service_worker() -> Response:
    """The service worker, served from /inspect/ so that it may keep the inspection pages (public)."""
    path = Path(current_app.static_folder or "") / "js" / "inspect_sw.js"
    resp = Response(path.read_text(encoding="utf-8"), mimetype="text/javascript")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["Service-Worker-Allowed"] = url_for("inspect.today_page")  # scope /inspect
    return resp


@bp.post("/inspect/tasks/<int:task_id>/photos")
@signed_in(login_page=False)  # the phone's upload queue keeps the photo on a 401, not on a redirect
def upload_photo(task_id: int) -> Any:
    """A photo for a task's answer: sniffed, decoded, shrunk to ≤ 1600 px JPEG, kept on the asset.

    Answers ``201 {"id", "url", "width", "height"}``; the checklist's photo answer lists the id.
    """
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024
    principal = caller()
    csrf.protect()
    upload = request.files.get("file")
    item = (request.form.get("item") or "").strip()[:40]
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("no file", [Problem("file", "required", {})])
        collection, record_id = _task_asset(task_id, principal)
        data = photos.read_limited(upload.stream, settings().max_attachment_bytes)
        jpeg = photos.shrink(data)
        with unit() as s:
            saved = photos.attach(s, attachment_store(), collection, record_id, jpeg, upload.filename,
                                  principal, note=f"task {task_id}" + (f" · {item}" if item else ""))
            body = {"id": saved.id, "url": url_for("assets.attachment_file", attachment_id=saved.id),
                    "size": saved.size}
    except (InvalidInput, PayloadTooLarge) as error:
        status = 413 if isinstance(error, PayloadTooLarge) else 422
        return jsonify({"code": error.code, "errors": as_dicts(error.problems, select_locale())}), status
    with Image.open(io.BytesIO(jpeg)) as img:
        body.update(width=img.width, height=img.height)
    return jsonify(body), 201


def _task_asset(task_id: int, principal: Principal) -> tuple[str, int]:
    """The asset a task inspects, when the caller may submit the task (else 404 / 403)."""
    task = tasks.get(db(), task_id)
    principal.require_read(task.division_code)
    if not tasks.may_submit(principal, task):
        raise Forbidden("not this task's assignee or team", role=principal.role)
    return task.asset_collection, task.asset_id
