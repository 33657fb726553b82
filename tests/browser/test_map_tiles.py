"""The map in headless Chromium at city scale: vector tiles requested, drawn and clickable.

Below the pipelines' `tilesBelow` zoom the map draws `/tiles/….pbf` on canvas tiles; zoomed in
it is back on GeoJSON. Nothing leaves the machine either way.
"""

from __future__ import annotations

import json
import urllib.request
from base64 import b64encode
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

ALL_TILES_LOADED = """() => {
  const tiles = [...document.querySelectorAll('.leaflet-tile-pane .leaflet-tile')];
  return tiles.length > 0 && tiles.every(t => t.classList.contains('leaflet-tile-loaded'));
}"""
PAINTED = """() => {
  const canvases = [...document.querySelectorAll('.leaflet-tile-pane canvas.leaflet-tile')];
  let painted = 0;
  for (const c of canvases) {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) { if (data[i]) { painted++; break; } }
  }
  return [canvases.length, painted];
}"""


def _a_pipeline(base: str) -> dict[str, Any]:
    """One of the engineer's (西湖区) demo pipelines, read through the API."""
    req = urllib.request.Request(
        f"{base}/api/collections/pipelines/items?limit=1&division=330106",
        headers={"Authorization": "Basic " + b64encode(b"engineer:engineer-demo-2026").decode()})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())["features"][0]  # type: ignore[no-any-return]


def _container_point(page: Any, lat: float, lon: float) -> tuple[float, float]:
    x, y = page.evaluate(f"(() => {{ const m = window.resilienceLayers[0].map;"
                         f" const p = m.latLngToContainerPoint([{lat}, {lon}]);"
                         f" const r = m.getContainer().getBoundingClientRect();"
                         f" return [p.x + r.left, p.y + r.top]; }})()")
    return x, y


def _set_view(page: Any, lat: float, lon: float, zoom: int) -> None:
    """Jump to a view once the page's own fitBounds animation is over (Leaflet drops a zoom
    asked for while another one animates)."""
    page.wait_for_function("() => !window.resilienceLayers[0].map._animatingZoom", timeout=20000)
    page.evaluate(f"void window.resilienceLayers[0].map.setView([{lat}, {lon}], {zoom}, {{animate: false}})")
    assert page.evaluate("window.resilienceLayers[0].map.getZoom()") == zoom


def test_low_zoom_draws_vector_tiles_and_stays_local(live: Any, browser: Any, dialect: str) -> None:
    pipe = _a_pipeline(live.url)
    (x0, y0), (x1, y1) = pipe["geometry"]["coordinates"][:2]
    lon, lat = (x0 + x1) / 2, (y0 + y1) / 2
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    outside: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    tiles: list[tuple[str, int]] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((live.url, "data:", "blob:")) else None)
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: tiles.append((r.url, r.status)) if "/tiles/" in r.url else None)

    page.goto(f"{live.url}/login")
    page.fill("#username", "engineer")
    page.fill("#password", "engineer-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/map")
    page.wait_for_function("() => document.body.hasAttribute('data-mode-pipelines')", timeout=20000)

    # City scale: the pipelines come as vector tiles, drawn on canvas tiles.
    with page.expect_response(lambda r: "/tiles/pipelines/13/" in r.url, timeout=20000):
        _set_view(page, lat, lon, 13)
    page.wait_for_function(ALL_TILES_LOADED, timeout=20000)
    assert page.evaluate("document.body.getAttribute('data-mode-pipelines')") == "tiles"
    assert int(page.evaluate("document.body.getAttribute('data-loaded-pipelines')")) > 0
    pbf = [(url, status) for url, status in tiles if "/tiles/pipelines/13/" in url]
    assert pbf and all(url.endswith(".pbf") for url, _ in pbf)
    assert {status for _, status in pbf} <= {200, 204} and 200 in {s for _, s in pbf}
    canvases, painted = page.evaluate(PAINTED)
    assert canvases > 0 and painted > 0, (canvases, painted)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-tiles-{dialect}-z13.png"))

    # A click on a tiled line opens the same popup as GeoJSON, fetched by the feature's id.
    _set_view(page, lat, lon, 15)
    page.wait_for_function(ALL_TILES_LOADED, timeout=20000)
    page.wait_for_timeout(300)
    page.mouse.click(*_container_point(page, lat, lon))
    popup = page.locator(".resilience-popup")
    popup.wait_for(timeout=10000)
    assert "管线段" in popup.inner_text()
    page.wait_for_timeout(300)  # the popup's fade-in
    page.screenshot(path=str(ARTIFACTS / f"map-tiles-{dialect}-z15-popup.png"))

    # Street scale: GeoJSON again, with every property.
    page.evaluate("void window.resilienceLayers[0].map.closePopup()")
    _set_view(page, lat, lon, 17)
    page.wait_for_function("() => document.body.getAttribute('data-mode-pipelines') === 'geojson'",
                           timeout=20000)
    page.screenshot(path=str(ARTIFACTS / f"map-tiles-{dialect}-z17-geojson.png"))
    assert outside == [] and failed == [] and errors == []
    context.close()
