"""The overview in headless Chromium: charts drawn from local files, tables, keyboard, phone width."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in

CHARTS = ("categories", "condition", "age", "material", "completeness-pipelines")

pytestmark = pytest.mark.browser

# Counts the canvas pixels that are not transparent: a drawn chart has thousands.
PAINTED = """(id) => {
  const c = document.getElementById(id);
  if (!c || !window.Chart || !Chart.getChart(c)) { return -1; }
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) { n++; } }
  return n;
}"""


@pytest.fixture(params=[(1280, "zh-CN"), (390, "en")], ids=["1280-zh", "390-en"])
def page(live: Any, browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[str], int]]:
    width, locale = request.param
    with signed_in(browser, live.url, width, locale) as (p, outside):
        yield p, outside, width


def test_the_overview_draws_its_charts_and_works_by_keyboard(page: tuple[Any, list[str], int], live: Any,
                                                             dialect: str, request: pytest.FixtureRequest) -> None:
    p, outside, width = page
    p.goto(f"{live.url}/map")
    p.click("a.nav-overview")
    p.wait_for_selector("#chart-categories")
    for key in CHARTS:
        assert p.evaluate(PAINTED, f"chart-{key}") > 500, key
    zh = width == 1280
    assert p.inner_text("h1") == ("概览 · 我的全部区划" if zh else "Overview · All my divisions")
    assert p.locator("#table-categories tbody tr").count() == 8  # every CJJ 61 category
    assert ("给水" if zh else "Water supply") in p.inner_text("#table-categories")
    assert p.evaluate("document.documentElement.scrollWidth") <= width  # no sideways page scroll
    tag = request.node.callspec.id.replace("[", "-").replace("]", "")
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / f"dashboard-{tag}.png"), full_page=True)

    # Keyboard only: choose 西湖区 in the select, Tab to the button, Enter.
    p.focus("#division")
    p.keyboard.press("ArrowDown")
    p.keyboard.press("Tab")
    assert p.evaluate("document.activeElement.type") == "submit"
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url.endswith("/dashboard?division=330106")
    assert p.inner_text("h1") == ("概览 · 西湖区" if zh else "Overview · Xihu District")
    assert p.evaluate(PAINTED, "chart-categories") > 500
    with p.expect_download() as download:
        p.click("a[href$='.xlsx?division=330106']")
    assert download.value.suggested_filename.startswith("dashboard-330106-")
    assert outside == []
