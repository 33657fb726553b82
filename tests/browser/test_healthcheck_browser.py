"""The health check in headless Chromium on the demo city: compute, read, print.

Screenshots go to test-results/ (healthcheck-*.png) to be looked at.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser
YEAR = date.today().year


def _shot(page: Any, name: str, dialect: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"healthcheck-{name}-{dialect}.png"), full_page=True)


def test_an_engineer_computes_reads_and_prints_the_check(browser: Any, live: Any,
                                                          dialect: str) -> None:
    with signed_in(browser, live.url) as (page, outside):
        page.click("a.nav-healthcheck")
        page.wait_for_selector("#hc-division")
        assert page.input_value("#hc-division") == "330106"
        page.fill("#hc-year", str(YEAR))
        page.click(".hc-pick button")
        page.wait_for_load_state()
        if page.locator("#hc-empty").count():
            page.click("#hc-compute")
            page.wait_for_selector("#hc-indicators")
        assert "内涝积水点数量" in page.inner_text("#hc-indicators")
        assert not page.locator("#hc-v-built_up_area").count()  # the city profile's, not typed
        row = page.locator('tr[data-code="drainage_density"]')
        assert "示例数据" in row.inner_text()  # the demo's example profile, said on the line
        assert "示例数据" in page.locator('tr[data-code="built_up_area"]').inner_text()
        page.locator('tr[data-code="waterlogging_points"] summary').click()
        assert "易涝点" in page.locator('tr[data-code="waterlogging_points"] .hc-formula').inner_text()
        problems = page.locator("#hc-problems li").all_inner_texts()
        assert any("个易涝点未消除" in p for p in problems)
        _shot(page, "page", dialect)
        page.click("#hc-print")
        page.wait_for_selector("article.sheet")
        assert "问题清单" in page.inner_text("article.sheet")
        _shot(page, "print", dialect)
        page.emulate_media(media="print")
        _shot(page, "print-media", dialect)
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        (ARTIFACTS / f"healthcheck-print-{dialect}.pdf").write_bytes(pdf)
        assert not outside, outside


def test_the_check_reads_at_a_phones_width(browser: Any, live: Any,
                                           dialect: str) -> None:
    with signed_in(browser, live.url, width=390, user="manager",
                   password="manager-demo-2026") as (page, outside):
        page.goto(f"{live.url}/health-check?division=330106&year={YEAR}")
        page.wait_for_selector("#hc-division")
        if page.locator("#hc-empty").count():
            page.click("#hc-compute")
            page.wait_for_selector("#hc-indicators")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, width  # the table scrolls inside its wrapper, not the page
        _shot(page, "phone", dialect)
        assert not outside, outside
