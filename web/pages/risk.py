"""Pages of the colour maps for emergency managers: the maps, run history and diffs,
per-division statistics (and their XLSX), and a print view.

Thin: ``risk.runs`` reads runs and diffs, ``risk.stats`` counts, the items API and the
vector tiles feed the maps; here the numbers become labelled tables once, and the page,
the charts and the XLSX are all written from those same tables.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import folium
from branca.element import Element, MacroElement
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from jinja2 import Template

from inventory import COLLECTIONS
from resilience.accounts import Principal
from resilience.errors import NotFound
from risk import codes as risk_codes
from risk import runs, stats
from risk.levels import LEVEL_SETS, Level
from web import basemap
from web.api.risk import MAPS, may_run
from web.extensions import select_locale
from web.maps import HANGZHOU, VECTORGRID
from web.offline_assets import make_offline
from web.session import current_principal, db

bp = Blueprint("risk", __name__)

COLLECTION = {"five": "risk-five-colour", "four": "risk-four-colour"}
# The layer control's units per map, and which are on when the page opens.
UNITS = {"five": (("cell", True), ("asset", True), ("division", False)),
         "four": (("cell", True), ("tunnel", True), ("division", False), ("asset", False),
                  ("point", True))}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _signed_in() -> Principal | None:
    return current_principal(optional=True)


def _login() -> Any:
    return redirect(url_for("pages.login_page", next=request.full_path.rstrip("?")))


def _map_or_404(map_: str) -> str:
    if map_ not in MAPS:
        abort(404)
    return map_


def map_title(map_: str) -> str:
    """The page title of a colour map."""
    return _("Composite natural-disaster risk (five-colour map)") if map_ == "five" \
        else _("Work-safety risk (four-colour map)")


def unit_label(unit: str) -> str:
    """A unit's name in the page language (risk points are a collection of their own)."""
    if unit == "point":
        return _("Risk points")
    code = risk_codes.RESULT_UNITS.get(unit)
    return code.label(select_locale()) if code else unit


def levels_of(map_: str, locale: str) -> list[dict[str, Any]]:
    """The official legend of a map, highest level first (DOMAIN.md §2–3)."""
    return [{"code": lv.code, "ordinal": lv.ordinal, "label": lv.label(locale),
             "other": lv.en if locale.startswith("zh") else lv.zh, "colour": lv.colour}
            for lv in sorted(LEVEL_SETS[map_], key=lambda lv: -lv.ordinal)]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _published() -> dict[str, Any] | None:
    run = runs.published(db())
    if run is None:
        return None
    return {"id": run.id, "finished_at": _when(run.finished_at), "scheme": run.scheme_name,
            "version": run.scheme_version, "href": url_for("risk.run_page", run_id=run.id)}


def _tiles_available(layer: str) -> bool:
    """Whether the vector tiles serve a colour map yet (the GeoJSON pages do otherwise)."""
    from inventory import tiles

    try:
        tiles.layer(layer)
    except (NotFound, KeyError):
        return False
    return True


def _results_extent(map_: str, principal: Principal) -> tuple[float, float, float, float] | None:
    """Open a map on the published results the user sees (the whole city when there are none)."""
    if not principal.is_admin and not principal.prefixes:
        return None
    return stats.results_extent(db(), map_, None if principal.is_admin else principal.prefixes)


class RiskMapHook(MacroElement):  # type: ignore[misc]
    """Hands the folium map to risk_map.js (and basemap.js, which looks in resilienceLayers)."""

    _template = Template("""
    {% macro script(this, kwargs) %}
    window.resilienceRiskMap = {{ this._parent.get_name() }};
    window.resilienceLayers = [{ map: {{ this._parent.get_name() }} }];
    {% endmacro %}
    """)


