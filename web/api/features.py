"""OGC API – Features (Parts 1, 2 and 3): reading the registry's features, a page or one at a
time, filtered by CQL2 (``query_params``), in HTML the registry's own pages (``html_encoding``).

A page is read straight to GeoJSON text by the database (no objects in between); it carries
keyset ``next``/``prev`` links and ``numberMatched``, the same filter counted (free when
the page holds the whole result).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, url_for

from inventory import CollectionSpec, layers
from inventory import repository as repo
from resilience import geo
from resilience.accounts import SYSTEM, Principal
from resilience.errors import Forbidden, InvalidInput, Problem
from resilience.geo import CRS84, CrsRef
from web.api import html_encoding, query_params
from web.api.protocol import GEOJSON, crs_param, etag, key_of, link
from web.auth import caller, signed_in
from web.errors import BadRequest
from web.serializers import dumps, feature_text
from web.session import db, settings

bp = Blueprint("features", __name__)

PAGE_PARAMS = {"bbox", "bbox-crs", "crs", "limit", "after", "before", "division", "f",
               *query_params.NAMES}


def _bbox(crs: CrsRef) -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if raw is None:
        return None
    problem = Problem("bbox", "invalid_bbox", {})
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError as error:
        raise BadRequest("invalid bbox", [problem]) from error
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise BadRequest("invalid bbox", [problem])
    box = (values[0], values[1], values[2], values[3])
    return box if crs.is_crs84 else geo.bbox_to_storage(box, crs)


def _limit() -> int:
    cfg = settings()
    raw = request.args.get("limit")
    if raw is None:
        return cfg.page_limit_default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise BadRequest("invalid limit",
                         [Problem("limit", "invalid_limit", {"max": cfg.page_limit_max})])
    return min(value, cfg.page_limit_max)


def _filters(spec: CollectionSpec) -> dict[str, Any]:
    items = {key: request.args.getlist(key) for key in request.args if key not in PAGE_PARAMS}
    try:
        return repo.parse_filters(spec, items)
    except InvalidInput as error:  # query parameters: 400, not 422
        raise BadRequest(error.message, error.problems) from error


def _page_query(spec: CollectionSpec, principal: Principal) -> tuple[repo.Query, CrsRef]:
    crs = crs_param("crs")
    bbox_crs = crs_param("bbox-crs")
    division = request.args.get("division")
    if division and not principal.everywhere and not principal.sees(division) \
            and spec.name != "divisions":
        raise Forbidden("division not granted",
                        [Problem("division", "division_not_granted", {"value": division})])
    after = request.args.get("after")
    before = request.args.get("before")
    q = repo.Query(
        bbox=_bbox(bbox_crs),
        division=division or None,
        filters=_filters(spec),
        limit=_limit(),
        after=key_of(spec, after, "after") if after else None,
        before=key_of(spec, before, "before") if before else None,
        sortby=query_params.sort_keys(spec),
        datetime=query_params.datetime_range(),
        cql=query_params.cql_filter(spec),
    )
    return q, crs


def _feature(row: Any, key: Any, crs: CrsRef, extra: dict[str, Any] | None,
             wanted: frozenset[str] | None) -> str:
    """One feature's text, its properties cut to ``properties`` when asked (geometry kept)."""
    if wanted is None:
        return feature_text(row, key, crs, extra)
    props, extra = query_params.selected(row.properties, extra, wanted)
    return feature_text(_Cut(row.geometry, props), key, crs, extra)


@dataclass(frozen=True)
class _Cut:
    """A row's geometry with a narrower property object, as ``feature_text`` reads rows."""

    geometry: Any
    properties: str


