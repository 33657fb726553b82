"""The API's front door (OGC API – Features): landing page, conformance, the collections'
descriptions and queryables, and the health check; a thin adapter over the collection specs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from inventory import layers
from inventory import repository as repo
from inventory.exporting import FORMATS as EXPORT_FORMATS
from inventory.layers import Layer
from inventory.schemas import queryables_document
from resilience import geo
from resilience.accounts import SYSTEM
from resilience.geo import CRS84
from web.api.docs import docs_link
from web.api.html_encoding import collection_redirect
from web.api.protocol import GEOJSON, json_response, link, supported_crs
from web.api.schemas import SCHEMA_CONFORMANCE, schema_links
from web.api.tilesets import TILES_CONFORMANCE, landing_links, tile_links
from web.auth import caller, signed_in
from web.errors import locale
from web.session import db, settings

bp = Blueprint("api", __name__)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
    *(f"http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/{c}" for c in (
        "filter", "features-filter", "queryables", "queryables-query-parameters")),
    *(f"http://www.opengis.net/spec/cql2/1.0/conf/{c}" for c in (
        "cql2-text", "cql2-json", "basic-cql2", "advanced-comparison-operators",
        "case-insensitive-comparison", "basic-spatial-functions")),
    *SCHEMA_CONFORMANCE,
    *TILES_CONFORMANCE,
]


@bp.get("/api")
@bp.get("/api/")
def landing() -> Response:
    """The landing page with the links OGC clients follow (public)."""
    base = request.url_root.rstrip("/")
    return json_response({
        "title": "resilience — 城市地下基础设施与风险登记",
        "description": "Registry of the city's underground infrastructure and its risks",
        "links": [
            link(f"{base}/api", "self"),
            link(f"{base}/api/openapi.json", "service-desc",
                 "application/vnd.oai.openapi+json;version=3.0"),
            link(f"{base}/api/conformance", "conformance"),
            link(f"{base}/api/collections", "data"),
            docs_link(base),
            *landing_links(base),
        ],
    })


@bp.get("/api/conformance")
def conformance() -> Response:
    """The conformance classes this server implements (public)."""
    return json_response({"conformsTo": CONFORMANCE})


TRS = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


def _extent(part: Layer) -> dict[str, Any]:
    """Where and when the layer's records lie, as the caller sees them (divisions: all of
    them), kept fresh by the data version; an empty layer keeps the city's configured box, so
    a client still opens somewhere sensible."""
    spec = part.spec
    viewer = SYSTEM if spec.name == "divisions" else caller()
    layer_id = None if part.id == spec.name else part.id
    ex = repo.extent_of(db(), spec, viewer, layer_id) or settings().extent
    out: dict[str, Any] = {"spatial": {"bbox": [list(ex)], "crs": CRS84}}
    interval = repo.interval_of(db(), spec, viewer, layer_id)
    if interval is not None:
        out["temporal"] = {"interval": [list(interval)], "trs": TRS}
    return out


def _collection_doc(part: Layer, base: str, lang: str) -> dict[str, Any]:
    spec = part.spec
    here = f"{base}/api/collections/{part.id}"
    doc: dict[str, Any] = {
        "id": part.id,
        "title": part.title(lang),
        "description": f"{part.zh} / {part.en}",
        "itemType": "feature",
        "extent": _extent(part),
        "crs": supported_crs(),
        "storageCrs": geo.EPSG_URI.format(geo.STORAGE_EPSG),
        "links": [
            link(here, "self"),
            link(f"{here}/items", "items", GEOJSON),
            # The registered relation, and the short one clients written before it still seek.
            *(link(f"{here}/queryables", rel, "application/schema+json")
              for rel in ("http://www.opengis.net/def/rel/ogc/1.0/queryables", "queryables")),
            *schema_links(part.id, base),
            *tile_links(spec.name, base),  # tiles draw the whole collection, every geometry
            # OGC API's "enclosure": the whole collection as one download, in each format.
            *(link(f"{base}/api/collections/{spec.name}/export?format={f.name}", "enclosure",
                   f.media_type, f.title) for f in EXPORT_FORMATS.values()),
        ],
    }
    if part.geometry_type is not None:
        # Not a member OGC API Part 1 defines; the schema's primary geometry says it the
        # standard way. Kept here too for people and scripts reading the metadata.
        doc["geometryType"] = part.geometry_type
    if spec.temporal is not None:
        doc["temporalProperty"] = spec.temporal  # what ``datetime`` filters on
    return doc


@bp.get("/api/collections")
@signed_in
def collections() -> Response:
    """Every layer GIS clients read (collections of one geometry family, and the parts of
    those that mix), with extents, CRSs and links."""
    base = request.url_root.rstrip("/")
    lang = locale()
    return json_response({
        "links": [link(f"{base}/api/collections", "self")],
        "collections": [_collection_doc(p, base, lang) for p in layers.listed_layers()],
        "crs": supported_crs(),
    })


@bp.get("/api/collections/<name>")
@signed_in
def collection(name: str) -> Response:
    """One collection's or layer's description (a mixed collection's own name included);
    HTML asked for (``f=html``, a browser's Accept) is the collection's own table page."""
    part = layers.layer(name)
    page = collection_redirect(part.spec)
    if page is not None:
        return page
    return json_response(_collection_doc(part, request.url_root.rstrip("/"), locale()))


@bp.get("/api/collections/<name>/queryables")
@signed_in
def queryables(name: str) -> Response:
    """The properties items can be filtered by, as JSON Schema."""
    return json_response(queryables_document(layers.layer(name), locale(), request.base_url),
                         mimetype="application/schema+json")


@bp.get("/api/health")
def health() -> Response:
    """Liveness and database reachability (public: no authentication)."""
    from sqlalchemy import text

    try:
        db().execute(text("SELECT 1"))
        ok = True
    except Exception:  # noqa: BLE001 - health reports, never raises
        ok = False
    return json_response({"status": "ok" if ok else "unavailable", "database": ok},
                         status=200 if ok else 503)
