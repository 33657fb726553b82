"""How the JSON API speaks HTTP, the same in every module: media types, JSON answers and links,
CRS negotiation (OGC API – Features Part 2), request bodies, CSRF for browser callers, ids in
paths, ETag and If-Match.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from inventory import CollectionSpec, service
from inventory import repository as repo
from resilience import geo
from resilience.accounts import Principal
from resilience.errors import Forbidden, NotFound, Problem, StaleVersion
from resilience.geo import CRS84, CrsRef
from web.errors import BadRequest
from web.serializers import dumps
from web.session import settings, via_cookie

GEOJSON = "application/geo+json"
JSON = "application/json"


def json_response(body: Any, status: int = 200, mimetype: str = JSON,
                  headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (dates, decimals and geometries as the serializers write them)."""
    resp = Response(dumps(body), status=status, mimetype=mimetype)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    """An OGC API link object."""
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def supported_crs() -> list[str]:
    """CRS84 first, then the registry's storage CRS, WGS84, the local zone and Web Mercator."""
    local = settings().local_epsg
    codes = [4490, 4326, local, local - 21 if 4534 <= local <= 4554 else None, 3857]
    return [CRS84] + [geo.EPSG_URI.format(c) for c in dict.fromkeys(codes) if c]


def crs_param(name: str) -> CrsRef:
    """The CRS a query parameter asks for (CRS84 when absent); 400 for one not offered."""
    value = request.args.get(name)
    crs = geo.parse_crs(value, field=name) if value else geo.CRS84_REF
    if crs.uri not in supported_crs() and not crs.is_crs84:
        raise BadRequest("unsupported CRS", [Problem(name, "unknown_crs", {"value": value})])
    return crs


def key_of(spec: CollectionSpec, raw: str, field: str = "id") -> Any:
    """A record's key from the path: an integer id, or a division's code."""
    if repo.pk_of(spec).name == "code":
        return raw
    try:
        key = int(raw)
    except ValueError as error:
        raise BadRequest("invalid id", [Problem(field, "invalid_value", {"value": raw})]) from error
    if not 0 < key < 2**31:  # no id of a 32-bit key column: no such record
        raise NotFound("no such record")
    return key


def etag(version: int) -> str:
    """A record version as an ETag."""
    return f'"v{version}"'


def if_match() -> int | None:
    """The version an If-Match names (None for none or ``*``); 412 for a tag that is no version."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag.startswith("v") and tag[1:].isdigit():
            return int(tag[1:])
    raise StaleVersion(current=-1, given=None)


def read_body() -> Any:
    """The request's JSON body, whatever its media type; 400 when it is not JSON."""
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("invalid JSON", [Problem("body", "invalid_json",
                                                   {"reason": str(error)[:120]})]) from error


def body_in_storage_crs(body: Any) -> Any:
    """Transform a body given in the ``Content-Crs`` into lon/lat before validation."""
    header = request.headers.get("Content-Crs")
    if not header:
        return body
    crs = geo.parse_crs(header.strip().strip("<>"), field="Content-Crs")
    if crs.is_crs84 or not isinstance(body, dict) or not isinstance(body.get("geometry"), dict):
        return body
    from shapely.geometry import mapping, shape

    try:
        geom = shape(body["geometry"])
    except Exception:  # noqa: BLE001 - validation reports the malformed geometry
        return body
    out = dict(body)
    out["geometry"] = mapping(geo.to_storage(geom, crs, axis_order="authority"))
    return out


def check_csrf() -> None:
    """A caller signed in by the browser session must send the page's CSRF token (403 if not)."""
    if via_cookie():
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except (ValidationError, CSRFError) as error:
            raise Forbidden("CSRF token missing or wrong",
                            [Problem("X-CSRFToken", "invalid_value", {"value": "csrf"})]) from error


def write_context(principal: Principal) -> service.WriteContext:
    """Who writes, and the city's extent that new geometries must fall in."""
    return service.WriteContext(by=principal, extent=settings().extent)
