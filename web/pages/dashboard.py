"""The overview page (概览): a division's registry in cards, charts and tables, and its downloads.

Thin: ``inventory.overview`` computes every number in the database. Here the numbers become
tables once (translated headings, rounded values), and the page, the XLSX and the CSV are
all written from those same tables, so a download never disagrees with the screen.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import gettext as _

from inventory import COLLECTIONS
from inventory import overview as ov
from resilience import codes
from resilience.accounts import Principal
from resilience.sheets import FORMULA_START, safe_text
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages.assets import action_label
from web.session import db, local_time

bp = Blueprint("dashboard", __name__)

ACTIONS = ("create", "update", "retire", "restore")
# Condition grades are not risk levels: a brown ramp (after ColorBrewer BrBG), never a colour
# of the five- or four-colour maps; not assessed is grey (DOMAIN.md §10).
GRADE_COLOURS = {"1": "#E6D3A3", "2": "#C9A25F", "3": "#A0672B", "4": "#6B3E0F", "unknown": "#9AA3AF"}


@dataclass(frozen=True)
class Column:
    """A value column: its key (CSV), heading and how its numbers read (int, km, pct, m2, text)."""

    key: str
    heading: str
    kind: str = "int"


@dataclass(frozen=True)
class Row:
    """One line of a table: a stable key, its label and one value per column."""

    key: str
    label: str
    values: tuple[Any, ...]
    colour: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class Table:
    """A table as the page, the XLSX sheet and the CSV section show it."""

    key: str
    title: str
    label_heading: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]


def _km(metres: float) -> float:
    return round(metres / 1000.0, 3)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100.0, 1)


def _code_label(code_list: codes.CodeList, value: str, locale: str) -> str:
    if value == ov.UNKNOWN.value:
        return ov.UNKNOWN.label(locale)
    code = code_list.get(value)
    return code.label(locale) if code is not None else value


def _present_categories(by: dict[str, dict[str, ov.Tally]]) -> list[codes.Code]:
    """The categories with any length or count in a distribution, in CJJ 61 order."""
    seen = {cat for cats in by.values() for cat, t in cats.items() if t.count}
    return [c for c in codes.PIPELINE_CATEGORIES if c.value in seen]


def _by_category_table(key: str, title: str, heading: str, by: dict[str, dict[str, ov.Tally]],
                       code_list: codes.CodeList, locale: str) -> Table:
    """Rows of a distribution (age, material) with the km of each category alongside."""
    cats = _present_categories(by)
    columns = (Column("count", _("Segments")), Column("km", _("Length (km)"), "km"),
               *(Column(f"km_{c.value}", f"{c.label(locale)} (km)", "km") for c in cats))
    rows = []
    for value, per in by.items():
        total = ov.Tally()
        for t in per.values():
            total.add(t.count, t.length_m)
        rows.append(Row(value, _code_label(code_list, value, locale),
                        (total.count, _km(total.length_m),
                         *(_km(per[c.value].length_m) if c.value in per else 0.0 for c in cats))))
    return Table(key, title, heading, columns, tuple(rows))


def tables(o: ov.Overview, locale: str) -> list[Table]:
    """Every number of the overview, as the tables shown, downloaded and exported."""
    pipes, shelters = o.pipelines, o.shelter_total
    titles = {name: spec.title(locale) for name, spec in COLLECTIONS.items()}
    out = [Table("totals", _("Key numbers"), _("Item"), (Column("value", _("Value"), "num"),), (
        Row("pipelines.count", _("Pipeline segments"), (pipes.count,)),
        Row("pipelines.km", _("Pipeline length (km)"), (_km(pipes.length_m),)),
        Row("network_points.count", _("Network points"), (o.network_points,)),
        Row("tunnels.count", _("Utility tunnels"), (o.tunnels.count,)),
        Row("tunnels.km", _("Utility tunnel length (km)"), (_km(o.tunnels.length_m),)),
        Row("shelters.count", _("Shelters"), (shelters.count,)),
        Row("shelters.capacity", _("Shelter capacity (persons)"), (shelters.capacity,)),
        Row("flood_points.active", _("Flood points not yet eliminated"), (o.flood_points.get("active", 0),)),
        Row("flood_points.count", _("Flood points"), (sum(o.flood_points.values()),)),
        Row("hazard_zones.count", _("Hazard zones"), (sum(o.counted.get("hazard-zones", {}).values()),)),
        Row("risk_points.count", _("Risk points"), (sum(o.counted.get("risk-points", {}).values()),)),
        Row("risk_points.major", _("Major and considerable risk points"),
            (sum(o.counted.get("risk-points", {}).get(k, 0) for k in ("major", "considerable")),)),
        Row("changes.week", _("Changes in the last 7 days"), (o.changes_total,)),
    ))]
    out.append(Table("categories", _("Pipelines by category"), _("Category"),
                     (Column("count", _("Segments")), Column("km", _("Length (km)"), "km")),
                     tuple(Row(c.value, c.label(locale), (o.by_category[c.value].count,
                                                          _km(o.by_category[c.value].length_m)),
                               colour=c.colour)
                           for c in codes.PIPELINE_CATEGORIES)))
    out.append(_by_category_table("age", _("Pipelines by build year"), _("Build year"), o.by_age,
                                  ov.AGE_BUCKETS, locale))
    out.append(_by_category_table("material", _("Pipelines by material"), _("Material"),
                                  o.by_material, codes.MATERIALS, locale))
    out.append(Table("condition", _("Condition grades"), _("Condition grade"), (
        Column("pipelines_count", _("Segments")), Column("pipelines_km", _("Length (km)"), "km"),
        Column("points_count", titles["network-points"]), Column("tunnels_count", titles["tunnels"]),
        Column("tunnels_km", _("Tunnel length (km)"), "km"),
    ), tuple(Row(g.value, _grade_label(g, locale), (
        per.get("pipelines", ov.Tally()).count, _km(per.get("pipelines", ov.Tally()).length_m),
        per.get("network-points", ov.Tally()).count, per.get("tunnels", ov.Tally()).count,
        _km(per.get("tunnels", ov.Tally()).length_m)), colour=GRADE_COLOURS[g.value])
        for g, per in ((g, o.condition[g.value]) for g in ov.GRADES))))
    out.append(Table("completeness", _("Data completeness"), _("Attribute"), (
        Column("records", _("Records")), Column("missing", _("Missing")),
        Column("missing_pct", _("Missing (%)"), "pct"), Column("complete_pct", _("Complete (%)"), "pct"),
    ), tuple(Row(f"{g.collection}.{g.key}", f"{titles[g.collection]} · {g.label(locale)}",
                 (g.total, g.missing, _pct(g.missing_share),
                  None if g.missing_share is None else _pct(1 - g.missing_share)))
             for g in o.gaps)))
    out.append(Table("shelters", _("Shelters by class"), _("Shelter class"), (
        Column("count", _("Shelters")), Column("capacity", _("Capacity (persons)")),
        Column("area_m2", _("Effective area (m²)"), "m2"),
    ), tuple(Row(k, _code_label(codes.SHELTER_CLASSES, k, locale), (s.count, s.capacity, round(s.area_m2, 1)))
             for k, s in o.shelters.items())))
    out.append(Table("flood_points", _("Flood points by status"), _("Status"), (Column("count", _("Flood points")),),
                     tuple(Row(k, _code_label(codes.FLOOD_POINT_STATUSES, k, locale), (n,))
                           for k, n in o.flood_points.items())))
    out.append(Table("owners", _("Owners with the most pipeline length"), _("Owner"),
                     (Column("count", _("Segments")), Column("km", _("Length (km)"), "km")),
                     tuple(Row(str(i), owner, (t.count, _km(t.length_m)))
                           for i, (owner, t) in enumerate(o.owners, start=1))))
    out.append(Table("changes", _("Changes in the last 7 days"), _("Collection"),
                     (*(Column(a, action_label(a)) for a in ACTIONS), Column("total", _("Total"))),
                     tuple(Row(name, titles.get(name, name),
                               (*(by.get(a, 0) for a in ACTIONS), sum(by.values())))
                           for name, by in sorted(o.changes.items()))))
    out.append(Table("latest", _("Latest changes"), _("Change"), (
        Column("at", _("Time"), "text"), Column("actor", _("By"), "text"),
        Column("action", _("Action"), "text"), Column("collection", _("Collection"), "text"),
        Column("record", _("Record"), "int"),
    ), tuple(Row(str(c.id), f"#{c.id}", (local_time(c.at), c.actor, action_label(c.action),
                                         titles.get(c.collection, c.collection), c.record_id),
                 href=_record_href(c)) for c in o.latest)))
    return out


def _grade_label(grade: codes.Code, locale: str) -> str:
    if grade.value == ov.UNKNOWN.value:
        return grade.label(locale)
    return f"{grade.value} {grade.label(locale)}"


def _record_href(change: ov.Change) -> str | None:
    if change.collection not in COLLECTIONS or COLLECTIONS[change.collection].readonly_collection:
        return None
    return url_for("assets.asset_page", name=change.collection, key=change.record_id)


# --- charts: data for Chart.js, labels already translated -----------------------------------

def _stacked(table: Table) -> dict[str, Any]:
    """A distribution's km stacked by category (the table's km_<category> columns)."""
    datasets = []
    for i, col in enumerate(table.columns):
        if col.key.startswith("km_"):
            code = codes.PIPELINE_CATEGORIES.get(col.key[3:])
            datasets.append({"label": code.label(select_locale()) if code else col.key,
                             "colour": code.colour if code else "#1f3a5f",
                             "data": [row.values[i] for row in table.rows]})
    return {"labels": [row.label for row in table.rows], "datasets": datasets, "stacked": True,
            "unit": "km"}


def charts(o: ov.Overview, by_key: dict[str, Table]) -> dict[str, Any]:
    """What dashboard.js draws; every figure here is also in a table."""
    locale = select_locale()
    cats = by_key["categories"]
    condition = by_key["condition"]
    drawn: dict[str, Any] = {
        "categories": {"labels": [r.label for r in cats.rows], "unit": "km", "datasets": [
            {"label": _("Length (km)"), "colours": [r.colour for r in cats.rows],
             "data": [r.values[1] for r in cats.rows]}]},
        "age": _stacked(by_key["age"]),
        "material": _stacked(by_key["material"]),
        "condition": {"labels": [r.label for r in condition.rows], "unit": "km", "datasets": [
            {"label": _("Length (km)"), "colours": [r.colour for r in condition.rows],
             "data": [r.values[1] for r in condition.rows]}]},
    }
    for name in ov.CHECKS:  # one small chart per collection, so the labels stay short
        gaps = [g for g in o.gaps if g.collection == name and g.total]
        if not gaps:
            continue
        shares = [_pct(1 - g.missing_share) if g.missing_share is not None else None for g in gaps]
        drawn[f"completeness-{name}"] = {
            "title": COLLECTIONS[name].title(locale), "labels": [g.label(locale) for g in gaps],
            "unit": "pct", "horizontal": True, "datasets": [{
                "label": _("Complete (%)"), "colours": [_completeness_colour(v) for v in shares],
                "data": shares}]}
    return {"locale": "zh-CN" if locale.startswith("zh") else "en",
            "axis": {"km": _("Length (km)"), "pct": _("Complete (%)")}, "charts": drawn}


def _completeness_colour(pct: float | None) -> str:
    if pct is None or pct < 80:
        return "#C62828"
    return "#2E7D32" if pct >= 95 else "#EF8F00"


# --- the page and its downloads -------------------------------------------------------------

def _load(principal: Principal) -> tuple[ov.Overview, list[Table]]:
    o = ov.overview(db(), principal, request.args.get("division"))
    return o, tables(o, select_locale())


def _scope_name(principal: Principal, o: ov.Overview, divisions: list[Any]) -> str:
    if o.division is None:
        return _("Whole city") if principal.everywhere else _("All my divisions")
    for d in divisions:
        if d.code == o.division:
            return str(d.name if select_locale().startswith("zh") or not d.name_en else d.name_en)
    return o.division


@bp.get("/dashboard")
@signed_in
def dashboard_page() -> Any:
    """Key numbers, charts and tables for a division the user may read."""
    principal = caller()
    o, made = _load(principal)
    locale = select_locale()
    divisions = ov.readable_divisions(db(), principal)
    by_key = {t.key: t for t in made}
    choices = [(d.code, d.name if locale.startswith("zh") or not d.name_en else d.name_en, d.level)
               for d in divisions]
    return render_template(
        "dashboard.html", o=o, tables=by_key, totals={r.key: r.values[0] for r in by_key["totals"].rows},
        charts=charts(o, by_key), choices=choices,
        scope=_scope_name(principal, o, divisions), everything_label=(
            _("Whole city") if principal.everywhere else _("All my divisions")),
        fmt=fmt, as_of=as_of(ov.now()), query={"division": o.division} if o.division else {})


def fmt(value: Any, kind: str) -> str:
    """A number as the page shows it: thousands separated, km to the metre, shares to 0.1 %."""
    if value is None:
        return "—"
    if kind == "text":
        return str(value)
    if kind == "pct":
        return f"{value:.1f}"
    if kind == "km" or (kind == "num" and isinstance(value, float)):
        return f"{value:,.3f}"
    if kind == "m2":
        return f"{value:,.1f}"
    return f"{value:,}"


def _filename(o: ov.Overview, ext: str) -> str:
    return f"dashboard-{o.division or 'all'}-{ov.now():%Y%m%d}.{ext}"


def csv_rows(made: list[Table]) -> list[tuple[str, str, str, Any]]:
    """The tables as one long table: section, key, label, value."""
    out = []
    for t in made:
        single = len(t.columns) == 1
        for row in t.rows:
            for col, value in zip(t.columns, row.values, strict=True):
                key = row.key if single else f"{row.key}.{col.key}"
                label = row.label if single else f"{row.label} · {col.heading}"
                out.append((t.key, key, label, value))
    return out


@bp.get("/dashboard.csv")
@signed_in
def dashboard_csv() -> Any:
    """The page's numbers as CSV (UTF-8 with BOM so Excel reads the Chinese)."""
    o, made = _load(caller())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["section", "key", "label", "value"])
    for section, key, label, value in csv_rows(made):
        writer.writerow([section, safe_text(key), safe_text(label),
                         "" if value is None else safe_text(value)])
    return _download(("\ufeff" + buf.getvalue()).encode("utf-8"), "text/csv; charset=utf-8",
                     _filename(o, "csv"))


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's sheet-name rules: 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()[:31] or "sheet"
    name, n = clean, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = clean[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def workbook(made: list[Table]) -> bytes:
    """One sheet per table; text that looks like a formula is stored as quoted text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook(write_only=True)
    used: set[str] = set()

    def cell(ws: Any, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if not value.startswith(FORMULA_START):
            return value
        c = WriteOnlyCell(ws, value=value)
        c.data_type = "s"  # a string, never evaluated
        c.quotePrefix = True  # and it stays text when edited in Excel
        return c

    for t in made:
        ws = book.create_sheet(_sheet_title(t.title, used))
        ws.append([cell(ws, t.label_heading), *(cell(ws, c.heading) for c in t.columns)])
        for row in t.rows:
            ws.append([cell(ws, row.label), *(cell(ws, v) for v in row.values)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/dashboard.xlsx")
@signed_in
def dashboard_xlsx() -> Any:
    """The page's numbers as a workbook, one sheet per table."""
    o, made = _load(caller())
    return _download(workbook(made),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     _filename(o, "xlsx"))


def _download(body: bytes, content_type: str, filename: str) -> Response:
    resp = Response(body, content_type=content_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def as_of(moment: datetime) -> str:
    """When the figures were read, as the page states it."""
    return local_time(moment)
