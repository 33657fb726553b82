"""The registry map, built with folium: Leaflet, layer control and our layers, all served locally.

The layers load their features from the registry's own API for the current view, so a
page never embeds a whole city; popups are built with ``textContent`` so stored text
(a name like ``<script>``) always arrives as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from inventory import COLLECTIONS
from resilience import codes
from resilience.settings import Settings
from risk import codes as risk_codes
from web.basemap import Basemap
from web.offline_assets import VENDORED, make_offline

HANGZHOU = (30.25, 120.17)
HAZARD_CLASS_COLOURS = {"1": "#FFFFB2", "2": "#FECC5C", "3": "#FD8D3C", "4": "#F03B20",
                        "5": "#BD0026"}  # ColorBrewer YlOrRd: a hazard class is not a risk level
VECTORGRID = next(a.path for a in VENDORED if a.name == "vectorGrid")  # the vector-tile layers

# ``tilesBelow``: under this zoom the layer comes from vector tiles (inventory.tiles) even if
# the view would fit a GeoJSON page; the demo city's centre holds ~13,000 segments in a z15
# view and ~3,000 in a z16 one. Network points have no tiles below z14.
LAYER_STYLE = {
    "pipelines": {"kind": "line", "tilesBelow": 16},
    "network-points": {"kind": "point", "colour": "#555555", "radius": 3, "minZoom": 14,
                       "tilesBelow": 16},
    "tunnels": {"kind": "line", "colour": "#222222", "weight": 6},
    "shelters": {"kind": "mixed", "colour": "#6A3D9A", "radius": 5},  # not the 五色 低 green
    "flood-points": {"kind": "point", "colour": "#0050b3", "radius": 6},
    "divisions": {"kind": "area", "colour": "#888888"},
    # Risk data, off until asked for: zones filled by class (yellow to red, 1 to 5), points
    # and the published maps in their level's colour (DOMAIN.md §2–3).
    "hazard-zones": {"kind": "zone", "colour": "#FD8D3C", "colourBy": "hazard_class",
                     "colours": HAZARD_CLASS_COLOURS, "tilesBelow": 13},
    "risk-points": {"kind": "point", "colour": "#FF8000", "radius": 6, "colourBy": "level",
                    "colours": {c.value: c.colour for c in risk_codes.FOUR_LEVELS}},
    "risk-five-colour": {"kind": "zone", "colour": "#999999", "colourProperty": "colour",
                         "tilesBelow": 14},
    "risk-four-colour": {"kind": "zone", "colour": "#999999", "colourProperty": "colour",
                         "tilesBelow": 14},
}
DEFAULT_ON = {"pipelines", "tunnels", "shelters", "flood-points", "divisions"}


class RegistryLayer(MacroElement):  # type: ignore[misc]
    """A feature group filled from ``/api/collections/{name}/items`` for the visible area."""

    _template = Template("""
    {% macro script(this, kwargs) %}
    window.resilienceLayers = window.resilienceLayers || [];
    window.resilienceLayers.push({
        group: {{ this._parent.get_name() }},
        map: {{ this._parent._parent.get_name() }},
        collection: {{ this.collection|tojson }},
        options: {{ this.options|tojson }}
    });
    {% endmacro %}
    """)

    def __init__(self, collection: str, options: dict[str, Any]):
        super().__init__()
        self._name = "RegistryLayer"
        self.collection = collection
        self.options = options


def _labels(locale: str) -> dict[str, Any]:
    """Field and code labels for the popups, in the page's language."""
    fields: dict[str, dict[str, str]] = {}
    code_labels: dict[str, dict[str, str]] = {}
    for spec in COLLECTIONS.values():
        fields[spec.name] = {f.name: f.label(locale) for f in spec.fields}
        for f in spec.fields:
            if f.codes is not None:
                code_labels[f"{spec.name}.{f.name}"] = {c.value: c.label(locale) for c in f.codes}
    return {
        "fields": fields,
        "codes": code_labels,
        "colours": {c.value: c.colour for c in codes.PIPELINE_CATEGORIES},
        "titles": {s.name: s.title(locale) for s in COLLECTIONS.values()},
    }


def registry_map(settings: Settings, locale: str, static_url: Callable[[str], str],
                 layers: list[str] | None = None,
                 bounds: tuple[float, float, float, float] | None = None,
                 focus: str | None = None, focus_query: str = "",
                 basemap: Basemap | None = None) -> folium.Map:
    """The engineer's map of the registry's layers, with nothing fetched from outside.

    ``focus`` names a collection opened from its table: that layer (and the division
    boundaries) is shown, with ``focus_query`` — the selection as items API parameters — in
    its options for the layer to add to its requests.
    """
    basemap = basemap or Basemap(None, "", False)
    m = folium.Map(location=HANGZHOU, zoom_start=12, tiles=None, max_zoom=20, min_zoom=6,
                   prefer_canvas=True, control_scale=True)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    for name in layers or list(LAYER_STYLE):
        spec = COLLECTIONS[name]
        shown = name in DEFAULT_ON if focus is None else name in (focus, "divisions")
        group = folium.FeatureGroup(name=spec.title(locale), show=shown)
        options = dict(LAYER_STYLE[name])
        if name == focus and focus_query:
            options["query"] = focus_query
        group.add_child(RegistryLayer(name, options))
        group.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    root = m.get_root()
    root.header.add_child(Element(
        f'<link rel="stylesheet" href="{static_url("css/map.css")}">'))
    root.html.add_child(Element(
        '<script type="application/json" id="resilience-labels">'
        + json.dumps(_labels(locale), ensure_ascii=False).replace("</", "<\\/")
        + "</script>"))
    root.html.add_child(Element(
        '<script type="application/json" id="resilience-basemap">'
        + json.dumps(asdict(basemap), ensure_ascii=False).replace("</", "<\\/") + "</script>"))
    # VectorGrid first, then our scripts; async=false keeps injected scripts in that order.
    scripts = [static_url(VECTORGRID), static_url("js/map.js"), static_url("js/basemap.js")]
    root.script.add_child(Element(
        f"{json.dumps(scripts)}.forEach(function (src) {{ var s = document.createElement('script');"
        " s.src = src; s.async = false; document.body.appendChild(s); });"))
    make_offline(m, static_url)
    return m
