"""The import & export page in headless Chromium: upload, report, rejected rows, undo, export."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS

HEADER = "管线编号,管线类型,材质,管径(mm),WKT\n"
XSS = "<img src=x onerror=document.title=`pwned`>"  # no comma or quote: one CSV cell

pytestmark = pytest.mark.browser


class Page:
    """A signed-in engineer's page that records every request leaving the live server."""

    def __init__(self, page: Any, base: str):
        self.page, self.base = page, base
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.downloads: list[str] = []
        page.on("request", lambda r: self.outside.append(r.url)
                if not r.url.startswith((base, "data:", "blob:")) else None)
        page.on("requestfailed", lambda r: self.failed.append(r.url))
        page.on("download", lambda d: self.downloads.append(d.url))

    def stayed_local(self) -> None:
        # A link answered with an attachment ends its navigation as a download (ERR_ABORTED).
        assert self.outside == []
        assert [u for u in self.failed if u not in self.downloads] == []


@pytest.fixture
def engineer(live: Any, browser: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    width = getattr(request, "param", 1280)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)
    page = context.new_page()
    watched = Page(page, live.url)
    page.goto(f"{live.url}/login?next=/imports")
    page.fill("#username", "engineer")
    page.fill("#password", "engineer-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live.url}/imports")
    page.wait_for_selector("body[data-history-loaded]")
    assert page.get_attribute("a.nav-imports", "aria-current") == "page"
    assert page.is_visible("a.nav-imports")
    yield watched
    context.close()


def _line(key: str, diameter: str = "300", dx: float = 0.0) -> str:
    x = 120.08 + dx
    return f'{key},给水,球墨铸铁,{diameter},"LINESTRING ({x:.4f} 30.28, {x + 0.001:.4f} 30.2805)"\n'


def _upload(page: Any, name: str, text: str, *, skip_invalid: bool = False,
            dry_run: bool = False) -> str:
    """Choose a CSV, tick the boxes, submit; the import's id once the report shows."""
    page.evaluate("document.getElementById('import-report').removeAttribute('data-import-id')")
    page.select_option("#import-collection", "pipelines")
    page.set_input_files("#import-file", files=[{"name": name, "mimeType": "text/csv",
                                                 "buffer": text.encode("utf-8")}])
    page.set_checked("#import-skip-invalid", skip_invalid)
    page.set_checked("#import-dry-run", dry_run)
    page.click("#import-submit")
    page.wait_for_selector("#import-report[data-import-id]:not([hidden])", timeout=20000)
    return str(page.get_attribute("#import-report", "data-import-id"))


def _row(page: Any, import_id: str) -> Any:
    return page.locator(f"#history-table tr[data-import-id='{import_id}']")


