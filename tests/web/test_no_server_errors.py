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
