"""The inspector's day in headless Chromium at a phone's width, on the demo city.

Today's tasks, a checklist typed half-way, the connection lost, the page reloaded with the
answers still there, a defect photographed with no connection, the inspection submitted
offline and landing once when the connection is back, and the hazard it filed linked.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()
PLAN_NAME = "浏览器测试：燃气管线巡查"


def _sessions(live: Any) -> Any:
    from resilience.db import make_engine, make_sessions

    return make_sessions(make_engine(live.database_url))


@pytest.fixture(scope="module")
def phone_task(live: Any) -> dict[str, Any]:
    """A task due today for the demo inspector on one of the demo's gas mains in 西湖区."""
    from geoalchemy2.shape import to_shape

    from inventory.inspections import plans, presets, task_generation
    from inventory.inspections.tasks import InspectionTask
    from inventory.pipelines import Pipeline
    from resilience import accounts
    from resilience.db import unit_of_work

    sessions = _sessions(live)
    with unit_of_work(sessions) as s:
        pipe = s.scalars(select(Pipeline).where(Pipeline.category == "gas",
                                                Pipeline.division_code.startswith("330106"),
                                                Pipeline.retired_at.is_(None))
                         .order_by(Pipeline.id)).first()
        assert pipe is not None, "the demo city has gas mains in 西湖区"
        first = to_shape(pipe.geom).coords[0]
        presets.ensure_presets(s)
        engineer = accounts.principal_of(accounts.get_user(s, "engineer"))
        plan = s.scalars(select(plans.InspectionPlan).where(plans.InspectionPlan.name == PLAN_NAME)).first()
        if plan is None:
            plan = plans.create(s, {
                "name": PLAN_NAME, "template": "gas_pipeline_patrol",
                "selection": {"collection": "pipelines", "division": "330106", "types": ["gas"],
                              "bbox": [first[0] - 1e-6, first[1] - 1e-6, first[0] + 1e-6, first[1] + 1e-6]},
                "recurrence": "FREQ=DAILY", "starts_on": (TODAY - timedelta(days=1)).isoformat(),
                "assignee": "inspector", "open_days": 1, "owner": "engineer"}, engineer, today=TODAY)
        task_generation.generate(s, plan, TODAY, 0, {})
        task = s.scalars(select(InspectionTask).where(
            InspectionTask.plan_id == plan.id, InspectionTask.due_on == TODAY)
            .order_by(InspectionTask.id)).first()
        assert task is not None and task.status == "due"
        pipe = s.get(Pipeline, task.asset_id)
        bounds = to_shape(pipe.geom).bounds
        return {"task_id": task.id, "pipe_id": pipe.id, "name": pipe.name,
                "at": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2]}


def _shot(page: Any, name: str, dialect: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"inspect-{name}-{dialect}.png"), full_page=True)


def _photo(tmp: Path) -> Path:
    img = Image.new("RGB", (2400, 1800), (120, 120, 120))
    img.paste((200, 60, 40), (600, 500, 1800, 1300))
    path = tmp / "defect.jpg"
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    path.write_bytes(buf.getvalue())
    return path


