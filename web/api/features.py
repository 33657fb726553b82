"""OGC API – Features (Parts 1, 2 and 4) over the registry's collections: a thin adapter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from inventory import COLLECTIONS, CollectionSpec, service
from inventory import repository as repo
from inventory.exporting import FORMATS as EXPORT_FORMATS
from resilience import audit, geo
from resilience.accounts import SYSTEM, Principal
from resilience.errors import Forbidden, InvalidInput, Problem, StaleVersion
from resilience.geo import CRS84, CrsRef
from web.errors import BadRequest
from web.serializers import dumps, feature_text
from web.session import db, require_principal, settings, unit, via_cookie

bp = Blueprint("api", __name__)

GEOJSON = "application/geo+json"
JSON = "application/json"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
PAGE_PARAMS = {"bbox", "bbox-crs", "crs", "limit", "after", "before", "division", "f"}


def supported_crs() -> list[str]:
    """CRS84 first, then the registry's storage CRS, WGS84, the local zone and Web Mercator."""
    local = settings().local_crs
    codes = [4490, 4326, local, local - 21 if 4534 <= local <= 4554 else None, 3857]
    return [CRS84] + [geo.EPSG_URI.format(c) for c in dict.fromkeys(codes) if c]


def _json(body: Any, status: int = 200, mimetype: str = JSON,
          headers: dict[str, str] | None = None) -> Response:
    resp = Response(dumps(body), status=status, mimetype=mimetype)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _spec(name: str) -> CollectionSpec:
    return service.collection(name)


def _link(href: str, rel: str, type_: str = JSON, title: str | None = None) -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _crs_param(name: str) -> CrsRef:
    value = request.args.get(name)
    crs = geo.parse_crs(value, field=name) if value else geo.CRS84_REF
    if crs.uri not in supported_crs() and not crs.is_crs84:
        raise BadRequest("unsupported CRS", [Problem(name, "unknown_crs", {"value": value})])
    return crs


@bp.get("/api")
@bp.get("/api/")
def landing() -> Response:
    """The landing page with the links OGC clients follow."""
    base = request.url_root.rstrip("/")
    return _json({
        "title": "resilience — 城市地下基础设施与风险登记",
        "description": "Registry of the city's underground infrastructure and its risks",
        "links": [
            _link(f"{base}/api", "self"),
            _link(f"{base}/api/openapi.json", "service-desc",
                  "application/vnd.oai.openapi+json;version=3.0"),
            _link(f"{base}/api/conformance", "conformance"),
            _link(f"{base}/api/collections", "data"),
        ],
    })


@bp.get("/api/conformance")
def conformance() -> Response:
    """The conformance classes this server implements."""
    return _json({"conformsTo": CONFORMANCE})


def _collection_doc(spec: CollectionSpec, base: str, lang: str) -> dict[str, Any]:
    ex = settings().city_extent
    return {
        "id": spec.name,
        "title": spec.title(lang),
        "description": f"{spec.zh} / {spec.en}",
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [list(ex)], "crs": CRS84}},
        "crs": supported_crs(),
        "storageCrs": geo.EPSG_URI.format(geo.STORAGE_EPSG),
        "links": [
            _link(f"{base}/api/collections/{spec.name}", "self"),
            _link(f"{base}/api/collections/{spec.name}/items", "items", GEOJSON),
            _link(f"{base}/api/collections/{spec.name}/queryables", "queryables",
                  "application/schema+json"),
            # OGC API's "enclosure": the whole collection as one download, in each format.
            *(_link(f"{base}/api/collections/{spec.name}/export?format={f.name}", "enclosure",
                    f.media_type, f.title) for f in EXPORT_FORMATS.values()),
        ],
    }


def _lang() -> str:
    from web.errors import locale

    return locale()


@bp.get("/api/collections")
def collections() -> Response:
    """Every collection with its extent, CRSs and links."""
    require_principal()
    base = request.url_root.rstrip("/")
    lang = _lang()
    return _json({
        "links": [_link(f"{base}/api/collections", "self")],
        "collections": [_collection_doc(s, base, lang) for s in COLLECTIONS.values()],
        "crs": supported_crs(),
    })


@bp.get("/api/collections/<name>")
def collection(name: str) -> Response:
    """One collection's description."""
    require_principal()
    return _json(_collection_doc(_spec(name), request.url_root.rstrip("/"), _lang()))


