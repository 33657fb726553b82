"""Downloads of a collection as GeoJSON, CSV, GeoPackage, XLSX or zipped Shapefile: a thin adapter.

CSV and XLSX are written in the user's language, or in machine form with ``lang=machine``.

GeoJSON and CSV are streamed as they are written; the formats that need a finished file
(GeoPackage, XLSX, the Shapefile zip) are written to a scratch file first and sent from it.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from flask import Blueprint, Response, request, send_file, stream_with_context

from inventory import exporting
from resilience.clock import today
from resilience.errors import InvalidInput
from web.auth import caller, signed_in
from web.errors import BadRequest
from web.extensions import select_locale
from web.session import db, sessions, settings

bp = Blueprint("exports", __name__)

OPTIONS = ("format", "crs", "division", "bbox", "lang")


def attachment(ascii_name: str, name: str) -> str:
    """``Content-Disposition`` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 5987)."""
    fallback = ascii_name.replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _names(plan: exporting.Plan) -> tuple[str, str]:
    """``pipelines-330106-20261125.gpkg`` and ``管线段-330106-20261125.gpkg``."""
    parts = [plan.query.division] if plan.query.division else []
    parts.append(today(settings().zone).strftime("%Y%m%d"))  # the city's date, not the server's
    tail = "-" + "-".join(parts) + plan.format.extension
    return plan.spec.name + tail, plan.spec.zh + tail


def _streamed(plan: exporting.Plan) -> Iterator[bytes]:
    """The file's chunks from a session of the stream's own: the request's is closed at teardown,
    which runs when the view returns, before the server reads the body; a stream reading on
    through it opened a connection nobody closed, and enough of them emptied the pool (500)."""
    with sessions()() as session:
        yield from exporting.stream(session, plan)


@bp.get("/api/collections/<name>/export")
@signed_in
def export(name: str) -> Response:
    """The records the caller sees, filtered like items, as a file in a format and CRS.

    CSV and XLSX speak the user's language (the one chosen on the pages, else the request's
    ``Accept-Language``; Chinese by default) unless ``lang`` asks for ``zh``, ``en`` or
    ``machine`` (field names and codes).
    """
    principal = caller()
    args = request.args
    filters = {key: args.getlist(key) for key in args if key not in OPTIONS}
    try:
        plan = exporting.plan(name, args.get("format", "geojson"), crs=args.get("crs"),
                              division=args.get("division"), bbox=args.get("bbox"),
                              filters=filters, by=principal,
                              lang=args.get("lang") or select_locale(), zone=settings().zone)
    except BadRequest:
        raise
    except InvalidInput as error:  # query parameters the API cannot use: 400, as for items
        raise BadRequest(error.message, error.problems) from error
    ascii_name, utf8_name = _names(plan)
    headers = {"Content-Disposition": attachment(ascii_name, utf8_name),
               "Cache-Control": "no-store", "Content-Crs": f"<{plan.crs.uri}>"}
    if plan.format.streamable:
        return Response(stream_with_context(_streamed(plan)), content_type=plan.format.media_type,
                        headers=headers)
    session = db()
    scratch = Path(tempfile.mkdtemp(prefix="resilience-export-"))
    try:
        path = scratch / ascii_name
        exporting.write(session, plan, path)
        handle = path.open("rb")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)  # the open handle keeps the data readable
    resp = send_file(handle, mimetype=plan.format.media_type, conditional=False, etag=False,
                     max_age=0)
    resp.headers.update(headers)
    return resp
