"""The city profile over HTTP: the figures per division and year, for admins' scripts.

A thin adapter over ``resilience.profiles``: the same checks and audit as the page and the CLI.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for

from resilience import profiles
from resilience.divisions import DivisionProfile
from resilience.errors import InvalidInput, Problem
from web.api.protocol import check_csrf, json_response, read_body
from web.auth import caller, roles, signed_in
from web.errors import BadRequest
from web.session import db, unit

bp = Blueprint("profiles_api", __name__)
WHY = "only administrators enter the city profile"


def as_json(p: DivisionProfile) -> dict[str, Any]:
    """One row as the API shows it."""
    return {"division_code": p.division_code, "year": p.year,
            **{f: getattr(p, f) for f in profiles.FIELDS}, "source": p.source,
            "example": p.example, "updated_at": p.updated_at.isoformat(),
            "updated_by": p.updated_by,
            "links": [{"rel": "self", "href": url_for("profiles_api.one", code=p.division_code,
                                                      year=p.year)}]}


def _year(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not profiles.YEARS[0] <= int(raw) <= profiles.YEARS[1]:
        raise BadRequest("invalid year", [Problem("year", "out_of_range", {
            "value": raw, "min": profiles.YEARS[0], "max": profiles.YEARS[1]})])
    return int(raw)


@bp.get("/api/profiles")
@signed_in
def listing() -> Response:
    """Every entered row (``year`` for one year), with the divisions the caller sees."""
    principal = caller()
    rows = profiles.listing(db(), _year(request.args.get("year")))
    return json_response({"profiles": [as_json(p) for p in rows
                                       if principal.sees(p.division_code)]})


@bp.get("/api/profiles/<code>/<int:year>")
@signed_in
def one(code: str, year: int) -> Response:
    """The figures in force for a division in a year (that year's or the latest before)."""
    caller().require_read(code)
    found = profiles.figures(db(), code, year)
    if found is None:
        return json_response({"division_code": code, "year": year, "figures": None})
    return json_response({"division_code": code, "year": year, "figures": {
        "year": found.year, **{f: getattr(found, f) for f in profiles.FIELDS},
        "source": found.source, "example": found.example}})


@bp.put("/api/profiles/<code>/<int:year>")
@roles("admin", why=WHY)
def put(code: str, year: int) -> Response:
    """Set a division's figures for a year; fields left out keep their value."""
    check_csrf()
    body = read_body()
    if not isinstance(body, dict):
        raise InvalidInput("bad body", [Problem("body", "not_an_object", {})])
    unknown = [k for k in body if k not in (*profiles.FIELDS, "source")]
    if unknown:
        raise InvalidInput("bad body", [Problem(k, "unknown_property", {}) for k in unknown])
    source = body.get("source")
    with unit() as s:
        row = profiles.save(s, code, year, body, by=caller().username,
                            source=str(source) if source is not None else None,
                            actor=caller())
        out = as_json(row)
    return json_response(out)


@bp.delete("/api/profiles/<code>/<int:year>")
@roles("admin", why=WHY)
def delete(code: str, year: int) -> Response:
    """Remove a wrongly entered year (figures fall back to the year before)."""
    check_csrf()
    with unit() as s:
        profiles.delete(s, code, year, by=caller().username, actor=caller())
    return Response(status=204)
