"""Hidden-hazard integrity (16号令; DOMAIN.md §10), over HTTP on both databases.

The defects of issue 14 item 1–2, each as it was done: an inspector's PATCH downgrading a
挂牌督办 重大隐患 and pushing its deadline; a closed hazard rewritten; a 督办 deadline that
never made anything overdue; one emergency manager rectifying, submitting and closing a
督办 重大隐患 alone. And what replaces the edits: 重新定级 and 延期 steps with a reason, the
督办 unit's acceptance, the period's 重大隐患 report with each hazard's trail.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections import hazard_escalation, hazards
from resilience import accounts
from resilience.errors import Conflict
from tests.inspections.test_hazards_api import FIXED, codes, file, photo, png, step
from tests.web.test_asset_page import sign_in

JSON = "application/json"
ORDER = {"supervising_unit": "市安委办", "supervision_deadline": "2099-12-31"}


def graded(client: Any, auth: Any, grade: str = "major", deadline: str = "2099-06-30",
           **props: Any) -> int:
    key = int(file(client, auth, grade=grade, **props).get_json()["id"])
    assert step(client, auth, "engineer", key, "register", deadline=deadline).status_code == 200
    assert step(client, auth, "engineer", key, "grade", grade=grade).status_code == 200
    return key


def supervised(client: Any, auth: Any, name: str | None = None, **order: Any) -> int:
    key = graded(client, auth, **({"name": name} if name else {}))
    done = step(client, auth, "manager", key, "supervise", **{**ORDER, **order})
    assert done.status_code == 200, done.get_json()
    return key


def patch(client: Any, auth: Any, user: str, key: int, **props: Any) -> Any:
    return client.patch(f"/api/collections/hazards/items/{key}",
                        data=json.dumps({"properties": props}), headers=auth.headers(user),
                        content_type=JSON)


def fresh(session: Session, key: int) -> hazards.Hazard:
    session.expire_all()
    hazard = session.get(hazards.Hazard, key)
    assert hazard is not None
    return hazard


def test_no_edit_downgrades_a_supervised_major_hazard_or_pushes_its_deadline(
        client: Any, auth: Any, session: Session) -> None:
    key = supervised(client, auth)
    for props in ({"grade": "general"}, {"deadline": "2100-12-31"}, {"supervised": False},
                  {"supervision_deadline": "2100-01-01"}, {"state": "closed"}):
        for user in ("inspector", "engineer", "manager"):
            resp = patch(client, auth, user, key, description="改写", **props)
            assert resp.status_code == 409, (user, props, resp.get_json())
            (error,) = resp.get_json()["errors"]
            assert error["field"] == next(iter(props)), error
    again = step(client, auth, "manager", key, "supervise", **{**ORDER,
                                                              "supervision_deadline": "2100-06-30"})
    assert again.status_code == 422 and codes(again) == ["already_supervised"]
    item = client.get(f"/api/collections/hazards/items/{key}", headers=auth.headers("engineer"))
    body = item.get_json()
    body["properties"]["grade"] = "general"
    put = client.put(f"/api/collections/hazards/items/{key}", data=json.dumps(body),
                     headers=auth.headers("engineer"), content_type="application/geo+json")
    assert put.status_code == 409 and codes(put) == ["field_by_step"]
    body["properties"].update(grade="major", description="人行道下燃气管旁开挖")  # sent back as read
    put = client.put(f"/api/collections/hazards/items/{key}", data=json.dumps(body),
                     headers=auth.headers("engineer"), content_type="application/geo+json")
    assert put.status_code == 200, put.get_json()
    hazard = fresh(session, key)
    assert (hazard.grade, hazard.deadline, hazard.supervised, hazard.supervision_deadline) == (
        "major", date(2099, 6, 30), True, date(2099, 12, 31))
    trail = client.get(f"/api/hazards/{key}/trail", headers=auth.headers("viewer")).get_json()
    assert trail["events"][-1]["action"] == "edit"  # the plain edit is in the hazard's own trail
    assert trail["events"][-1]["changes"]["description"][1] == "人行道下燃气管旁开挖"

    sign_in(client, "engineer", "engineer-demo-2026")
    form = client.get(f"/collections/hazards/items/{key}/edit").get_data(as_text=True)
    assert 'name="description"' in form
    assert not re.search(r'name="(grade|deadline|state|supervised)"', form)


def test_regrading_and_extending_are_reviewer_steps_with_a_reason_in_the_trail(
        client: Any, auth: Any, session: Session) -> None:
    watched = supervised(client, auth)
    down = step(client, auth, "manager", watched, "regrade", grade="general", reason="复核")
    assert down.status_code == 422 and codes(down) == ["supervised_stays_major"]
    key = graded(client, auth)
    assert step(client, auth, "engineer", key, "regrade", grade="general",
                reason="复核").status_code == 403
    assert codes(step(client, auth, "manager", key, "regrade", grade="general")) == ["required"]
    done = step(client, auth, "manager", key, "regrade", grade="general",
                reason="现场复核：覆土充足，无坍塌风险")
    assert done.status_code == 200 and done.get_json()["properties"]["grade"] == "general"

    moved = step(client, auth, "engineer", key, "rectify", **{**FIXED, "deadline": "2100-01-31"})
    assert moved.status_code == 422 and codes(moved) == ["deadline_by_extension"]
    assert step(client, auth, "engineer", key, "rectify", **FIXED).status_code == 200  # same day
    assert step(client, auth, "engineer", key, "extend", deadline="2099-09-30",
                reason="雨季").status_code == 403
    earlier = step(client, auth, "manager", key, "extend", deadline="2099-05-31", reason="x")
    assert earlier.status_code == 422 and codes(earlier) == ["extension_not_later"]
    extended = step(client, auth, "manager", key, "extend", deadline="2099-09-30",
                    reason="汛期暂停开挖，经审批延期")
    assert extended.status_code == 200
    assert extended.get_json()["properties"]["deadline"] == "2099-09-30"
    events = client.get(f"/api/hazards/{key}/trail", headers=auth.headers("viewer")
                        ).get_json()["events"]
    regrade, extend = events[-3], events[-1]
    assert (regrade["action"], regrade["by"], regrade["reason"], regrade["changes"]["grade"]) == (
        "regrade", "manager", "现场复核：覆土充足，无坍塌风险", ["major", "general"])
    assert (extend["action"], extend["reason"], extend["changes"]["deadline"]) == (
        "extend", "汛期暂停开挖，经审批延期", ["2099-06-30", "2099-09-30"])
    sign_in(client, "manager", "manager-demo-2026")
    page = client.get(f"/hazards/{key}").get_data(as_text=True)
    assert 'data-action="extend"' in page and 'data-action="regrade"' in page
    assert "2099-06-30 → 2099-09-30" in page


def closed(client: Any, auth: Any) -> int:
    key = graded(client, auth, grade="general")
    assert step(client, auth, "engineer", key, "rectify", **FIXED).status_code == 200
    assert photo(client, auth, "engineer", key).status_code == 201
    assert step(client, auth, "engineer", key, "submit_review").status_code == 200
    assert step(client, auth, "manager", key, "close", note="复查合格").status_code == 200
    return key


def test_a_closed_hazard_is_frozen(client: Any, auth: Any, session: Session) -> None:
    key = closed(client, auth)
    before = fresh(session, key)
    version, description = before.version, before.description
    url = f"/api/collections/hazards/items/{key}"
    for user in ("inspector", "engineer", "admin"):
        resp = patch(client, auth, user, key, description="已销号后改写")
        assert resp.status_code == 409 and codes(resp) == ["hazard_closed"], user
    body = client.get(url, headers=auth.headers("admin")).get_json()
    body["properties"]["name"] = "改名"
    put = client.put(url, data=json.dumps(body), headers=auth.headers("admin"),
                     content_type="application/geo+json")
    assert put.status_code == 409 and codes(put) == ["hazard_closed"]
    assert client.delete(url, headers=auth.headers("admin")).status_code == 409
    assert photo(client, auth, "engineer", key).status_code == 409
    sign_in(client, "engineer", "engineer-demo-2026")
    page = client.get(f"/collections/hazards/items/{key}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    attached = client.post(f"/collections/hazards/items/{key}/attachments",
                           data={"csrf_token": token, "file": (io.BytesIO(png()), "x.png"),
                                 "note": "after"}, content_type="multipart/form-data")
    assert attached.status_code == 409
    after = fresh(session, key)
    assert (after.version, after.description, after.state, after.retired_at) == (
        version, description, "closed", None)
    assert len(hazards.photos(session, key)) == 1
    events = client.get(f"/api/hazards/{key}/trail", headers=auth.headers("viewer")
                        ).get_json()["events"]
    assert events[-1]["action"] == "close"


def test_the_supervision_deadline_makes_a_hazard_overdue(client: Any, auth: Any,
                                                         session: Session) -> None:
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    key = supervised(client, auth, supervision_deadline=yesterday)  # deadline 2099-06-30
    calm = graded(client, auth)
    one = client.get(f"/api/hazards/{key}", headers=auth.headers("manager")).get_json()
    assert one["properties"]["overdue"] is True
    assert one["properties"]["due"] == yesterday
    listed = client.get("/api/hazards?overdue=true", headers=auth.headers("manager")).get_json()
    ids = [h["id"] for h in listed["hazards"]]
    assert key in ids and calm not in ids
    assert [h.id for h in hazards.overdue(session, date.today())] == [key]
    manager = accounts.principal_of(accounts.get_user(session, "manager"))
    assert hazards.counts(session, manager, date.today())["overdue"] == 1
    assert hazard_escalation.escalate_overdue(session, date.today()) >= 1
    assert hazards.trail(session, key)[-1].action == "escalate"
    assert hazards.due_on(date(2099, 6, 30), date(2026, 1, 1)) == date(2026, 1, 1)
    assert hazards.due_on(None, None) is None


def pdf(client: Any, auth: Any, user: str, key: int) -> Any:
    return client.post(f"/api/hazards/{key}/photos", headers=auth.headers(user),
                       data={"file": (io.BytesIO(b"%PDF-1.4 signed acceptance"), "验收.pdf"),
                             "side": "acceptance"}, content_type="multipart/form-data")


def test_one_emergency_manager_cannot_rectify_submit_and_close_a_supervised_hazard_alone(
        client: Any, auth: Any, session: Session) -> None:
    key = supervised(client, auth)
    assert step(client, auth, "manager", key, "rectify", **FIXED).status_code == 200
    assert photo(client, auth, "manager", key).status_code == 201
    assert step(client, auth, "manager", key, "submit_review").status_code == 200
    alone = step(client, auth, "manager", key, "close", note="自查合格")
    assert alone.status_code == 403 and codes(alone) == ["review_by_other"]
    assert fresh(session, key).state == "pending_review"
    mine = client.get(f"/api/hazards/{key}", headers=auth.headers("manager")).get_json()
    assert "close" not in mine["allowed_actions"] and "fail_review" in mine["allowed_actions"]

    bare = step(client, auth, "admin", key, "close")
    assert bare.status_code == 422 and set(codes(bare)) == {"acceptance_required"}
    assert {e["field"] for e in bare.get_json()["errors"]} == {
        "acceptance_by", "acceptance_on", "acceptance_opinion", "acceptance_attachment"}
    document = pdf(client, auth, "admin", key)
    assert document.status_code == 201, document.get_json()
    accepted = {"acceptance_by": "市安委办 张科长", "acceptance_on": date.today().isoformat(),
                "acceptance_opinion": "整改措施落实到位，同意销号"}
    ok = step(client, auth, "admin", key, "close", **accepted,
              acceptance_attachment=document.get_json()["id"])
    assert ok.status_code == 200 and ok.get_json()["properties"]["state"] == "closed"
    trail = client.get(f"/api/hazards/{key}/trail", headers=auth.headers("viewer")).get_json()
    (record,) = trail["acceptances"]
    assert (record["by"], record["supervising_unit"], record["opinion"], record["recorded_by"]) \
        == ("市安委办 张科长", "市安委办", "整改措施落实到位，同意销号", "admin")
    assert record["event_id"] == trail["events"][-1]["id"]
    from inventory.inspections.hazard_acceptance import HazardAcceptance  # new in issue 14

    assert session.scalar(select(HazardAcceptance.attachment_id).where(
        HazardAcceptance.hazard_id == key)) == document.get_json()["id"]
    sign_in(client, "viewer", "viewer-demo-2026")
    page = client.get(f"/hazards/{key}").get_data(as_text=True)
    assert 'id="hazard-acceptance"' in page and "市安委办 张科长" in page


def test_the_close_form_of_a_supervised_hazard_asks_for_the_acceptance(
        client: Any, auth: Any) -> None:
    key = supervised(client, auth)
    assert step(client, auth, "engineer", key, "rectify", **FIXED).status_code == 200
    assert photo(client, auth, "engineer", key).status_code == 201
    assert step(client, auth, "engineer", key, "submit_review").status_code == 200
    sign_in(client, "manager", "manager-demo-2026")
    page = client.get(f"/hazards/{key}").get_data(as_text=True)
    assert 'data-action="close"' in page and 'name="acceptance_by"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/hazards/{key}/steps", data={
        "csrf_token": token, "action": "close", "acceptance_by": "市安委办 李工",
        "acceptance_on": date.today().isoformat(), "acceptance_opinion": "同意销号",
        "document": (io.BytesIO(b"%PDF-1.4 signed"), "验收意见.pdf")},
        content_type="multipart/form-data")
    assert resp.status_code == 302 and "done=close" in resp.headers["Location"], resp.headers


def test_the_major_hazards_report_has_each_graded_major_hazard_and_its_trail(
        client: Any, auth: Any) -> None:
    major = supervised(client, auth, name="燃气管旁违规开挖")
    unverified = int(file(client, auth, grade="major").get_json()["id"])
    general = graded(client, auth, grade="general")
    year = str(date.today().year)
    data = client.get(f"/api/hazards/major-report?period={year}",
                      headers=auth.headers("manager")).get_json()
    ids = [h["id"] for h in data["hazards"]]
    assert major in ids and unverified not in ids and general not in ids
    (row,) = [h for h in data["hazards"] if h["id"] == major]
    assert (row["supervised"], row["supervising_unit"], row["due"]) == (True, "市安委办",
                                                                      "2099-06-30")
    assert [e["action"] for e in row["trail"]] == ["report", "register", "grade", "supervise"]
    assert row["link"].endswith(f"/hazards/{major}")
    assert data["links"][0]["href"].endswith(f"to={year}-12-31")
    last_year = client.get(f"/api/hazards/major-report?period={int(year) - 1}",
                           headers=auth.headers("manager")).get_json()
    assert last_year["hazards"] == []
    bad = client.get("/api/hazards/major-report?period=2026-13", headers=auth.headers("manager"))
    assert bad.status_code == 422 and codes(bad) == ["invalid_period"]

    sign_in(client, "manager", "manager-demo-2026")
    assert "major-report.xlsx" in client.get("/hazards").get_data(as_text=True)
    xlsx = client.get(f"/hazards/major-report.xlsx?from={year}-01-01&to={year}-12-31")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    sheet, trail = book.worksheets
    assert sheet.title == "重大隐患" and trail.title == "处置过程"
    assert [c.value for c in sheet[3]][:2] == ["编号", "隐患名称"]
    assert [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)] == [major]
    steps = [r[2] for r in trail.iter_rows(min_row=2, values_only=True) if r[0] == major]
    assert steps == ["发现", "登记", "评估定级", "挂牌督办"]



def edit_form(client: Any, auth: Any, key: int, **changes: str) -> dict[str, str]:
    """The edit form as the page posts it: the record's values, and ``changes``."""
    url = f"/collections/hazards/items/{key}/edit"
    page = client.get(url).get_data(as_text=True)
    item = client.get(f"/api/collections/hazards/items/{key}", headers=auth.headers("admin"))
    props = {k: "" if v is None else str(v) for k, v in item.get_json()["properties"].items()
             if not isinstance(v, dict | list | bool)}
    return {**props, "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page)[1],
            "version": re.search(r'name="version" value="(\d+)"', page)[1], "coordinates": "",
            "geometry": json.dumps(item.get_json()["geometry"]), **changes}


