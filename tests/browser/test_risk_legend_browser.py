"""The legends of the colour maps in headless Chromium (issue 14 §7–9), desktop and phone.

The five-colour legend gives each level its grade and its band of R, the 无登记设施 swatch
and the breaks' reason marked 参考; the four-colour legend the LEC/LS tables of the points
with their real intervals; the print sheet the same. Screenshots go to ``test-results/``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import signed_in
from tests.browser.test_risk_browser import MANAGER, _shot, risk_live  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_the_five_colour_legend_shows_breaks_and_the_unregistered_swatch(
        risk_live: Any, browser: Any, dialect: str, width: int) -> None:  # noqa: F811
    with signed_in(browser, risk_live.url, width, "zh-CN", **MANAGER) as (page, outside):
        page.goto(f"{risk_live.url}/risk/five")
        page.wait_for_selector("body[data-risk-ready]", timeout=30000)
        legend = page.locator("#risk-legend")
        text = legend.inner_text()
        assert "I 高风险" in text and "V 低风险" in text
        assert "R > 0.636396" in text and "0.212132 < R ≤ 0.353553" in text \
            and "R ≤ 0.212132" in text
        assert "无登记设施" in page.inner_text("#legend-unregistered")
        breaks = page.inner_text("#legend-breaks")
        assert breaks.startswith("参考") and "0.212132 / 0.353553 / 0.494975 / 0.636396" in breaks
        assert "未按任何城市的数据分布拟合" in breaks
        # Five-colour swatches are hatched (told apart from the four-colour 低 blue).
        image = page.evaluate("getComputedStyle(document.querySelector("
                              "'#risk-legend .swatch.five')).backgroundImage")
        assert "repeating-linear-gradient" in image
        legend.scroll_into_view_if_needed()
        _shot(page, f"five-legend-{'phone' if width < 600 else 'desktop'}", dialect)
        assert outside == [], outside


def test_the_four_colour_legend_and_the_print_sheet_show_the_tables(
        risk_live: Any, browser: Any, dialect: str) -> None:  # noqa: F811
    with signed_in(browser, risk_live.url, 1280, "zh-CN", **MANAGER) as (page, outside):
        page.goto(f"{risk_live.url}/risk/four")
        page.wait_for_selector("body[data-risk-ready]", timeout=30000)
        table = page.locator("#risk-legend table[data-preset=lec_default]")
        text = table.inner_text()
        assert "参考" in text and "D > 320" in text and "极其危险" in text
        assert "一般危险" in text and "20 < D ≤ 70" in text
        _shot(page, "four-legend", dialect)
        page.goto(f"{risk_live.url}/risk/print/five")
        page.wait_for_load_state()
        sheet = page.inner_text(".sheet-legend")
        assert "R > 0.636396" in sheet and "无登记设施" in sheet and "参考" in sheet
        _shot(page, "five-print", dialect)
        assert outside == [], outside
