"""Editing in headless Chromium: an edit with an error, fixed and saved, then seen in the history;
a new segment drawn on the map. Both databases; no request leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in
from tests.browser.test_asset_browser import a_xihu_pipeline

pytestmark = pytest.mark.browser


@pytest.fixture(params=[(1280, "zh-CN"), (390, "en")], ids=["1280-zh", "390-en"])
def page(live: Any, browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[str]]]:
    width, locale = request.param
    with signed_in(browser, live.url, width, locale) as (p, outside):
        yield p, outside


def test_edit_with_an_error_fix_save_and_see_the_history(page: tuple[Any, list[str]], live: Any,
                                                          dialect: str) -> None:
    p, outside = page
    key = a_xihu_pipeline(live)
    p.goto(f"{live.url}/collections/pipelines/items/{key}")
    p.click("a.button.primary")  # 编辑
    p.wait_for_selector("#f-diameter_mm")
    p.wait_for_selector("#draw-map .leaflet-interactive")  # the current geometry is drawn
    p.fill("#f-diameter_mm", "abc")
    p.click("button.primary[type=submit]")
    p.wait_for_selector("#e-diameter_mm")
    assert "abc" in p.inner_text("#e-diameter_mm")
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / f"edit-error-{dialect}-{p.viewport_size['width']}.png"), full_page=True)
    p.fill("#f-diameter_mm", "450")
    p.click("button.primary[type=submit]")
    p.wait_for_selector(".notice")
    history = p.inner_text(".history")
    assert "450" in history and ("管径" in history or "Diameter" in history)
    assert outside == []


def test_draw_a_new_segment(page: tuple[Any, list[str]], live: Any, dialect: str) -> None:
    p, outside = page
    p.goto(f"{live.url}/collections/pipelines/new")
    p.fill("#f-name", "浏览器绘制的燃气管")
    p.select_option("#f-category", "gas")
    p.select_option("#f-material", "pe")
    p.fill("#f-diameter_mm", "110")
    p.wait_for_selector("#draw-map .leaflet-draw-draw-polyline")
    p.evaluate("() => document.querySelector('#draw-map').scrollIntoView()")
    box = p.locator("#draw-map").bounding_box()
    p.click(".leaflet-draw-draw-polyline")
    # the map opens on the engineer's own pipelines (西湖区): draw in the middle of them
    cx, cy = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5
    for x, y in ((cx, cy), (cx + 60, cy + 15)):
        p.mouse.move(x, y)
        p.wait_for_timeout(300)  # Leaflet.draw takes a quick second click for a double click
        p.mouse.down()
        p.mouse.up()
        p.wait_for_timeout(400)
    p.click(".leaflet-draw-actions a:first-child")  # 完成 / Finish
    p.wait_for_function("() => document.getElementById('geometry-input').value.includes('LineString')")
    p.screenshot(path=str(ARTIFACTS / f"edit-draw-{dialect}-{p.viewport_size['width']}.png"), full_page=True)
    p.click("button.primary[type=submit]")
    p.wait_for_selector(".notice")
    assert "浏览器绘制的燃气管" in p.inner_text("h1")
    assert outside == []


def test_the_subcategory_choice_follows_the_category(page: tuple[Any, list[str]], live: Any) -> None:
    p, outside = page
    p.goto(f"{live.url}/collections/pipelines/new")
    p.wait_for_selector("#f-subcategory")

    def offered() -> list[str]:
        return p.eval_on_selector_all("#f-subcategory optgroup:not([disabled]) option", "os => os.map(o => o.value)")

    assert len(offered()) == 37  # no category yet: every 小类, grouped by 大类
    p.select_option("#f-subcategory", "sewage")  # a 小类 chosen first sets its 大类
    assert p.input_value("#f-category") == "drainage"
    assert offered() == ["stormwater", "sewage", "combined"]
    p.select_option("#f-category", "power")  # another 大类: the 小类 of the old one goes
    assert p.input_value("#f-subcategory") == ""
    assert offered() == ["power_supply", "street_lighting", "traffic_signal", "trolley", "advertising"]
    assert outside == []