@bp.get("/api/collections/<name>/items")
@signed_in
def items(name: str) -> Response:
    """A page of features: bbox, division, property filters, datetime, a CQL2 filter, sortby
    and properties, keyset links; HTML asked for is the collection's table page (303)."""
    principal = caller()
    part = layers.layer(name)  # a collection, or the part of one GIS clients read as a layer
    spec = part.spec
    html = html_encoding.collection_redirect(spec)
    if html is not None:
        return html
    q, crs = _page_query(spec, principal)
    wanted = query_params.properties(spec)
    q = replace(q, layer=part.id)  # its part of the collection, in its geometry type
    session = db()
    geometry = "geojson" if crs.is_crs84 else "wkb"
    # Division boundaries are public administrative data: every signed-in user reads them.
    viewer = principal if spec.name != "divisions" else SYSTEM
    rows = repo.page(session, spec, viewer, q, geometry)
    pk = repo.pk_of(spec).name
    keys = [r._mapping[pk] for r in rows]
    extra = repo.derived(session, spec, keys)
    features = ",".join(_feature(r, k, crs, extra.get(k), wanted)
                        for r, k in zip(rows, keys, strict=True))
    links = _page_links(spec, q, keys)
    head = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": len(rows),
    }
    if q.after is None and q.before is None and len(rows) < q.limit:
        head["numberMatched"] = len(rows)  # exact and free: the whole result is this page
    else:  # the same filter counted once, so GDAL and QGIS know the total from one request
        head["numberMatched"] = repo.number_matched(session, spec, viewer, q)
    body = dumps(head)[:-1] + ',"links":' + dumps(links) + ',"features":[' + features + "]}"
    resp = Response(body, mimetype=GEOJSON)
    resp.headers["Content-Crs"] = f"<{crs.uri}>"
    return resp


def _page_links(spec: CollectionSpec, q: repo.Query, keys: list[Any]) -> list[dict[str, str]]:
    base = request.base_url
    args_multi = [(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "before")]

    def href(**extra: Any) -> str:
        from urllib.parse import urlencode

        return base + "?" + urlencode(args_multi + list(extra.items()))

    links = [link(href(**({"after": q.after} if q.after is not None else {})), "self", GEOJSON),
             link(url_for("api.collection", name=spec.name, _external=True), "collection")]
    if keys and len(keys) == q.limit:
        links.append(link(href(after=keys[-1]), "next", GEOJSON))
    if keys and (q.after is not None or (q.before is not None and len(keys) == q.limit)):
        links.append(link(href(before=keys[0]), "prev", GEOJSON))
    return links


@bp.get("/api/collections/<name>/items/<key>")
@signed_in
def item(name: str, key: str) -> Response:
    """One feature with its ETag (``properties`` cuts it); HTML asked for is its page (303)."""
    principal = caller()
    part = layers.layer(name)
    spec = part.spec
    html = html_encoding.record_redirect(spec, key_of(spec, key))
    if html is not None:
        return html
    crs = crs_param("crs")
    wanted = query_params.properties(spec)
    session = db()
    row = repo.one(session, spec, principal, key_of(spec, key),
                   "geojson" if crs.is_crs84 else "wkb", include_retired=False,
                   layer=part.id)
    pk = repo.pk_of(spec).name
    if spec.name != "divisions":
        principal.require_read(row._mapping.get("division_code"))
    extra = repo.derived(session, spec, [row._mapping[pk]])
    resp = Response(_feature(row, row._mapping[pk], crs, extra.get(row._mapping[pk]), wanted),
                    mimetype=GEOJSON)
    resp.headers["Content-Crs"] = f"<{crs.uri}>"
    if "version" in row._mapping:
        resp.headers["ETag"] = etag(row._mapping["version"])
    return resp


def written(spec: CollectionSpec, obj: Any, status: int, layer: str | None = None) -> Response:
    """The answer to a write: the feature as stored (as the caller may see it, and as the
    layer written through reads it) and its new ETag."""
    session = db()
    row = repo.one(session, spec, caller(), obj.id, layer=layer)
    extra = repo.derived(session, spec, [obj.id])
    resp = Response(feature_text(row, obj.id, geo.CRS84_REF, extra.get(obj.id)),
                    status=status, mimetype=GEOJSON)
    resp.headers["ETag"] = etag(obj.version)
    resp.headers["Content-Crs"] = f"<{CRS84}>"
    if status == 201:
        resp.headers["Location"] = url_for("features.item", name=layer or spec.name, key=obj.id,
                                           _external=True)
    return resp
