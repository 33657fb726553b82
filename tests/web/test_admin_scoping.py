"""Division grants bind admins too: an admin granted 上城区 manages 上城区 only (issue 15).

Reads, writes, exports, search, the dashboard's choices, city-wide settings and the users an
admin manages — each asked of a district admin and of the root-granted one.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import accounts
from resilience.accounts import User
from tests import factories as f
from tests.web.test_dashboard import sign_in

GEO = "application/geo+json"
PASSWORD = "district-admin-2026"


@pytest.fixture
def district_admin(session: Session) -> str:
    accounts.add_user(session, "admin_sc", role="admin", password=PASSWORD, divisions=["330102"])
    session.commit()
    return "admin_sc"


@pytest.fixture
def assets(client: Any, auth: Any) -> dict[str, int]:
    out = {}
    for division, at in {"330106": f.XIHU, "330102": f.SHANGCHENG}.items():
        resp = client.post("/api/collections/pipelines/items",
                           data=json.dumps(f.pipeline(at, name=f"辖区测试管{division}",
                                                     remarks=f"scoping {division}")),
                           headers=auth.headers("admin"), content_type=GEO)
        assert resp.status_code == 201
        out[division] = resp.get_json()["id"]
    return out


def test_the_root_admin_is_everywhere_and_a_district_admin_is_not(
        session: Session, district_admin: str) -> None:
    root = accounts.principal_of(accounts.get_user(session, "admin"))
    district = accounts.principal_of(accounts.get_user(session, district_admin))
    assert root.everywhere and root.sees(None) and root.sees("330182")
    assert not district.everywhere and district.is_admin
    assert district.sees("330102") and not district.sees("330182") and not district.sees(None)


def test_a_district_admin_reads_and_writes_only_its_district(
        client: Any, auth: Any, assets: dict[str, int], district_admin: str) -> None:
    me = auth.headers(district_admin)
    listed = client.get("/api/collections/pipelines/items?limit=10000", headers=me)
    assert {x["id"] for x in listed.get_json()["features"]} & set(assets.values()) == {
        assets["330102"]}
    other = f"/api/collections/pipelines/items/{assets['330106']}"
    assert client.get(other, headers=me).status_code == 403
    patch = client.patch(other, data=json.dumps({"properties": {"remarks": "x"}}),
                         headers=me, content_type=GEO)
    assert patch.status_code == 403
    made = client.post("/api/collections/pipelines/items", data=json.dumps(f.pipeline(f.XIHU)),
                       headers=me, content_type=GEO)
    assert made.status_code == 403
    assert client.get("/api/collections/pipelines/items?division=330106",
                      headers=me).status_code == 403
    own = f"/api/collections/pipelines/items/{assets['330102']}"
    assert client.get(own, headers=me).status_code == 200
    exported = client.get("/api/collections/pipelines/export?format=csv&lang=machine",
                          headers=me).get_data(as_text=True)
    assert "scoping 330102" in exported and "scoping 330106" not in exported
    root = client.get("/api/collections/pipelines/items?limit=10000",
                      headers=auth.headers("admin")).get_json()
    assert {x["id"] for x in root["features"]} >= set(assets.values())
    found = client.get("/search?q=辖区测试管", headers=me)  # one hit: straight to it
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/pipelines/items/{assets['330102']}")


def test_city_wide_settings_need_the_whole_registry(client: Any, auth: Any,
                                                    district_admin: str) -> None:
    me = auth.headers(district_admin)
    chosen = client.put("/api/risk/presets/defaults", data=json.dumps({"lec": "lec-default"}),
                        headers=me, content_type="application/json")
    assert chosen.status_code == 403
    assert chosen.get_json()["errors"][0]["code"] == "whole_registry_only"
    figures = client.put("/api/profiles/330106/2025", data=json.dumps({"population": 1}),
                         headers=me, content_type="application/json")
    assert figures.status_code in (403, 422)
    assert "division_not_granted" in figures.get_data(as_text=True)
    ours = client.put("/api/profiles/330102/2025", data=json.dumps({"population": 1}),
                      headers=me, content_type="application/json")
    assert ours.status_code == 200


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_a_district_admin_manages_only_its_districts_users(
        client: Any, session: Session, district_admin: str) -> None:
    sign_in(client, district_admin, PASSWORD)
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'data-user="engineer_sc"' in html and 'data-user="admin_sc"' in html
    for outside in ("engineer", "admin", "manager", "nobody"):  # 西湖区, root, city, none
        assert f'data-user="{outside}"' not in html
        assert client.get(f"/admin/users/{outside}").status_code == 404
    token = _token(html)
    hijack = client.post("/admin/users/engineer", data={"csrf_token": token,
                                                        "action": "password",
                                                        "password": "taken-over-2026"})
    assert hijack.status_code == 404
    wider = client.post("/admin/users", data={"csrf_token": token, "username": "wangwu",
                                              "role": "admin", "divisions": "330100",
                                              "password": "river-gate-2026"})
    assert wider.status_code == 422 and "330100" in wider.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == "wangwu")) is None
    made = client.post("/admin/users", data={"csrf_token": token, "username": "wangwu",
                                             "role": "inspector", "divisions": "330102",
                                             "password": "river-gate-2026"})
    assert made.status_code == 302
    self_widen = client.post("/admin/users/admin_sc", data={
        "csrf_token": token, "action": "access", "role": "admin", "divisions": "330000"})
    assert self_widen.status_code == 422
    session.expire_all()
    me = session.scalar(select(User).where(User.username == "admin_sc"))
    assert me is not None and [d.division_code for d in me.divisions] == ["330102"]
    logins = client.get("/admin/logins").get_data(as_text=True)
    assert ">engineer<" not in logins


def test_the_console_adds_a_first_admin_for_the_whole_registry(session: Session) -> None:
    from resilience import user_admin

    roots = user_admin.root_divisions(session)
    assert roots == ["330000"]
    user_admin.add(session, "first", role="admin", password="river-gate-2026",
                   divisions=roots, by="cli")
    assert accounts.principal_of(accounts.get_user(session, "first")).everywhere
