"""Each layer's JSON Schemas over HTTP (OGC API – Features Part 5, and the GeoJSON Feature
schema GDAL reads), the links a collection's description points to them with, and their
place in the OpenAPI document; the documents themselves are built in ``inventory.schemas``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from inventory import layers
from inventory.schemas import CODELIST_PROFILE, feature_schema_document, schema_document
from web.api.openapi_schemas import PROBLEM, param
from web.api.protocol import json_response, link
from web.auth import signed_in
from web.errors import locale

bp = Blueprint("schemas", __name__)

SCHEMA_JSON = "application/schema+json"
# Part 5's relation for a collection's schema ("returnables and receivables").
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
# What the landing page's conformance list gains: QGIS reads the Part 5 schema only from a
# server declaring the first; the second covers the id/geometry/instant roles it carries.
SCHEMA_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/schemas",
    "http://www.opengis.net/spec/ogcapi-features-5/1.0/conf/core-roles-features",
]


def schema_links(name: str, base: str) -> list[dict[str, str]]:
    """The links a layer's description carries to its schemas (``base``: the server root).

    ``describedBy`` is spelt with a capital B on purpose: the GDAL 3.6 that Debian 12 ships
    compares the relation case-sensitively with that spelling and would pass over
    ``describedby``; later GDALs ignore case, as RFC 8288 §2.1.1 says clients should.
    """
    here = f"{base}/api/collections/{name}"
    return [
        link(f"{here}/schema", SCHEMA_REL, SCHEMA_JSON, "Schema (OGC API – Features Part 5)"),
        link(f"{here}/schema/geojson", "describedBy", SCHEMA_JSON, "GeoJSON Feature schema"),
    ]


def _answer(body: dict[str, Any]) -> Response:
    """A schema document: localised titles (so the language is named, and caches keep one
    copy per language) and the code-list profile it applies."""
    lang = locale()
    return json_response(body, mimetype=SCHEMA_JSON, headers={
        "Content-Language": "zh-CN" if lang.startswith("zh") else "en",
        "Vary": "Accept-Language",
        "Link": f'<{CODELIST_PROFILE}>; rel="profile"',
    })


@bp.get("/api/collections/<name>/schema")
@signed_in
def schema(name: str) -> Response:
    """A layer's schema (OGC API – Features Part 5): every property typed, with units and
    code lists."""
    return _answer(schema_document(layers.layer(name), locale(), request.base_url))


@bp.get("/api/collections/<name>/schema/geojson")
@signed_in
def feature_schema(name: str) -> Response:
    """The same properties as one GeoJSON Feature, the shape GDAL types its fields from."""
    return _answer(feature_schema_document(layers.layer(name), locale(), request.base_url))


def schema_paths() -> dict[str, Any]:
    """The OpenAPI paths of the schemas and of the API's own documentation page."""
    layer_ids = [one.id for one in layers.listed_layers()]
    collection = param("collectionId", "a collection or layer id, as /api/collections lists them",
                       {"type": "string", "enum": layer_ids}, "path")
    schema_body = {"200": {"description": "JSON Schema 2020-12",
                           "content": {SCHEMA_JSON: {"schema": {"type": "object"}}}},
                   "401": PROBLEM, "404": PROBLEM}
    return {
        "/api/collections/{collectionId}/schema": {"get": {
            "summary": "A layer's schema (OGC API – Features Part 5): types, units, code lists",
            "x-summary-zh": "图层的模式（OGC API – Features 第 5 部分）：字段类型、单位与代码表",
            "parameters": [collection], "responses": schema_body}},
        "/api/collections/{collectionId}/schema/geojson": {"get": {
            "summary": "The same schema as one GeoJSON Feature (what GDAL reads)",
            "x-summary-zh": "同一模式的 GeoJSON 要素形式（供 GDAL 读取）",
            "parameters": [collection], "responses": schema_body}},
        "/api/docs": {"get": {
            "summary": "This API's documentation, for people (HTML)",
            "x-summary-zh": "本接口的说明文档（网页）",
            "security": [],
            "responses": {"200": {"description": "HTML", "content": {"text/html": {
                "schema": {"type": "string"}}}}}}},
    }
