"""The hidden-hazard loop over HTTP, by role, on both databases: filed by an inspector,
registered, graded and rectified by an engineer with 五落实, failed and then passed by the
emergency manager; wrong roles and wrong orders refused with their codes; nothing doubled."""

from __future__ import annotations

import io
import json
import uuid
from datetime import date
from typing import Any

from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.inspections import hazards
from resilience.audit import AuditEntry
from tests import factories as f
from tests.web.test_asset_page import sign_in

GEO = "application/geo+json"
FIXED = {"responsibility_person": "王工", "measures": "更换井盖并加固井圈", "funding": "区财政 2 万元",
         "deadline": "2099-06-30", "contingency_plan": "设置围挡和警示灯"}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def file(client: Any, auth: Any, user: str = "inspector", **props: Any) -> Any:
    body = f.feature(f.point(), **{"category": "cover_damaged", "description": "井盖破损，有坠落风险",
                                   **props})
    return client.post("/api/collections/hazards/items", data=json.dumps(body),
                       headers=auth.headers(user), content_type=GEO)


def step(client: Any, auth: Any, user: str, key: int, action: str, **fields: Any) -> Any:
    return client.post(f"/api/hazards/{key}/transitions",
                       data=json.dumps({"action": action, **fields}),
                       headers=auth.headers(user), content_type="application/json")


def photo(client: Any, auth: Any, user: str, key: int, side: str = "after",
          data: bytes | None = None) -> Any:
    return client.post(f"/api/hazards/{key}/photos", headers=auth.headers(user),
                       data={"file": (io.BytesIO(data or png()), "p.png"), "side": side},
                       content_type="multipart/form-data")


def codes(resp: Any) -> list[str]:
    return [e["code"] for e in resp.get_json()["errors"]]


def test_the_loop_by_role_to_closed(client: Any, auth: Any, session: Session) -> None:
    resp = file(client, auth, client_id=str(uuid.uuid4()))
    assert resp.status_code == 201, resp.get_json()
    key = int(resp.get_json()["id"])
    props = resp.get_json()["properties"]
    assert (props["state"], props["grade"], props["found_by"]) == ("reported", "general",
                                                                   "inspector")
    assert photo(client, auth, "inspector", key, side="before").status_code == 201

    assert step(client, auth, "engineer", key, "register", responsible_unit="西湖区市政").status_code == 200
    assert step(client, auth, "engineer", key, "grade", grade="major").status_code == 200
    bare = step(client, auth, "engineer", key, "rectify")
    assert bare.status_code == 422 and set(codes(bare)) == {"required_before"}
    assert {e["field"] for e in bare.get_json()["errors"]} == {
        "responsibility_person", "measures", "funding", "deadline", "contingency_plan"}
    ok = step(client, auth, "engineer", key, "rectify", **FIXED)
    assert ok.status_code == 200 and ok.get_json()["properties"]["state"] == "rectifying"
    early = step(client, auth, "engineer", key, "submit_review")
    assert early.status_code == 422 and codes(early) == ["after_photo_required"]
    assert photo(client, auth, "engineer", key).status_code == 201
    assert step(client, auth, "engineer", key, "submit_review").status_code == 200

    no_reason = step(client, auth, "manager", key, "fail_review")
    assert no_reason.status_code == 422 and codes(no_reason) == ["required"]
    failed = step(client, auth, "manager", key, "fail_review", reason="井圈仍松动")
    assert failed.status_code == 200
    assert failed.get_json()["properties"]["state"] == "rectifying"
    assert failed.get_json()["properties"]["review_failures"] == 1
    assert step(client, auth, "engineer", key, "submit_review").status_code == 200
    closed = step(client, auth, "manager", key, "close", note="复查合格，予以销号")
    assert closed.status_code == 200
    assert closed.get_json()["properties"]["state"] == "closed"
    assert closed.get_json()["properties"]["closed_at"]

    trail = client.get(f"/api/hazards/{key}/trail", headers=auth.headers("viewer")).get_json()
    assert [e["action"] for e in trail["events"]] == [
        "report", "register", "grade", "rectify", "submit_review", "fail_review",
        "submit_review", "close"]
    assert trail["events"][5]["reason"] == "井圈仍松动"
    assert [p["side"] for p in trail["photos"]] == ["before", "after"]
    assert trail["events"][1]["attachments"] == [trail["photos"][0]["id"]]  # shown once
    assert trail["events"][4]["attachments"] == [trail["photos"][1]["id"]]
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.collection == "hazards", AuditEntry.record_id == key).order_by(AuditEntry.id))
    assert list(actions) == ["create", "attach", "register", "grade", "rectify", "attach",
                             "submit_review", "fail_review", "submit_review", "close"]
    assert step(client, auth, "manager", key, "fail_review", reason="x").status_code == 409


