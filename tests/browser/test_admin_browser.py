"""An administrator's pages in headless Chromium: users and the city profile, desk and phone.

Screenshots go to test-results/ (admin-*.png) to be looked at.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, signed_in

pytestmark = pytest.mark.browser


def _shot(page: Any, name: str, dialect: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"admin-{name}-{dialect}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_an_admin_adds_a_user_and_enters_the_profile(browser: Any, live: Any, dialect: str,
                                                     width: int) -> None:
    name = f"zhang{width}"
    with signed_in(browser, live.url, width=width, user="admin",
                   password="admin-demo-2026") as (page, outside):
        page.goto(f"{live.url}/admin/users")
        assert page.locator('tr[data-user="engineer_sc"]').count() == 1
        page.fill("#user-add input[name=username]", name)
        page.fill("#user-add input[name=display_name]", "张三")
        page.select_option("#user-add select[name=role]", "inspector")
        page.fill("#user-add input[name=divisions]", "330199")
        page.fill("#user-add input[name=password]", "zhang-pass-2026")
        page.click("#user-add button[type=submit]")
        page.wait_for_selector("#user-errors")
        assert "330199" in page.inner_text("#user-errors")
        page.fill("#user-add input[name=divisions]", "330106")
        page.click("#user-add button[type=submit]")
        page.wait_for_selector("#user-done")
        _shot(page, f"users-{width}", dialect)
        page.click(f'tr[data-user="{name}"] a')
        page.wait_for_selector("#user-access")
        page.click("#user-active button")
        page.wait_for_selector("#user-done")
        assert "已停用" in page.inner_text("h1")
        _shot(page, f"user-{width}", dialect)
        page.click("a[href$='/admin/users']")
        page.click("#to-profile")
        page.wait_for_selector("#profile")
        # A year of its own: the demo's example figures stay as the other pages' tests read them.
        page.fill("#profile-year input[name=year]", "2031")
        page.click("#profile-year button[type=submit]")
        page.wait_for_selector("#profile")
        year = page.input_value("#profile-year input[name=year]")
        assert year == "2031"
        row = 'tr[data-division="330106"]'
        page.fill(f"{row} input[name^=built_up_area_km2]", "abc")
        page.click("#profile-form button[type=submit]")
        page.wait_for_selector("#profile-errors")
        assert "西湖区" in page.inner_text("#profile-errors")
        page.fill(f"{row} input[name^=built_up_area_km2]", "104.5")
        page.click("#profile-form button[type=submit]")
        page.wait_for_selector("#profile-done")
        assert "1" in page.inner_text("#profile-done") or width == 390
        assert page.input_value(f"{row} input[name^=built_up_area_km2]") == "104.5"
        assert page.input_value("#profile-year input[name=year]") == year
        _shot(page, f"profile-{width}", dialect)
        assert outside == []