def build_map(static_url: Callable[[str], str], scripts: list[str],
              bounds: tuple[float, float, float, float] | None = None,
              zoom_control: bool = True) -> dict[str, str]:
    """A folium map with only local assets; our scripts fill it. Returns its header, html, script."""
    m = folium.Map(location=HANGZHOU, zoom_start=11, tiles=None, max_zoom=19, min_zoom=6,
                   prefer_canvas=True, control_scale=True, zoom_control=zoom_control)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    m.add_child(RiskMapHook())
    root = m.get_root()
    root.header.add_child(Element(f'<link rel="stylesheet" href="{static_url("css/map.css")}">'))
    root.html.add_child(Element(
        '<script type="application/json" id="resilience-basemap">'
        + json.dumps(asdict(basemap.configured()), ensure_ascii=False).replace("</", "<\\/")
        + "</script>"))
    urls = [static_url(VECTORGRID), *(static_url(s) for s in scripts), static_url("js/basemap.js")]
    root.script.add_child(Element(
        f"{json.dumps(urls)}.forEach(function (src) {{ var s = document.createElement('script');"
        " s.src = src; s.async = false; document.body.appendChild(s); });"))
    make_offline(m, static_url)
    root.render()
    return {"map_header": root.header.render(), "map_html": root.html.render(),
            "map_script": root.script.render()}


def _texts() -> dict[str, str]:
    """What risk_map.js writes, in the page language ({name} placeholders filled there)."""
    return {
        "why": _("Why this colour"), "level": _("Level"), "score": _("Score"),
        "formula": _("Formula"), "hazard": _("Hazard"), "hazards": _("Hazards (H per kind)"),
        "h": _("Hazard H"), "r": _("Risk R"), "exposure": _("Exposure E"),
        "vulnerability": _("Vulnerability V"), "capacity": _("Capacity C"),
        "factor": _("Factor"), "value": _("Value"), "weight": _("Weight (exponent)"),
        "term": _("Term"), "band": _("Band"), "band_of": _("R = {score} lies in ({low}, {high}]"),
        "largest": _("Largest contributor: {name}"), "combine": _("Hazards combined by: {how}"),
        "combine_max": _("the highest"), "combine_weighted_sum": _("weighted sum"),
        "scheme": _("Scheme {name} version {version}"),
        "inherited": _("Takes the level of what decided it (the highest, 就高):"),
        "decided_by": _("Decided by"), "points": _("Risk points"), "method": _("Method"),
        "factors": _("Factors"), "open": _("Open"), "details": _("Other details"),
        "no_explanation": _("No explanation stored."), "loading": _("Loading…"),
        "failed": _("Could not load the explanation ({status})."),
        "click_hint": _("Click a coloured area, line or point to see why it has its colour."),
        "too_many": _("Too many features for this view: zoom in to see all of them."),
        "run_queued": _("Run {id} queued…"), "run_running": _("Run {id} running… {pct}%"),
        "run_done": _("Run {id} finished: {changed} units changed level. Reloading…"),
        "run_failed": _("Run {id} failed: {error}"),
        "run_conflict": _("Another run is already queued or running."),
        "http": _("The server answered {status}."),
        "network": _("The server could not be reached."),
        "unit": _("Unit"), "asset": _("Asset"), "cell": _("Grid cell"),
        "highest_cell": _("Takes the highest level of the {cells} grid cells it crosses (就高); decided by cell"),
        "highest_cell_division": _("Takes the highest level of its {cells} grid cells (就高); decided by cell"),
        "highest_point": _("Takes the highest level of its {points} risk points (就高); decided by"),
        "source": _("Source"), "area_by_level": _("Area per level"),
        "assets_by_level": _("Assets per level"), "length_by_level": _("Length per level"),
        "points_by_level": _("Risk points per level"), "category": _("Category"),
        "preset": _("Preset"), "rule": _("Rule"),
        "cell_assets": _("{n} assets in the cell, {length} m of lines."),
        "none": _("none"), "measure_m": _("Length {value} m"), "measure_m2": _("Area {value} km²"),
    }


