"""Create and edit forms on both databases: problems beside fields, typed or drawn geometry, stale edits."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select

from inventory import Pipeline
from resilience.errors import Problem
from resilience.messages import describe
from tests import factories as f
from tests.web.test_asset_page import create, csrf, sign_in

LINE = {"type": "LineString", "coordinates": [[120.08, 30.28], [120.081, 30.2805]]}


def form(**values: str) -> dict[str, str]:
    base = {"name": "文三路新敷给水管", "category": "water_supply", "material": "pe",
            "diameter_mm": "160", "status": "in_service", "coordinates": "120.08,30.28\n120.081,30.2805"}
    base.update(values)
    return base


def test_a_new_asset_with_typed_coordinates(client: Any, auth: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    page = client.get("/collections/pipelines/new").get_data(as_text=True)
    assert 'for="f-category"' in page and "给水" in page and "leaflet.draw.js" in page
    resp = client.post("/collections/pipelines/new",
                       data={"csrf_token": csrf(client, "/collections/pipelines/new"), **form()})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    key = int(re.search(r"/items/(\d+)", resp.location).group(1))
    item = client.get(f"/api/collections/pipelines/items/{key}", headers=auth.headers("admin")).get_json()
    assert item["properties"]["diameter_mm"] == 160 and item["properties"]["division_code"] == "330106"
    assert item["geometry"]["type"] == "LineString"


def test_every_problem_is_shown_beside_its_field_and_nothing_is_written(client: Any,
                                                                       session: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    count = session.scalar(select(func.count()).select_from(Pipeline))
    resp = client.post("/collections/pipelines/new", data={
        "csrf_token": csrf(client, "/collections/pipelines/new"),
        **form(category="", diameter_mm="abc", build_year="2999", coordinates="")})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    for field, code, params in [("category", "required", {}),
                                ("diameter_mm", "not_a_number", {"value": "abc"}),
                                ("geometry", "not_a_geometry", {})]:
        message = describe(Problem(field, code, params), "zh")
        assert re.search(rf'id="e-{field}">[^<]*{re.escape(message)}', page), (field, message)
    assert 'aria-invalid="true"' in page and 'value="abc"' in page  # what was typed stays
    assert session.scalar(select(func.count()).select_from(Pipeline)) == count


def test_a_drawn_geometry_and_bad_typed_coordinates(client: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    token = csrf(client, "/collections/pipelines/new")
    drawn = client.post("/collections/pipelines/new",
                        data={"csrf_token": token, **form(coordinates=""), "geometry": json.dumps(LINE)})
    assert drawn.status_code == 302
    typo = client.post("/collections/pipelines/new",
                       data={"csrf_token": token, **form(coordinates="120.08;abc")})
    assert typo.status_code == 422 and 'id="e-geometry"' in typo.get_data(as_text=True)


def test_a_stale_edit_is_refused_with_both_versions_then_merged(client: Any, auth: Any) -> None:
    key = create(client, auth, f.pipeline(diameter_mm=300))
    sign_in(client, "engineer", "engineer-demo-2026")
    url = f"/collections/pipelines/items/{key}/edit"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    token = csrf(client, url)
    colleague = client.patch(f"/api/collections/pipelines/items/{key}",
                             data=json.dumps({"properties": {"diameter_mm": 400}}),
                             headers=auth.headers("admin"), content_type="application/merge-patch+json")
    assert colleague.status_code == 200
    mine = {"csrf_token": token, "version": version, **form(diameter_mm="350", coordinates=""),
            "geometry": json.dumps(LINE)}
    refused = client.post(url, data=mine)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert 'class="mine">350<' in page and 'class="theirs">400<' in page
    newer = re.search(r'name="version" value="(\d+)"', page).group(1)
    assert int(newer) == int(version) + 1
    merged = client.post(url, data={**mine, "version": newer})
    assert merged.status_code == 302
    item = client.get(f"/api/collections/pipelines/items/{key}", headers=auth.headers("admin")).get_json()
    assert item["properties"]["diameter_mm"] == 350


def test_who_may_open_the_forms(client: Any, auth: Any) -> None:
    other = create(client, auth, f.pipeline(at=f.SHANGCHENG))
    sign_in(client, "engineer", "engineer-demo-2026")
    assert client.get(f"/collections/pipelines/items/{other}/edit").status_code == 403
    assert client.get("/collections/divisions/new").status_code == 404
    assert client.get("/collections/nonsense/new").status_code == 404
    client.post("/logout", data={"csrf_token": csrf(client, "/map")})
    sign_in(client, "viewer", "viewer-demo-2026")
    assert client.get("/collections/pipelines/new").status_code == 403
    client.post("/logout", data={"csrf_token": csrf(client, "/map")})
    assert client.get("/collections/pipelines/new").status_code == 302


def test_the_subcategory_choice_follows_the_category(client: Any, auth: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    page = client.get("/collections/pipelines/new").get_data(as_text=True)
    select = re.search(r'<select id="f-subcategory"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None and 'data-follows="category"' in select.group(0)
    groups = re.findall(r'<optgroup label="([^"]+)" data-parent="(\w+)">(.*?)</optgroup>', select.group(1), re.S)
    assert [(label, parent) for label, parent, _ in groups][:2] == [("给水", "water_supply"), ("排水", "drainage")]
    drainage = dict((p, o) for _, p, o in groups)["drainage"]
    assert re.findall(r'value="(\w+)"', drainage) == ["stormwater", "sewage", "combined"]
    # A sub-category chosen without its category gives the category; a wrong pair is refused.
    url = "/collections/pipelines/new"
    resp = client.post(url, data={"csrf_token": csrf(client, url),
                                  **form(category="", subcategory="sewage")})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    key = int(re.search(r"/items/(\d+)", resp.location).group(1))
    item = client.get(f"/api/collections/pipelines/items/{key}", headers=auth.headers("admin")).get_json()
    assert (item["properties"]["category"], item["properties"]["subcategory"]) == ("drainage", "sewage")
    wrong = client.post(url, data={"csrf_token": csrf(client, url),
                                   **form(category="water_supply", subcategory="sewage")})
    assert wrong.status_code == 422
    message = describe(Problem("subcategory", "subcategory_mismatch",
                               {"value": "sewage", "category": "water_supply"}), "zh")
    assert re.search(rf'id="e-subcategory">[^<]*{re.escape(message)}', wrong.get_data(as_text=True))
