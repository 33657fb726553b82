"""The printable colour map: a landscape A3/A4 sheet of one division with title, run date,
legend, scale bar and north arrow (the browser prints it; ``risk_print.css`` lays it out)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from resilience.accounts import Principal
from resilience.model import now
from risk import stats
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages.risk_divisions import division_codes
from web.pages.risk_map import (
    COLLECTION,
    UNITS,
    build_map,
    legend,
    levels_of,
    map_or_404,
    map_title,
    published,
    texts,
    tiles_available,
    unit_label,
)
from web.session import db, local_time

bp = Blueprint("risk_print", __name__)

SIZES = {"A3": (420, 297), "A4": (297, 210)}


def _home_division(principal: Principal) -> str:
    """The division a print opens on: the user's own (the one their grant's prefix names)."""
    from resilience.divisions import division_prefix

    codes = sorted(division_codes(), key=lambda c: (len(division_prefix(c)), c))
    for code in codes:
        if principal.prefixes and division_prefix(code) == principal.prefixes[0]:
            return code
    return next((c for c in codes if c.endswith("0000") is False and c.endswith("00")), codes[0])


@bp.get("/risk/print/<map_>")
@signed_in
def print_page(map_: str) -> Any:
    """A landscape A3/A4 sheet: title, division, run date, legend, scale bar, north arrow, map."""
    principal = caller()
    map_or_404(map_)
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
              "tiles": tiles_available(layer),
              "units": [{"unit": u, "label": unit_label(u), "on": on and u != "division"}
                        for u, on in UNITS[map_]],
              "levels": levels_of(map_, locale), "point_levels": levels_of("four", locale),
              "hazards": {}, "methods": {}, "categories": {}, "titles": {}, "text": texts(),
              "presets": {}, "factor_names": {}, "critical": {},
              "locale": "zh-CN" if locale == "zh_CN" else "en", "asset_href": ""}
    parts = build_map(lambda p: url_for("static", filename=p), ["js/risk_map.js"],
                      bounds=bounds, zoom_control=False)
    width, height = SIZES[size]
    division = names[0] if locale == "zh_CN" else (names[1] or names[0])
    return render_template("risk_print.html", map_=map_, title=map_title(map_), config=config,
                           levels=config["levels"], legend=legend(map_, locale),
                           division=division, code=code, size=size,
                           width=width, height=height, published=published(),
                           printed=local_time(now())[:10], **parts)
