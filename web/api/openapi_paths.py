"""The OpenAPI paths of the endpoints beside the collections: imports, risk runs and schemes,
inspections, the city health checks and the vector tiles."""

from __future__ import annotations

from typing import Any

from web.api.openapi_schemas import PROBLEM, param


def import_paths() -> dict[str, Any]:
    """Uploads of survey files: at once when small, else a job to follow."""
    upload = {"multipart/form-data": {"schema": {"type": "object", "required": ["file", "collection"],
                                                 "properties": {
        "file": {"type": "string", "format": "binary"},
        "points": {"type": "string", "format": "binary",
                   "description": "survey point table (管线点表) for a line table"},
        "mapping": {"type": "string", "format": "binary", "description": "JSON column mapping"},
        "collection": {"type": "string"}, "crs": {"type": "string"},
        "encoding": {"type": "string"}, "layer": {"type": "string"}, "sheet": {"type": "string"},
        "dry_run": {"type": "boolean"}, "skip_invalid": {"type": "boolean"}}}}}
    one = param("id", "import id", {"type": "integer"}, "path")
    return {
        "/api/imports": {
            "get": {"summary": "Recent imports", "responses": {"200": {"description": "ok"}}},
            "post": {"summary": "Import a file (all or nothing unless skip_invalid)",
                     "requestBody": {"required": True, "content": upload},
                     "responses": {"201": {"description": "stored, with the report"},
                                   "200": {"description": "dry run, with the report"},
                                   "202": {"description": "queued: follow Location"},
                                   "422": {"description": "rows rejected, nothing stored"},
                                   "400": PROBLEM, "403": PROBLEM, "413": PROBLEM}}},
        "/api/imports/{id}": {
            "get": {"summary": "State, progress and report", "parameters": [one],
                    "responses": {"200": {"description": "ok"}, "404": PROBLEM}},
            "delete": {"summary": "Cancel a queued import or undo a finished one",
                       "parameters": [one],
                       "responses": {"200": {"description": "done"}, "404": PROBLEM}}},
        "/api/imports/{id}/rejected.{format}": {
            "get": {"summary": "The rejected rows with an error column (csv or xlsx)",
                    "parameters": [one, param("format", "csv or xlsx", {"type": "string"},
                                              "path")],
                    "responses": {"200": {"description": "the file"}, "404": PROBLEM}}},
    }


def risk_paths() -> dict[str, Any]:
    """Risk runs (one at a time, followed by a status URL) and the versioned schemes."""
    run = param("id", "risk run id", {"type": "integer"}, "path")
    page = [param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 500}),
            param("offset", "rows to skip", {"type": "integer", "minimum": 0})]
    scheme = {"application/json": {"schema": {"type": "object", "required": ["name", "params"],
                                              "properties": {
        "name": {"type": "string", "maxLength": 40},
        "note": {"type": "string"},
        "params": {"type": "object", "description": "formula, cell_size_m, weights (H, E, V, C "
                   "≥ 0), four increasing breaks, combine (max|weighted_sum), hazard_weights, "
                   "exposure, vulnerability, capacity, flood_points; missing groups keep the "
                   "defaults"}}}}}
    return {
        "/api/risk/runs": {
            "get": {"summary": "Risk runs, newest first", "parameters": page,
                    "responses": {"200": {"description": "ok"}, "401": PROBLEM}},
            "post": {"summary": "Start a risk run (admin, emergency_manager)",
                     "requestBody": {"required": False, "content": {"application/json": {
                         "schema": {"type": "object", "properties": {"mode": {
                             "type": "string", "enum": ["full", "incremental"]}}}}}},
                     "responses": {"202": {"description": "queued: follow Location"},
                                   "400": PROBLEM, "403": PROBLEM,
                                   "409": {"description": "a run is already queued or running"}}}},
        "/api/risk/runs/{id}": {
            "get": {"summary": "A run: status, progress, counts per level, summary of its diff",
                    "parameters": [run],
                    "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
        "/api/risk/runs/{id}/changes": {
            "get": {"summary": "A run's diff: units whose level changed, before and after, why",
                    "parameters": [run, param("map", "five or four",
                                              {"type": "string", "enum": ["five", "four"]}),
                                   *page],
                    "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
        "/api/risk/schemes": {
            "get": {"summary": "Every version of every scoring scheme",
                    "responses": {"200": {"description": "ok"}}},
            "post": {"summary": "Save a new version of a five-colour scheme (admin)",
                     "requestBody": {"required": True, "content": scheme},
                     "responses": {"201": {"description": "the new version"},
                                   "400": PROBLEM, "403": PROBLEM}}},
        "/api/risk/presets": {
            "get": {"summary": "Every four-colour table (LEC/LS) with its bands' intervals",
                    "responses": {"200": {"description": "ok"}}},
            "post": {"summary": "Add a city's own LEC or LS table (admin)",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "required": ["name", "method", "params"],
                                    "properties": {"name": {"type": "string", "maxLength": 40},
                                                   "method": {"type": "string",
                                                              "enum": ["lec", "ls"]},
                                                   "params": {"type": "object"},
                                                   "note": {"type": "string"}}}}}},
                     "responses": {"201": {"description": "the new table"},
                                   "400": PROBLEM, "403": PROBLEM}}},
        "/api/risk/presets/defaults": {
            "put": {"summary": "Choose the city's tables for points that name none (admin)",
                    "requestBody": {"required": True, "content": {"application/json": {
                        "schema": {"type": "object",
                                   "properties": {"lec": {"type": "string"},
                                                  "ls": {"type": "string"}}}}}},
                    "responses": {"200": {"description": "the choice, as a new version"},
                                  "400": PROBLEM, "403": PROBLEM}}},
    }