def test_upload_report_rejected_rows_undo_and_export(engineer: Page, live: Any,
                                                     dialect: str) -> None:
    page = engineer.page
    run = uuid.uuid4().hex[:8]

    # A clean file is stored, and the history lists it with an Undo button.
    good = _upload(page, "给水管线.csv", HEADER + _line(f"UI-{run}-1"))
    summary = page.inner_text("#report-summary")
    assert summary == "1 行；新增 1，更新 0；拒绝 0 行；已入库"
    assert page.get_attribute("#report-summary", "data-stored") == "1"
    assert page.is_hidden("#rejected-block") and page.is_hidden("#import-error")
    _row(page, good).wait_for()
    assert _row(page, good).get_attribute("data-status") == "stored"
    assert "给水管线.csv" in _row(page, good).inner_text()
    assert _row(page, good).locator("button.undo").count() == 1

    # A bad row refuses the whole file; the rejected rows are listed as text, with downloads.
    bad_text = HEADER + _line(f"UI-{run}-2", dx=0.002) + _line(f"UI-{run}-3", XSS, dx=0.004)
    bad = _upload(page, "bad.csv", bad_text)
    assert page.inner_text("#report-summary") == "2 行；新增 1，更新 0；拒绝 1 行；未入库"
    cells = page.locator("#rejected-table tbody tr").first.locator("td").all_inner_texts()
    assert cells[0] == "3" and "diameter_mm" in cells[1] and "不是数字" in cells[2]
    assert "<img src=x" in cells[2]
    assert page.locator("#rejected-table img").count() == 0 and page.title() != "pwned"
    links = page.locator("#rejected-links a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        f"/api/imports/{bad}/rejected.csv", f"/api/imports/{bad}/rejected.xlsx"]
    with page.expect_download() as info:
        page.click("#rejected-links a[data-format=csv]")
    rejected = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert rejected.splitlines()[0].startswith("错误,原行号,管线编号") and f"UI-{run}-3" in rejected
    with page.expect_download() as info:
        page.click("#rejected-links a[data-format=xlsx]")
    assert info.value.suggested_filename == f"import-{bad}-rejected.xlsx"
    _row(page, bad).wait_for()
    assert _row(page, bad).get_attribute("data-status") == "not_stored"
    assert _row(page, bad).locator("button.undo").count() == 0

    # Skipping the bad row stores the good one; undoing it retires it, after a confirm.
    skipped = _upload(page, "bad.csv", bad_text, skip_invalid=True)
    assert page.inner_text("#report-summary") == "2 行；新增 1，更新 0；拒绝 1 行；已入库"
    _row(page, skipped).wait_for()
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    _row(page, skipped).locator("button.undo").click()
    page.wait_for_selector(f"#history-table tr[data-import-id='{skipped}'][data-status=undone]")
    assert asked and f"撤销导入 {skipped}" in asked[0]
    assert page.inner_text("#history-status") == f"导入 {skipped} 已撤销：注销 1 条，恢复 0 条。"
    assert _row(page, skipped).locator("button.undo").count() == 0
    assert "已撤销" in _row(page, skipped).inner_text()
    assert _row(page, good).get_attribute("data-status") == "stored"
    page.wait_for_function(
        "() => document.getElementById('report-summary').textContent.endsWith('已撤销')")
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"imports-{dialect}-1280.png"), full_page=True)

    # A dry run checks and stores nothing.
    _upload(page, "dry.csv", HEADER + _line(f"UI-{run}-4", dx=0.006), dry_run=True)
    assert page.inner_text("#report-summary") == "1 行；新增 1，更新 0；拒绝 0 行；仅校验，未入库"

    # The export link downloads the division's pipelines as GeoJSON, the new one among them.
    page.select_option("#export-collection", "pipelines")
    page.select_option("#export-format", "geojson")
    page.select_option("#export-crs", "EPSG:4490")
    page.fill("#export-division", "330106")
    href = page.get_attribute("#export-link", "href")
    assert href == ("/api/collections/pipelines/export?format=geojson&crs=EPSG%3A4490"
                    "&division=330106")
    with page.expect_download() as info:
        page.click("#export-link")
    assert re.search(r"-330106-\d{8}\.geojson$", info.value.suggested_filename)
    collection = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    keys = {f["properties"].get("external_id") for f in collection["features"]}
    assert collection["type"] == "FeatureCollection" and f"UI-{run}-1" in keys
    assert f"UI-{run}-3" not in keys and f"UI-{run}-4" not in keys
    page.fill("#export-division", "33x")
    assert page.get_attribute("#export-division", "aria-invalid") == "true"
    engineer.stayed_local()


def test_problem_answers_are_shown_beside_the_form(engineer: Page) -> None:
    page = engineer.page
    page.click("#import-submit")  # no file chosen: said at once, nothing sent
    assert page.inner_text("#import-error") == "请选择要导入的文件。"
    page.set_input_files("#import-file", files=[{"name": "plan.pdf", "mimeType": "application/pdf",
                                                 "buffer": b"%PDF-1.4"}])
    page.click("#import-submit")
    page.wait_for_function("() => document.getElementById('import-error').innerText.includes('输入无效')")
    text = page.inner_text("#import-error")
    assert "file" in text and ".pdf" in text
    assert page.is_hidden("#import-report") and page.is_enabled("#import-submit")
    engineer.stayed_local()


