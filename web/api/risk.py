"""Risk runs and scoring schemes over HTTP: a thin adapter over ``risk.runs`` and ``risk.schemes``.

Everyone signed in may read runs, diffs and schemes; admins and emergency managers start
runs (202 + the run's status URL; 409 while one is queued or running); admins alone save a
new scheme version (400 naming each bad parameter by its path, e.g. ``params.breaks``) or a
city's own four-colour table (LEC or LS, DOMAIN.md §10 "LS tables": the city's choice).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for

from resilience.errors import InvalidInput, Problem
from risk import legends, presets, runs, schemes
from risk.levels import LEVEL_SETS, Level
from web.api.protocol import check_csrf, json_response
from web.auth import caller, roles, signed_in
from web.errors import BadRequest, locale
from web.risk_views import MAPS, RUN_ROLES
from web.session import db, unit

bp = Blueprint("risk_api", __name__)

MODES = ("full", "incremental")
MAX_LIMIT = 1000


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise BadRequest(f"invalid {name}", [Problem(name, "too_large" if value > high else
                                                      "too_small",
                                                      {"value": raw, "min": low, "max": high})])
    return value


def level_of(map_: str, code: str | None) -> Level | None:
    """The level row of a map's code (None for a unit that appeared or went)."""
    return next((lv for lv in LEVEL_SETS[map_] if lv.code == code), None) if code else None


def _level(map_: str, code: str | None) -> dict[str, Any] | None:
    lv = level_of(map_, code)
    if lv is None:
        return None if code is None else {"code": code, "label": code, "colour": None}
    return {"code": lv.code, "label": lv.label(locale()), "colour": lv.colour,
            "ordinal": lv.ordinal}


def run_body(run: Any) -> dict[str, Any]:
    """A run as the API shows it: ``risk.runs.as_dict`` plus its links."""
    body = runs.as_dict(db(), run)
    body["links"] = [
        {"rel": "self", "href": url_for("risk_api.run_status", run_id=run.id)},
        {"rel": "changes", "href": url_for("risk_api.run_changes", run_id=run.id)},
    ]
    return body


def change_body(change: Any) -> dict[str, Any]:
    """One diff line with the levels' labels and colours in the request's language."""
    before, after = _level(change.map, change.before_level), _level(change.map, change.after_level)
    return {"id": change.id, "run_id": change.run_id, "map": change.map, "unit": change.unit,
            "ref": change.ref, "name": change.name, "division_code": change.division_code,
            "before": before, "after": after, "before_score": change.before_score,
            "after_score": change.after_score, "reason": change.reason,
            "direction": _direction(before, after)}


