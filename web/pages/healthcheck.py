"""The city health check (城市体检) pages: a division's yearly check, its XLSX and print view,
and the five-year evaluation (五年一评估) with each indicator's trend drawn as inline SVG.

Thin: ``risk.healthcheck.checks`` computes, validates and builds the report (values, targets,
trends, problem list) that the page, the workbook and the print view all show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from resilience.accounts import Principal
from resilience.divisions import Division
from resilience.errors import Conflict, InvalidInput, Problem
from resilience.messages import describe
from resilience.model import now
from risk.healthcheck import checks, evaluation, export
from web.auth import caller, roles, signed_in
from web.extensions import csrf, select_locale
from web.session import db, local_time, unit

bp = Blueprint("healthcheck", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TREND_ARROW = {"better": "↑", "worse": "↓", "same": "→"}


def may_edit(principal: Principal) -> bool:
    """Admins, engineers and emergency managers compute checks and enter values."""
    return principal.role in checks.EDITING_ROLES


def _divisions(principal: Principal, locale: str) -> list[tuple[str, str]]:
    """The city and the counties the user sees, as (code, name)."""
    rows = db().execute(select(Division.code, Division.name, Division.name_en)
                        .where(Division.level.in_(("city", "county")),
                               func.length(Division.code) == 6)
                        .order_by(Division.code)).all()
    zh = locale.startswith("zh")
    return [(code, name if zh or not name_en else name_en) for code, name, name_en in rows
            if principal.sees(code)]


def _home(principal: Principal, options: list[tuple[str, str]]) -> str | None:
    """The division a user's page opens on: their first grant, else the first they see."""
    for prefix in principal.prefixes:
        for code, _name in options:
            if code.startswith(prefix):
                return code
    return options[0][0] if options else None


def _require(principal: Principal, division: str) -> None:
    if not principal.sees(division):
        abort(403)


def _year(raw: str | None) -> int:
    try:
        year = int(raw) if raw else date.today().year
    except ValueError:
        abort(400)
    if not 1990 <= year <= 2100:
        abort(400)
    return year


@bp.get("/health-check")
@signed_in
def check_page() -> Any:
    """Pick a division and year; the check's indicators, targets, trends and problems."""
    return _render(caller(), request.args.get("division"), _year(request.args.get("year")))


def _render(principal: Principal, division: str | None, year: int, *,
            problems: list[Problem] | None = None, entered: dict[str, str] | None = None,
            status: int = 200) -> Any:
    locale = select_locale()
    options = _divisions(principal, locale)
    division = division or _home(principal, options)
    if division is None:
        abort(403)
    _require(principal, division)
    check = checks.find(db(), division, year)
    report = checks.report(db(), check, locale) if check is not None else None
    messages = {p.field: describe(p, locale) for p in problems or []}
    return render_template(
        "healthcheck_page.html", options=options, division=division, year=year,
        report=report, check=check, may_edit=may_edit(principal), arrows=TREND_ARROW,
        fmt=checks.fmt, messages=messages, entered=entered or {},
        done=request.args.get("done")), status


def _back(division: str, year: int, done: str) -> Any:
    return redirect(url_for("healthcheck.check_page", division=division, year=year, done=done))


def _editor(division: str) -> Principal:
    """The caller (an editing role: ``@roles``), when the division is theirs; its form's token checked."""
    principal = caller()
    _require(principal, division)
    csrf.protect()
    return principal


@bp.post("/health-check/<division>/<int:year>/compute")
@roles(*checks.EDITING_ROLES)
def compute(division: str, year: int) -> Any:
    """(Re)compute the registry's indicators of a draft check."""
    principal = _editor(division)
    try:
        with unit() as s:
            checks.compute(s, division, year, by=principal.username)
    except Conflict:
        return _render(principal, division, year, status=409, problems=[
            Problem("check", "check_final", {"year": year})])
    return _back(division, year, "computed")


@bp.post("/health-check/<division>/<int:year>/values")
@roles(*checks.EDITING_ROLES)
def enter_values(division: str, year: int) -> Any:
    """Store the entered indicators (validated together), then recompute what uses them."""
    principal = _editor(division)
    values = {key[2:]: raw for key, raw in request.form.items() if key.startswith("v:")}
    try:
        with unit() as s:
            checks.enter(s, division, year, values, by=principal.username)
            checks.compute(s, division, year, by=principal.username)
    except InvalidInput as error:
        return _render(principal, division, year, problems=error.problems, entered=values,
                       status=422)
    except Conflict:
        return _render(principal, division, year, status=409, problems=[
            Problem("check", "check_final", {"year": year})])
    return _back(division, year, "saved")


@bp.post("/health-check/<division>/<int:year>/final")
@roles(*checks.EDITING_ROLES)
def finalize(division: str, year: int) -> Any:
    """Freeze the check (it is reported up; later changes need a new year's check)."""
    principal = _editor(division)
    try:
        with unit() as s:
            check = checks.find(s, division, year)
            if check is None:
                abort(404)
            checks.finalize(s, check, by=principal.username)
    except Conflict:
        pass  # already final: nothing to do
    return _back(division, year, "final")


def _stored(division: str, year: int) -> checks.HealthCheck:
    _require(caller(), division)
    check = checks.find(db(), division, year)
    if check is None:
        abort(404)
    return check


@bp.get("/health-check/<division>/<int:year>.xlsx")
@signed_in
def xlsx(division: str, year: int) -> Any:
    """The check as a workbook: indicators and problem list."""
    check = _stored(division, year)
    locale = select_locale()
    lang = "zh" if locale.startswith("zh") else "en"
    data = export.workbook(checks.report(db(), check, locale), lang)
    resp = Response(data, mimetype=XLSX)
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="health-check-{division}-{year}.xlsx"')
    return resp


@bp.get("/health-check/<division>/<int:year>/print")
@signed_in
def print_page(division: str, year: int) -> Any:
    """A printable A4 report: title, division, year, the indicators and the problem list."""
    check = _stored(division, year)
    report = checks.report(db(), check, select_locale())
    sources = list(dict.fromkeys(line.target_source for line in report.lines if line.target_source))
    return render_template("healthcheck_print.html", report=report, check=check,
                           arrows=TREND_ARROW, fmt=checks.fmt, sources=sources,
                           printed=local_time(now())[:10], title=_("City health check"))


@bp.get("/health-check/evaluation")
@signed_in
def evaluation_page() -> Any:
    """五年一评估: the check of ``year`` and the four before it, each indicator's trend as a chart."""
    principal = caller()
    locale = select_locale()
    options = _divisions(principal, locale)
    division = request.args.get("division") or _home(principal, options)
    if division is None:
        abort(403)
    _require(principal, division)
    year = _year(request.args.get("year"))
    result = evaluation.evaluate(db(), division, year, locale)
    return render_template("healthcheck_evaluation.html", ev=result, division=division, year=year,
                           options=options, may_edit=may_edit(principal),
                           done=request.args.get("done"))


@bp.post("/health-check/<division>/evaluation/compute")
@roles(*checks.EDITING_ROLES)
def compute_span(division: str) -> Any:
    """Compute the draft checks of the five years that are not final (final ones are kept)."""
    principal = _editor(division)
    year = _year(request.form.get("year"))
    with unit() as s:
        for y in range(year - evaluation.SPAN + 1, year + 1):
            try:
                checks.compute(s, division, y, by=principal.username)
            except Conflict:
                continue  # a final check stays as it was reported
    return redirect(url_for("healthcheck.evaluation_page", division=division, year=year,
                            done="computed"))
