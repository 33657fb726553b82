"""The five-year evaluation and the 管线焕新 candidate list in headless Chromium, on the demo city.

Screenshots go to test-results/ (healthcheck-evaluation-*.png, renewal-*.png) to be looked at.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser
YEAR = date.today().year


def _shot(page: Any, name: str, dialect: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}-{dialect}.png"), full_page=True)


def test_an_engineer_reads_five_years_of_trends(browser: Any, live: Any, dialect: str) -> None:
    with signed_in(browser, live.url) as (page, outside):
        page.goto(f"{live.url}/health-check?division=330106&year={YEAR}")
        page.wait_for_selector("#hc-division")
        if page.locator("#hc-empty").count():
            page.click("#hc-compute")
            page.wait_for_selector("#hc-indicators")
        page.click("#hc-evaluation")
        page.wait_for_selector("#hc-eval-years")
        if page.locator("#hc-eval-compute").count():
            page.click("#hc-eval-compute")
            page.wait_for_selector("#hc-done")
        assert not page.locator("#hc-eval-years .missing").count()  # five checks now
        card = page.locator('article[data-code="waterlogging_points"]')
        assert card.locator("svg polyline.series").count() >= 1
        assert card.locator("svg circle.dot").count() == 5
        assert card.locator("svg line.reference").count() == 1
        assert "参考值 ≤ 0" in card.inner_text()
        box = card.locator("svg").bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 60
        _shot(page, "healthcheck-evaluation", dialect)
        assert not outside, outside


def test_the_renewal_candidates_per_category(browser: Any, live: Any, dialect: str) -> None:
    with signed_in(browser, live.url) as (page, outside):
        page.goto(f"{live.url}/health-check?division=330106&year={YEAR}")
        page.wait_for_selector("#hc-division")
        if page.locator("#hc-empty").count():
            page.click("#hc-compute")
            page.wait_for_selector("#hc-indicators")
        page.click("#hc-renewal")
        page.wait_for_selector("#rn-summary")
        old = sum(int(t) for t in page.locator("#rn-summary td.rn-old").all_inner_texts())
        assert old > 0  # the demo city has old pipe
        first = page.locator(".rn-table td.rn-reason").first.inner_text()
        assert first.strip()  # every candidate says why
        assert page.locator('#rn-rules tr[data-rule="gas.grey_cast_iron"]').count() == 1
        with page.expect_download() as download:
            page.click("#rn-xlsx")
        assert download.value.suggested_filename == f"renewal-330106-{YEAR}.xlsx"
        _shot(page, "renewal", dialect)
        assert not outside, outside


def test_the_renewal_list_reads_at_a_phones_width(browser: Any, live: Any, dialect: str) -> None:
    with signed_in(browser, live.url, width=390, user="manager",
                   password="manager-demo-2026") as (page, outside):
        page.goto(f"{live.url}/renewal?division=330106&year={YEAR}")
        page.wait_for_selector("#rn-summary")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, width  # tables scroll inside their wrappers, not the page
        _shot(page, "renewal-phone", dialect)
        assert not outside, outside


def test_the_evaluation_reads_at_a_phones_width(browser: Any, live: Any, dialect: str) -> None:
    with signed_in(browser, live.url, width=390, user="manager",
                   password="manager-demo-2026") as (page, outside):
        page.goto(f"{live.url}/health-check/evaluation?division=330106&year={YEAR}")
        page.wait_for_selector("#hc-eval-years")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 392, width  # the charts shrink to the screen, nothing scrolls sideways
        svg = page.locator("article.hc-eval-card svg").first.bounding_box()
        assert svg is not None and svg["width"] <= 390
        _shot(page, "healthcheck-evaluation-phone", dialect)
        assert not outside, outside