def _direction(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if before is None:
        return "appeared"
    if after is None:
        return "gone"
    if (after.get("ordinal") or 0) > (before.get("ordinal") or 0):
        return "raised"
    if (after.get("ordinal") or 0) < (before.get("ordinal") or 0):
        return "lowered"
    return "changed"


def scheme_body(row: schemes.RiskScheme) -> dict[str, Any]:
    """A stored scheme version."""
    return {"id": row.id, "name": row.name, "version": row.version, "map": row.map,
            "method": row.method, "params": row.params, "note": row.note,
            "created_at": row.created_at.isoformat() if row.created_at else None,
            "created_by": row.created_by}


@bp.get("/api/risk/runs")
@signed_in
def run_list() -> Response:
    """The runs, newest first, ``limit`` (default 50) from ``offset``."""
    limit = _int_arg("limit", 50, 1, MAX_LIMIT)
    offset = _int_arg("offset", 0, 0, 1_000_000)
    listed = runs.history(db(), limit=limit, offset=offset)
    published = runs.published(db())
    return json_response({"runs": [run_body(r) for r in listed], "limit": limit, "offset": offset,
                          "published": published.id if published is not None else None})


@bp.post("/api/risk/runs")
@roles(*RUN_ROLES, why="role may not start risk runs")
def run_start() -> Response:
    """Queue a run (full unless ``{"mode": "incremental"}``); 202 with its status URL."""
    principal = caller()
    check_csrf()
    body = request.get_json(silent=True) if request.data else {}
    if body is None or not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", [Problem("body", "not_an_object", {})])
    mode = body.get("mode", "full")
    if mode not in MODES:
        raise BadRequest("unknown mode", [Problem("mode", "unknown_code",
                                                  {"value": mode, "allowed": list(MODES)})])
    with unit() as s:
        run = runs.request(s, mode=mode, by=principal.username)
        run_id = run.id
    resp = json_response(run_body(runs.get(db(), run_id)), 202)
    resp.headers["Location"] = url_for("risk_api.run_status", run_id=run_id, _external=True)
    return resp


@bp.get("/api/risk/runs/<int:run_id>")
@signed_in
def run_status(run_id: int) -> Response:
    """A run's status, progress, counts per level and diff summary."""
    return json_response(run_body(runs.get(db(), run_id)))


@bp.get("/api/risk/runs/<int:run_id>/changes")
@signed_in
def run_changes(run_id: int) -> Response:
    """A run's diff lines (``map=five|four``), ``limit`` (default 500) from ``offset``."""
    map_ = request.args.get("map") or None
    if map_ is not None and map_ not in MAPS:
        raise BadRequest("unknown map", [Problem("map", "unknown_code",
                                                 {"value": map_, "allowed": list(MAPS)})])
    limit = _int_arg("limit", 500, 1, 5000)
    offset = _int_arg("offset", 0, 0, 10_000_000)
    run = runs.get(db(), run_id)
    lines = runs.changes(db(), run.id, map=map_, limit=limit, offset=offset)
    return json_response({"run_id": run.id, "map": map_, "limit": limit, "offset": offset,
                          "changes": [change_body(c) for c in lines]})


@bp.get("/api/risk/schemes")
@signed_in
def scheme_list() -> Response:
    """Every stored scheme version (the composite five-colour ones and the four-colour presets)."""
    return json_response({"schemes": [scheme_body(r) for r in schemes.listing(db())]})


@bp.post("/api/risk/schemes")
@roles("admin", why="only admins change scoring schemes")
def scheme_save() -> Response:
    """A new version of a five-colour scheme (admins only): ``{name, params, note}`` → 201."""
    principal = caller()
    principal.require_everywhere()
    check_csrf()
    body, note = _scheme_body(request.get_json(silent=True), {"name", "params", "note"})
    try:
        with unit() as s:
            row = schemes.save_version(s, body.get("name", schemes.DEFAULT_NAME),
                                       body.get("params", {}), by=principal.username, note=note)
            saved = scheme_body(row)
    except InvalidInput as error:  # a bad request body, not an unprocessable record
        raise BadRequest(error.message, error.problems) from error
    return json_response(saved, 201)


def _scheme_body(body: Any, members: set[str]) -> tuple[dict[str, Any], str | None]:
    """A posted scheme or table: a JSON object of known members, its note text or absent."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object", [Problem("body", "not_an_object", {})])
    unknown = sorted(set(body) - members)
    if unknown:
        raise BadRequest("unknown members", [Problem(k, "unknown_property", {}) for k in unknown])
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise BadRequest("note must be text", [Problem("note", "not_a_string", {})])
    return body, note


@bp.get("/api/risk/presets")
@signed_in
def preset_list() -> Response:
    """Every four-colour table a risk point may name, with each band's real interval."""
    loc = locale()
    every = presets.every(db())
    return json_response({"presets": [legends.preset(every[n], loc) for n in sorted(every)],
                          "defaults": presets.defaults(db())})


@bp.put("/api/risk/presets/defaults")
@roles("admin", why="only admins choose the city's four-colour tables")
def preset_defaults() -> Response:
    """The city's tables for points that name none: ``{"lec": name, "ls": name}`` (either
    may be left out) → 200 with both; a new version, generated points follow at the next
    full run."""
    principal = caller()
    principal.require_everywhere()
    check_csrf()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object", [Problem("body", "not_an_object", {})])
    try:
        with unit() as s:
            row = presets.choose(s, body, by=principal.username)
            chosen = {"name": row.name, "version": row.version, "defaults": dict(row.params)}
    except InvalidInput as error:
        raise BadRequest(error.message, error.problems) from error
    return json_response(chosen)


@bp.post("/api/risk/presets")
@roles("admin", why="only admins add four-colour tables")
def preset_save() -> Response:
    """A city's own LEC or LS table (admins only): ``{name, method, params: {bands}, note}`` →
    201; every score the method can give must fall in one band, a higher one never lower."""
    principal = caller()
    principal.require_everywhere()
    check_csrf()
    body, note = _scheme_body(request.get_json(silent=True),
                              {"name", "method", "params", "note"})
    try:
        with unit() as s:
            row = presets.save_preset(s, body.get("name"), body.get("method"),
                                      body.get("params"), by=principal.username, note=note)
            saved = {**scheme_body(row),
                     "table": legends.preset(presets.from_row(row), locale())}
    except InvalidInput as error:  # a bad request body, not an unprocessable record
        raise BadRequest(error.message, error.problems) from error
    return json_response(saved, 201)
