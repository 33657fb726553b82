"""Serve folium's JavaScript/CSS from our own static files, because the intranet has no CDN access.

Stock folium (0.20.x) makes every map page load Leaflet, jQuery, Bootstrap, Font Awesome,
Leaflet.awesome-markers and some plugins from public CDNs. The same files (same versions)
are vendored under ``web/static/vendor/<package>-<version>/`` and this module rewrites a
folium element tree to point at them, refusing to render anything that would still reach
outside the app.

The pages' Content-Security-Policy (``script-src 'self'``, web/security_headers.py) runs no
inline script either, so the same pass readies the tree for that: the map's header loses
folium's one inline ``<script>`` (Leaflet's global switches, at their defaults), and every
element gets a stable name, so the same map renders the same script, which the page loads
as a file (web/map_scripts.py) and the browser caches.

Usage in a view::

    m = folium.Map(tiles=None, ...)
    ...  # add layers, controls, plugins
    make_offline(m, lambda p: url_for("static", filename=p))
    html = m.get_root().render()

Call ``make_offline`` after the last element has been added: elements added later are not
rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from branca.element import CssLink, Element, JavascriptLink
from folium import Map

StaticUrl = Callable[[str], str]
Assets = list[tuple[str, str]]


class OfflineAssetError(RuntimeError):
    """Raised so that an external asset with no vendored copy fails loudly instead of reaching a CDN."""


class InlineScriptError(RuntimeError):
    """Raised so that a folium map needing an inline script fails here, not as a CSP refusal in a browser."""


@dataclass(frozen=True)
class VendoredAsset:
    """One folium asset name, the upstream URL folium uses for it, and our local copy (why: audit trail)."""

    name: str
    kind: str  # "js" or "css"
    path: str  # relative to the static folder
    upstream: str  # folium 0.20.x's URL without its scheme; a different URL means folium moved on


_V = "vendor/"

VENDORED: tuple[VendoredAsset, ...] = (
    # folium.Map
    VendoredAsset("leaflet", "js", _V + "leaflet-1.9.3/leaflet.js",
                  "//cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"),
    VendoredAsset("jquery", "js", _V + "jquery-3.7.1/jquery.min.js",
                  "//code.jquery.com/jquery-3.7.1.min.js"),
    VendoredAsset("bootstrap", "js", _V + "bootstrap-5.2.2/js/bootstrap.bundle.min.js",
                  "//cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js"),
    # Not the package's .min.js: that one is a stale 2.0.1 build without extraClasses (icon angle).
    VendoredAsset("awesome_markers", "js",
                  _V + "leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.js",
                  "//cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
                  "leaflet.awesome-markers.js"),
    VendoredAsset("leaflet_css", "css", _V + "leaflet-1.9.3/leaflet.css",
                  "//cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"),
    VendoredAsset("bootstrap_css", "css", _V + "bootstrap-5.2.2/css/bootstrap.min.css",
                  "//cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css"),
    # Bootstrap 3.0.0 is not on npm: glyphicon rules extracted from 3.4.1 (a superset).
    VendoredAsset("glyphicons_css", "css", _V + "bootstrap-3.4.1/css/bootstrap-glyphicons.min.css",
                  "//netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css"),
    VendoredAsset("awesome_markers_font_css", "css", _V + "fontawesome-free-6.2.0/css/all.min.css",
                  "//cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"),
    VendoredAsset("awesome_markers_css", "css",
                  _V + "leaflet.awesome-markers-2.0.2/leaflet.awesome-markers.css",
                  "//cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
                  "leaflet.awesome-markers.css"),
    # Not published anywhere versioned: regenerated equivalent of folium's own template file.
    VendoredAsset("awesome_rotate_css", "css", _V + "folium-0.20.0/leaflet.awesome.rotate.min.css",
                  "//cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
                  "leaflet.awesome.rotate.min.css"),
    # folium.plugins.MarkerCluster
    VendoredAsset("markerclusterjs", "js", _V + "leaflet.markercluster-1.1.0/leaflet.markercluster.js",
                  "//cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
                  "leaflet.markercluster.js"),
    VendoredAsset("markerclustercss", "css", _V + "leaflet.markercluster-1.1.0/MarkerCluster.css",
                  "//cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css"),
    VendoredAsset("markerclusterdefaultcss", "css",
                  _V + "leaflet.markercluster-1.1.0/MarkerCluster.Default.css",
                  "//cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
                  "MarkerCluster.Default.css"),
    # folium.plugins.Fullscreen (npm ships no .min.js; jsDelivr minifies on the fly)
    VendoredAsset("Control.Fullscreen.js", "js", _V + "leaflet.fullscreen-3.0.0/Control.FullScreen.js",
                  "//cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js"),
    VendoredAsset("Control.FullScreen.css", "css", _V + "leaflet.fullscreen-3.0.0/Control.FullScreen.css",
                  "//cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css"),
    # folium.plugins.MeasureControl (npm ships no .min.css)
    VendoredAsset("leaflet_measure_js", "js", _V + "leaflet-measure-2.1.7/leaflet-measure.min.js",
                  "//cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js"),
    VendoredAsset("leaflet_measure_css", "css", _V + "leaflet-measure-2.1.7/leaflet-measure.css",
                  "//cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css"),
    # folium.plugins.VectorGridProtobuf asks for "@latest", which has been 1.3.0 since 2017; the
    # registry map (web/maps.py) loads the same file for its vector-tile layers.
    VendoredAsset("vectorGrid", "js", _V + "leaflet.vectorgrid-1.3.0/Leaflet.VectorGrid.bundled.js",
                  "//unpkg.com/leaflet.vectorgrid@latest/dist/Leaflet.VectorGrid.bundled.js"),
)

_BY_KEY: dict[tuple[str, str], VendoredAsset] = {(a.kind, a.name): a for a in VENDORED}


def is_external(url: str) -> bool:
    """Tell whether the browser would fetch ``url`` from another host (http(s)://, //host, any scheme but data:)."""
    parts = urlsplit(url.strip())
    return bool(parts.netloc) or parts.scheme.lower() not in ("", "data")


def _localize(kind: str, name: str, url: str, owner: Element, static_url: StaticUrl) -> str:
    """Map one external asset to its vendored URL, or raise so no CDN can sneak back in."""
    if not is_external(url):
        return url
    asset = _BY_KEY.get((kind, name))
    where = type(owner).__name__
    if asset is None:
        raise OfflineAssetError(
            f"{where} wants external {kind} asset {name!r} ({url}) with no local copy: vendor it "
            f"under web/static/vendor/ and register it in web/offline_assets.py VENDORED"
        )
    if url.split(":", 1)[-1] != asset.upstream:
        raise OfflineAssetError(
            f"{where} wants {kind} asset {name!r} from {url}, but the vendored copy "
            f"{asset.path} replaces {asset.upstream}: folium changed version, re-vendor it"
        )
    return static_url(asset.path)


def _walk(element: Element) -> Iterator[tuple[Element | None, str | None, Element]]:
    """Yield (parent, key, element) for the whole tree, depth first, visiting each node once."""
    seen: set[int] = set()
    stack: list[tuple[Element | None, str | None, Element]] = [(None, None, element)]
    while stack:
        parent, key, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        yield parent, key, node
        children = getattr(node, "_children", None) or {}
        stack.extend((node, k, child) for k, child in reversed(list(children.items())))


def make_offline(element: Element, static_url: StaticUrl) -> None:
    """Point every default_js/default_css (and header link) at vendored files so the page works offline,
    and leave the page no inline script to run (the module's docstring says how)."""
    # Start at the root Figure so links a previous render put in its header are covered too;
    # replacements are instance attributes, folium's class attributes are never mutated.
    for parent, key, node in _walk(element.get_root()):
        for attr, kind in (("default_js", "js"), ("default_css", "css")):
            pairs = getattr(node, attr, None)
            if pairs:
                setattr(node, attr, [(n, _localize(kind, n, u, node, static_url)) for n, u in pairs])
        # Links a previous render (or user code) already put into the Figure header.
        if isinstance(node, (JavascriptLink, CssLink)) and key is not None:
            kind = "js" if isinstance(node, JavascriptLink) else "css"
            node.url = _localize(kind, key, node.url, parent or node, static_url)
    _without_inline_header_script(element.get_root())
    _stable_names(element.get_root())


# Leaflet reads these globals once, when leaflet.js loads; left undefined they count as false.
_SWITCHES = re.compile(r"\s*<script>\s*L_NO_TOUCH = false;\s*L_DISABLE_3D = false;\s*</script>")


def _without_inline_header_script(root: Element) -> None:
    """Give each folium Map (an instance attribute, never the class) a header without its inline script."""
    for _, _, node in _walk(root):
        if isinstance(node, Map) and not isinstance(node._template, _MapMacros):
            node._template = _MapMacros(node._template)


class _MapMacros:
    """folium's Map macros, the header's ``<script>`` of global switches left out.

    Stands in for the Map's template: branca renders a MacroElement through
    ``_template.module``'s ``header``, ``html`` and ``script`` macros only.
    """

    def __init__(self, template: Any) -> None:
        base = template.module
        self.module = SimpleNamespace(html=base.html, script=base.script,
                                      header=lambda this, kwargs: _header(base.header, this, kwargs))


def _header(macro: Callable[[Any, Any], str], this: Any, kwargs: Any) -> str:
    """The Map's header as folium writes it, minus the switches (refused when not their defaults)."""
    switches = this.global_switches
    if switches.no_touch or switches.disable_3d:
        raise InlineScriptError("folium.Map(no_touch=True or disable_3d=True) needs an inline script, "
                                "which the pages' Content-Security-Policy refuses")
    html, found = _SWITCHES.subn("", str(macro(this, kwargs)))
    if found != 1:
        raise InlineScriptError("folium's Map header no longer holds the expected global-switches "
                                "script: check web/offline_assets.py against the new folium version")
    return html


def _stable_names(root: Element) -> None:
    """Name the elements by their place in the tree, not by a random uuid.

    The same map then renders the same script, byte for byte, so it is stored and cached
    once per view rather than once per page load. Names are only read at render time (in
    the ``get_name()`` calls of folium's templates), so renaming before rendering is safe.
    The root Figure's header, html and script sections hold what a render wrote; they are
    left out, so a second call after a render gives every element the same name again.
    """
    rendered = {id(node) for part in ("header", "html", "script")
                if (section := getattr(root, part, None)) is not None
                for _, _, node in _walk(section)}
    built = (node for _, _, node in _walk(root) if id(node) not in rendered)
    for index, node in enumerate(built):
        node._id = f"{index:032x}"
