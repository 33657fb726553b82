"""The tables and the search box in headless Chromium: filter, sort, page, search, jump.

At 1280 px and 390 px, in Chinese and English, on both databases; nothing leaves the machine.
Screenshots go to test-results/tables-*.png.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

TEXT = {
    "zh-CN": {"browse": "数据浏览", "pipelines": "管线段", "gas": "燃气", "diameter": "管径(mm)",
              "next": "下一页"},
    "en": {"browse": "Browse", "pipelines": "Pipeline segments", "gas": "Gas",
           "diameter": "Diameter (mm)", "next": "Next"},
}

pytestmark = pytest.mark.browser


class Watched:
    """A signed-in engineer's page that records every request leaving the live server."""

    def __init__(self, page: Any, base: str, width: int, locale: str):
        self.page, self.base, self.width, self.locale = page, base, width, locale
        self.outside: list[str] = []
        self.failed: list[str] = []
        page.on("request", lambda r: self.outside.append(r.url)
                if not r.url.startswith((base, "data:", "blob:")) else None)
        # A navigation cancels what the page was still fetching (ERR_ABORTED): not a failure.
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}")
                if "ERR_ABORTED" not in (r.failure or "") else None)

    def stayed_local(self) -> None:
        assert self.outside == [] and self.failed == []

    def shot(self, name: str, dialect: str, full: bool = True) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        lang = "zh" if self.locale.startswith("zh") else "en"
        self.page.screenshot(path=str(ARTIFACTS / f"tables-{name}-{dialect}-{self.width}-{lang}.png"),
                             full_page=full)


SIZES = pytest.mark.parametrize("engineer", [(1280, "zh-CN"), (1280, "en"), (390, "zh-CN"), (390, "en")],
                                ids=["1280-zh", "1280-en", "390-zh", "390-en"], indirect=True)


@pytest.fixture
def engineer(live: Any, browser: Any, request: pytest.FixtureRequest) -> Iterator[Watched]:
    width, locale = getattr(request, "param", (1280, "zh-CN"))
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    watched = Watched(page, live.url, width, locale)
    page.goto(f"{live.url}/login?next=/collections")
    page.fill("#username", "engineer")
    page.fill("#password", "engineer-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/collections")
    yield watched
    context.close()


def _column(page: Any, name: str) -> list[str]:
    """The texts of one column of the table, by its field name."""
    index = page.eval_on_selector_all(
        "#records thead th", f"ths => ths.findIndex(th => th.querySelector('[data-sort=\"{name}\"]'))")
    assert index >= 0, name
    return page.eval_on_selector_all(
        "#records tbody tr", f"trs => trs.map(tr => tr.children[{index}].textContent.trim())")


def _number(text: str) -> float | None:
    return None if text == "—" else float(text.replace(",", ""))