def test_the_edit_form_cannot_touch_the_loops_fields_nor_a_closed_hazard(
        client: Any, auth: Any, session: Session) -> None:
    key = supervised(client, auth)
    sign_in(client, "engineer", "engineer-demo-2026")
    url = f"/collections/hazards/items/{key}/edit"
    forged = edit_form(client, auth, key, description="表单改写", grade="general",
                       deadline="2100-12-31", state="closed", supervised="false",
                       supervision_deadline="2100-01-01")
    resp = client.post(url, data=forged)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    hazard = fresh(session, key)
    assert (hazard.description, hazard.grade, hazard.deadline, hazard.state, hazard.supervised,
            hazard.supervision_deadline) == ("表单改写", "major", date(2099, 6, 30), "graded",
                                             True, date(2099, 12, 31))

    done = closed(client, auth)
    version = fresh(session, done).version
    resp = client.post(f"/collections/hazards/items/{done}/edit",
                       data=edit_form(client, auth, done, description="销号后表单改写"))
    assert resp.status_code == 409
    after = fresh(session, done)
    assert (after.version, after.state) == (version, "closed")
    assert after.description != "销号后表单改写"


def test_no_write_outside_the_loops_steps_changes_its_fields(
        client: Any, auth: Any, session: Session) -> None:
    """Whatever path writes the row (a script, a future form), flush refuses it, naming it."""
    key = supervised(client, auth)
    hazard = fresh(session, key)
    hazard.grade, hazard.deadline = "general", date(2100, 12, 31)
    with pytest.raises(Conflict) as refused:
        session.flush()
    assert {(p.field, p.code, p.params["current"]) for p in refused.value.problems} == {
        ("grade", "field_by_step", "major"), ("deadline", "field_by_step", "2099-06-30")}
    session.rollback()
