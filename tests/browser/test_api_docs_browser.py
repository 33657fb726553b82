"""The API documentation page in headless Chromium, at 1280 and 390 px, in Chinese and English:
readable without signing in, nothing from outside, nothing wider than the screen, and an
operation unfolds to its parameters. Screenshots go to test-results/api-docs-*.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

TEXT = {"zh-CN": ("接口文档", "如何开始", "参数"), "en": ("API documentation", "How to start", "Parameters")}


@pytest.mark.parametrize(("width", "height", "locale"),
                         [(1280, 800, "zh-CN"), (1280, 800, "en"), (390, 844, "zh-CN"),
                          (390, 844, "en")], ids=["1280-zh", "1280-en", "390-zh", "390-en"])
def test_the_docs_page_reads_on_a_desktop_and_a_phone(live: Any, browser: Any, width: int,
                                                      height: int, locale: str) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((live.url, "data:", "blob:")) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{live.url}/api/docs")
        title, start, params = TEXT[locale]
        assert page.locator("h1").inner_text() == title
        assert page.locator("#start h2").inner_text() == start
        lang = "zh" if locale.startswith("zh") else "en"
        page.screenshot(path=str(ARTIFACTS / f"api-docs-{width}-{lang}-top.png"))
        # Nothing sticks out sideways: the long paths and the code blocks wrap or scroll inside.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        items = page.locator("#get--api-collections-pipelines-items")
        assert items.get_attribute("open") is None
        items.locator("summary").click()
        page.wait_for_function("() => document.querySelector("
                               "'#get--api-collections-pipelines-items[open] .params')")
        assert items.locator(".op-body h3").first.inner_text() == params
        assert items.locator(".params li").count() > 10  # paging, bbox, the property filters
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        items.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"api-docs-{width}-{lang}-operation.png"))
        assert outside == [] and errors == []
    finally:
        context.close()
