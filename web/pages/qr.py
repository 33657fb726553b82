"""QR codes of assets and their printable label sheets (per division, PNG or PDF).

A code holds the absolute URL of the asset's status page (``/s/<collection>/<id>``), so any
phone camera opens it; the page itself asks for sign-in like every page. The layout is
drawn by ``inventory.inspections.labels`` (no Flask there); this module only finds the rows.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from inventory import repository, service
from inventory.assets import COLLECTIONS, CollectionSpec
from inventory.inspections import labels
from resilience.errors import Forbidden, InvalidInput, NotFound, Problem
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.session import db, is_loopback, public_url_for

bp = Blueprint("qr", __name__)

MAX_LABELS = 20 * labels.PER_PAGE  # one file: 20 A4 pages; ``part`` gives the next ones


def labelled_collections() -> list[CollectionSpec]:
    """Collections whose records are things in the street (not computed maps)."""
    return [s for s in COLLECTIONS.values()
            if not s.readonly_collection and "division_code" in repository.table_of(s).c]


def status_url(collection: str, key: int) -> str:
    """The absolute URL a label's code opens (under RESILIENCE_PUBLIC_URL when set)."""
    return public_url_for("status.status_page", collection=collection, key=key)


def _spec(name: str) -> CollectionSpec:
    try:
        spec = service.collection(name)
    except NotFound:
        abort(404)
    if spec not in labelled_collections():
        abort(404)
    return spec


@bp.get("/qr/<collection>/<int:key>.png")
@signed_in
def qr_png(collection: str, key: int) -> Any:
    """One asset's QR code (the status page's URL), for the asset page or a single label."""
    principal = caller()
    spec = _spec(collection)
    row = repository.one(db(), spec, principal, key, geometry="none")
    principal.require_read(row._mapping["division_code"])
    box = min(max(request.args.get("box", 8, type=int), 2), 20)
    resp = Response(labels.qr_png(status_url(spec.name, key), box), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=86400"
    return resp


def _rows(spec: CollectionSpec, division: str, part: int) -> tuple[list[labels.Label], int]:
    """The labels of one part of a division's sheet, and how many records the sheet has."""
    principal = caller()
    total = repository.count_matching(db(), spec, principal, repository.Query(division=division))
    rows: list[Any] = []
    after = None
    for _part in range(max(part, 1)):  # keyset pages: part n starts after part n-1's last key
        rows = repository.page(db(), spec, principal, repository.Query(
            division=division, limit=MAX_LABELS, after=after), geometry="none")
        if not rows:
            break
        after = rows[-1]._mapping["id"]
    names = {d.code: (d.name if select_locale().startswith("zh") else d.name_en or d.name)
             for d in repository.visible_divisions(db(), principal)}
    out = []
    for row in rows:
        m = row._mapping
        props = m["properties"] if isinstance(m["properties"], dict) else json.loads(m["properties"])
        out.append(labels.Label(url=status_url(spec.name, m["id"]), name=props.get("name") or "",
                                ref=f"{spec.name}/{m['id']}",
                                division=f"{names.get(m['division_code'], '')} {m['division_code']}"))
    return out, total


@bp.get("/qr/labels")
@signed_in
def label_sheet() -> Any:
    """Label sheets of a division's assets as PDF or PNG, or the form that asks for one."""
    principal = caller()
    division = (request.args.get("division") or "").strip()
    fmt = request.args.get("format", "")
    collections = labelled_collections()
    if not division or fmt not in ("png", "pdf"):
        return render_template(
            "inspect_labels.html", collections=collections, locale=select_locale(),
            divisions=repository.visible_divisions(db(), principal), per_page=labels.PER_PAGE,
            max_labels=MAX_LABELS, chosen=request.args, sample=(sample := status_url("pipelines", 1)),
            loopback=is_loopback(sample))
    spec = _spec(request.args.get("collection", "pipelines"))
    if not principal.sees(division):
        raise Forbidden("outside your divisions",
                        [Problem("division", "division_not_granted", {"value": division})])
    part = request.args.get("part", 1, type=int) or 1
    page = request.args.get("page", 1, type=int) or 1
    rows, total = _rows(spec, division, part)
    if not rows and part > 1:
        raise InvalidInput("no such part", [Problem("part", "too_large", {
            "value": part, "max": max(1, -(-total // MAX_LABELS))})])
    name = f"qr-{spec.name}-{division}" + (f"-{part}" if total > MAX_LABELS else "")
    if fmt == "pdf":
        body, mimetype = labels.sheet_pdf(rows, title=f"{spec.title(select_locale())} {division}"), \
            "application/pdf"
    else:
        body, mimetype = labels.sheet_png(rows, page), "image/png"
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'inline; filename="{name}.{fmt}"'
    resp.headers["X-Label-Count"] = str(len(rows))
    resp.headers["X-Label-Total"] = str(total)
    resp.headers["X-Label-Pages"] = str(labels.page_count(len(rows)))
    resp.headers["Cache-Control"] = "private, no-store"
    return resp
