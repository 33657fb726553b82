"""The first page in headless Chromium: login, the map with the demo layers, nothing external."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _login(page: Any, base: str, user: str = "engineer", password: str = "engineer-demo-2026"
           ) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")


@pytest.mark.parametrize("width", [1280, 390])
def test_map_shows_demo_layers_and_stays_local(live: Any, browser: Any, dialect: str,
                                               width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800},
                                  locale="zh-CN")
    page = context.new_page()
    outside: list[str] = []
    failed: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((live.url, "data:", "blob:")) else None)
    page.on("requestfailed", lambda r: failed.append(r.url))
    _login(page, live.url)
    page.wait_for_url(f"{live.url}/map")
    page.wait_for_function(
        "() => Number(document.body.getAttribute('data-loaded-pipelines') || 0) > 0", timeout=20000)
    assert page.locator(".leaflet-control-layers").count() == 1
    page.hover(".leaflet-control-layers")
    assert "管线段" in page.inner_text(".leaflet-control-layers-list")
    # Features drawn, from vector tiles at this zoom (tests/browser/test_map_tiles.py) or GeoJSON.
    page.wait_for_function(
        "() => Number(document.body.getAttribute('data-loaded-pipelines') || 0) > 10", timeout=20000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-{dialect}-{width}.png"))
    assert outside == [] and failed == []
    context.close()


def test_popup_shows_stored_text_as_text(live: Any, browser: Any) -> None:
    import json
    import urllib.request
    from base64 import b64encode

    x, y = 120.0801, 30.2801
    body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {"name": "<img src=x onerror=\"document.title='pwned'\">井",
                           "kind": "manhole"}}
    req = urllib.request.Request(
        f"{live.url}/api/collections/flood-points/items", data=json.dumps(
            {**body, "properties": {"name": body["properties"]["name"], "status": "active"}}
        ).encode(), method="POST",
        headers={"Content-Type": "application/geo+json", "Authorization": "Basic " +
                 b64encode(b"admin:admin-demo-2026").decode()})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    _login(page, live.url, "admin", "admin-demo-2026")
    page.wait_for_url(f"{live.url}/map")
    page.wait_for_function(
        "() => Number(document.body.getAttribute('data-loaded-pipelines') || 0) > 0", timeout=20000)
    page.evaluate("document.body.removeAttribute('data-loaded-flood-points')")
    page.evaluate(f"void window.resilienceLayers[0].map.setView([{y}, {x}], 18)")
    page.wait_for_function(
        "() => Number(document.body.getAttribute('data-loaded-flood-points') || 0) > 0", timeout=20000)
    point = page.evaluate(f"(() => {{ const m = window.resilienceLayers[0].map;"
                          f" const p = m.latLngToContainerPoint([{y}, {x}]);"
                          f" const r = m.getContainer().getBoundingClientRect();"
                          f" return [p.x + r.left, p.y + r.top]; }})()")
    page.wait_for_timeout(300)  # let the canvas draw the fresh layer
    page.mouse.click(point[0], point[1])
    popup = page.locator(".resilience-popup")
    popup.wait_for(timeout=5000)
    assert "<img src=x" in popup.inner_text()
    assert page.title() != "pwned"
    assert page.locator(".resilience-popup img").count() == 0
    context.close()


def test_risk_layers_are_drawn_in_their_colours(live: Any, browser: Any, dialect: str) -> None:
    """A table's selection of risk points and of hazard zones opens on the map, coloured."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    _login(page, live.url, "manager", "manager-demo-2026")
    page.wait_for_url(f"{live.url}/map")
    fills = """c => {
        const layer = window.resilienceLayers.find(x => x.collection === c);
        const seen = new Set();
        layer.group.eachLayer(g => g.eachLayer && g.eachLayer(f => seen.add(f.options.fillColor)));
        return [...seen].sort();
    }"""
    found = {}
    for collection, query in (("risk-points", ""), ("hazard-zones", "&kind=waterlogging")):
        page.goto(f"{live.url}/map?collection={collection}{query}")
        page.wait_for_function(
            f"() => Number(document.body.getAttribute('data-loaded-{collection}') || 0) > 0",
            timeout=20000)
        assert page.evaluate(f"document.body.getAttribute('data-error-{collection}')") is None
        found[collection] = page.evaluate(fills, collection)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map-risk-{dialect}.png"))
    context.close()
    # Points in their four-colour level (DOMAIN.md §3), zones by class 3–5 (yellow to red).
    assert len(found["risk-points"]) >= 2
    assert set(found["risk-points"]) <= {"#0070FF", "#FFFF00", "#FF8000", "#FF0000"}
    assert found["hazard-zones"] == ["#BD0026", "#F03B20", "#FD8D3C"]