def inspection_paths() -> dict[str, Any]:
    """Checklist templates, plans, the inspector's tasks and their submissions."""
    ident = param("id", "id", {"type": "integer"}, "path")
    obj = {"type": "object"}
    item = {"type": "object", "required": ["code", "kind", "zh", "en"], "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$"},
        "kind": {"type": "string", "enum": ["yes_no", "number", "choice", "text", "photo"]},
        "zh": {"type": "string"}, "en": {"type": "string"}, "required": {"type": "boolean"},
        "defect_when": {"type": "boolean", "description": "yes_no: the answer that is a defect"},
        "unit": {"type": "string"}, "min": {"type": "number"}, "max": {"type": "number"},
        "ok_min": {"type": "number"}, "ok_max": {"type": "number"},
        "options": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "zh": {"type": "string"}, "en": {"type": "string"},
            "defect": {"type": "boolean"}}}},
        "hazard": {"type": "object", "properties": {"category": {"type": "string"},
                                                    "grade": {"type": "string",
                                                              "enum": ["general", "major"]}}}}}
    template = {"application/json": {"schema": {
        "type": "object", "required": ["code", "name_zh", "name_en", "applies_to", "items"],
        "properties": {"code": {"type": "string"}, "name_zh": {"type": "string"},
                       "name_en": {"type": "string"},
                       "applies_to": {"type": "array", "items": {"type": "string"}},
                       "items": {"type": "array", "items": item}, "note": {"type": "string"}}}}}
    plan = {"application/json": {"schema": {
        "type": "object", "required": ["name", "template", "selection"],
        "properties": {
            "name": {"type": "string"}, "template": {"type": "string"},
            "selection": {"type": "object", "required": ["collection"], "properties": {
                "collection": {"type": "string"}, "division": {"type": "string"},
                "types": {"type": "array", "items": {"type": "string"}},
                "bbox": {"type": "array", "items": {"type": "number"}, "minItems": 4,
                         "maxItems": 4},
                "risk_levels": {"type": "array", "items": {
                    "type": "string",
                    "enum": ["low", "general", "considerable", "major", "unassessed"]}}}},
            "recurrence": {"type": "string", "description": "RFC 5545 RRULE, e.g. FREQ=WEEKLY"},
            "risk_based": {"type": "boolean"},
            "frequencies": {"type": "object", "description": (
                "four-colour level or unassessed (未评估; default: the low row) → RRULE; "
                "major at least as often as considerable, general, low")},
            "starts_on": {"type": "string", "format": "date"},
            "assignee": {"type": "string"}, "team_role": {"type": "string"},
            "team_division": {"type": "string"},
            "open_days": {"type": "integer", "minimum": 1, "maximum": 366},
            "owner": {"type": "string"}, "active": {"type": "boolean"}}}}}
    submission = {"application/json": {"schema": {
        "type": "object", "required": ["client_id", "answers"], "properties": {
            "client_id": {"type": "string", "minLength": 8, "maxLength": 64,
                          "description": "made on the phone (a UUID); a retry sends it again"},
            "answers": {"type": "object", "description": "item code → answer"},
            "position": {"type": "array", "items": {"type": "number"}, "minItems": 2,
                         "maxItems": 2}}}}}
    tasks_params = [
        param("assignee", "me: the caller's own and their team's", {"type": "string",
                                                                    "enum": ["me", "any"]}),
        param("status", "open (default), due, overdue, done or cancelled",
              {"type": "string", "enum": ["open", "due", "overdue", "done", "cancelled"]}),
        param("division", "division code (and below)", {"type": "string"}),
        param("near", "lon,lat: nearest first, with distance_m", {"type": "string"}),
        param("day", "open tasks opened by this day (default today)",
              {"type": "string", "format": "date"}),
        param("upcoming", "1: open tasks of every day", {"type": "string"}),
        param("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 500}),
        param("offset", "rows to skip", {"type": "integer", "minimum": 0}),
    ]
    return {
        "/api/inspections/templates": {
            "get": {"summary": "Checklist templates (newest versions; all=1 every version)",
                    "parameters": [param("all", "1: every version", {"type": "string"})],
                    "responses": {"200": {"description": "ok"}, "401": PROBLEM}},
            "post": {"summary": "Save a new version of a template (admin, engineer)",
                     "requestBody": {"required": True, "content": template},
                     "responses": {"201": {"description": "the new version"},
                                   "403": PROBLEM, "422": PROBLEM}}},
        "/api/inspections/templates/{id}": {
            "get": {"summary": "One template version", "parameters": [ident],
                    "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
        "/api/inspections/plans": {
            "get": {"summary": "Inspection plans", "responses": {"200": {"description": "ok"}}},
            "post": {"summary": "Create a plan (admin, engineer, emergency_manager)",
                     "requestBody": {"required": True, "content": plan},
                     "responses": {"201": {"description": "the plan"},
                                   "400": PROBLEM, "403": PROBLEM}}},
        "/api/inspections/plans/{id}": {
            "get": {"summary": "One plan", "parameters": [ident],
                    "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
        "/api/inspections/tasks": {
            "get": {"summary": "Inspection tasks the caller sees", "parameters": tasks_params,
                    "responses": {"200": {"description": "ok", "content": {
                        "application/json": {"schema": obj}}}, "400": PROBLEM}}},
        "/api/inspections/tasks/{id}": {
            "get": {"summary": "A task with its checklist items, asset and the asset's last "
                               "answers", "parameters": [ident],
                    "responses": {"200": {"description": "ok"}, "403": PROBLEM,
                                  "404": PROBLEM}},
            "post": {"summary": "Submit the answers (stored once per client_id)",
                     "parameters": [ident],
                     "requestBody": {"required": True, "content": submission},
                     "responses": {"201": {"description": "stored"},
                                   "200": {"description": "a retry: the stored submission"},
                                   "403": PROBLEM, "409": PROBLEM, "422": PROBLEM}}},
        "/api/inspections/notifications": {
            "get": {"summary": "The caller's unread notifications (overdue tasks escalated to "
                               "the plan's owner)", "responses": {"200": {"description": "ok"}}}},
        "/api/inspections/notifications/read": {
            "post": {"summary": "Mark notifications read",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"type": "object", "properties": {"ids": {
                             "type": "array", "items": {"type": "integer"}}}}}}},
                     "responses": {"200": {"description": "how many changed"}, "400": PROBLEM}}},
        **hazard_paths(),
    }


def hazard_paths() -> dict[str, Any]:
    """The hidden-hazard loop (DOMAIN.md §4, §10): grade, deadline, state and 督办 move only
    by steps; a PATCH/PUT naming them gets 409 field_by_step / state_by_transition."""
    ident = param("id", "hazard id", {"type": "integer"}, "path")
    step = {"application/json": {"schema": {
        "type": "object", "required": ["action"], "properties": {
            "action": {"type": "string", "enum": [
                "register", "grade", "rectify", "submit_review", "close", "fail_review",
                "supervise", "regrade", "extend"]},
            "grade": {"type": "string", "enum": ["general", "major"],
                      "description": "grade (评估定级); regrade (重新定级, reviewer, reason)"},
            "deadline": {"type": "string", "format": "date", "description": (
                "register, grade; once graded only by extend (延期: reviewer, reason, later)")},
            "reason": {"type": "string"}, "note": {"type": "string"},
            "supervising_unit": {"type": "string"},
            "supervision_deadline": {"type": "string", "format": "date"},
            "acceptance_by": {"type": "string", "description": (
                "close of a supervised hazard (by someone other than its submitter): who "
                "accepted it for the 督办 unit, with acceptance_on, acceptance_opinion and "
                "acceptance_attachment (a document uploaded with side=acceptance)")},
            "acceptance_on": {"type": "string", "format": "date"},
            "acceptance_opinion": {"type": "string"},
            "acceptance_attachment": {"type": "integer"},
            "attachments": {"type": "array", "items": {"type": "integer"}}}}}}
    return {
        "/api/hazards": {"get": {
            "summary": "Hidden hazards the caller sees, each with its due day (the earlier of "
                       "deadline and supervision_deadline) and overdue flag",
            "parameters": [param("state", "state code", {"type": "string"}),
                           param("grade", "general or major", {"type": "string"}),
                           param("overdue", "true: open and past the due day",
                                 {"type": "boolean"}),
                           param("open", "true: not closed", {"type": "boolean"}),
                           param("division", "division code (and below)", {"type": "string"})],
            "responses": {"200": {"description": "ok"}, "400": PROBLEM}}},
        "/api/hazards/{id}/transitions": {"post": {
            "summary": "Take one step of the loop (a closed hazard: 409 hazard_closed)",
            "parameters": [ident], "requestBody": {"required": True, "content": step},
            "responses": {"200": {"description": "the hazard after the step"}, "403": PROBLEM,
                          "409": PROBLEM, "422": PROBLEM}}},
        "/api/hazards/{id}/trail": {"get": {
            "summary": "The append-only trail (each step's changes, old → new), the photos "
                       "and the 督办 unit's acceptance", "parameters": [ident],
            "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
        "/api/hazards/major-report": {"get": {
            "summary": "The period's graded 重大 hazards for the supervising authority, each "
                       "with its state as of the period's end and its trail; links to the XLSX "
                       "(/hazards/major-report.xlsx)",
            "parameters": [param("period", "2026, 2026-Q1 or 2026-03 (default: this quarter)",
                                 {"type": "string"}),
                           param("from", "first day", {"type": "string", "format": "date"}),
                           param("to", "last day", {"type": "string", "format": "date"})],
            "responses": {"200": {"description": "ok"}, "401": PROBLEM, "422": PROBLEM}}},
    }


def health_check_paths() -> dict[str, Any]:
    """The yearly city health checks (城市体检) the caller's divisions hold."""
    return {
        "/api/health-checks": {"get": {
            "summary": "Stored health checks, newest year first",
            "parameters": [param("division", "division code", {"type": "string"}),
                           param("year", "year", {"type": "integer"})],
            "responses": {"200": {"description": "ok"}, "400": PROBLEM, "403": PROBLEM}}},
        "/api/health-checks/{id}": {"get": {
            "summary": "One check: each indicator's value (read as the registry stood at the "
                       "end of the year), unit, reference value (参考值) and its source, "
                       "judgement (met, missed, no_data, not_judged), trend against earlier "
                       "years and formula, and the problem list; links to its XLSX and print "
                       "view",
            "parameters": [param("id", "health check id", {"type": "integer"}, "path")],
            "responses": {"200": {"description": "ok"}, "404": PROBLEM}}},
    }


def profile_paths() -> dict[str, Any]:
    """The city profile: built-up area and population per division and year."""
    figures = {"type": "object", "properties": {
        "built_up_area_km2": {"type": "number", "minimum": 0, "nullable": True},
        "population": {"type": "integer", "minimum": 0, "nullable": True},
        "built_up_population": {"type": "integer", "minimum": 0, "nullable": True},
        "source": {"type": "string", "nullable": True}}, "additionalProperties": False}
    where = [param("code", "division code", {"type": "string"}, "path"),
             param("year", "year", {"type": "integer", "minimum": 1949, "maximum": 2100}, "path")]
    return {
        "/api/profiles": {"get": {
            "summary": "Every entered row of the city profile (one year with ``year``)",
            "parameters": [param("year", "year", {"type": "integer"})],
            "responses": {"200": {"description": "ok"}, "400": PROBLEM}}},
        "/api/profiles/{code}/{year}": {
            "get": {"summary": "The figures in force for a division in a year (that year's "
                               "or the latest before)", "parameters": where,
                    "responses": {"200": {"description": "ok"}, "403": PROBLEM}},
            "put": {"summary": "Set a division's figures for a year (admins); fields left out "
                               "keep their value", "parameters": where,
                    "requestBody": {"content": {"application/json": {"schema": figures}}},
                    "responses": {"200": {"description": "ok"}, "403": PROBLEM,
                                  "422": PROBLEM}},
            "delete": {"summary": "Remove a year's figures (admins)", "parameters": where,
                       "responses": {"204": {"description": "removed"}, "404": PROBLEM}}},
    }


def tile_paths() -> dict[str, Any]:
    """Mapbox Vector Tiles of the collections, for maps at city scale, and their OGC API – Tiles
    metadata and TileJSON (``web/api/tilesets``)."""
    from inventory.tiles import MAX_ZOOM, TILE_LAYERS

    def path(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
        return param(name, description, schema, "path")

    tile_responses = {
        "200": {"description": "the tile; ETag, Cache-Control: private, max-age=60",
                "content": {"application/vnd.mapbox-vector-tile": {
                    "schema": {"type": "string", "format": "binary"}}}},
        "204": {"description": "nothing to draw in this tile (same caching headers)"},
        "304": {"description": "the caller's copy is current"},
        "400": PROBLEM, "401": PROBLEM, "404": PROBLEM}
    if_none_match = param("If-None-Match", "an ETag from an earlier answer", {"type": "string"},
                          "header")
    collection = path("collectionId", "collection", {"type": "string", "enum": list(TILE_LAYERS)})
    ogc_address = [
        path("tileMatrix", "zoom (WebMercatorQuad tile matrix)",
             {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}),
        path("tileRow", "row from the north, 0 to 2^tileMatrix − 1", {"type": "integer", "minimum": 0}),
        path("tileCol", "column, 0 to 2^tileMatrix − 1", {"type": "integer", "minimum": 0}),
        if_none_match]

    def doc(summary: str, parameters: list[dict[str, Any]] | None = None,
            public: bool = False) -> dict[str, Any]:
        ok = {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}
        responses = {"200": ok, **({"404": PROBLEM} if parameters else {}),
                     **({} if public else {"401": PROBLEM})}
        return {"get": {"summary": summary, "responses": responses,
                        **({"parameters": parameters} if parameters else {}),
                        **({"security": []} if public else {})}}

    tms = "/api/tileMatrixSets"
    dataset = "/api/tiles/WebMercatorQuad"
    one = "/api/collections/{collectionId}/tiles"
    return {
        "/tiles/{layer}/{z}/{x}/{y}.pbf": {"get": {
            "summary": "A vector tile of a collection (Web Mercator grid, extent 4096, one layer "
                       "named after the collection), as the caller may see it",
            "parameters": [
                path("layer", "collection", {"type": "string", "enum": list(TILE_LAYERS)}),
                path("z", "zoom", {"type": "integer", "minimum": 0, "maximum": MAX_ZOOM}),
                path("x", "column, 0 to 2^z − 1", {"type": "integer", "minimum": 0}),
                path("y", "row from the north, 0 to 2^z − 1", {"type": "integer", "minimum": 0}),
                if_none_match,
            ],
            "responses": tile_responses}},
        tms: doc("Tile matrix sets (OGC API – Tiles; public)", public=True),
        f"{tms}/WebMercatorQuad": doc("The WebMercatorQuad tile matrix set (OGC 2D TMS 2.0; "
                                      "public)", public=True),
        "/api/tiles": doc("The registry's vector tilesets: every layer in one tile, then each "
                          "collection's"),
        dataset: doc("Metadata of the tileset holding every layer, as the caller sees them"),
        f"{dataset}/tilejson.json": doc("TileJSON 3.0.0 of the tileset holding every layer"),
        dataset + "/{tileMatrix}/{tileRow}/{tileCol}": {"get": {
            "summary": "A vector tile with every layer the caller may see (one MVT layer per "
                       "collection)", "parameters": ogc_address, "responses": tile_responses}},
        one: doc("A collection's vector tilesets (one, on WebMercatorQuad)", [collection]),
        f"{one}/WebMercatorQuad": doc("Metadata of a collection's tileset: limits, bounds as the "
                                      "caller sees them, its layer's properties", [collection]),
        f"{one}/WebMercatorQuad/tilejson.json": doc(
            "TileJSON 3.0.0 of a collection's tiles, bounds as the caller sees them", [collection]),
        one + "/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}": {"get": {
            "summary": "A collection's vector tile at an OGC address: the tile /tiles/… serves",
            "parameters": [collection, *ogc_address], "responses": tile_responses}},
    }