@SIZES
def test_filter_sort_page_and_search(engineer: Watched, dialect: str) -> None:
    page, words = engineer.page, TEXT[engineer.locale]
    assert page.get_attribute("a.nav-browse", "aria-current") == "page"
    assert page.inner_text("a.nav-browse") == words["browse"]
    # The browse link is in view in the top bar, and the page never widens.
    box = page.locator("a.nav-browse").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= engineer.width
    assert page.evaluate("document.documentElement.scrollWidth") <= engineer.width
    engineer.shot("index", dialect)

    # The index leads to the pipelines' table; filter by category with the keyboard-usable form.
    page.click("a[data-collection=pipelines]")
    page.wait_for_url("**/collections/pipelines")
    assert page.inner_text("h1") == words["pipelines"]
    page.select_option("#f-category", "gas")
    page.select_option("#f-limit", "20")
    page.click(".filter-actions button[type=submit]")
    page.wait_for_url("**/collections/pipelines?*category=gas*")
    assert page.url.endswith("/collections/pipelines?category=gas&limit=20")  # set fields only
    categories = _column(page, "category")
    assert categories and set(categories) == {words["gas"]}
    assert page.locator("#records tbody .cat-swatch").first.evaluate(
        "el => getComputedStyle(el).backgroundColor") == "rgb(255, 0, 255)"  # CJJ 61 gas magenta

    # Sort by diameter: ascending, then a second click turns it round; empty values last.
    page.click("#records thead a[data-sort=diameter_mm]")
    page.wait_for_url("**sort=diameter_mm*")
    assert page.get_attribute("#records thead th[aria-sort]", "aria-sort") == "ascending"
    up = [_number(t) for t in _column(page, "diameter_mm")]
    known = [d for d in up if d is not None]
    assert known == sorted(known) and up[: len(known)] == known
    page.click("#records thead a[data-sort=diameter_mm]")
    page.wait_for_url("**sort=-diameter_mm*")
    down = [_number(t) for t in _column(page, "diameter_mm")]
    known = [d for d in down if d is not None]
    assert known == sorted(known, reverse=True) and known and known[0] >= max(k for k in up if k)
    assert set(_column(page, "category")) == {words["gas"]}

    # Page forward by keyset, and back again.
    first_keys = page.eval_on_selector_all("#records tbody tr", "trs => trs.map(t => t.dataset.key)")
    assert len(first_keys) == 20
    page.click("#page-next")
    page.wait_for_url("**after=*")
    second_keys = page.eval_on_selector_all("#records tbody tr", "trs => trs.map(t => t.dataset.key)")
    assert second_keys and not set(second_keys) & set(first_keys)
    assert page.inner_text("#page-next") == words["next"] or page.locator("#page-next").count() == 0
    if engineer.width == 390:
        # The page never scrolls sideways: the table does, and its first column stays in view.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        first = page.locator("#records tbody tr th").first
        before = first.bounding_box()
        page.eval_on_selector(".table-scroll", "el => { el.scrollLeft = 400; }")
        after = first.bounding_box()
        assert page.eval_on_selector(".table-scroll", "el => el.scrollLeft") > 0
        assert before and after and abs(after["x"] - before["x"]) < 1
        page.locator(".table-scroll").scroll_into_view_if_needed()
        engineer.shot("pipelines-scrolled", dialect, full=False)
        page.eval_on_selector(".table-scroll", "el => { el.scrollLeft = 0; }")
    page.evaluate("window.scrollTo(0, 0)")
    engineer.shot("pipelines", dialect)
    page.click("#page-prev")
    page.wait_for_url("**before=*")
    assert page.eval_on_selector_all("#records tbody tr", "trs => trs.map(t => t.dataset.key)") \
        == first_keys

    # Search: several matches are listed by collection; an external id opens its asset.
    external = _column(page, "external_id")[0]
    key = first_keys[0]
    street = _column(page, "name")[0][:3]
    if engineer.width == 390:  # on a phone the field is on the browse page
        assert page.is_hidden("#top-search-q")
        page.click("a.nav-browse")
        page.wait_for_url("**/collections")
        page.fill("#search-q", street)
        page.press("#search-q", "Enter")
    else:
        page.fill("#top-search-q", street)
        page.press("#top-search-q", "Enter")
    page.wait_for_url("**/search?q=*")
    assert page.locator(".search-group[data-collection=pipelines] li").count() >= 2
    engineer.shot("search", dialect)
    page.fill("#search-q", external.lower())
    page.press("#search-q", "Enter")
    page.wait_for_url(f"**/collections/pipelines/items/{key}")
    assert external in page.inner_text("main")
    engineer.stayed_local()


def test_show_on_map_opens_the_selection(engineer: Watched, dialect: str) -> None:
    page = engineer.page  # one size is enough for the map; the link is checked at every size
    page.goto(f"{engineer.base}/collections/pipelines?category=gas&year_from=2000")
    page.click("#show-on-map")
    page.wait_for_url("**/map?collection=pipelines&category=gas&year_from=2000")
    page.wait_for_selector(".leaflet-container")
    layers = page.evaluate("(window.resilienceLayers || []).map(l => [l.collection, l.options.query || ''])")
    assert any(c == "pipelines" and q.startswith("category=gas&build_year=2000%2C2001%2C")
               for c, q in layers), layers
    engineer.stayed_local()


@pytest.mark.parametrize("engineer", [(390, "en")], indirect=True)
def test_bad_parameters_show_a_message(engineer: Watched, dialect: str) -> None:
    page = engineer.page
    resp = page.goto(f"{engineer.base}/collections/pipelines?sort=nope&year_from=abc&limit=10000")
    assert resp is not None and resp.status == 400
    problems = page.inner_text("#table-problems")
    assert "nope" in problems and "abc" in problems and "10000" in problems
    engineer.shot("problems", dialect, full=False)
    engineer.stayed_local()
