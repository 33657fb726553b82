"""A hidden hazard walked to 销号 at a phone's width (390 px) by the demo users in Chromium:
the inspector files it with a photo and sees it listed; the engineer registers, grades and
rectifies it with 五落实 and submits it with an after photo; the manager fails the review
with a reason, then passes it, and sees on the asset's status page that its risk rose while
the 重大 hazard was open and fell back after 销号 (the scheduler's incremental risk runs,
run here in the test). Both databases; no request leaves the machine."""

from __future__ import annotations

import base64
import io
import json
import urllib.request
import uuid
from datetime import date
from typing import Any

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS, signed_in
from tests.browser.test_asset_browser import a_xihu_pipeline

pytestmark = pytest.mark.browser
WIDTH = 390
USERS = {"inspector": "inspector-demo-2026", "engineer": "engineer-demo-2026",
         "manager": "manager-demo-2026"}


def png(colour: tuple[int, int, int]) -> dict[str, Any]:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), colour).save(out, "PNG")
    return {"name": "photo.png", "mimeType": "image/png", "buffer": out.getvalue()}


def file_hazard(live: Any, pipeline: int) -> int:
    """What the phone's inspection submission does for a defect answer: a hazard with its id."""
    body = {"type": "Feature", "geometry": None, "properties": {
        "name": "浏览器测试井盖破损", "category": "cover_damaged", "client_id": str(uuid.uuid4()),
        "description": "检查井井盖断裂，车辆通行有坠落风险", "asset_collection": "pipelines",
        "asset_id": pipeline}}
    auth = base64.b64encode(f"inspector:{USERS['inspector']}".encode()).decode()
    req = urllib.request.Request(f"{live.url}/api/collections/hazards/items",
                                 data=json.dumps(body).encode(), method="POST",
                                 headers={"Authorization": f"Basic {auth}",
                                          "Content-Type": "application/geo+json"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 201
        return int(json.load(resp)["id"])


def shot(p: Any, name: str, dialect: str) -> None:
    p.screenshot(path=str(ARTIFACTS / f"hazard-{name}-{dialect}-{WIDTH}.png"), full_page=True)


def take(p: Any, action: str, **fields: str) -> None:
    form = f"form[data-action={action}]"
    for name, value in fields.items():
        field = p.locator(f"#{action}-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    p.click(f"{form} button[type=submit]")
    p.wait_for_load_state()


def risk_run(live: Any, mode: str) -> None:
    """What the scheduler does within minutes of an edit: an (incremental) risk run."""
    from resilience.db import make_engine, make_sessions
    from risk import runs

    engine = make_engine(live.database_url)
    try:
        run = runs.run_now(make_sessions(engine), mode=mode, by="test")
        assert run.status == "succeeded", run.error
    finally:
        engine.dispose()


def four_level(p: Any, live: Any, pipeline: int) -> str:
    p.goto(f"{live.url}/s/pipelines/{pipeline}")
    return str(p.inner_text("#four-level"))


def test_a_hazard_walked_to_closed_at_phone_width(live: Any, browser: Any, dialect: str) -> None:
    pipeline = a_xihu_pipeline(live)
    risk_run(live, "full")
    key = file_hazard(live, pipeline)
    url = f"{live.url}/hazards/{key}"
    with signed_in(browser, live.url, WIDTH, "zh-CN", "inspector", USERS["inspector"]) as (p, out):
        p.goto(f"{live.url}/hazards")
        assert p.locator(f"li[data-hazard='{key}']").count() == 1
        assert p.locator("li.is-overdue").count() >= 1  # the demo's late road collapse, in red
        shot(p, "list", dialect)
        p.click(f"li[data-hazard='{key}'] a")
        p.wait_for_selector("#hazard-state")
        assert "发现" in p.inner_text("#hazard-state")
        assert p.locator("#hazard-steps").count() == 0  # an inspector files, others move it
        p.set_input_files("form.hz-photo-form input[type=file]", png((180, 40, 40)))
        p.click("form.hz-photo-form button[type=submit]")
        p.wait_for_selector("#hazard-photos img")
        shot(p, "reported", dialect)
        assert out == []

    with signed_in(browser, live.url, WIDTH, "zh-CN", "engineer", USERS["engineer"]) as (p, out):
        p.goto(url)
        take(p, "register", responsible_unit="西湖区市政设施养护中心")
        take(p, "grade", grade="major")
        take(p, "rectify")  # 五落实 missing: refused, each field named
        assert "执行“rectify”前必填" in p.inner_text("#hazard-error")
        take(p, "rectify", responsibility_person="王工", measures="更换井盖并加固井圈",
             funding="区养护资金", deadline="2099-06-30", contingency_plan="设置围挡和警示灯")
        assert "整改" in p.inner_text("#hazard-state")
        shot(p, "rectifying", dialect)
        risk_run(live, "incremental")  # an open 重大 hazard on the main
        assert "重大风险" in four_level(p, live, pipeline)
        assert p.inner_text("#status-colour").strip() != ""
        shot(p, "asset-while-open", dialect)
        p.goto(url)
        p.set_input_files("#submit_review-photo", png((40, 160, 60)))
        take(p, "submit_review", note="已更换")
        assert "复查" in p.inner_text("#hazard-state")
        assert p.locator("#hazard-photos img").count() == 2
        assert out == []

    with signed_in(browser, live.url, WIDTH, "zh-CN", "manager", USERS["manager"]) as (p, out):
        p.goto(url)
        take(p, "fail_review", reason="井圈仍有松动")
        assert "整改" in p.inner_text("#hazard-state")
        assert "井圈仍有松动" in p.inner_text("#hazard-trail")
        take(p, "submit_review")  # a manager may hand it back for review too
        take(p, "close", note="复查合格，予以销号")
        assert "销号" in p.inner_text("#hazard-state")
        assert p.locator("#hazard-steps").count() == 0
        steps = p.locator("#hazard-trail li").evaluate_all("els => els.map(e => e.dataset.action)")
        assert steps == ["report", "register", "grade", "rectify", "submit_review",
                         "fail_review", "submit_review", "close"]
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH + 1, f"the page scrolls sideways at {WIDTH} px: {width}"
        shot(p, "closed", dialect)
        risk_run(live, "incremental")  # 销号: the hazard's risk point retires
        assert "重大风险" not in four_level(p, live, pipeline)
        shot(p, "asset-after-close", dialect)
        assert out == []


def pdf() -> dict[str, Any]:
    return {"name": "验收意见.pdf", "mimeType": "application/pdf",
            "buffer": b"%PDF-1.4\n% signed acceptance of the supervising unit\n"}


def test_a_supervised_hazard_is_extended_and_closed_with_the_acceptance(
        live: Any, browser: Any, dialect: str) -> None:
    """挂牌督办 after grading; 延期 with a reason, old → new in the trail; the manager who
    submitted the rectification cannot close it; the admin closes it with the 督办 unit's
    acceptance and its signed document (16号令)."""
    key = file_hazard(live, a_xihu_pipeline(live))
    url = f"{live.url}/hazards/{key}"
    with signed_in(browser, live.url, WIDTH, "zh-CN", "engineer", USERS["engineer"]) as (p, out):
        p.goto(url)
        take(p, "register", deadline="2099-06-30")
        take(p, "grade", grade="major")
        assert out == []
    with signed_in(browser, live.url, WIDTH, "zh-CN", "manager", USERS["manager"]) as (p, out):
        p.goto(url)
        take(p, "supervise", supervising_unit="杭州市安委办", supervision_deadline="2099-12-31")
        take(p, "extend", deadline="2099-09-30", reason="汛期暂停开挖，经审批延期")
        assert "2099-06-30 → 2099-09-30" in p.inner_text("#hazard-trail")
        take(p, "rectify", responsibility_person="王工", measures="回填并加设钢板",
             funding="区养护资金", contingency_plan="围挡、专人值守")
        p.set_input_files("#submit_review-photo", png((40, 160, 60)))
        take(p, "submit_review")
        assert "复查" in p.inner_text("#hazard-state")
        assert p.locator("form[data-action=close]").count() == 0  # not by who submitted it
        assert p.locator("form[data-action=fail_review]").count() == 1
        shot(p, "supervised-submitted", dialect)
        assert out == []
    with signed_in(browser, live.url, WIDTH, "zh-CN", "admin", "admin-demo-2026") as (p, out):
        p.goto(url)
        assert p.locator("#close-document[required]").count() == 1
        p.fill("#close-acceptance_by", "杭州市安委办 张科长")
        p.fill("#close-acceptance_on", date.today().isoformat())
        p.fill("#close-acceptance_opinion", "整改措施落实到位，同意销号")
        p.set_input_files("#close-document", pdf())
        p.click("form[data-action=close] button[type=submit]")
        p.wait_for_load_state()
        assert "销号" in p.inner_text("#hazard-state")
        assert "杭州市安委办 张科长" in p.inner_text("#hazard-acceptance")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH + 1, f"the page scrolls sideways at {WIDTH} px: {width}"
        shot(p, "supervised-closed", dialect)
        p.goto(f"{live.url}/hazards")
        assert p.locator("#major-report").count() == 1
        shot(p, "list-with-report", dialect)
        assert out == []