@bp.get("/risk/<map_>")
def map_page(map_: str) -> Any:
    """A colour map with its official legend, layer and level filters, and 'why this colour'."""
    principal = _signed_in()
    if principal is None:
        return _login()
    _map_or_404(map_)
    locale = select_locale()
    layer = COLLECTION[map_]
    config = {
        "map": map_, "collection": layer, "locale": "zh-CN" if locale == "zh_CN" else "en",
        "tiles": _tiles_available(layer),
        "units": [{"unit": u, "label": unit_label(u), "on": on} for u, on in UNITS[map_]],
        "levels": levels_of(map_, locale),
        "point_levels": levels_of("four", locale),
        "hazards": {c.value: c.label(locale) for c in risk_codes.HAZARD_KINDS},
        "methods": {c.value: c.label(locale) for c in risk_codes.RISK_METHODS},
        "categories": {c.value: c.label(locale) for c in risk_codes.RISK_POINT_CATEGORIES},
        "titles": {s.name: s.title(locale) for s in COLLECTIONS.values()},
        "text": _texts(),
        "asset_href": "/collections/{collection}/items/{id}",
    }
    parts = build_map(lambda p: url_for("static", filename=p), ["js/risk_map.js"],
                      bounds=_results_extent(map_, principal))
    return render_template("risk_map.html", map_=map_, title=map_title(map_), config=config,
                           levels=config["levels"], units=config["units"],
                           published=_published(), may_run=may_run(principal),
                           other=("four" if map_ == "five" else "five"), **parts)


# --- runs --------------------------------------------------------------------------------


def status_label(status: str) -> str:
    """A run status in the page language."""
    return {"queued": _("queued"), "running": _("running"), "succeeded": _("succeeded"),
            "done": _("succeeded"), "failed": _("failed")}.get(status, status)


def _count_cells(counts: dict[str, Any] | None, map_: str, locale: str) -> list[dict[str, Any]]:
    """A run's counts of one map as (unit, level, n) cells, highest level first."""
    out = []
    for unit, levels in ((counts or {}).get(map_) or {}).items():
        for lv in sorted(LEVEL_SETS[map_], key=lambda lv: -lv.ordinal):
            n = (levels or {}).get(lv.code)
            if n:
                out.append({"unit": unit_label(unit), "label": lv.label(locale),
                            "colour": lv.colour, "n": n})
    return out


@bp.get("/risk/runs")
def runs_page() -> Any:
    """The run history: status, mode, when, scheme version, counts per level."""
    principal = _signed_in()
    if principal is None:
        return _login()
    locale = select_locale()
    listed = []
    for run in runs.history(db(), limit=100):
        listed.append({
            "id": run.id, "status": run.status, "status_label": status_label(run.status),
            "mode": _("full") if run.mode == "full" else _("incremental"),
            "requested_by": run.requested_by or "", "requested_at": _when(run.requested_at),
            "finished_at": _when(run.finished_at), "scheme": run.scheme_name,
            "version": run.scheme_version, "summary": run.summary or {}, "error": run.error,
            "five": _count_cells(run.counts, "five", locale),
            "four": _count_cells(run.counts, "four", locale),
        })
    return render_template("risk_runs.html", runs=listed, published=_published(),
                           may_run=may_run(principal))


def _level(map_: str, code: str | None, locale: str) -> dict[str, Any] | None:
    lv: Level | None = next((x for x in LEVEL_SETS[map_] if x.code == code), None)
    if lv is None:
        return None
    return {"label": lv.label(locale), "colour": lv.colour}


def _ref_href(unit: str, ref: str) -> str | None:
    """The page of what a diff line or explanation names: an asset or a risk point."""
    collection, _sep, key = ref.partition("/")
    if key.isdigit() and collection in COLLECTIONS and collection != "divisions":
        return url_for("assets.asset_page", name=collection, key=int(key))
    return None


