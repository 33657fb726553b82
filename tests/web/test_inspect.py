"""The inspector's phone pages and the status page on both databases: photos, colours, access."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from geoalchemy2.shape import from_shape
from PIL import Image
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import attachments
from inventory.inspections import hazard_steps, task_generation
from inventory.inspections.tasks import InspectionTask
from resilience import audit
from resilience.spatial import SRID
from risk.results import FiveColourResult, FourColourResult
from tests.inspections import support
from tests.web.test_asset_page import sign_in

TODAY = datetime.now(ZoneInfo("Asia/Shanghai")).date()


def csrf_of(client: Any, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def image(size: tuple[int, int], fmt: str = "PNG") -> bytes:
    img = Image.new("RGB", size, (30, 90, 160))
    img.paste((220, 40, 40), (0, 0, size[0] // 2, size[1] // 3))
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def asset_task(session: Session) -> tuple[int, int]:
    """One gas main in 西湖区 with an open task for the demo inspector: (pipeline id, task id)."""
    ids = support.pipelines(session, 1)
    plan = support.plan(session, starts_on=(TODAY - timedelta(days=1)).isoformat())
    task_generation.generate(session, plan, TODAY, 7, {})
    session.commit()
    task = session.scalars(select(InspectionTask).where(InspectionTask.asset_id == ids[0])
                           .order_by(InspectionTask.due_on)).first()
    assert task is not None
    return ids[0], task.id


def test_pages_need_sign_in_and_speak_both_languages(client: Any, asset_task: tuple[int, int]) -> None:
    _, task_id = asset_task
    assert client.get("/inspect").status_code == 302
    assert client.get(f"/inspect/tasks/{task_id}").status_code == 302
    sign_in(client, "inspector", "inspector-demo-2026")
    zh = client.get("/inspect").get_data(as_text=True)
    assert "今日巡检" in zh and "inspect.js" in zh and 'class="nav-inspect"' in zh
    page = client.get(f"/inspect/tasks/{task_id}").get_data(as_text=True)
    assert f'data-api="/api/inspections/tasks/{task_id}"' in page and "草稿已恢复" in page
    client.get("/lang/en?next=/inspect")
    en = client.get("/inspect").get_data(as_text=True)
    assert "Today&#39;s inspections" in en or "Today's inspections" in en
    sw = client.get("/inspect/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    assert sw.headers["Service-Worker-Allowed"] == "/inspect"


def test_a_photo_is_shrunk_to_a_jpeg_and_kept_on_the_asset_once(client: Any, session: Session,
                                                                  asset_task: tuple[int, int]) -> None:
    pipe, task_id = asset_task
    sign_in(client, "inspector", "inspector-demo-2026")
    token = csrf_of(client, f"/inspect/tasks/{task_id}")
    big = image((4000, 3000))
    url = f"/inspect/tasks/{task_id}/photos"
    resp = client.post(url, data={"file": (io.BytesIO(big), "IMG_0001.png"), "item": "leak_photo"},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["width"], body["height"]) == (1600, 1200)
    kept = client.get(body["url"])
    assert kept.mimetype == "image/jpeg" and kept.get_data().startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(kept.get_data())).size == (1600, 1200)
    again = client.post(url, data={"file": (io.BytesIO(big), "IMG_0001.png")},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert again.status_code == 201 and again.get_json()["id"] == body["id"]  # a retry: once
    listed = attachments.of_record(session, "pipelines", pipe)
    assert [a.id for a in listed] == [body["id"]] and listed[0].uploaded_by == "inspector"
    assert listed[0].note == f"task {task_id} · leak_photo"
    assert [e.action for e in audit.history(session, "pipelines", pipe)] == ["create", "attach"]
    small = client.post(url, data={"file": (io.BytesIO(image((800, 600), "JPEG")), "s.jpg")},
                        headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert small.status_code == 201 and (small.get_json()["width"], small.get_json()["height"]) == (800, 600)


@pytest.mark.parametrize(("payload", "name"), [
    (b"#!/bin/sh\nrm -rf /\n", "photo.jpg"),
    (b"%PDF-1.7\n" + b"1 0 obj\n" * 30, "scan.jpg"),  # a PDF: attachable elsewhere, not a photo
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 300, "broken.png"),  # looks like a PNG, does not decode
])
def test_what_is_not_a_photo_is_refused_with_a_clear_message(client: Any, session: Session,
                                                              asset_task: tuple[int, int],
                                                              payload: bytes, name: str) -> None:
    pipe, task_id = asset_task
    sign_in(client, "inspector", "inspector-demo-2026")
    token = csrf_of(client, f"/inspect/tasks/{task_id}")
    resp = client.post(f"/inspect/tasks/{task_id}/photos", data={"file": (io.BytesIO(payload), name)},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 422
    error = resp.get_json()["errors"][0]
    assert error["code"] == "not_an_image" and "不是照片" in error["message"]
    assert attachments.of_record(session, "pipelines", pipe) == []


def test_photos_need_the_task_a_token_and_a_size_limit(client: Any, app: Any, asset_task: tuple[int, int]) -> None:
    _, task_id = asset_task
    url = f"/inspect/tasks/{task_id}/photos"
    sign_in(client, "inspector", "inspector-demo-2026")
    no_token = client.post(url, data={"file": (io.BytesIO(image((10, 10))), "a.png")},
                           content_type="multipart/form-data")
    assert no_token.status_code == 400
    token = csrf_of(client, f"/inspect/tasks/{task_id}")
    missing = client.post(url, data={}, headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["field"] == "file"
    assert client.post("/inspect/tasks/99999999/photos", data={"file": (io.BytesIO(image((10, 10))), "a.png")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data").status_code == 404
    other = app.test_client()
    sign_in(other, "engineer", "engineer-demo-2026")  # sees 西湖区 but the task is the inspector's
    token = csrf_of(other, f"/inspect/tasks/{task_id}")
    assert other.post(url, data={"file": (io.BytesIO(image((10, 10))), "a.png")},
                      headers={"X-CSRFToken": token}, content_type="multipart/form-data").status_code == 403


def test_a_photo_over_the_size_limit_is_refused(settings: Any, sessions: Any, asset_task: tuple[int, int]) -> None:
    from dataclasses import replace

    from web.app import create_app

    app = create_app(replace(settings, max_attachment_bytes=50_000))
    app.extensions["resilience"]["sessions"] = sessions
    client = app.test_client()
    _, task_id = asset_task
    sign_in(client, "inspector", "inspector-demo-2026")
    token = csrf_of(client, f"/inspect/tasks/{task_id}")
    noisy = Image.effect_noise((400, 400), 100).convert("RGB")
    buf = io.BytesIO()
    noisy.save(buf, "PNG")
    assert len(buf.getvalue()) > 50_000
    resp = client.post(f"/inspect/tasks/{task_id}/photos", data={"file": (io.BytesIO(buf.getvalue()), "n.png")},
                       headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert resp.status_code == 413 and resp.get_json()["errors"][0]["code"] == "attachment_too_large"


def publish(session: Session, model: Any, ref: str, level: str, colour: str) -> None:
    session.add(model(unit="asset", ref=ref, name="测试", geom=from_shape(Point(120.08, 30.28), srid=SRID),
                      division_code="330106", level=level, ordinal=2, colour=colour, score=0.5,
                      explanation={}, run_id=1, scheme="test", scheme_version=1))
    session.flush()


def colour_of(page: str) -> str:
    return re.search(r'data-colour="(\w+)"', page).group(1)


def test_the_status_page_colour_follows_risk_hazards_and_overdue_inspections(
        client: Any, session: Session, asset_task: tuple[int, int]) -> None:
    """The four-colour levels and colours (DOMAIN.md §10): not assessed is grey (it was
    blue), an open 一般隐患 is yellow (it was orange), a 重大 one red once graded."""
    pipe, task_id = asset_task
    sign_in(client, "inspector", "inspector-demo-2026")
    url = f"/s/pipelines/{pipe}"
    page = client.get(url).get_data(as_text=True)
    assert colour_of(page) == "grey" and "测试管0" in page and "未评估" in page
    assert f"/inspect/tasks/{task_id}" in page  # start the open task from the label
    publish(session, FiveColourResult, f"pipelines/{pipe}", "fairly_high", "#FF8C00")
    publish(session, FourColourResult, f"pipelines/{pipe}", "general", "#FFFF00")
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert colour_of(page) == "yellow" and "四色图等级为一般风险" in page
    assert "较高风险" in page and "一般风险" in page
    five = re.search(r'id="five-level"><span class="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    four = re.search(r'id="four-level"><span class="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert (five, four) == ("swatch five", "swatch")  # hatched five-colour, solid four-colour
    ctx = support.ctx(session, "inspector")
    filed = hazard_steps.report(session, {"grade": "general", "category": "leakage", "description": "阀门井渗漏",
                                          "asset_collection": "pipelines", "asset_id": pipe}, ctx)
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert colour_of(page) == "yellow" and "阀门井渗漏" in page and f"#{filed.id}" in page
    major = hazard_steps.report(session, {"grade": "major", "category": "leakage", "description": "燃气泄漏",
                                          "asset_collection": "pipelines", "asset_id": pipe}, ctx)
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert colour_of(page) == "yellow"  # a report not yet graded weighs at most 一般
    admin = support.ctx(session, "admin")
    hazard_steps.transition(session, major.id, "register", admin)
    hazard_steps.transition(session, major.id, "grade", admin, grade="major")
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert colour_of(page) == "red" and "未销号重大隐患 ≥ 1" in page


def test_an_overdue_inspection_turns_the_status_yellow(client: Any, session: Session,
                                                       asset_task: tuple[int, int]) -> None:
    pipe, task_id = asset_task
    task = session.get(InspectionTask, task_id)
    task.status, task.closes_on = "overdue", TODAY - timedelta(days=1)
    session.commit()
    sign_in(client, "viewer", "viewer-demo-2026")
    page = client.get(f"/s/pipelines/{pipe}").get_data(as_text=True)
    assert colour_of(page) == "yellow" and "逾期巡检 ≥ 1" in page
    assert f"/inspect/tasks/{task_id}" not in page  # a viewer reads, does not inspect
    client.get("/lang/en?next=/")
    assert "overdue inspections ≥ 1" in client.get(f"/s/pipelines/{pipe}").get_data(as_text=True)


def test_the_status_page_follows_the_divisions(client: Any, asset_task: tuple[int, int]) -> None:
    pipe, _ = asset_task
    assert client.get(f"/s/pipelines/{pipe}").status_code == 302
    sign_in(client, "engineer_sc", "engineer-demo-2026")
    assert client.get(f"/s/pipelines/{pipe}").status_code == 403
    assert client.get("/s/pipelines/99999999").status_code == 404
    assert client.get("/s/nothing/1").status_code == 404


def test_a_registry_sets_its_own_colour_rules(settings: Any, sessions: Any, session: Session,
                                              asset_task: tuple[int, int]) -> None:
    from dataclasses import replace

    from web.app import create_app

    pipe, _ = asset_task
    rules = [{"colour": "red", "fact": "open_tasks", "at_least": 1}]
    app = create_app(replace(settings, extra={"status_rules": rules}))
    app.extensions["resilience"]["sessions"] = sessions
    client = app.test_client()
    sign_in(client, "inspector", "inspector-demo-2026")
    page = client.get(f"/s/pipelines/{pipe}").get_data(as_text=True)
    assert colour_of(page) == "red" and "待巡检 ≥ 1" in page




def test_a_retired_asset_says_so_on_its_status_page(client: Any, auth: Any, asset_task: tuple[int, int]) -> None:
    pipe, _ = asset_task
    sign_in(client, "inspector", "inspector-demo-2026")
    assert "该设施已废弃" not in client.get(f"/s/pipelines/{pipe}").get_data(as_text=True)
    resp = client.delete(f"/api/collections/pipelines/items/{pipe}", headers=auth.headers("admin"))
    assert resp.status_code in (200, 204), resp.get_data(as_text=True)
    assert "该设施已废弃" in client.get(f"/s/pipelines/{pipe}").get_data(as_text=True)


def test_a_phone_photo_is_turned_upright_from_its_exif_orientation() -> None:
    from inventory.inspections import photos

    img = Image.new("RGB", (400, 200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was held upright: rotate 90° clockwise to show it
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    shrunk = Image.open(io.BytesIO(photos.shrink(buf.getvalue())))
    assert shrunk.size == (200, 400) and shrunk.format == "JPEG"
    assert 0x0112 not in shrunk.getexif()  # no orientation left for a viewer to apply twice
