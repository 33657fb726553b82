"""The OpenAPI 3 document: its skeleton and each collection's paths, from the collection specs so
it never drifts; the other endpoints' paths are in ``openapi_paths``, the schemas in
``openapi_schemas``."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from inventory import COLLECTIONS
from web.api import openapi_paths
from web.api.openapi_layers import add_layer_paths
from web.api.openapi_schemas import PROBLEM, feature_schema, field_schema, param
from web.api.query_params import FILTER_LANGS
from web.api.schemas import schema_paths
from web.serializers import dumps

bp = Blueprint("openapi", __name__)


def document(base: str) -> dict[str, Any]:
    """The whole OpenAPI document for a server root."""
    paths: dict[str, Any] = {
        "/api": {"get": {"summary": "Landing page", "x-summary-zh": "接口入口",
                          "responses": {"200": {"description": "ok"}}}},
        "/api/conformance": {"get": {"summary": "Conformance classes", "x-summary-zh": "符合的标准类",
                                     "responses": {"200": {"description": "ok"}}}},
        "/api/collections": {"get": {"summary": "Collections", "x-summary-zh": "数据集列表",
                                     "responses": {"200": {"description": "ok"}}}},
        "/api/health": {"get": {"summary": "Liveness and database", "x-summary-zh": "服务与数据库状态", "security": [],
                                "responses": {"200": {"description": "ok"},
                                              "503": {"description": "database down"}}}},
    }
    page_params = [
        param("bbox", "minx,miny,maxx,maxy in bbox-crs (CRS84 by default)",
              {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 6}),
        param("bbox-crs", "CRS of bbox", {"type": "string"}),
        param("crs", "CRS of the response geometry", {"type": "string"}),
        param("limit", "page size (1–10000)", {"type": "integer", "minimum": 1,
                                               "maximum": 10000, "default": 100}),
        param("after", "keyset cursor: ids after this one", {"type": "string"}),
        param("before", "keyset cursor: ids before this one", {"type": "string"}),
        param("division", "GB/T 2260 code: this division and below", {"type": "string"}),
    ]
    # OGC API – Features Part 1's datetime, Part 3's filter, sorting and property selection
    # (web/api/query_params.py): the items operation only.
    query_params = [
        param("datetime", "instant or interval on the collection's temporal property: "
              "2024-01-01, 2024-01-01T08:00:00Z, start/end, ../end, start/.. (ignored by "
              "collections without one)", {"type": "string"}),
        param("filter", "CQL2 filter on the queryables (and geometry in S_INTERSECTS)",
              {"type": "string"}),
        param("filter-lang", "language of filter (cql-text: cql2-text as GDAL names it)",
              {"type": "string", "enum": list(FILTER_LANGS), "default": "cql2-text"}),
        param("filter-crs", "CRS of geometries in filter (CRS84 by default)", {"type": "string"}),
        param("sortby", "comma-separated fields, - before one for descending "
              "(empty values last)", {"type": "string"}),
        param("properties", "comma-separated property names to return (the geometry always)",
              {"type": "string"}),
    ]
    schemas: dict[str, Any] = {"Problem": {"type": "object", "properties": {
        "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "row": {"type": "integer"}, "field": {"type": "string"},
            "code": {"type": "string"}, "message": {"type": "string"}}}}}}}
    for spec in COLLECTIONS.values():
        ref = f"Feature_{spec.name.replace('-', '_')}"
        schemas[ref] = feature_schema(spec)
        # What the items API filters by (repository.parse_filters): stored, filterable fields,
        # the registry's own too (a risk point's level, a published map's unit and level).
        columns = spec.model.__table__.c
        filters = [param(f.name, f"{f.zh} / {f.en} (equals; comma for several)",
                         field_schema(f, openapi=True)) for f in spec.fields
                   if f.filterable and f.name in columns]
        base_path = f"/api/collections/{spec.name}"
        paths[base_path] = {"get": {"summary": spec.en, "x-summary-zh": f"{spec.zh}数据集说明", "responses": {
            "200": {"description": "ok"}, "404": PROBLEM}}}
        geojson = {"application/geo+json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}
        items: dict[str, Any] = {"get": {
            "summary": f"{spec.en} ({spec.zh})", "x-summary-zh": f"查询{spec.zh}",
            "parameters": page_params + query_params + filters,
            "responses": {"200": {"description": "FeatureCollection",
                                  "content": {"application/geo+json": {"schema": {
                                      "type": "object"}}}},
                          "400": PROBLEM, "401": PROBLEM, "403": PROBLEM}}}
        key = param("key", "feature id", {"type": "string"}, "path")
        one: dict[str, Any] = {"get": {"summary": f"One of {spec.en}",
                                       "x-summary-zh": f"单个{spec.zh}", "parameters": [key],
                                       "responses": {"200": {"description": "Feature",
                                                             "content": geojson},
                                                     "404": PROBLEM}}}
        if not spec.readonly_collection:
            if_match = param("If-Match", "ETag of the version edited", {"type": "string"},
                             "header")
            if_match["required"] = False
            write = {"requestBody": {"required": True, "content": geojson}}
            errors = {"400": PROBLEM, "401": PROBLEM, "403": PROBLEM, "412": PROBLEM,
                      "413": PROBLEM, "422": PROBLEM}
            items["post"] = {"summary": f"Add to {spec.en}", "x-summary-zh": f"新增{spec.zh}", **write,
                             "responses": {"201": {"description": "created"}, **errors}}
            one["put"] = {"summary": "Replace", "x-summary-zh": "整体替换", "parameters": [key, if_match], **write,
                          "responses": {"200": {"description": "replaced"}, **errors}}
            one["patch"] = {"summary": "Merge-patch", "x-summary-zh": "部分更新(合并)", "parameters": [key, if_match],
                            "requestBody": {"required": True, "content": {
                                "application/merge-patch+json": {"schema": {"type": "object"}}}},
                            "responses": {"200": {"description": "updated"}, **errors}}
            one["delete"] = {"summary": "Retire (hidden, restorable)", "x-summary-zh": "注销(隐藏,可恢复)",
                             "parameters": [key, if_match,
                                            param("reason", "why", {"type": "string"})],
                             "responses": {"204": {"description": "retired"}, **errors}}
        paths[f"{base_path}/items"] = items
        paths[f"{base_path}/items/{{key}}"] = one
        paths[f"{base_path}/export"] = {"get": {
            "summary": f"Download {spec.en} as a file", "x-summary-zh": f"下载{spec.zh}文件",
            "parameters": [param("format", "geojson, csv, gpkg, xlsx or shp (a zip)",
                                 {"type": "string", "default": "geojson"}),
                           param("crs", "EPSG:4490, EPSG:4326, a CGCS2000 zone or GCJ-02",
                                 {"type": "string", "default": "EPSG:4490"}),
                           param("lang", "CSV and XLSX headings and coded values: zh or en "
                                 "(labels; default: the user's language) or machine (field "
                                 "names and codes)", {"type": "string",
                                                      "enum": ["zh", "en", "machine"]}),
                           *page_params[:1], page_params[-1], *filters],
            "responses": {"200": {"description": "the file"}, "400": PROBLEM, "401": PROBLEM,
                          "403": PROBLEM}}}
    paths.update(openapi_paths.import_paths())
    paths.update(openapi_paths.risk_paths())
    paths.update(openapi_paths.inspection_paths())
    paths.update(openapi_paths.health_check_paths())
    paths.update(openapi_paths.profile_paths())
    paths.update(openapi_paths.tile_paths())
    paths.update(schema_paths())
    add_layer_paths(paths)  # after every collection's own paths: a layer's are copies
    return {
        "openapi": "3.0.3",
        "info": {"title": "resilience API", "version": "1.0.0",
                 "description": "城市地下市政基础设施与风险登记 — OGC API Features"},
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            },
        },
        "security": [{"bearer": []}, {"basic": []}],
    }


def served(base: str) -> dict[str, Any]:
    """The document as served: its server is the API's root (``{base}/api``) and its paths are
    relative to it, as OGC API clients expect. GDAL looks up ``/collections/{id}/items`` to
    learn the filters an items request takes (the ``filter-lang`` it pushes ``-where`` down
    in); under ``/api/collections/…`` it finds nothing and filters every page itself. Paths
    outside the API's root (``/tiles``) keep the server root as their own server."""
    doc = document(base)
    paths: dict[str, Any] = {}
    for path, item in doc["paths"].items():
        if path == "/api" or path.startswith("/api/"):
            paths[path[len("/api"):] or "/"] = item
        else:
            paths[path] = {**item, "servers": [{"url": base}]}
    return {**doc, "servers": [{"url": f"{base}/api"}], "paths": paths}


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3 document (public, like the landing page)."""
    return Response(dumps(served(request.url_root.rstrip("/"))),
                    mimetype="application/vnd.oai.openapi+json;version=3.0")