@bp.get("/api/collections/<name>/queryables")
def queryables(name: str) -> Response:
    """The properties items can be filtered by, as JSON Schema."""
    require_principal()
    spec = _spec(name)
    from web.api.openapi import field_schema

    props = {f.name: {"title": f.label(_lang()), **field_schema(f)}
             for f in spec.fields if f.filterable}
    return _json({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": request.base_url,
        "type": "object",
        "title": spec.title(_lang()),
        "properties": props,
    }, mimetype="application/schema+json")


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


def _key(spec: CollectionSpec, raw: str, field: str = "id") -> Any:
    if repo.pk_of(spec).name == "code":
        return raw
    try:
        return int(raw)
    except ValueError as error:
        raise BadRequest("invalid id", [Problem(field, "invalid_value", {"value": raw})]) from error


def _filters(spec: CollectionSpec) -> dict[str, Any]:
    items = {key: request.args.getlist(key) for key in request.args if key not in PAGE_PARAMS}
    try:
        return repo.parse_filters(spec, items)
    except InvalidInput as error:  # query parameters: 400, not 422
        raise BadRequest(error.message, error.problems) from error


def _page_query(spec: CollectionSpec, principal: Principal) -> tuple[repo.Query, CrsRef]:
    crs = _crs_param("crs")
    bbox_crs = _crs_param("bbox-crs")
    division = request.args.get("division")
    if division and not principal.is_admin and not principal.sees(division) \
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
        after=_key(spec, after, "after") if after else None,
        before=_key(spec, before, "before") if before else None,
    )
    return q, crs


@bp.get("/api/collections/<name>/items")
def items(name: str) -> Response:
    """A page of features: bbox, division, property filters, keyset links."""
    principal = require_principal()
    spec = _spec(name)
    q, crs = _page_query(spec, principal)
    session = db()
    geometry = "geojson" if crs.is_crs84 else "wkb"
    # Division boundaries are public administrative data: every signed-in user reads them.
    viewer = principal if spec.name != "divisions" else SYSTEM
    rows = repo.page(session, spec, viewer, q, geometry)
    pk = repo.pk_of(spec).name
    keys = [r._mapping[pk] for r in rows]
    extra = repo.derived(session, spec, keys)
    features = ",".join(feature_text(r, k, crs, extra.get(k)) for r, k in zip(rows, keys, strict=True))
    links = _page_links(spec, q, keys)
    head = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberReturned": len(rows),
    }
    if q.after is None and q.before is None and len(rows) < q.limit:
        head["numberMatched"] = len(rows)  # exact and free: the whole result is this page
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

    links = [_link(href(**({"after": q.after} if q.after is not None else {})), "self", GEOJSON),
             _link(url_for("api.collection", name=spec.name, _external=True), "collection")]
    if keys and len(keys) == q.limit:
        links.append(_link(href(after=keys[-1]), "next", GEOJSON))
    if keys and (q.after is not None or (q.before is not None and len(keys) == q.limit)):
        links.append(_link(href(before=keys[0]), "prev", GEOJSON))
    return links


def _etag(version: int) -> str:
    return f'"v{version}"'


def _if_match() -> int | None:
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        if tag.startswith("v") and tag[1:].isdigit():
            return int(tag[1:])
    raise StaleVersion(current=-1, given=None)


@bp.get("/api/collections/<name>/items/<key>")
def item(name: str, key: str) -> Response:
    """One feature with its ETag."""
    principal = require_principal()
    spec = _spec(name)
    crs = _crs_param("crs")
    session = db()
    row = repo.one(session, spec, principal, _key(spec, key),
                   "geojson" if crs.is_crs84 else "wkb", include_retired=False)
    pk = repo.pk_of(spec).name
    if spec.name != "divisions":
        principal.require_read(row._mapping.get("division_code"))
    extra = repo.derived(session, spec, [row._mapping[pk]])
    resp = Response(feature_text(row, row._mapping[pk], crs, extra.get(row._mapping[pk])),
                    mimetype=GEOJSON)
    resp.headers["Content-Crs"] = f"<{crs.uri}>"
    if "version" in row._mapping:
        resp.headers["ETag"] = _etag(row._mapping["version"])
    return resp


