"""A local GCJ-02 basemap in headless Chromium: tiles from the registry, shifted by the offset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from resilience import geo
from resilience.settings import Settings
from tests.conftest import start_live_server
from tests.web.test_basemap import PNG

pytestmark = pytest.mark.browser


def test_a_gcj02_basemap_is_served_locally_and_shifted(live: Any, browser: Any, tmp_path: Path) -> None:
    from web.app import create_app

    tiles = tmp_path / "amap"
    (tiles / "0" / "0").mkdir(parents=True)
    (tiles / "0" / "0" / "0.png").write_bytes(PNG)  # the rest answer 204: nothing to draw there
    settings = Settings(database_url=live.database_url, instance_path=tmp_path, secret_key="basemap",
                        basemap_url=str(tiles), basemap_crs="GCJ-02").resolved()
    base, server = start_live_server(create_app(settings))
    try:
        with browser.new_context(viewport={"width": 1280, "height": 800}) as context:
            page = context.new_page()
            outside: list[str] = []
            asked: list[str] = []
            page.on("request", lambda r: (asked if "/basemap/" in r.url else outside).append(r.url)
                    if not r.url.startswith(base) or "/basemap/" in r.url else None)
            page.goto(f"{base}/login?next=/map")
            page.fill("#username", "viewer")
            page.fill("#password", "viewer-demo-2026")
            page.click("button[type=submit]")
            page.wait_for_selector(".leaflet-basemap-pane[data-shift]", state="attached")
            shift = page.get_attribute(".leaflet-basemap-pane", "data-shift")
            dx, dy = (float(v) for v in shift.split(","))
            assert abs(dx) > 1 or abs(dy) > 1  # ~500 m in Hangzhou: pixels at any city zoom
            js = page.evaluate("window.resilienceGcj02(120.16, 30.27)")
            py = geo.wgs84_to_gcj02(np.array([120.16]), np.array([30.27]))
            assert abs(js[0] - py[0][0]) < 1e-9 and abs(js[1] - py[1][0]) < 1e-9
            page.wait_for_timeout(500)
            assert asked and all(u.startswith(base) for u in asked)
            assert [u for u in outside if not u.startswith(("data:", "blob:"))] == []
    finally:
        server.shutdown()
