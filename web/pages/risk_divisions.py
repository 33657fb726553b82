"""Per-division statistics of the published colour maps, as tables and charts, and their XLSX.

Thin: ``risk.stats`` counts; here the numbers become labelled tables once, and the page, the
charts and the workbook are all written from those same tables.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from resilience.accounts import Principal
from resilience.sheets import FORMULA_START
from risk import stats
from risk.levels import LEVEL_SETS, Level
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages import risk_map
from web.session import db

bp = Blueprint("risk_divisions", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class StatsTable:
    """One table of the statistics page and of the XLSX (one sheet each)."""

    key: str
    title: str
    headings: tuple[str, ...]
    colours: tuple[str | None, ...]
    rows: tuple[tuple[Any, ...], ...]  # first column the division's name
    unit: str  # "n", "km", "km2"


def _visible(principal: Principal) -> set[str] | None:
    if principal.everywhere:
        return None
    return {c for c in division_codes() if principal.sees(c)}


def division_codes() -> set[str]:
    """Every division's code."""
    from sqlalchemy import select

    from resilience.divisions import Division

    return set(db().scalars(select(Division.code)))


def division_tables(principal: Principal, locale: str) -> list[StatsTable]:
    """The statistics as tables: five colour (area, assets, length), four colour (zones, points)."""
    # A division's own result row says nothing its cells do not: keep divisions holding more.
    rows = [r for r in stats.by_division(db(), _visible(principal))
            if r.points or any(u != "division" for u in (*r.five, *r.four))]
    if len(rows) > 1:
        rows = [*rows, stats.totals(rows)]
    five = sorted(LEVEL_SETS["five"], key=lambda lv: -lv.ordinal)
    four = sorted(LEVEL_SETS["four"], key=lambda lv: -lv.ordinal)

    def label(r: stats.DivisionStats) -> str:
        return _("Total") if r.code == "*" else f"{r.label(locale)} ({r.code})" if r.code \
            else _("Outside every division")

    def table(key: str, title: str, levels: list[Level], unit: str,
              value: Callable[[stats.DivisionStats, Level], float]) -> StatsTable:
        return StatsTable(
            key, title, (_("Division"), *(lv.label(locale) for lv in levels)),
            (None, *(lv.colour for lv in levels)),
            tuple((label(r), *(value(r, lv) for lv in levels)) for r in rows), unit)

    def five_cell(r: stats.DivisionStats, unit: str, lv: Level) -> stats.Cell:
        return r.five.get(unit, {}).get(lv.code, stats.Cell())

    def four_zones(r: stats.DivisionStats, lv: Level) -> int:
        return sum(r.four.get(u, {}).get(lv.code, stats.Cell()).count
                   for u in ("cell", "tunnel"))

    return [
        table("five-area", _("Five-colour: grid area per level (km²)"), five, "km2",
              lambda r, lv: round(five_cell(r, "cell", lv).measure / 1e6, 3)),
        table("five-assets", _("Five-colour: assets per level"), five, "n",
              lambda r, lv: five_cell(r, "asset", lv).count),
        table("five-length", _("Five-colour: asset length per level (km)"), five, "km",
              lambda r, lv: round(five_cell(r, "asset", lv).measure / 1e3, 3)),
        table("four-zones", _("Four-colour: zones (grid cells and tunnels) per level"), four, "n",
              four_zones),
        table("four-points", _("Four-colour: risk points per level"), four, "n",
              lambda r, lv: r.points.get(lv.code, 0)),
    ]


@bp.get("/risk/divisions")
@signed_in
def divisions_page() -> Any:
    """Per-division statistics of the published maps, as tables and charts."""
    principal = caller()
    locale = select_locale()
    tables = division_tables(principal, locale)
    charts = {"locale": "zh-CN" if locale == "zh_CN" else "en",
              "axis": {"n": _("Count"), "km": _("km"), "km2": _("km²")},
              "charts": [{"key": t.key, "title": t.title, "unit": t.unit,
                          "labels": [r[0] for r in t.rows if r[0] != _("Total")],
                          "datasets": [{"label": h, "colour": c,
                                        "data": [r[i] for r in t.rows if r[0] != _("Total")]}
                                       for i, (h, c) in enumerate(zip(t.headings, t.colours,
                                                                      strict=True)) if i]}
                         for t in tables]}
    return render_template("risk_divisions.html", tables=tables, charts=charts,
                           published=risk_map.published())


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # a division name is data, never a formula
    return value


@bp.get("/risk/divisions.xlsx")
@signed_in
def divisions_xlsx() -> Any:
    """The statistics page's tables as a workbook, one sheet per table."""
    principal = caller()
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    tables = division_tables(principal, select_locale())
    wb = Workbook()
    wb.remove(wb.active)
    published = risk_map.published()
    for t in tables:
        ws = wb.create_sheet(t.key)
        ws.append([t.title])
        ws["A1"].font = Font(bold=True)
        if published:
            ws.append([_("Run {id}, {when}, scheme {scheme} v{version}").format(
                id=published["id"], when=published["finished_at"], scheme=published["scheme"],
                version=published["version"])])
        ws.append(list(t.headings))
        head = ws.max_row
        for i, colour in enumerate(t.colours, start=1):
            cell = ws.cell(head, i)
            cell.font = Font(bold=True)
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour.lstrip("#"))
        for row in t.rows:
            ws.append([_cell(v) for v in row])
        ws.column_dimensions["A"].width = 28
    buf = io.BytesIO()
    wb.save(buf)
    resp = Response(buf.getvalue(), mimetype=XLSX)
    resp.headers["Content-Disposition"] = 'attachment; filename="risk-divisions.xlsx"'
    return resp
