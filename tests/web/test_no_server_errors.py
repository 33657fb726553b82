"""Hostile input gets a 4xx naming what is wrong, never a 500 (issue 15 item 1), on both
databases.

Before, each of these was a 500: an id beyond a 32-bit column in the path (an overflow in
the driver), a huge ``run_id`` filter or ``year``, a NUL byte in a filter or a text property
(PostgreSQL text cannot hold one), a merge-patch null on a column that must hold a value
(NOT NULL). Invalid UTF-8 in the query was read as U+FFFD instead of refused.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories as f
from tests.web.test_api import post

BIG = "12345678901234567890123456"
GETS = {
    f"/api/collections/pipelines/items/{BIG}": 404,
    f"/api/collections/hazard-zones/items/{BIG}": 404,
    "/api/collections/pipelines/items/2147483648": 404,
    f"/api/imports/{BIG}": 404,
    f"/api/inspections/templates/{BIG}": 404,
    f"/api/inspections/plans/{BIG}": 404,
    f"/api/inspections/tasks/{BIG}": 404,
    f"/api/risk/runs/{BIG}": 404,
    f"/api/hazards/{BIG}": 404,
    "/api/collections/risk-five-colour/items?run_id=99999999999999999999": 400,
    "/api/health-checks?year=99999999999999": 400,
    "/api/health-checks?year=-5": 400,
    "/api/collections/pipelines/items?name=a%00b": 400,
    "/api/collections/pipelines/items?name=%ff%fe": 400,
    "/api/collections/tunnels/items?build_year=32768": 400,  # a SMALLINT column (fuzzer)
    "/api/collections/shelters/export?build_year=32768": 400,
}


@pytest.mark.parametrize("path", sorted(GETS))
def test_odd_paths_and_parameters_are_4xx(client: Any, auth: Any, path: str) -> None:
    resp = client.get(path, headers=auth.headers("admin"))
    assert resp.status_code == GETS[path], (path, resp.get_data(as_text=True)[:300])
    if resp.status_code == 400:
        assert resp.mimetype == "application/problem+json" and resp.get_json()["errors"]


@pytest.mark.parametrize("collection,factory", [
    ("pipelines", f.pipeline), ("shelters", f.shelter), ("flood-points", f.flood_point),
    ("tunnels", f.tunnel)])
def test_odd_patch_bodies_are_4xx(client: Any, auth: Any, collection: str, factory: Any) -> None:
    created = post(client, auth, collection, factory())
    assert created.status_code == 201, created.get_json()
    location = created.headers["Location"]
    bodies: list[Any] = [
        [], "x", {"properties": []}, {"properties": {"name": {"a": 1}}}, {"geometry": "x"},
        {"geometry": {"type": "Point", "coordinates": ["a", "b"]}},
        {"properties": {"name": "a\u0000b"}}, {"properties": {"status": None}},
        {"properties": {"build_year": "99999999999999999999"}},
        {"properties": {"build_year": 2**40}}, {"type": "Feature", "properties": None},
    ]
    for body in bodies:
        resp = client.patch(location, data=json.dumps(body), headers=auth.headers("admin"),
                            content_type="application/merge-patch+json")
        assert resp.status_code < 500, (body, resp.get_data(as_text=True)[:300])
    named = client.patch(location, data=json.dumps({"properties": {"name": "a\u0000b"}}),
                         headers=auth.headers("admin"), content_type="application/merge-patch+json")
    assert named.status_code == 422
    assert [(e["field"], e["code"]) for e in named.get_json()["errors"]] == [
        ("name", "invalid_character")]
    year = client.patch(location, data=json.dumps({"properties": {"build_year": 2**40}}),
                        headers=auth.headers("admin"), content_type="application/merge-patch+json")
    assert year.status_code == 422 and year.get_json()["errors"][0]["field"] == "build_year"
    after = client.get(location, headers=auth.headers("admin")).get_json()
    assert after["properties"]["name"] == factory()["properties"].get("name")  # nothing written


# What schemathesis found (tests/web/test_api_fuzz.py), each a 500 before.

def test_a_cabin_pipeline_id_beyond_32_bits_is_422(client: Any, auth: Any) -> None:
    cabin = {"name": "综合舱", "use": "integrated", "pipeline_ids": [2**40]}
    resp = post(client, auth, "tunnels", f.tunnel(cabins=[cabin]))
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert ("out_of_range" in [e["code"] for e in resp.get_json()["errors"]])


def test_plan_members_of_the_wrong_json_type_are_named(client: Any, auth: Any) -> None:
    plan = {"name": "周巡", "template": ["gas_pipeline_patrol"], "selection": {"collection": []},
            "recurrence": "FREQ=WEEKLY", "assignee": "inspector", "owner": [{"a": 1}],
            "team_division": "3" * 20}
    resp = client.post("/api/inspections/plans", json=plan, headers=auth.headers("admin"))
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    errors = {(e["field"], e["code"]) for e in resp.get_json()["errors"]}
    assert {("template", "unknown_code"), ("selection.collection", "unknown_code"),
            ("owner", "not_a_string"), ("team_division", "unknown_division")} <= errors
    long_rule = client.post("/api/inspections/plans", headers=auth.headers("admin"), json={
        "name": "周巡", "template": "gas_pipeline_patrol", "selection": {"collection": "pipelines"},
        "recurrence": "FREQ=WEEKLY;" + "BYHOUR=1;" * 60, "assignee": "inspector"})
    assert long_rule.status_code == 400
    assert [e["code"] for e in long_rule.get_json()["errors"]] == ["too_long"]


def test_notification_ids_no_key_can_hold_mark_nothing(client: Any, auth: Any) -> None:
    resp = client.post("/api/inspections/notifications/read", json={"ids": [2**40, -2**40, 5]},
                       headers=auth.headers("admin"))
    assert resp.status_code == 200 and resp.get_json() == {"read": 0}


def test_a_hazard_naming_an_odd_asset_is_422(client: Any, auth: Any) -> None:
    def report(**props: Any) -> Any:
        body = {"type": "Feature", "geometry": None, "properties": {
            "category": "cover_damaged", "description": "井盖破损", **props}}
        return client.post("/api/collections/hazards/items", data=json.dumps(body),
                           headers=auth.headers("admin"), content_type="application/geo+json")

    for props in ({"asset_collection": {}, "asset_id": 1},
                  {"asset_collection": "pipelines", "asset_id": 2**40},
                  {"asset_collection": "pipelines", "asset_id": {"a": 1}}):
        resp = report(**props)
        assert resp.status_code == 422, (props, resp.get_data(as_text=True)[:300])
        assert resp.get_json()["errors"]


def test_four_colour_tables_of_the_wrong_json_type_are_400(client: Any, auth: Any) -> None:
    def save(body: Any) -> Any:
        return client.post("/api/risk/presets", json=body, headers=auth.headers("admin"))

    assert save({"name": "t", "method": {}, "params": {}}).status_code == 400
    bands = [{"low": 1, "high": 25, "level": ["low"], "low_closed": True}]
    assert save({"name": "t", "method": "ls", "params": {"bands": bands}}).status_code == 400
    chosen = client.put("/api/risk/presets/defaults", json={"lec": {"a": 1}},
                        headers=auth.headers("admin"))
    assert chosen.status_code == 400
    assert chosen.get_json()["errors"][0]["field"] == "presets.lec"


def test_a_streamed_export_gives_its_connection_back(engine: Any, tmp_path: Any) -> None:
    """The request's session closes at teardown, before the server reads a streamed body: the
    stream read on through it and kept a pooled connection; a few dozen exports emptied the pool
    and every request after them was a 500."""
    from resilience import accounts
    from resilience.db import make_sessions, unit_of_work
    from resilience.settings import Settings
    from web.app import create_app

    with unit_of_work(make_sessions(engine)) as s:
        token, plain = accounts.issue_token(s, "viewer", days=1)
        token_id = token.id
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False),
                              instance_path=tmp_path, secret_key="s").resolved())
    pool = app.extensions["resilience"]["engine"].pool
    try:
        for fmt in ("geojson", "csv"):
            resp = app.test_client().get(f"/api/collections/divisions/export?format={fmt}",
                                         headers={"Authorization": f"Bearer {plain}"})
            assert resp.status_code == 200 and resp.get_data()
            resp.close()
            assert pool.checkedout() == 0, fmt
    finally:
        app.extensions["resilience"]["engine"].dispose()
        with unit_of_work(make_sessions(engine)) as s:
            accounts.revoke_token(s, token_id)
