"""The inspections API on both databases: templates, plans, the task list, a task, submissions."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory.inspections import presets, task_escalation, task_generation
from inventory.inspections.tasks import InspectionSubmission, InspectionTask
from tests.inspections import support

JSON = "application/json"
GOOD = {"markers": "good", "occupation": False, "third_party_works": False, "lel": 0,
        "gas_smell": False, "valve_well_water": False, "valve_corrosion": False,
        "regulator": "none", "ground_subsidence": False}


def _setup(sessions: sessionmaker[Session], n: int = 2, **plan: Any) -> list[int]:
    """Pipelines, a weekly plan for the demo inspector and its tasks; the task ids."""
    with sessions() as s:
        support.pipelines(s, n)
        p = support.plan(s, **plan)
        task_generation.generate(s, p, support.MONDAY, 7, {})
        ids = list(s.scalars(select(InspectionTask.id).where(InspectionTask.plan_id == p.id)
                             .order_by(InspectionTask.id)))
        s.commit()
    return ids


def test_templates_are_listed_and_a_new_version_is_saved(client: Any, auth: Any) -> None:
    body = client.get("/api/inspections/templates", headers=auth.headers("viewer")).get_json()
    codes = {t["code"] for t in body["templates"]}
    assert codes >= {p["code"] for p in presets.PRESETS}
    new = {k: copy.deepcopy(presets.SHELTER_READINESS[k])
           for k in ("code", "name_zh", "name_en", "applies_to", "items")}
    resp = client.post("/api/inspections/templates", json=new, headers=auth.headers("engineer"))
    assert resp.status_code == 201 and resp.get_json()["version"] == 2
    assert resp.headers["Location"].endswith(f"/api/inspections/templates/{resp.get_json()['id']}")
    assert client.post("/api/inspections/templates", json=new,
                       headers=auth.headers("inspector")).status_code == 403
    new["items"][0]["kind"] = "slider"
    bad = client.post("/api/inspections/templates", json=new, headers=auth.headers("admin"))
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "items.0.kind"


def test_plans_are_created_by_planners_and_a_bad_rule_is_named(client: Any, auth: Any) -> None:
    plan = {"name": "西湖区窨井盖月巡", "template": "manhole_covers",
            "selection": {"collection": "network-points", "division": "330106"},
            "recurrence": "FREQ=MONTHLY;BYMONTHDAY=1", "assignee": "inspector", "open_days": 5}
    resp = client.post("/api/inspections/plans", json=plan, headers=auth.headers("manager"))
    assert resp.status_code == 201, resp.get_json()
    made = resp.get_json()
    assert made["owner"] == "manager" and made["recurrence"] == "FREQ=MONTHLY;BYMONTHDAY=1"
    listed = client.get("/api/inspections/plans", headers=auth.headers("engineer")).get_json()
    assert made["id"] in [p["id"] for p in listed["plans"]]
    bad = client.post("/api/inspections/plans", json={**plan, "recurrence": "FREQ=SOMETIMES"},
                      headers=auth.headers("engineer"))
    assert bad.status_code == 400
    assert bad.mimetype == "application/problem+json"
    assert [e["field"] for e in bad.get_json()["errors"]] == ["recurrence"]
    assert client.post("/api/inspections/plans", json=plan,
                       headers=auth.headers("inspector")).status_code == 403
    assert client.post("/api/inspections/plans", json=plan).status_code == 401


def test_the_inspectors_list_is_theirs_nearest_first(client: Any, auth: Any,
                                                     sessions: sessionmaker[Session]) -> None:
    _setup(sessions, 3)
    url = "/api/inspections/tasks?assignee=me&day=2026-11-30&near=120.0841,30.2801"
    body = client.get(url, headers=auth.headers("inspector")).get_json()
    names = [t["asset"]["name"] for t in body["tasks"]]
    assert names == ["测试管2", "测试管1", "测试管0"]
    first = body["tasks"][0]
    assert first["status"] == "due" and first["template"]["code"] == "gas_pipeline_patrol"
    assert first["distance_m"] < 150 and first["plan_name"] == "西湖区燃气管线周巡"
    upcoming = client.get("/api/inspections/tasks?assignee=me&upcoming=1&limit=4",
                          headers=auth.headers("inspector")).get_json()
    assert len(upcoming["tasks"]) == 4 and "offset=4" in upcoming["next"]
    city = client.get("/api/inspections/tasks?day=2026-11-30&division=330100",
                      headers=auth.headers("inspector")).get_json()
    assert len(city["tasks"]) == 3
    elsewhere = client.get("/api/inspections/tasks?day=2026-11-30&division=330102",
                           headers=auth.headers("inspector")).get_json()
    assert elsewhere["tasks"] == []
    other = client.get("/api/inspections/tasks?day=2026-11-30",
                       headers=auth.headers("engineer_sc")).get_json()
    assert other["tasks"] == []
    assert client.get("/api/inspections/tasks?status=lost",
                      headers=auth.headers("inspector")).status_code == 400
    assert client.get("/api/inspections/tasks?near=east",
                      headers=auth.headers("inspector")).status_code == 400


def test_a_task_comes_with_its_items_asset_and_last_answers(client: Any, auth: Any,
                                                           sessions: sessionmaker[Session]) -> None:
    first, second = _setup(sessions, 1)
    resp = client.post(f"/api/inspections/tasks/{first}",
                       json={"client_id": str(uuid.uuid4()), "answers": GOOD,
                             "position": [120.0801, 30.2801]},
                       headers=auth.headers("inspector"))
    assert resp.status_code == 201
    body = client.get(f"/api/inspections/tasks/{second}",
                      headers=auth.headers("inspector")).get_json()
    assert body["task"]["id"] == second and body["may_submit"] is True
    assert [i["code"] for i in body["template"]["items"]][:2] == ["markers", "occupation"]
    assert body["asset"]["collection"] == "pipelines" and body["asset"]["name"] == "测试管0"
    assert body["last_answers"]["answers"] == GOOD and body["submission"] is None
    assert client.get(f"/api/inspections/tasks/{second}",
                      headers=auth.headers("engineer_sc")).status_code == 403
    assert client.get("/api/inspections/tasks/99999999",
                      headers=auth.headers("inspector")).status_code == 404


def test_a_submission_is_stored_once_and_refused_clearly(client: Any, auth: Any,
                                                        sessions: sessionmaker[Session]) -> None:
    first, second = _setup(sessions, 1)
    url = f"/api/inspections/tasks/{first}"
    payload = {"client_id": str(uuid.uuid4()), "answers": GOOD, "position": [120.08, 30.28]}
    made = client.post(url, json=payload, headers=auth.headers("inspector"))
    retry = client.post(url, json=payload, headers=auth.headers("inspector"))
    assert (made.status_code, retry.status_code) == (201, 200)
    assert made.get_json() == retry.get_json()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(InspectionSubmission)
                        .where(InspectionSubmission.task_id == first)) == 1
    off = client.post(f"/api/inspections/tasks/{second}",
                      json={**payload, "client_id": str(uuid.uuid4()),
                            "answers": {**GOOD, "lel": 101}},
                      headers=auth.headers("inspector", **{"Accept-Language": "en"}))
    assert off.status_code == 422
    error = off.get_json()["errors"][0]
    assert error["field"] == "answers.lel" and "101" in error["message"]
    wrong = client.post(f"/api/inspections/tasks/{second}",
                        json={**payload, "client_id": str(uuid.uuid4())},
                        headers=auth.headers("engineer"))
    assert wrong.status_code == 403
    with sessions() as s:
        s.get(InspectionTask, second).status = "cancelled"
        s.commit()
    gone = client.post(f"/api/inspections/tasks/{second}",
                       json={**payload, "client_id": str(uuid.uuid4())},
                       headers=auth.headers("inspector"))
    assert gone.status_code == 409
    assert client.post(url, json={**payload, "client_id": str(uuid.uuid4())},
                       headers=auth.headers("inspector")).status_code == 409  # already done


def test_a_defect_answer_shows_the_hazard_it_filed(client: Any, auth: Any,
                                                   sessions: sessionmaker[Session]) -> None:
    first, _ = _setup(sessions, 1)
    resp = client.post(f"/api/inspections/tasks/{first}",
                       json={"client_id": str(uuid.uuid4()),
                             "answers": {**GOOD, "markers": "damaged"}},
                       headers=auth.headers("inspector"))
    assert resp.status_code == 201
    (hazard_id,) = resp.get_json()["hazard_ids"]
    feature = client.get(f"/api/collections/hazards/items/{hazard_id}",
                         headers=auth.headers("engineer")).get_json()
    assert feature["properties"]["task_id"] == first
    assert feature["properties"]["state"] == "reported"


def test_the_openapi_document_lists_the_inspection_paths(client: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    paths = doc["paths"]
    assert {"get", "post"} <= set(paths["/inspections/plans"])
    assert {"get", "post"} <= set(paths["/inspections/tasks/{id}"])
    names = {p["name"] for p in paths["/inspections/tasks"]["get"]["parameters"]}
    assert {"assignee", "status", "division", "near", "limit", "offset"} <= names
    body = paths["/inspections/tasks/{id}"]["post"]["requestBody"]
    assert "client_id" in body["content"]["application/json"]["schema"]["required"]


def test_the_owner_reads_escalations_in_the_app(client: Any, auth: Any,
                                                sessions: sessionmaker[Session]) -> None:
    from datetime import timedelta

    _setup(sessions, 1)
    with sessions() as s:
        later = support.MONDAY + timedelta(days=20)
        task_escalation.mark_overdue(s, later)
        assert task_escalation.escalate(s, later) >= 1
        s.commit()
    body = client.get("/api/inspections/notifications",
                      headers=auth.headers("engineer", **{"Accept-Language": "zh-CN"})).get_json()
    note = body["notifications"][0]
    assert note["kind"] == "task_overdue" and note["text"].startswith("巡检任务逾期：测试管0")
    assert client.get("/api/inspections/notifications",
                      headers=auth.headers("inspector")).get_json()["notifications"] == []
    read = client.post("/api/inspections/notifications/read",
                       json={"ids": [n["id"] for n in body["notifications"]]},
                       headers=auth.headers("engineer"))
    assert read.get_json()["read"] == len(body["notifications"])
    assert client.get("/api/inspections/notifications",
                      headers=auth.headers("engineer")).get_json()["notifications"] == []
