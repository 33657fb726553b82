"""管线焕新: the renewal candidates of a division, by category, each with its reason (page and
XLSX). Thin: ``inventory.renewal`` applies the one ageing rule (``inventory.ageing``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, render_template, request

from inventory import ageing, renewal
from resilience import codes
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages.healthcheck import XLSX, _divisions, _home, _require, _year
from web.session import db

bp = Blueprint("renewal", __name__)
SHOWN = 100  # candidates listed per category and verdict on the page; the workbook has all


def _division(raw: str | None) -> tuple[str, list[tuple[str, str]]]:
    principal = caller()
    options = _divisions(principal, select_locale())
    division = raw or _home(principal, options)
    if division is None:
        abort(403)
    _require(principal, division)
    return division, options


@bp.get("/renewal")
@signed_in
def renewal_page() -> Any:
    """The division's pipes old by the rule (and those to verify), per category, with reasons."""
    division, options = _division(request.args.get("division"))
    year = _year(request.args.get("year"))
    locale = select_locale()
    groups = renewal.by_category(renewal.candidates(db(), division, year))
    labels = {c.value: c.label(locale) for c in codes.PIPELINE_CATEGORIES}
    materials = {c.value: c.label(locale) for c in codes.MATERIALS}
    return render_template("renewal.html", division=division, year=year, options=options,
                           groups=groups, labels=labels, materials=materials, shown=SHOWN,
                           rules=ageing.table_rows(locale), version=ageing.VERSION,
                           source=ageing.SOURCE_ZH if locale.startswith("zh") else ageing.SOURCE_EN,
                           locale=locale)


@bp.get("/renewal/<division>.xlsx")
@signed_in
def renewal_xlsx(division: str) -> Any:
    """Every candidate of the division as a workbook, with the per-category summary and the rule."""
    _require(caller(), division)
    year = _year(request.args.get("year"))
    lang = "zh" if select_locale().startswith("zh") else "en"
    resp = Response(renewal.workbook(db(), division, year, lang), mimetype=XLSX)
    resp.headers["Content-Disposition"] = f'attachment; filename="renewal-{division}-{year}.xlsx"'
    return resp