def test_encoding_and_crs_choices_reach_the_import(engineer: Page) -> None:
    from pyproj import Transformer

    page = engineer.page
    to_gk = Transformer.from_crs(4490, 4549, always_xy=True)
    (x1, y1), (x2, y2) = to_gk.transform(120.08, 30.28), to_gk.transform(120.081, 30.2805)
    line = f"LINESTRING ({x1:.2f} {y1:.2f}, {x2:.2f} {y2:.2f})"  # metres, CGCS2000 GK CM 120°E
    text = HEADER + f'GK-{uuid.uuid4().hex[:8]},给水,球墨铸铁,300,"{line}"\n'
    page.select_option("#import-encoding", "gb18030")
    page.select_option("#import-crs", "EPSG:4549")
    page.set_input_files("#import-file", files=[{"name": "高斯投影.csv", "mimeType": "text/csv",
                                                 "buffer": text.encode("gbk")}])
    page.set_checked("#import-dry-run", True)
    page.click("#import-submit")
    page.wait_for_selector("#import-report[data-import-id]:not([hidden])", timeout=20000)
    assert page.inner_text("#report-summary") == "1 行；新增 1，更新 0；拒绝 0 行；仅校验，未入库"
    engineer.stayed_local()


def test_a_queued_import_is_followed_until_it_ends(engineer: Page, live: Any) -> None:
    from console.handlers import HANDLERS
    from resilience.db import make_engine, make_sessions
    from resilience.jobs import run_one

    page = engineer.page
    run = uuid.uuid4().hex[:8]
    # Long remarks make the file outgrow the inline limit, so the API queues it (202).
    rows = "".join(_line(f"Q-{run}-{i}", dx=0.00001 * i).rstrip("\n") + "," + "x" * 1500 + "\n"
                   for i in range(1500))
    text = HEADER.replace("WKT\n", "WKT,备注\n") + rows
    assert len(text.encode()) > 2 * 1024 * 1024
    page.set_input_files("#import-file", files=[{"name": "large.csv", "mimeType": "text/csv",
                                                 "buffer": text.encode("utf-8")}])
    page.set_checked("#import-dry-run", True)
    page.click("#import-submit")
    page.wait_for_function(
        "() => document.getElementById('progress-text').textContent.includes('已排队')", timeout=20000)
    assert page.get_attribute("#job-bar", "value") is None  # indeterminate while queued
    assert page.get_attribute("#upload-bar", "value") == "100"
    assert page.is_disabled("#import-submit")
    # The scheduler's own loop runs it. Its progress is written from a second connection:
    # on PostgreSQL a lock wait there must fail the job in seconds, not hang the run.
    extra: dict[str, Any] = {}
    if live.database_url.startswith("postgresql"):
        extra["connect_args"] = {"options": "-c lock_timeout=10000"}
    engine = make_engine(live.database_url, **extra)
    try:
        while run_one(make_sessions(engine), HANDLERS) is not None:
            pass
    finally:
        engine.dispose()
    page.wait_for_selector("#import-submit:enabled", timeout=30000)
    assert page.is_hidden("#import-error"), page.inner_text("#import-error")
    page.wait_for_selector("#import-report[data-import-id]:not([hidden])", timeout=30000)
    assert page.inner_text("#report-summary") == (
        "1,500 行；新增 1,500，更新 0；拒绝 0 行；仅校验，未入库")
    assert page.is_hidden("#import-progress") and page.is_enabled("#import-submit")
    engineer.stayed_local()


@pytest.mark.parametrize("engineer", [390], indirect=True)
def test_page_fits_a_phone(engineer: Page, dialect: str) -> None:
    page = engineer.page
    run = uuid.uuid4().hex[:8]
    _upload(page, "phone.csv", HEADER + _line(f"P-{run}-1", dx=0.008)
            + _line(f"P-{run}-2", "abc", dx=0.01))
    page.wait_for_selector("#history-table tbody tr[data-import-id]")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in ("#import-collection", "#import-file", "#import-submit", "#export-link",
                     "a.nav-imports"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    # Keyboard: the first controls are reached with Tab in order.
    page.focus("#import-collection")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "import-crs"
    ARTIFACTS.mkdir(exist_ok=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"imports-{dialect}-390.png"), full_page=True)
    engineer.stayed_local()
