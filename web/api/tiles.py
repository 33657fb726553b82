"""``/tiles/{layer}/{z}/{x}/{y}.pbf``: the registry's layers as Mapbox Vector Tiles, cacheable.

Caching: a tile depends on who asks (their divisions), so only the browser may keep it
(``private``); for a minute it is reused without asking, which covers panning back and forth,
and after that a revalidation costs one indexed ``max(updated_at)`` and a bodiless 304. An
edit shows on tiles within that minute; the map draws GeoJSON, always fresh, where people edit.
An empty tile is ``204 No Content`` with the same headers, so a cached "nothing here" is
revalidated like any other tile.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from inventory import tiles
from resilience.errors import Problem
from web.auth import caller, signed_in
from web.errors import BadRequest
from web.session import db

bp = Blueprint("tiles", __name__)

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "private, max-age=60"


def _address(z: str, x: str, y: str) -> tuple[int, int, int]:
    numbers = []
    problems = []
    for name, raw in (("z", z), ("x", x), ("y", y)):
        try:
            numbers.append(int(raw))
        except ValueError:
            problems.append(Problem(name, "not_an_integer", {"value": raw}))
            numbers.append(0)
    if not problems:
        problems = tiles.check_address(*numbers)
    if problems:
        raise BadRequest("invalid tile address", problems)
    return numbers[0], numbers[1], numbers[2]


def _matches(tag: str) -> bool:
    """If-None-Match by weak comparison (RFC 9110 §13.1.2), ``*`` included."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    wanted = tag.removeprefix("W/")
    return any(part.strip() == "*" or part.strip().removeprefix("W/") == wanted
               for part in header.split(","))


def _answer(status: int, tag: str, body: bytes = b"") -> Response:
    resp = Response(body, status=status, mimetype=MVT if body else None)
    if not body:
        resp.headers.pop("Content-Type", None)
    resp.headers["ETag"] = tag
    resp.headers["Cache-Control"] = CACHE_CONTROL
    resp.headers["Vary"] = "Authorization, Cookie"
    return resp


@bp.get("/tiles/<name>/<z>/<x>/<y>.pbf")
@signed_in
def tile(name: str, z: str, x: str, y: str) -> Response:
    """One vector tile of a layer as the caller may see it; 304 when their copy is current."""
    principal = caller()
    tile_layer = tiles.layer(name)
    zoom, col, row = _address(z, x, y)
    session = db()
    stamp = tiles.version(session, tile_layer)
    if stamp is not None:
        tag = tiles.etag(tile_layer, principal, stamp, zoom, col, row)
        if _matches(tag):
            return _answer(304, tag)
    body = tiles.render(session, tile_layer, principal, zoom, col, row)
    if stamp is None:  # an untracked layer (divisions): the version is the content itself
        tag = tiles.etag(tile_layer, principal, "sha256:" + hashlib.sha256(body).hexdigest(),
                         zoom, col, row)
        if _matches(tag):
            return _answer(304, tag)
    return _answer(200 if body else 204, tag, body)
