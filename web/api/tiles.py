"""``/tiles/{layer}/{z}/{x}/{y}.pbf``: the registry's layers as Mapbox Vector Tiles, cacheable.

Caching: a tile depends on who asks (their divisions), so only the browser may keep it
(``private``); for a minute it is reused without asking, which covers panning back and forth,
and after that a revalidation costs one indexed ``max(updated_at)`` and a bodiless 304. An
edit shows on tiles within that minute; the map draws GeoJSON, always fresh, where people edit.
An empty tile is ``204 No Content`` with the same headers, so a cached "nothing here" is
revalidated like any other tile. OGC API – Tiles serves the same tiles (``web/api/tilesets``)
through :func:`answer`, so both addresses give the same bytes, ETags and 304s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from flask import Blueprint, Response, request

from inventory import tiles
from inventory.tiles import TileLayer
from resilience.errors import Problem
from web.auth import caller, signed_in
from web.errors import BadRequest
from web.session import db

bp = Blueprint("tiles", __name__)

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "private, max-age=60"


def address(z: str, x: str, y: str,
            names: tuple[str, str, str] = ("z", "x", "y")) -> tuple[int, int, int]:
    """A tile address from the path as zoom, column, row; 400 naming each bad part as sent."""
    numbers = []
    problems = []
    for name, raw in zip(names, (z, x, y), strict=True):
        try:
            numbers.append(int(raw))
        except ValueError:
            problems.append(Problem(name, "not_an_integer", {"value": raw}))
            numbers.append(0)
    if not problems:
        problems = tiles.check_address(numbers[0], numbers[1], numbers[2], names=names)
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
    tile_layer = tiles.layer(name)
    return answer([tile_layer], *address(z, x, y))


def answer(tile_layers: Sequence[TileLayer], zoom: int, col: int, row: int) -> Response:
    """The tile of these layers at an address as the caller may see it, or a bodiless 304.

    Each layer is one MVT layer named after its collection; a tile of several is their tiles
    end to end (a tile is a protobuf message of repeated layers, and repeated fields
    concatenate), so a layer reads the same alone and in the dataset's tiles.
    """
    principal = caller()
    session = db()
    bodies: dict[int, bytes] = {}
    stamps = []
    for i, tile_layer in enumerate(tile_layers):
        stamp = tiles.version(session, tile_layer)
        if stamp is None:  # an untracked layer (risk maps): the version is the content itself
            bodies[i] = tiles.render(session, tile_layer, principal, zoom, col, row)
            stamp = "sha256:" + hashlib.sha256(bodies[i]).hexdigest()
        stamps.append(stamp)
    tag = tiles.etag(tile_layers, principal, stamps, zoom, col, row)
    if _matches(tag):
        return _answer(304, tag)
    body = b"".join(bodies[i] if i in bodies else
                    tiles.render(session, tile_layer, principal, zoom, col, row)
                    for i, tile_layer in enumerate(tile_layers))
    return _answer(200 if body else 204, tag, body)
