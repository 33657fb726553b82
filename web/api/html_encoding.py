"""The API's HTML encoding: the registry's own pages, reached by a 303 from the API's URLs.

OGC API – Features lets a resource be asked for as HTML (``f=html``, or a browser's
``Accept``). The registry already has those pages — a collection's table, a record's page —
with the user's language, divisions and links, so the API sends the browser there rather
than drawing a second HTML view of the same data. ``f=json``/``f=geojson``, or an Accept
preferring JSON (GDAL, QGIS, curl's ``*/*``), or none, keep the JSON.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, redirect, request, url_for

from inventory import CollectionSpec
from resilience.errors import Problem
from web.api.protocol import GEOJSON, JSON
from web.errors import BadRequest

HTML = "text/html"
F_VALUES = {"html": True, "json": False, "geojson": False}
# The table page's own filters (web/pages/tables.py) that the API's share a name with.
CARRIED = ("division", "category", "kind", "tunnel_type", "shelter_class", "cause", "unit",
           "level", "hazard_class", "method", "material", "status", "condition_grade", "source")


def wants_html() -> bool:
    """Whether the request asks for HTML: ``f=html``, or an Accept that prefers it to JSON."""
    f = request.args.get("f")
    if f is not None:
        choice = F_VALUES.get(f.strip().lower())
        if choice is None:
            raise BadRequest("unknown format", [Problem("f", "invalid_value", {"value": f[:60]})])
        return choice
    return request.accept_mimetypes.best_match([GEOJSON, JSON, HTML]) == HTML


def _see_other(location: str) -> Response:
    resp = redirect(location, 303)
    resp.headers["Vary"] = "Accept"
    return resp


def collection_redirect(spec: CollectionSpec) -> Response | None:
    """A 303 to the collection's table page when HTML is asked for (None: answer JSON).

    The table keeps the division and the equality filters it knows by the same names.
    """
    if not wants_html():
        return None
    carried: dict[str, Any] = {k: request.args[k] for k in CARRIED if request.args.get(k)
                               and (k == "division" or spec.field(k) is not None)}
    return _see_other(url_for("pages.collection_page", name=spec.name, **carried))


def record_redirect(spec: CollectionSpec, key: Any) -> Response | None:
    """A 303 to the record's own page when HTML is asked for (None: answer JSON): a hidden
    hazard's case page, an asset's page; a division has none, so its row in the table."""
    if not wants_html():
        return None
    if spec.name == "divisions":
        return _see_other(url_for("pages.collection_page", name=spec.name, q=key))
    if spec.name == "hazards" and "hazards.detail_page" in current_app.view_functions:
        return _see_other(url_for("hazards.detail_page", hazard_id=key))
    return _see_other(url_for("assets.asset_page", name=spec.name, key=key))
