"""The whole access matrix: every role against assets in its own and another division."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories as f

GEO = "application/geo+json"
# user -> divisions whose assets it may read, and whether it may write there
READS = {
    "admin": {"330106", "330102"}, "engineer": {"330106"}, "engineer_sc": {"330102"},
    "manager": {"330106", "330102"}, "inspector": {"330106"}, "viewer": {"330106", "330102"},
    "nobody": set(),
}
WRITERS = {"admin", "engineer", "engineer_sc"}
PLACES = {"330106": f.XIHU, "330102": f.SHANGCHENG}


@pytest.fixture
def assets(client: Any, auth: Any) -> dict[str, int]:
    out = {}
    for division, at in PLACES.items():
        resp = client.post("/api/collections/pipelines/items", data=json.dumps(f.pipeline(at)),
                           headers=auth.headers("admin"), content_type=GEO)
        assert resp.status_code == 201
        out[division] = resp.get_json()["id"]
    return out


@pytest.mark.parametrize("user", sorted(READS))
def test_lists_and_bbox_show_only_granted_divisions(client: Any, auth: Any,
                                                    assets: dict[str, int], user: str) -> None:
    body = client.get("/api/collections/pipelines/items?limit=10000&bbox=120.0,30.2,120.3,30.35",
                      headers=auth.headers(user)).get_json()
    seen = {feat["id"] for feat in body["features"]}
    expected = {assets[d] for d in READS[user]}
    assert seen & set(assets.values()) == expected


@pytest.mark.parametrize("user", sorted(READS))
@pytest.mark.parametrize("division", sorted(PLACES))
def test_item_read_write_retire_by_role_and_division(client: Any, auth: Any,
                                                     assets: dict[str, int], user: str,
                                                     division: str) -> None:
    url = f"/api/collections/pipelines/items/{assets[division]}"
    can_read = division in READS[user]
    can_write = can_read and user in WRITERS
    assert client.get(url, headers=auth.headers(user)).status_code == (200 if can_read else 403)
    patch = client.patch(url, data=json.dumps({"properties": {"remarks": "checked"}}),
                         headers=auth.headers(user), content_type=GEO)
    assert patch.status_code == (200 if can_write else 403)
    create = client.post("/api/collections/pipelines/items",
                         data=json.dumps(f.pipeline(PLACES[division])),
                         headers=auth.headers(user), content_type=GEO)
    assert create.status_code == (201 if can_write else 403)
    delete = client.delete(url, headers=auth.headers(user))
    assert delete.status_code == (204 if can_write else 403)


@pytest.mark.parametrize("user", ["engineer", "inspector"])
def test_division_filter_outside_grant_is_forbidden(client: Any, auth: Any, user: str) -> None:
    resp = client.get("/api/collections/pipelines/items?division=330102",
                      headers=auth.headers(user))
    assert resp.status_code == 403
    assert resp.get_json()["errors"][0]["field"] == "division"
    own = client.get("/api/collections/pipelines/items?division=330106",
                     headers=auth.headers(user))
    assert own.status_code == 200


def test_moving_an_asset_into_another_division_is_forbidden(client: Any, auth: Any,
                                                            assets: dict[str, int]) -> None:
    url = f"/api/collections/pipelines/items/{assets['330106']}"
    resp = client.patch(url, data=json.dumps({"geometry": f.line(f.SHANGCHENG)}),
                        headers=auth.headers("engineer"), content_type=GEO)
    assert resp.status_code == 403
    still = client.get(url, headers=auth.headers("admin")).get_json()
    assert still["properties"]["division_code"] == "330106"