def _ref_label(ref: Any, locale: str) -> tuple[str, str | None]:
    """A reference as words and a link: an asset or point by its collection's title, a hazard
    kind by its name, a cell or division by its code."""
    text = str(ref)
    collection, _sep, key = text.partition("/")
    if key.isdigit() and collection in COLLECTIONS:
        return f"{COLLECTIONS[collection].title(locale)} {key}", _ref_href("", text)
    hazard = risk_codes.HAZARD_KINDS.get(text)
    return (hazard.label(locale) if hazard else text), None


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def reason_parts(reason: Any, locale: str) -> list[dict[str, Any]]:
    """A diff line's reason in words: what decided it before and after, which factors moved,
    the risk point that now decides a zone; each part a text and maybe a link."""
    if not isinstance(reason, dict):
        return [{"text": str(reason), "href": None}] if reason else []
    if reason.get("gone"):
        return [{"text": _("No longer on the map."), "href": None}]
    parts: list[dict[str, Any]] = []
    before, after = reason.get("before") or {}, reason.get("after") or {}
    if reason.get("new") or not before:
        parts.append({"text": _("New on the map."), "href": None})
    was, now_ = before.get("decided_by"), after.get("decided_by")
    if now_ and was != now_:
        if was:
            text, href = _ref_label(was, locale)
            parts.append({"text": _("decided by") + " " + text, "href": href, "arrow": True})
        text, href = _ref_label(now_, locale)
        parts.append({"text": (_("now") + " " if was else _("decided by") + " ") + text,
                      "href": href})
    elif now_:
        text, href = _ref_label(now_, locale)
        parts.append({"text": _("decided by") + " " + text, "href": href})
    moved = reason.get("changed") or [k for k in ("score", "H", "E", "V", "C")
                                      if k in after and k in before and after[k] != before[k]]
    for key in moved:
        if key == "decided_by":
            continue
        name = _("score") if key == "score" else key
        parts.append({"text": f"{name} {_value(before.get(key))} → {_value(after.get(key))}",
                      "href": None})
    point = after.get("point")
    if isinstance(point, dict) and point.get("id") is not None:
        method = risk_codes.RISK_METHODS.get(point.get("method") or "")
        text = f"{point.get('name') or ''} ({method.label(locale) if method else ''} " \
               f"{_value(point.get('score'))}{' ' + point['band_name'] if point.get('band_name') else ''})"
        parts.append({"text": text, "href": _ref_href("", f"risk-points/{point['id']}")})
    return parts


@bp.get("/risk/runs/<int:run_id>")
def run_page(run_id: int) -> Any:
    """A run's diff: what changed level, before → after, why, with links; filterable by map."""
    principal = _signed_in()
    if principal is None:
        return _login()
    locale = select_locale()
    run = runs.get(db(), run_id)
    map_ = request.args.get("map") or None
    if map_ not in (None, *MAPS):
        map_ = None
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    page = 200
    lines = runs.changes(db(), run.id, map=map_, limit=page + 1, offset=offset)
    names = _division_names(locale)
    more = len(lines) > page
    rows = []
    for c in lines[:page]:
        if not principal.sees(c.division_code) and c.division_code:
            continue
        rows.append({"map": c.map, "map_label": _("Five-colour") if c.map == "five"
                     else _("Four-colour"), "unit": unit_label(c.unit), "ref": c.ref,
                     "name": c.name or (names.get(c.ref, "") if c.unit == "division" else ""),
                     "division": names.get(c.division_code or "", ""),
                     "before": _level(c.map, c.before_level, locale),
                     "after": _level(c.map, c.after_level, locale),
                     "before_score": c.before_score, "after_score": c.after_score,
                     "reason": reason_parts(c.reason, locale), "href": _ref_href(c.unit, c.ref),
                     "map_href": url_for("risk.map_page", map_=c.map)})
    return render_template(
        "risk_run.html", run=run, status_label=status_label(run.status),
        requested_at=_when(run.requested_at), finished_at=_when(run.finished_at),
        summary=run.summary or {}, rows=rows, map_=map_, offset=offset, page=page, more=more,
        five=_count_cells(run.counts, "five", locale), four=_count_cells(run.counts, "four", locale))