def _body() -> Any:
    raw = request.get_data(cache=False)
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest("invalid JSON", [Problem("body", "invalid_json",
                                                   {"reason": str(error)[:120]})]) from error


def _body_in_storage_crs(body: Any) -> Any:
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


def _check_csrf() -> None:
    if via_cookie():
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except (ValidationError, CSRFError) as error:
            raise Forbidden("CSRF token missing or wrong",
                            [Problem("X-CSRFToken", "invalid_value", {"value": "csrf"})]) from error


def _ctx(principal: Principal) -> service.WriteContext:
    return service.WriteContext(by=principal, extent=settings().city_extent)


def _written(spec: CollectionSpec, obj: Any, status: int) -> Response:
    session = db()
    row = repo.one(session, spec, require_principal(), obj.id)
    extra = repo.derived(session, spec, [obj.id])
    resp = Response(feature_text(row, obj.id, geo.CRS84_REF, extra.get(obj.id)),
                    status=status, mimetype=GEOJSON)
    resp.headers["ETag"] = _etag(obj.version)
    resp.headers["Content-Crs"] = f"<{CRS84}>"
    if status == 201:
        resp.headers["Location"] = url_for("api.item", name=spec.name, key=obj.id, _external=True)
    return resp


@bp.post("/api/collections/<name>/items")
def create(name: str) -> Response:
    """Add a feature (OGC API Part 4): 201 with Location and ETag."""
    principal = require_principal()
    _check_csrf()
    spec = service.writable(name)
    body = _body_in_storage_crs(_body())
    with unit() as s:
        obj = service.create(s, spec.name, body, _ctx(principal))
    return _written(spec, obj, 201)


@bp.put("/api/collections/<name>/items/<key>")
def replace(name: str, key: str) -> Response:
    """Replace a feature; a stale If-Match gets 412."""
    principal = require_principal()
    _check_csrf()
    spec = service.writable(name)
    body = _body_in_storage_crs(_body())
    with unit() as s:
        obj = service.replace(s, spec.name, _key(spec, key), body, _ctx(principal),
                              expected_version=_if_match())
    return _written(spec, obj, 200)


@bp.patch("/api/collections/<name>/items/<key>")
def update(name: str, key: str) -> Response:
    """Merge-patch a feature's properties or geometry."""
    principal = require_principal()
    _check_csrf()
    spec = service.writable(name)
    body = _body_in_storage_crs(_body())
    with unit() as s:
        obj = service.patch(s, spec.name, _key(spec, key), body, _ctx(principal),
                            expected_version=_if_match())
    return _written(spec, obj, 200)


@bp.delete("/api/collections/<name>/items/<key>")
def retire(name: str, key: str) -> Response:
    """Retire a feature (hidden, restorable): 204."""
    principal = require_principal()
    _check_csrf()
    spec = service.writable(name)
    reason = request.args.get("reason")
    with unit() as s:
        service.retire(s, spec.name, _key(spec, key), _ctx(principal), reason=reason,
                       expected_version=_if_match())
    return Response(status=204)


@bp.post("/api/collections/<name>/items/<key>/restore")
def restore(name: str, key: str) -> Response:
    """Restore a retired feature."""
    principal = require_principal()
    _check_csrf()
    spec = service.writable(name)
    with unit() as s:
        obj = service.restore(s, spec.name, _key(spec, key), _ctx(principal))
    return _written(spec, obj, 200)


@bp.get("/api/collections/<name>/items/<key>/history")
def history(name: str, key: str) -> Response:
    """Every audit entry of a feature, with what changed."""
    principal = require_principal()
    spec = service.writable(name)
    session = db()
    obj = service.get_record(session, spec, _key(spec, key))
    principal.require_read(obj.division_code)
    entries = audit.history(session, spec.name, obj.id)
    return _json({"id": obj.id, "entries": [
        {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
         "reason": e.reason, "job_id": e.job_id, "changes": audit.changed(e.before, e.after)}
        for e in entries
    ]})


@bp.get("/api/health")
def health() -> Response:
    """Liveness and database reachability (no authentication)."""
    from sqlalchemy import text

    try:
        db().execute(text("SELECT 1"))
        ok = True
    except Exception:  # noqa: BLE001 - health reports, never raises
        ok = False
    return _json({"status": "ok" if ok else "unavailable", "database": ok},
                 status=200 if ok else 503)