def _phone(browser: Any, live: Any, at: list[float], locale: str = "zh-CN") -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True,
                                  geolocation={"longitude": at[0] + 0.001, "latitude": at[1]},
                                  permissions=["geolocation"])
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((live.url, "data:", "blob:")) else None)
    page.goto(f"{live.url}/login")
    page.fill("#username", "inspector")
    page.fill("#password", "inspector-demo-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return context, page, outside


def _answer_all_but(page: Any, skip: set[str]) -> None:
    """The gas patrol's answers of a sound main (no defect), except the items named."""
    answers = {"markers": "good", "third_party_works": "false", "gas_smell": "false",
               "valve_well_water": "false", "valve_corrosion": "false", "regulator": "normal",
               "ground_subsidence": "false", "occupation": "false"}
    for code, value in answers.items():
        if code not in skip:
            page.click(f"label[for='a-{code}-{value}']")
    if "lel" not in skip:
        page.fill("#a-lel", "0")


def test_an_inspection_survives_a_lost_connection_and_lands_once(browser: Any, live: Any, phone_task: dict[str, Any],
                                                                  dialect: str, tmp_path: Path) -> None:
    from inventory.inspections.hazards import Hazard
    from inventory.inspections.tasks import InspectionSubmission, InspectionTask

    task_id = phone_task["task_id"]
    context, page, outside = _phone(browser, live, phone_task["at"])
    try:
        page.click("a.nav-inspect")
        page.wait_for_selector(f"a.task-link[href$='/inspect/tasks/{task_id}']")
        page.wait_for_function("() => document.getElementById('where').textContent.indexOf('由近到远') >= 0")
        ours = page.locator(f"a.task-link[href$='/inspect/tasks/{task_id}']")
        assert "待巡检" in ours.inner_text() and ("米" in ours.inner_text() or "公里" in ours.inner_text())
        _shot(page, "today", dialect)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways

        ours.click()
        page.wait_for_selector("#items li.item")
        assert page.locator("#task-head h1").inner_text().strip() == (phone_task["name"] or "").strip() \
            or phone_task["name"] is None
        page.click("label[for='a-markers-good']")
        page.fill("#a-lel", "0.5")
        page.wait_for_function(f"""() => {{
            const d = JSON.parse(localStorage.getItem('inspect:inspector:draft:{task_id}') || '{{}}');
            return d.answers && d.answers.lel === 0.5 && d.answers.markers === 'good' && d.client_id; }}""")
        client_id = page.evaluate(f"JSON.parse(localStorage.getItem('inspect:inspector:draft:{task_id}')).client_id")
        page.evaluate("navigator.serviceWorker.ready.then(() => caches.open('inspect-v1'))"
                      ".then(c => c.keys()).then(k => k.length)")
        page.wait_for_function(f"""() => caches.open('inspect-v1').then(c => c.match('/inspect/tasks/{task_id}'))
                                   .then(hit => !!hit)""")

        context.set_offline(True)  # the connection drops mid-checklist
        page.reload()
        page.wait_for_selector("#items li.item")
        assert page.locator("#draft-banner").is_visible() and "草稿已恢复" in page.locator("#draft-banner").inner_text()
        assert page.locator("#offline-banner").is_visible()
        assert page.locator("#a-markers-good").is_checked() and page.input_value("#a-lel") == "0.5"
        _shot(page, "draft-restored-offline", dialect)

        page.fill("#a-lel", "150")  # off its range: said at the item, nothing sent
        page.click("#submit")
        page.wait_for_selector(".item.has-error[data-code='lel']")
        assert "允许范围 0 – 100" in page.locator(".item[data-code='lel'] .item-error").inner_text()
        assert page.evaluate("localStorage.getItem('inspect:inspector:outbox')") in (None, "[]")
        _shot(page, "off-range", dialect)
        page.fill("#a-lel", "0.5")
        _answer_all_but(page, {"markers", "lel", "occupation"})
        page.click("label[for='a-occupation-true']")  # built over: a major defect
        assert page.locator("#defect-note").is_visible() and "隐患" in page.locator("#defect-note").inner_text()
        page.set_input_files("#a-photos", str(_photo(tmp_path)))
        page.wait_for_selector(".thumb.is-local img[src^='blob:']")
        assert "已存本机" in page.locator(".thumb figcaption").inner_text()
        page.locator(".item[data-code='photos']").screenshot(path=str(ARTIFACTS / f"inspect-photo-kept-{dialect}.png"))
        page.click("#submit")
        page.wait_for_selector(".result.queued")
        assert "网络恢复后自动提交" in page.locator("#result").inner_text()
        queued = json.loads(page.evaluate("localStorage.getItem('inspect:inspector:outbox')"))
        assert [e["client_id"] for e in queued] == [client_id]
        _shot(page, "queued-offline", dialect)

        context.set_offline(False)  # back online: the outbox goes by itself
        page.evaluate("window.dispatchEvent(new Event('online'))")
        page.wait_for_selector(".result.stored a.hazard-link", timeout=20000)
        assert page.evaluate("localStorage.getItem('inspect:inspector:outbox')") == "[]"
        assert page.evaluate(f"localStorage.getItem('inspect:inspector:draft:{task_id}')") is None
        _shot(page, "stored-hazard-link", dialect)

        # sent again (a second flush, a retried POST): still stored once
        page.evaluate("Inspect.flush()")
        retry = page.evaluate(f"""() => Inspect.send('/api/inspections/tasks/{task_id}', {{method: 'POST',
            headers: {{'Content-Type': 'application/json'}},
            body: JSON.stringify({{client_id: '{client_id}', answers: {{}}, position: null}})}}).then(r => r.status)""")
        assert retry == 200
        with _sessions(live)() as s:
            subs = s.scalars(select(InspectionSubmission).where(InspectionSubmission.task_id == task_id)).all()
            assert len(subs) == 1 and subs[0].client_id == client_id
            sub = subs[0]
            assert sub.answers["lel"] == 0.5 and sub.answers["occupation"] is True
            assert len(sub.answers["photos"]) == 1 and isinstance(sub.answers["photos"][0], int)
            assert sub.lon is not None and abs(sub.lon - (phone_task["at"][0] + 0.001)) < 1e-6
            assert s.get(InspectionTask, task_id).status == "done"
            hazards = s.scalars(select(Hazard).where(Hazard.task_id == task_id)).all()
            assert [h.id for h in hazards] == sub.hazard_ids and hazards[0].grade == "major"
            assert s.scalar(select(func.count()).select_from(InspectionSubmission)
                            .where(InspectionSubmission.client_id == client_id)) == 1

        page.click("a.hazard-link")
        page.wait_for_load_state()
        assert f"/hazards/{sub.hazard_ids[0]}" in page.url
        _shot(page, "hazard", dialect)
        assert outside == []
    finally:
        context.close()


def test_the_status_page_a_label_opens(browser: Any, live: Any, phone_task: dict[str, Any], dialect: str) -> None:
    context, page, outside = _phone(browser, live, phone_task["at"])
    try:
        page.goto(f"{live.url}/s/pipelines/{phone_task['pipe_id']}")
        card = page.locator(".status-card")
        assert card.get_attribute("data-colour") in ("red", "orange", "yellow", "blue")
        assert page.locator(".status-qr img").evaluate("img => img.naturalWidth") > 0
        _shot(page, "status", dialect)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.goto(f"{live.url}/lang/en?next=/inspect")
        page.wait_for_selector("a.task-link")
        page.wait_for_function("() => document.getElementById('where').textContent.indexOf('Nearest first') >= 0")
        assert "Today's inspections" in page.locator("h1").inner_text()
        assert page.locator(".badge.due, .badge.overdue").first.inner_text() in ("Due", "Overdue")
        _shot(page, "today-en", dialect)
        page.click("a[href='/qr/labels']")
        page.wait_for_selector("form.labels-form")
        assert page.locator("#division option").count() >= 1
        _shot(page, "labels-form-en", dialect)
        assert outside == []
    finally:
        context.close()
