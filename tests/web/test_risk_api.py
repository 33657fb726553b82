"""The risk API on both databases: runs (list, start, status, 409, diff), schemes, roles."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import LineString, box
from sqlalchemy.orm import Session

from resilience.model import now
from risk.results import FiveColourResult, FourColourResult, RiskChange, RiskRun

JSON = "application/json"
CELL = {"scheme": "composite_default", "version": 1, "formula": "R = H^a · E^b · V^c · (1 − C)^d",
        "combine": "max", "hazards": {"waterlogging": 0.8, "flood": 0.4},
        "risk_by_hazard": {"waterlogging": 0.21, "flood": 0.09}, "exposure": 0.7,
        "vulnerability": 0.6, "capacity": 0.2,
        "weights": {"H": 1.0, "E": 0.8, "V": 1.0, "C": 1.0},
        "terms": {"H": 0.8, "E": 0.7516, "V": 0.6, "C": 0.8}, "score": 0.21,
        "band": [0.16, 0.3], "level": "fairly_high", "decided_by": "waterlogging"}


def make_published(session: Session, results: bool = True) -> dict[str, Any]:
    """A succeeded run with a few published results and its diff, written as the engine would."""
    finished = now()
    run = RiskRun(mode="full", status="succeeded", active=None, scheme_name="composite_default",
                  scheme_version=1, cell_size_m=500.0, requested_by="manager",
                  requested_at=finished - timedelta(seconds=30), started_at=finished,
                  finished_at=finished,
                  counts={"five": {"cell": {"fairly_high": 1}, "asset": {"fairly_high": 1},
                                   "division": {"fairly_high": 1}},
                          "four": {"cell": {"considerable": 1}, "tunnel": {"major": 1}}},
                  summary={"changed": {"five": 2, "four": 1}, "raised": 2, "lowered": 0,
                           "appeared": 1, "gone": 0, "cells_recomputed": 1,
                           "assets_recomputed": 1, "seconds": 1.5})
    session.add(run)
    session.flush()
    if not results:
        session.commit()
        return {"run": run.id}
    cell = box(120.13, 30.26, 120.135, 30.265)
    common = {"run_id": run.id, "scheme": "composite_default", "scheme_version": 1}
    five = [
        FiveColourResult(unit="cell", ref="c500:1:1", name=None, geom=from_shape(cell, 4490),
                         division_code="330106", level="fairly_high", ordinal=4, colour="#FF8C00",
                         score=0.21, measure=250000.0, decided_by="waterlogging",
                         explanation=CELL, hazard=0.8, exposure=0.7, vulnerability=0.6,
                         capacity=0.2, **common),
        FiveColourResult(unit="asset", ref="pipelines/17", name="西湖给水管",
                         geom=from_shape(LineString([(120.131, 30.261), (120.134, 30.264)]), 4490),
                         division_code="330106", level="fairly_high", ordinal=4, colour="#FF8C00",
                         score=0.21, measure=430.0, decided_by="c500:1:1",
                         explanation={"inherited_from": {"unit": "cell", "ref": "c500:1:1",
                                                         "level": "fairly_high"}}, **common),
        FiveColourResult(unit="division", ref="330106", name="西湖区",
                         geom=from_shape(box(120.0, 30.1, 120.2, 30.3), 4490),
                         division_code="330106", level="fairly_high", ordinal=4, colour="#FF8C00",
                         score=0.21, measure=3.1e8, decided_by="c500:1:1",
                         explanation={"highest_member": "c500:1:1"}, **common),
    ]
    four = [
        FourColourResult(unit="cell", ref="c500:1:1", geom=from_shape(cell, 4490),
                         division_code="330106", level="considerable", ordinal=3,
                         colour="#FF8000", score=180.0, measure=250000.0, points=2,
                         decided_by="risk-points/5",
                         explanation={"point": {"ref": "risk-points/5", "method": "lec",
                                                "factors": {"L": 3, "E": 6, "C": 15}}}, **common),
        FourColourResult(unit="tunnel", ref="tunnels/3", name="文三路管廊",
                         geom=from_shape(LineString([(120.14, 30.27), (120.15, 30.27)]), 4490),
                         division_code="330106", level="major", ordinal=4, colour="#FF0000",
                         score=400.0, measure=960.0, points=1, decided_by="risk-points/6",
                         explanation={"point": {"ref": "risk-points/6"}}, **common),
    ]
    changes = [
        RiskChange(run_id=run.id, map="five", unit="cell", ref="c500:1:1", division_code="330106",
                   before_level="medium", after_level="fairly_high", before_score=0.12,
                   after_score=0.21, reason={"decided_by": "waterlogging"}),
        RiskChange(run_id=run.id, map="five", unit="asset", ref="pipelines/17", name="西湖给水管",
                   division_code="330106", before_level=None, after_level="fairly_high",
                   after_score=0.21, reason={"inherited_from": "c500:1:1"}),
        RiskChange(run_id=run.id, map="four", unit="tunnel", ref="tunnels/3", name="文三路管廊",
                   division_code="330106", before_level="considerable", after_level="major",
                   before_score=180.0, after_score=400.0, reason={"point": "risk-points/6"}),
    ]
    session.add_all([*five, *four, *changes])
    session.commit()
    return {"run": run.id}


@pytest.fixture
def published(session: Session) -> dict[str, Any]:
    return make_published(session)


def test_runs_are_listed_newest_first_with_paging(client: Any, auth: Any, session: Session,
                                                  published: dict[str, Any]) -> None:
    second = make_published(session, results=False)["run"]
    resp = client.get("/api/risk/runs", headers=auth.headers("viewer"))
    assert resp.status_code == 200
    body = resp.get_json()
    ids = [r["id"] for r in body["runs"]]
    assert ids[:2] == [second, published["run"]]
    assert body["published"] == second
    first = body["runs"][1]
    assert first["status"] == "succeeded" and first["scheme_version"] == 1
    assert first["counts"]["five"]["cell"] == {"fairly_high": 1}
    assert first["summary"]["changed"] == {"five": 2, "four": 1}
    page = client.get("/api/risk/runs?limit=1&offset=1", headers=auth.headers("viewer")).get_json()
    assert [r["id"] for r in page["runs"]] == [published["run"]]
    bad = client.get("/api/risk/runs?limit=0", headers=auth.headers("viewer"))
    assert bad.status_code == 400 and bad.mimetype == "application/problem+json"
    assert bad.get_json()["errors"][0]["field"] == "limit"


def test_listing_needs_a_signed_in_caller(client: Any) -> None:
    assert client.get("/api/risk/runs").status_code == 401
    assert client.get("/api/risk/schemes").status_code == 401


def test_a_run_is_queued_once_and_a_second_start_conflicts(client: Any, auth: Any) -> None:
    resp = client.post("/api/risk/runs", data=json.dumps({"mode": "incremental"}),
                       headers=auth.headers("manager"), content_type=JSON)
    assert resp.status_code == 202, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "queued" and body["mode"] == "incremental"
    assert resp.headers["Location"].endswith(f"/api/risk/runs/{body['id']}")
    status = client.get(resp.headers["Location"], headers=auth.headers("viewer"))
    assert status.status_code == 200
    assert status.get_json()["status"] == "queued" and status.get_json()["progress"] == 0.0
    again = client.post("/api/risk/runs", headers=auth.headers("admin"))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_only_admins_and_emergency_managers_start_runs(client: Any, auth: Any) -> None:
    for user in ("viewer", "engineer", "inspector"):
        resp = client.post("/api/risk/runs", headers=auth.headers(user))
        assert resp.status_code == 403, user
    bad = client.post("/api/risk/runs", data=json.dumps({"mode": "fast"}),
                      headers=auth.headers("admin"), content_type=JSON)
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "mode"


def test_a_cookie_session_needs_the_csrf_token_to_start_a_run(client: Any) -> None:
    from tests.web.test_dashboard import sign_in

    sign_in(client, "manager", "manager-demo-2026")
    resp = client.post("/api/risk/runs", data="{}", content_type=JSON)
    assert resp.status_code == 403
    html = client.get("/risk/five").get_data(as_text=True)
    token = html.split('<meta name="csrf-token" content="')[1].split('"')[0]
    ok = client.post("/api/risk/runs", data="{}", content_type=JSON,
                     headers={"X-CSRFToken": token})
    assert ok.status_code == 202, ok.get_json()


def test_unknown_run_is_404(client: Any, auth: Any) -> None:
    resp = client.get("/api/risk/runs/999999", headers=auth.headers("viewer"))
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"


def test_a_runs_changes_carry_level_labels_in_the_request_language(
        client: Any, auth: Any, published: dict[str, Any]) -> None:
    url = f"/api/risk/runs/{published['run']}/changes"
    zh = client.get(url, headers=auth.headers("viewer")).get_json()
    assert len(zh["changes"]) == 3
    cell = next(c for c in zh["changes"] if c["ref"] == "c500:1:1")
    assert cell["before"]["label"] == "中风险" and cell["after"]["label"] == "较高风险"
    assert cell["after"]["colour"] == "#FF8C00" and cell["direction"] == "raised"
    appeared = next(c for c in zh["changes"] if c["ref"] == "pipelines/17")
    assert appeared["before"] is None and appeared["direction"] == "appeared"
    en = client.get(url + "?map=four", headers=auth.headers("viewer", **{"Accept-Language": "en"}))
    lines = en.get_json()["changes"]
    assert [c["ref"] for c in lines] == ["tunnels/3"]
    assert lines[0]["before"]["label"] == "Considerable" and lines[0]["after"]["label"] == "Major"
    assert lines[0]["reason"] == {"point": "risk-points/6"}
    paged = client.get(url + "?limit=1&offset=1", headers=auth.headers("viewer")).get_json()
    assert len(paged["changes"]) == 1
    bad = client.get(url + "?map=six", headers=auth.headers("viewer"))
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "map"


def test_schemes_list_every_version(client: Any, auth: Any) -> None:
    body = client.get("/api/risk/schemes", headers=auth.headers("viewer")).get_json()
    names = {(s["name"], s["version"]) for s in body["schemes"]}
    assert ("composite_default", 1) in names and ("lec_default", 1) in names
    lec = next(s for s in body["schemes"] if s["name"] == "lec_default")
    assert lec["map"] == "four" and lec["params"]["bands"]


def test_an_admin_saves_a_new_scheme_version(client: Any, auth: Any) -> None:
    resp = client.post("/api/risk/schemes", headers=auth.headers("admin"), content_type=JSON,
                       data=json.dumps({"name": "composite_default", "note": "更陡的分级",
                                        "params": {"breaks": [0.05, 0.1, 0.2, 0.4]}}))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["version"] == 3 and body["params"]["breaks"] == [0.05, 0.1, 0.2, 0.4]
    assert body["params"]["weights"]["H"] == 1.0 and body["created_by"] == "admin"
    listed = client.get("/api/risk/schemes", headers=auth.headers("viewer")).get_json()
    assert ("composite_default", 3) in {(s["name"], s["version"]) for s in listed["schemes"]}


@pytest.mark.parametrize(("params", "field", "code"), [
    ({"breaks": [0.1, 0.05, 0.2, 0.4]}, "params.breaks", "not_increasing"),
    ({"breaks": [0.1, 0.2]}, "params.breaks", "four_numbers"),
    ({"weights": {"H": 1, "E": -0.5, "V": 1, "C": 1}}, "params.weights.E", "negative_weight"),
    ({"speed": 3}, "params.speed", "unknown_property"),
])
def test_bad_scheme_parameters_are_400_naming_the_field(client: Any, auth: Any, params: Any,
                                                       field: str, code: str) -> None:
    resp = client.post("/api/risk/schemes", headers=auth.headers("admin"), content_type=JSON,
                       data=json.dumps({"name": "composite_default", "params": params}))
    assert resp.status_code == 400, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert any(e["field"] == field and e["code"] == code for e in errors), errors


def test_four_colour_presets_are_read_only(client: Any, auth: Any) -> None:
    resp = client.post("/api/risk/schemes", headers=auth.headers("admin"), content_type=JSON,
                       data=json.dumps({"name": "lec_default", "params": {}}))
    assert resp.status_code == 400 and resp.get_json()["errors"][0]["field"] == "name"


def test_only_admins_save_schemes(client: Any, auth: Any) -> None:
    for user in ("manager", "engineer", "viewer"):
        resp = client.post("/api/risk/schemes", headers=auth.headers(user), content_type=JSON,
                           data=json.dumps({"name": "composite_default", "params": {}}))
        assert resp.status_code == 403, user
    bad = client.post("/api/risk/schemes", headers=auth.headers("admin"), content_type=JSON,
                      data="[1, 2]")
    assert bad.status_code == 400


def test_the_risk_endpoints_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/risk/runs"])
    assert "409" in paths["/risk/runs"]["post"]["responses"]
    assert "get" in paths["/risk/runs/{id}"] and "get" in paths["/risk/runs/{id}/changes"]
    assert {"get", "post"} <= set(paths["/risk/schemes"])
    assert "get" in paths["/collections/risk-five-colour/items"]
    assert "get" in paths["/health-checks"] and "get" in paths["/health-checks/{id}"]
