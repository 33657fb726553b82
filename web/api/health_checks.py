"""The yearly health checks over HTTP, read-only: a thin adapter over ``risk.healthcheck``.

Everyone signed in reads the checks of the divisions granted to them; computing and entering
values happen on the page (or ``resilience health-check run``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for

from resilience.errors import Forbidden, NotFound, Problem
from resilience.profiles import YEARS
from risk.healthcheck import checks
from web.api.protocol import json_response
from web.auth import caller, signed_in
from web.errors import BadRequest, locale
from web.session import db

bp = Blueprint("health_checks_api", __name__)


def _summary(check: checks.HealthCheck) -> dict[str, Any]:
    return {
        "id": check.id, "division_code": check.division_code, "year": check.year,
        "status": check.status,
        "computed_at": check.computed_at.isoformat() if check.computed_at else None,
        "updated_at": check.updated_at.isoformat(),
        "links": [
            {"rel": "self", "href": url_for("health_checks_api.one", check_id=check.id)},
            {"rel": "alternate", "type": "application/vnd.openxmlformats-officedocument."
             "spreadsheetml.sheet", "href": url_for("healthcheck.xlsx",
                                                    division=check.division_code,
                                                    year=check.year)},
            {"rel": "alternate", "type": "text/html", "href": url_for(
                "healthcheck.print_page", division=check.division_code, year=check.year)},
        ],
    }


@bp.get("/api/health-checks")
@signed_in
def listing() -> Response:
    """The stored checks the caller may read, newest year first; ``division`` and ``year``."""
    principal = caller()
    division = request.args.get("division") or None
    year: int | None = None
    if request.args.get("year"):
        try:
            year = int(request.args["year"])
        except ValueError:
            raise BadRequest("invalid year", [Problem("year", "not_an_integer",
                                                      {"value": request.args["year"]})]) from None
        low, high = YEARS
        if not low <= year <= high:
            raise BadRequest("invalid year", [Problem("year", "out_of_range", {
                "value": year, "min": low, "max": high})])
    if division is not None and not principal.sees(division):
        raise Forbidden("division not granted", division=division)
    rows = checks.checks_of(db(), divisions=(division,) if division else None, year=year)
    return json_response({"health_checks": [_summary(c) for c in rows if principal.sees(c.division_code)]})


@bp.get("/api/health-checks/<int:check_id>")
@signed_in
def one(check_id: int) -> Response:
    """One check: its indicators (value, target, met, trend, formula) and problem list."""
    principal = caller()
    check = checks.get(db(), check_id)
    if not principal.sees(check.division_code):
        raise NotFound("no such health check", id=check_id)
    report = checks.report(db(), check, locale())
    return json_response({
        **_summary(check), "division_name": report.division_name,
        "indicators": [{
            "code": line.code, "level": line.level, "aspect": line.aspect, "name": line.name,
            "unit": line.unit, "source": line.source, "value": line.value,
            "target": line.target or None, "target_source": line.target_source or None,
            "target_met": line.met, "judgement": line.judgement, "trend": line.trend,
            "previous": [{"year": y, "value": v} for y, v in line.previous],
            "formula": line.formula, "working_definition": line.inferred,
            "note": line.note or None, "detail": line.detail,
        } for line in report.lines],
        "problems": [{"code": p.code, "indicator": p.name, "reason": p.reason, "text": p.text}
                     for p in report.problems],
    })
