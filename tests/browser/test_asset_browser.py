"""The asset page in headless Chromium: attributes, map, history; retire and restore."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.browser.conftest import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser


def a_xihu_pipeline(live: Any) -> int:
    """A live demo segment in 西湖区, where the demo engineer may edit."""
    engine = create_engine(live.database_url) if "postgresql" in live.database_url else None
    if engine is None:
        from resilience.db import make_engine

        engine = make_engine(live.database_url)
    with engine.connect() as conn:
        key = conn.execute(text("SELECT id FROM pipelines WHERE division_code = '330106' "
                                "AND retired_at IS NULL ORDER BY id LIMIT 1")).scalar_one()
    engine.dispose()
    return int(key)


@pytest.fixture(params=[(1280, "zh-CN"), (390, "en")], ids=["1280-zh", "390-en"])
def page(live: Any, browser: Any, request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[str]]]:
    width, locale = request.param
    with signed_in(browser, live.url, width, locale) as (p, outside):
        yield p, outside


def test_open_retire_and_restore_an_asset(page: tuple[Any, list[str]], live: Any,
                                          dialect: str, request: pytest.FixtureRequest) -> None:
    p, outside = page
    key = a_xihu_pipeline(live)
    p.goto(f"{live.url}/collections/pipelines/items/{key}")
    p.wait_for_selector("#asset-map .leaflet-interactive")  # the geometry is drawn
    assert p.locator(".attributes .attr").count() > 10
    tag = request.node.callspec.id.replace("[", "-").replace("]", "")
    ARTIFACTS.mkdir(exist_ok=True)
    p.screenshot(path=str(ARTIFACTS / f"asset-{tag}.png"), full_page=True)
    p.fill("#retire-reason", "测试注销 / retired in a test")
    p.click(".retire-form button[type=submit]")
    p.wait_for_selector(".badge-retired")
    assert "测试注销" in p.inner_text(".history")
    p.click("form[action$='/restore'] button")
    p.wait_for_selector(".notice")
    assert p.locator(".badge-retired").count() == 0
    p.screenshot(path=str(ARTIFACTS / f"asset-history-{tag}.png"), full_page=True)
    assert outside == []