# --- per-division statistics -------------------------------------------------------------


@dataclass(frozen=True)
class StatsTable:
    """One table of the statistics page and of the XLSX (one sheet each)."""

    key: str
    title: str
    headings: tuple[str, ...]
    colours: tuple[str | None, ...]
    rows: tuple[tuple[Any, ...], ...]  # first column the division's name
    unit: str  # "n", "km", "km2"


def _division_names(locale: str) -> dict[str, str]:
    from sqlalchemy import select

    from resilience.divisions import Division

    return {c: (n if locale == "zh_CN" else e or n) for c, n, e in
            db().execute(select(Division.code, Division.name, Division.name_en))}


def _home_division(principal: Principal) -> str:
    """The division a print opens on: the user's own (the one their grant's prefix names)."""
    from resilience.divisions import division_prefix

    codes = sorted(_all_codes(), key=lambda c: (len(division_prefix(c)), c))
    for code in codes:
        if principal.prefixes and division_prefix(code) == principal.prefixes[0]:
            return code
    return next((c for c in codes if c.endswith("0000") is False and c.endswith("00")), codes[0])


def _visible(principal: Principal) -> set[str] | None:
    if principal.is_admin:
        return None
    return {c for c in _all_codes() if principal.sees(c)}


def _all_codes() -> set[str]:
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
def divisions_page() -> Any:
    """Per-division statistics of the published maps, as tables and charts."""
    principal = _signed_in()
    if principal is None:
        return _login()
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
                           published=_published())


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # a division name is data, never a formula
    return value


@bp.get("/risk/divisions.xlsx")
def divisions_xlsx() -> Any:
    """The statistics page's tables as a workbook, one sheet per table."""
    principal = _signed_in()
    if principal is None:
        return _login()
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    tables = division_tables(principal, select_locale())
    wb = Workbook()
    wb.remove(wb.active)
    published = _published()
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


# --- print view ---------------------------------------------------------------------------

SIZES = {"A3": (420, 297), "A4": (297, 210)}


@bp.get("/risk/print/<map_>")
def print_page(map_: str) -> Any:
    """A landscape A3/A4 sheet: title, division, run date, legend, scale bar, north arrow, map."""
    principal = _signed_in()
    if principal is None:
        return _login()
    _map_or_404(map_)
    locale = select_locale()
    size = request.args.get("size", "A3").upper()
    if size not in SIZES:
        size = "A3"
    code = request.args.get("division") or _home_division(principal)
    names = stats.division_name(db(), code)
    if names is None:
        abort(404)
    principal.require_read(code)
    bounds = stats.division_extent(db(), code)
    layer = COLLECTION[map_]
    config = {"map": map_, "collection": layer, "division": code, "print": True,
              "tiles": _tiles_available(layer),
              "units": [{"unit": u, "label": unit_label(u), "on": on and u != "division"}
                        for u, on in UNITS[map_]],
              "levels": levels_of(map_, locale), "point_levels": levels_of("four", locale),
              "hazards": {}, "methods": {}, "categories": {}, "titles": {}, "text": _texts(),
              "locale": "zh-CN" if locale == "zh_CN" else "en", "asset_href": ""}
    parts = build_map(lambda p: url_for("static", filename=p), ["js/risk_map.js"],
                      bounds=bounds, zoom_control=False)
    width, height = SIZES[size]
    division = names[0] if locale == "zh_CN" else (names[1] or names[0])
    return render_template("risk_print.html", map_=map_, title=map_title(map_), config=config,
                           levels=config["levels"], division=division, code=code, size=size,
                           width=width, height=height, published=_published(),
                           printed=datetime.now().strftime("%Y-%m-%d"), **parts)