def test_wrong_role_is_403_and_wrong_order_409_with_the_code(client: Any, auth: Any,
                                                             session: Session) -> None:
    key = int(file(client, auth).get_json()["id"])
    for user, action in (("inspector", "register"), ("viewer", "register"),
                         ("engineer", "close")):
        resp = step(client, auth, user, key, action)
        assert resp.status_code == 403 and codes(resp) == ["action_not_for_role"], (user, action)
    out_of_order = step(client, auth, "engineer", key, "rectify", **FIXED)
    assert out_of_order.status_code == 409
    error = out_of_order.get_json()["errors"][0]
    assert error["code"] == "transition_not_allowed"
    assert "reported" in error["message"] and "rectifying" in error["message"]
    elsewhere = step(client, auth, "engineer_sc", key, "register")  # 上城区's engineer
    assert elsewhere.status_code == 403
    unknown = step(client, auth, "engineer", key, "demolish")
    assert unknown.status_code == 422 and codes(unknown) == ["unknown_code"]
    assert session.get(hazards.Hazard, key).state == "reported"  # nothing half-written
    assert session.scalar(select(func.count()).select_from(hazards.HazardEvent).where(
        hazards.HazardEvent.hazard_id == key)) == 1


def test_a_retried_report_is_stored_once(client: Any, auth: Any, session: Session) -> None:
    cid = str(uuid.uuid4())
    first = file(client, auth, client_id=cid)
    again = file(client, auth, client_id=cid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.headers["Location"].endswith(f"/items/{first.get_json()['id']}")
    assert session.scalar(select(func.count()).select_from(hazards.Hazard).where(
        hazards.Hazard.client_id == cid)) == 1
    bad = file(client, auth, client_id="not-a-uuid")
    assert bad.status_code == 422 and codes(bad) == ["invalid_value"]


def test_state_moves_only_by_transitions(client: Any, auth: Any) -> None:
    key = int(file(client, auth).get_json()["id"])
    url = f"/api/collections/hazards/items/{key}"
    refused = client.patch(url, data=json.dumps({"properties": {"state": "closed"}}),
                           headers=auth.headers("engineer"), content_type="application/json")
    assert refused.status_code == 409 and codes(refused) == ["state_by_transition"]
    ok = client.patch(url, data=json.dumps({"properties": {"description": "井盖缺失", "state":
                                                           "reported"}}),
                      headers=auth.headers("engineer"), content_type="application/json")
    assert ok.status_code == 200
    props = ok.get_json()["properties"]
    assert (props["description"], props["state"]) == ("井盖缺失", "reported")
    assert client.delete(url, headers=auth.headers("engineer")).status_code == 403
    assert client.delete(url, headers=auth.headers("admin")).status_code == 204


def test_supervision_only_for_major_hazards(client: Any, auth: Any) -> None:
    key = int(file(client, auth).get_json()["id"])
    order = {"supervising_unit": "市安委办", "supervision_deadline": "2099-03-31"}
    assert step(client, auth, "engineer", key, "register").status_code == 200
    assert step(client, auth, "engineer", key, "grade", grade="general").status_code == 200
    general = step(client, auth, "manager", key, "supervise", **order)
    assert general.status_code == 422 and codes(general) == ["supervision_major_only"]
    major = int(file(client, auth, grade="major").get_json()["id"])
    assert step(client, auth, "engineer", major, "supervise", **order).status_code == 403
    early = step(client, auth, "manager", major, "supervise", **order)  # 挂牌督办 follows 定级
    assert early.status_code == 409 and codes(early) == ["transition_not_allowed"]
    assert step(client, auth, "engineer", major, "register").status_code == 200
    assert step(client, auth, "engineer", major, "grade", grade="major").status_code == 200
    done = step(client, auth, "manager", major, "supervise", **order)
    assert done.status_code == 200
    props = done.get_json()["properties"]
    assert (props["supervised"], props["supervising_unit"], props["state"]) == (
        True, "市安委办", "graded")


def test_overdue_is_derived_and_listed(client: Any, auth: Any, session: Session) -> None:
    late = int(file(client, auth).get_json()["id"])
    assert step(client, auth, "engineer", late, "register", deadline="2020-01-31").status_code == 200
    fine = int(file(client, auth).get_json()["id"])
    assert step(client, auth, "engineer", fine, "register", deadline="2099-01-31").status_code == 200
    listed = client.get("/api/hazards?overdue=1", headers=auth.headers("manager")).get_json()
    ids = [h["id"] for h in listed["hazards"]]
    assert late in ids and fine not in ids
    assert all(h["properties"]["overdue"] for h in listed["hazards"])
    assert late in [h.id for h in hazards.overdue(session, date.today())]
    assert fine not in [h.id for h in hazards.overdue(session, date.today())]
    one = client.get(f"/api/hazards/{late}", headers=auth.headers("manager")).get_json()
    assert one["properties"]["overdue"] is True
    assert one["allowed_actions"] == ["grade"]  # registered; a general hazard: no 挂牌督办


def test_a_photo_that_is_not_an_image_is_refused(client: Any, auth: Any, session: Session) -> None:
    key = int(file(client, auth).get_json()["id"])
    text = photo(client, auth, "inspector", key, data=b"just some text, not a photo")
    assert text.status_code == 422 and codes(text) == ["attachment_type"]
    pdf = photo(client, auth, "inspector", key, data=b"%PDF-1.4 not a photo either")
    assert pdf.status_code == 422 and codes(pdf) == ["attachment_type"]
    assert hazards.photos(session, key) == []


def test_the_pages_list_and_walk_a_hazard(client: Any, auth: Any) -> None:
    key = int(file(client, auth, name="文三路井盖").get_json()["id"])
    sign_in(client, "engineer", "engineer-demo-2026")
    listing = client.get("/hazards").get_data(as_text=True)
    assert f'data-hazard="{key}"' in listing and "文三路井盖" in listing
    page = client.get(f"/hazards/{key}").get_data(as_text=True)
    assert 'data-action="register"' in page and 'data-action="close"' not in page
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post(f"/hazards/{key}/steps", data={"csrf_token": token, "action": "register",
                                                      "responsible_unit": "西湖区市政"})
    assert resp.status_code == 302 and "done=register" in resp.headers["Location"]
    resp = client.post(f"/hazards/{key}/steps", data={"csrf_token": token, "action": "close"})
    assert resp.status_code == 302 and "error=" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="hazard-error"' in page and 'data-action="grade"' in page


def test_only_an_admin_retires_a_hazard_from_the_pages(client: Any, auth: Any,
                                                      session: Session) -> None:
    import re

    key = int(file(client, auth).get_json()["id"])
    sign_in(client, "engineer", "engineer-demo-2026")
    page = client.get(f"/collections/hazards/items/{key}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post(f"/collections/hazards/items/{key}/retire",
                          data={"csrf_token": token, "reason": "重复上报"})
    assert refused.status_code == 403
    assert session.get(hazards.Hazard, key).retired_at is None
