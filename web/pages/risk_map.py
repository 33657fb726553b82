"""The colour maps for emergency managers, and what every risk page shows of them: the official
legend, the units' names, the published run and the folium shell the scripts fill.

Thin: the items API and the vector tiles feed the maps; ``risk_map.js`` draws them and asks
"why this colour" of each feature.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import folium
from branca.element import Element, MacroElement
from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _
from jinja2 import Template

from inventory import COLLECTIONS
from resilience.accounts import Principal
from resilience.errors import NotFound
from risk import codes as risk_codes
from risk import legends, presets, runs, schemes, stats
from risk.levels import LEVEL_SETS
from web import basemap
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.maps import HANGZHOU, VECTORGRID
from web.offline_assets import make_offline
from web.risk_views import MAPS, may_run
from web.session import db, local_time

bp = Blueprint("risk_map", __name__)

COLLECTION = {"five": "risk-five-colour", "four": "risk-four-colour"}
# The layer control's units per map, and which are on when the page opens.
UNITS = {"five": (("cell", True), ("asset", True), ("division", False)),
         "four": (("cell", True), ("tunnel", True), ("division", False), ("asset", False),
                  ("point", True))}


def map_or_404(map_: str) -> str:
    """The map named in the URL (five or four), else 404."""
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
    """The official legend of a map, highest level first (DOMAIN.md §2–3); the five-colour
    levels carry their grade (I–V) and their band of R from the published run's scheme."""
    if map_ == "five":
        return list(legend("five", locale)["levels"])
    return [{"code": lv.code, "ordinal": lv.ordinal, "label": lv.label(locale),
             "other": lv.en if locale.startswith("zh") else lv.zh, "colour": lv.colour}
            for lv in sorted(LEVEL_SETS[map_], key=lambda lv: -lv.ordinal)]


def legend(map_: str, locale: str) -> dict[str, Any]:
    """What the legend says beside the colours: the breaks of R and their reason (五色), the
    LEC/LS tables the points use (四色), each marked 参考 where it is a convention."""
    if map_ == "five":
        run = runs.published(db())
        scheme = (schemes.version_of(db(), run.scheme_name, run.scheme_version)
                  if run is not None else schemes.latest(db()))
        return legends.five_colour(scheme, locale)
    every = presets.every(db())
    used = stats.presets_in_use(db()) or sorted(set(presets.defaults(db()).values()))
    return {"presets": legends.four_colour(every, used, locale)}


def point_presets(locale: str) -> dict[str, Any]:
    """Every table a risk point may name, so its band is shown as its real interval."""
    return {name: legends.preset(s, locale) for name, s in presets.every(db()).items()}


def when(value: datetime | None) -> str:
    """A moment as the risk pages show it (minutes, in the city's zone)."""
    return local_time(value) if value else ""


def published() -> dict[str, Any] | None:
    """The published run the maps show (None before the first): id, when, scheme, link."""
    run = runs.published(db())
    if run is None:
        return None
    return {"id": run.id, "finished_at": when(run.finished_at), "scheme": run.scheme_name,
            "version": run.scheme_version, "href": url_for("risk_runs.run_page", run_id=run.id)}


def tiles_available(layer: str) -> bool:
    """Whether the vector tiles serve a colour map yet (the GeoJSON pages do otherwise)."""
    from inventory import tiles

    try:
        tiles.layer(layer)
    except (NotFound, KeyError):
        return False
    return True


def _results_extent(map_: str, principal: Principal) -> tuple[float, float, float, float] | None:
    """Open a map on the published results the user sees (the whole city when there are none)."""
    if not principal.everywhere and not principal.prefixes:
        return None
    return stats.results_extent(db(), map_, None if principal.everywhere else principal.prefixes)


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


def texts() -> dict[str, str]:
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
        "pop_built_up": _("Population density {density} /km²: residents of the built-up area ÷ "
                          "built-up area of {division}, city profile {year}"),
        "pop_resident": _("Population density {density} /km²: resident population ÷ built-up "
                          "area of {division}, city profile {year}"),
        "pop_example": _("example figures, not official statistics"),
        "pop_division": _("Population density {density} /km²: population ÷ whole area of "
                          "{division} (no city profile figures for it)"),
        "unregistered": _("Nothing registered here (无登记设施): the colour is the hazard level, "
                          "scored as a cell of medium exposure and vulnerability (E = {e}, "
                          "V = {v})."),
        "floor": _("The hazard level is this cell's floor: what is registered here alone gives "
                   "R = {r} ({level}; E = {e}, V = {v}, C = {c}), lower than the land's own "
                   "hazard level, and registering assets never lowers a colour."),
        "cell_in": _("Grid cell in {place}"), "outside": _("outside every division"),
        "highest_cell_place": _("Takes the highest level of the {cells} grid cells it crosses "
                                "(就高); decided by the grid cell in {place}"),
        "parts": _("Exposure parts: assets {a}, most critical asset {k}{kind}, people {p}"),
        "most_vulnerable": _("Most vulnerable asset (V)"),
        "capacity_by": _("Capacity per hazard (an open shelter within reach, free of that "
                         "hazard)"),
        "share_rule": _("Published level: the highest level that, with the levels above it, "
                        "covers at least {share}% (here {covered}%) of {basis}; land not "
                        "mapped counts as 低."),
        "basis_land": _("the land area ({area} km²)"),
        "basis_mapped": _("the mapped area ({area} km²)"),
        "unmapped": _("Not mapped (no hazard zone, nothing registered)"),
        "share_by_level": _("Share per level"),
        "unregistered_area": _("of which nothing registered (无登记设施)"),
        "highest_here": _("Highest cell: {level} in {place}"),
        "interval": _("Interval"), "class": _("Class"),
    }


@bp.get("/risk/<map_>")
@signed_in
def map_page(map_: str) -> Any:
    """A colour map with its official legend, layer and level filters, and 'why this colour'."""
    principal = caller()
    map_or_404(map_)
    locale = select_locale()
    layer = COLLECTION[map_]
    config = {
        "map": map_, "collection": layer, "locale": "zh-CN" if locale == "zh_CN" else "en",
        "tiles": tiles_available(layer),
        "units": [{"unit": u, "label": unit_label(u), "on": on} for u, on in UNITS[map_]],
        "levels": levels_of(map_, locale),
        "point_levels": levels_of("four", locale),
        "presets": point_presets(locale), "factor_names": legends.factor_names(locale),
        "critical": {"gas": _("gas main"), "gas_high_pressure": _("high-pressure gas main"),
                     "tunnel": _("utility tunnel"), "shelter": _("shelter")},
        "hazards": {c.value: c.label(locale) for c in risk_codes.HAZARD_KINDS},
        "methods": {c.value: c.label(locale) for c in risk_codes.RISK_METHODS},
        "categories": {c.value: c.label(locale) for c in risk_codes.RISK_POINT_CATEGORIES},
        "titles": {s.name: s.title(locale) for s in COLLECTIONS.values()},
        "text": texts(),
        "asset_href": "/collections/{collection}/items/{id}",
    }
    parts = build_map(lambda p: url_for("static", filename=p), ["js/risk_map.js"],
                      bounds=_results_extent(map_, principal))
    return render_template("risk_map.html", map_=map_, title=map_title(map_), config=config,
                           levels=config["levels"], units=config["units"],
                           legend=legend(map_, locale),
                           published=published(), may_run=may_run(principal),
                           other=("four" if map_ == "five" else "five"), **parts)
