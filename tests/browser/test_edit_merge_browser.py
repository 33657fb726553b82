"""Two editors in headless Chromium: a real conflict is shown side by side and decided; both databases."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in
from tests.browser.test_asset_browser import a_xihu_pipeline

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("RESILIENCE_SHOTS", str(ARTIFACTS)))


@pytest.mark.parametrize(("width", "locale"), [(1280, "zh-CN"), (390, "en")], ids=["1280-zh", "390-en"])
def test_a_field_both_changed_is_decided_and_the_rest_merged(live: Any, browser: Any, dialect: str,
                                                             width: int, locale: str) -> None:
    key = a_xihu_pipeline(live)
    url = f"{live.url}/collections/pipelines/items/{key}/edit"
    save = "button.primary[type=submit]"
    theirs, mine = 400 + width // 10, 410 + width // 10  # the live database outlives each run
    address, owner = f"文三路与学院路口 {width}", f"西湖区城管局 {width}"
    with signed_in(browser, live.url, width, locale) as (me, outside), \
            signed_in(browser, live.url, user="admin", password="admin-demo-2026") as (colleague, _):
        me.goto(url)
        me.click(save)  # an audited version to open (the demo rows were loaded in bulk)
        me.wait_for_selector(".notice")
        me.goto(url)
        colleague.goto(url)
        colleague.fill("#f-diameter_mm", str(theirs))
        colleague.fill("#f-address", address)
        colleague.click(save)
        colleague.wait_for_selector(".notice")

        me.fill("#f-diameter_mm", str(mine))
        me.fill("#f-owner", owner)
        me.click(save)
        me.wait_for_selector("section.conflict")
        rows = me.eval_on_selector_all("section.conflict tr[data-field]",
                                       "rs => rs.map(r => r.getAttribute('data-field'))")
        assert rows == ["diameter_mm"]
        assert me.input_value("#f-diameter_mm") == str(mine)  # still mine, to decide
        assert me.input_value("#f-owner") == owner  # only mine changed it
        assert me.input_value("#f-address") == address  # only the colleague changed it
        SHOTS.mkdir(parents=True, exist_ok=True)
        me.screenshot(path=str(SHOTS / f"edit-conflict-{dialect}-{width}.png"), full_page=True)

        me.click("section.conflict .take-theirs")
        me.click(save)
        me.wait_for_selector(".notice")
        # f=json: a browser's own Accept asks for HTML, which is the record's page (issue 16).
        me.goto(f"{live.url}/api/collections/pipelines/items/{key}?f=json")
        props = me.evaluate("() => JSON.parse(document.body.innerText).properties")
        assert (props["diameter_mm"], props["owner"], props["address"]) == (theirs, owner, address)
        assert outside == []
