"""Hazard zones and risk points over the HTTP API; the published maps as read-only collections."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories as f
from tests.web.map_script import with_map_script
from tests.web.test_api import GEO, post


def risk_point(**props: Any) -> dict[str, Any]:
    base = {"name": "加油站卸油区", "category": "hazardous_materials", "method": "lec",
            "factor_l": 3, "factor_e": 6, "factor_c": 15, "responsible_unit": "中石化杭州分公司"}
    return f.feature(f.point(), **{**base, **props})


def zone(**props: Any) -> dict[str, Any]:
    base = {"name": "文三路内涝风险区", "kind": "waterlogging", "hazard_class": 4,
            "return_period_years": 50}
    return f.feature(f.square(size=0.004), **{**base, **props})


def errors(resp: Any) -> dict[str, str]:
    assert resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    return {e["field"]: e["code"] for e in resp.get_json()["errors"]}


def test_a_risk_point_takes_its_level_from_its_factors(client: Any, auth: Any) -> None:
    made = post(client, auth, "risk-points", risk_point())
    assert made.status_code == 201, made.get_data(as_text=True)
    props = made.get_json()["properties"]
    assert (props["score"], props["level"], props["band_name"]) == (270, "considerable", "高度危险")
    assert props["preset"] == "lec_default" and props["scheme_version"] == 1
    assert props["source"] == "manual"
    patched = client.patch(made.headers["Location"], data=json.dumps(
        {"properties": {"factor_l": 6}}), content_type="application/merge-patch+json",
        headers=auth.headers("admin", **{"If-Match": made.headers["ETag"]}))
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert (patched.get_json()["properties"]["score"],
            patched.get_json()["properties"]["level"]) == (540, "major")
    # Typed-in levels are ignored: the level is the factors'.
    again = post(client, auth, "risk-points", risk_point(factor_l=1, factor_e=1, factor_c=1,
                                                          level="major", score=999))
    assert again.status_code in (201, 422)
    if again.status_code == 201:
        assert again.get_json()["properties"]["level"] == "low"
    # The LS matrix: R = 3 × 3 = 9 is 较大 under the default preset, 一般 under the other.
    ls = post(client, auth, "risk-points", risk_point(method="ls", factor_l=3, factor_e=None,
                                                       factor_c=None, factor_s=3))
    assert ls.get_json()["properties"]["level"] == "considerable"
    ls2 = post(client, auth, "risk-points", risk_point(method="ls", factor_l=3, factor_e=None,
                                                        factor_c=None, factor_s=3,
                                                        preset="ls_r9_general"))
    assert ls2.get_json()["properties"]["level"] == "general"
    listed = client.get("/api/collections/risk-points/items?level=major",
                        headers=auth.headers("viewer")).get_json()
    assert [x["properties"]["score"] for x in listed["features"]] == [540]


def test_factors_off_their_tables_are_named(client: Any, auth: Any) -> None:
    off = post(client, auth, "risk-points", risk_point(factor_c=10),
               **{"Accept-Language": "zh-CN"})
    assert off.status_code == 422
    assert errors(off) == {"factor_c": "not_in_table"}
    message = off.get_json()["errors"][0]["message"]
    assert "10" in message and "LEC" in message and "100, 40, 15, 7, 3, 1" in message
    stray = post(client, auth, "risk-points", risk_point(factor_s=3))
    assert stray.status_code == 422 and errors(stray) == {"factor_s": "only_when"}
    missing = post(client, auth, "risk-points", risk_point(factor_e=None))
    assert errors(missing) == {"factor_e": "required"}
    preset = post(client, auth, "risk-points", risk_point(preset="ls_r9_general"))
    assert errors(preset) == {"preset": "unknown_code"}
    bad_ls = post(client, auth, "risk-points", risk_point(method="ls", factor_l=7, factor_e=None,
                                                           factor_c=None, factor_s=2))
    assert errors(bad_ls) == {"factor_l": "not_in_table"}


def test_hazard_zones_are_polygons_with_a_class(client: Any, auth: Any) -> None:
    made = post(client, auth, "hazard-zones", zone(intensity=0.5, intensity_unit="m"))
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["properties"]["division_code"] == "330106"
    assert errors(post(client, auth, "hazard-zones", f.feature(f.point(), kind="flood",
                                                                hazard_class=3))) \
        == {"geometry": "wrong_geometry_type"}
    bad = post(client, auth, "hazard-zones", zone(hazard_class=6, intensity=1.2))
    assert errors(bad) == {"hazard_class": "too_large", "intensity_unit": "required_when"}
    bowtie = {"type": "Polygon", "coordinates": [[[120.08, 30.28], [120.09, 30.29],
                                                  [120.09, 30.28], [120.08, 30.29],
                                                  [120.08, 30.28]]]}
    assert errors(post(client, auth, "hazard-zones", f.feature(bowtie, kind="flood",
                                                                hazard_class=3))) \
        == {"geometry": "invalid_geometry"}


@pytest.mark.parametrize(("user", "status"), [
    ("admin", 201), ("engineer", 201), ("manager", 201), ("inspector", 403), ("viewer", 403)])
def test_who_may_write_risk_data(client: Any, auth: Any, user: str, status: int) -> None:
    for collection, body in (("risk-points", risk_point()), ("hazard-zones", zone())):
        resp = post(client, auth, collection, body, user=user)
        assert resp.status_code == status, (collection, resp.get_data(as_text=True))
    # Other collections keep the registry's editing roles: the emergency manager reads them.
    pipe = post(client, auth, "pipelines", f.pipeline(), user=user)
    assert pipe.status_code == (403 if user == "manager" else status)


def test_patching_the_method_takes_the_new_methods_default_preset(client: Any, auth: Any
                                                                  ) -> None:
    made = post(client, auth, "risk-points", risk_point(method="ls", factor_l=3, factor_e=None,
                                                         factor_c=None, factor_s=3))
    assert made.get_json()["properties"]["preset"] == "ls_r9_considerable"
    patched = client.patch(made.headers["Location"], data=json.dumps({"properties": {
        "method": "lec", "factor_s": None, "factor_e": 6, "factor_c": 15}}),
        content_type="application/merge-patch+json", headers=auth.headers("admin"))
    assert patched.status_code == 200, patched.get_data(as_text=True)
    props = patched.get_json()["properties"]
    assert (props["preset"], props["score"], props["level"]) == ("lec_default", 270,
                                                                 "considerable")


def test_the_emergency_manager_patches_and_retires_risk_points(client: Any, auth: Any) -> None:
    made = post(client, auth, "risk-points", risk_point(), user="manager")
    url = made.headers["Location"]
    headers = auth.headers("manager")
    patched = client.patch(url, data=json.dumps({"properties": {"control_measures": "每日巡查"}}),
                           content_type="application/merge-patch+json", headers=headers)
    assert patched.status_code == 200
    assert client.patch(url, data=json.dumps({"properties": {"name": "x"}}),
                        content_type="application/merge-patch+json",
                        headers=auth.headers("inspector")).status_code == 403
    assert client.delete(url, headers=headers).status_code == 204
    assert client.post(url + "/restore", headers=headers).status_code == 200


@pytest.mark.parametrize(("collection", "top"), [("risk-five-colour", "high"),
                                                 ("risk-four-colour", "major")])
def test_published_maps_are_read_only(client: Any, auth: Any, collection: str, top: str) -> None:
    listing = client.get("/api/collections", headers=auth.headers("viewer")).get_json()
    assert f"{collection}-cells" in [c["id"] for c in listing["collections"]]
    resp = post(client, auth, collection, f.feature(f.square(), unit="cell", ref="x",
                                                    level="high"))
    assert resp.status_code == 403
    assert errors(resp) == {"collection": "read_only_collection"}
    assert client.put(f"/api/collections/{collection}/items/1", data="{}", content_type=GEO,
                      headers=auth.headers("admin")).status_code == 403
    assert client.delete(f"/api/collections/{collection}/items/1",
                         headers=auth.headers("admin")).status_code == 403
    page = client.get(f"/api/collections/{collection}/items?level={top}&unit=cell"
                      f"&division_code=330106&bbox=119,29,121,31",
                      headers=auth.headers("viewer"))
    assert page.status_code == 200 and page.get_json()["features"] == []
    bad = client.get(f"/api/collections/{collection}/items?level=purple",
                     headers=auth.headers("viewer"))
    assert bad.status_code == 400
    doc = client.get("/api/openapi.json").get_json()
    assert "post" not in doc["paths"][f"/collections/{collection}/items"]
    params = {p["name"] for p in doc["paths"][f"/collections/{collection}/items"]["get"][
        "parameters"]}
    assert {"level", "unit", "division_code", "bbox"} <= params
    assert "level" in {p["name"] for p in doc["paths"]["/collections/risk-points/items"][
        "get"]["parameters"]}


def test_risk_tiles_carry_what_a_map_colours_by(client: Any, auth: Any, session: Any) -> None:
    from tests.inventory.test_exporting import XIHU_B, result_row
    from tests.web.test_tiles import features, get_tile, tile_of

    point = post(client, auth, "risk-points", risk_point()).get_json()
    made = post(client, auth, "hazard-zones", zone()).get_json()
    got = features(get_tile(client, auth, "risk-points", tile_of(f.XIHU, 14)), "risk-points")
    assert got[point["id"]]["properties"] == {
        "name": "加油站卸油区", "category": "hazardous_materials", "method": "lec", "score": 270,
        "level": "considerable"}
    got = features(get_tile(client, auth, "hazard-zones", tile_of(f.XIHU, 14)), "hazard-zones")
    assert got[made["id"]]["properties"] == {"name": "文三路内涝风险区", "kind": "waterlogging",
                                             "hazard_class": 4, "return_period_years": 50}
    for collection, level in (("risk-five-colour", "high"), ("risk-four-colour", "major")):
        row = result_row(session, collection, ref=f"{collection}-1")
        session.commit()
        address = tile_of(XIHU_B, 14)
        first = get_tile(client, auth, collection, address, user="viewer")
        feat = features(first, collection)[row.id]
        assert feat["properties"] == {"unit": "cell", "ref": f"{collection}-1", "name": "网格 1",
                                      "level": level, "colour": "#E60012", "score": 0.71,
                                      "division_code": "330106"}
        assert get_tile(client, auth, collection, address, user="viewer",
                        **{"If-None-Match": first.headers["ETag"]}).status_code == 304
        # Another district's engineer sees nothing of 西湖区's map.
        assert features(get_tile(client, auth, collection, address, user="engineer_sc"),
                        collection) == {}
    doc = client.get("/api/openapi.json").get_json()
    layers = doc["paths"]["/tiles/{layer}/{z}/{x}/{y}.pbf"]["get"]["parameters"][0]["schema"]
    assert {"hazard-zones", "risk-points", "risk-five-colour", "risk-four-colour"} \
        <= set(layers["enum"])


def test_the_search_box_finds_risk_data(client: Any, auth: Any, session: Any, dialect: str
                                        ) -> None:
    from sqlalchemy import text

    from inventory import search
    from resilience import accounts

    point = post(client, auth, "risk-points", risk_point(name="古墩路加油站", external_id="RP-77"))
    made = post(client, auth, "hazard-zones", zone(name="古墩路低洼内涝区"))
    viewer = accounts.principal_of(accounts.get_user(session, "viewer"))
    found = search.search(session, viewer, "古墩路")
    assert [h.key for h in found.groups["risk-points"]] == [point.get_json()["id"]]
    assert [h.key for h in found.groups["hazard-zones"]] == [made.get_json()["id"]]
    assert found.groups["risk-points"][0].type_code == "hazardous_materials"
    assert search.search(session, viewer, "RP-77").only() is not None
    if dialect == "postgis":
        names = {r[0] for r in session.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename IN ('hazard_zones', 'risk_points')"))}
        assert {"ix_hazard_zones_search_trgm", "ix_risk_points_search_trgm"} <= names


def test_pages_for_risk_data(client: Any, auth: Any, session: Any) -> None:
    import re

    from tests.inventory.test_exporting import result_row
    from tests.web.test_asset_page import csrf, sign_in

    point = post(client, auth, "risk-points", risk_point()).get_json()
    row = result_row(session, "risk-four-colour", points=2)
    session.commit()
    sign_in(client, "manager", "manager-demo-2026")
    listed = client.get("/collections").get_data(as_text=True)
    for name in ("hazard-zones", "risk-points", "risk-five-colour", "risk-four-colour"):
        assert f'href="/collections/{name}"' in listed
    table = client.get("/collections/risk-points?level=considerable")
    html = table.get_data(as_text=True)
    assert table.status_code == 200 and "较大风险" in html and "#FF8000" in html
    assert "加油站卸油区" in html
    assert client.get("/collections/risk-four-colour?level=major&unit=cell").status_code == 200
    page = client.get(f"/collections/risk-points/items/{point['id']}").get_data(as_text=True)
    assert f"/collections/risk-points/items/{point['id']}/edit" in page
    assert 'class="attach-form"' in page  # photos of a risk point: whoever may edit it
    result = client.get(f"/collections/risk-four-colour/items/{row.id}")
    text = result.get_data(as_text=True)
    assert result.status_code == 200 and "/edit" not in text and "含逗号" in text
    assert client.get("/collections/risk-four-colour/new").status_code == 404
    # The emergency manager draws a risk point on the form; the level comes from the factors.
    new = client.post("/collections/risk-points/new", data={
        "csrf_token": csrf(client, "/collections/risk-points/new"), "name": "隧道旁基坑",
        "category": "construction", "method": "lec", "factor_l": "6", "factor_e": "6",
        "factor_c": "15", "coordinates": "120.081,30.281"})
    assert new.status_code == 302, new.get_data(as_text=True)[:2000]
    key = int(re.search(r"/items/(\d+)", new.location).group(1))
    item = client.get(f"/api/collections/risk-points/items/{key}",
                      headers=auth.headers("admin")).get_json()
    assert (item["properties"]["score"], item["properties"]["level"]) == (540, "major")
    form = client.get("/collections/risk-points/new").get_data(as_text=True)
    assert 'name="score"' not in form and 'name="level"' not in form
    shown = with_map_script(client, client.get("/map?collection=risk-four-colour&level=major").get_data(as_text=True))
    assert 'collection: "risk-four-colour"' in shown and '"colourProperty": "colour"' in shown
    assert '"query": "level=major"' in shown
    assert '"colourBy": "level"' in shown  # risk points in their four-colour level
    sign_in(client, "inspector", "inspector-demo-2026")
    assert client.get("/collections/risk-points/new").status_code == 403
    page = client.get(f"/collections/risk-points/items/{point['id']}").get_data(as_text=True)
    assert "/edit" not in page


def test_the_dashboard_counts_risk_records_not_published_maps(client: Any, auth: Any,
                                                              session: Any) -> None:
    from tests.inventory.test_exporting import result_row
    from tests.web.test_dashboard import read_csv, sign_in

    post(client, auth, "risk-points", risk_point())
    post(client, auth, "risk-points", risk_point(factor_l=6))
    post(client, auth, "risk-points", risk_point(factor_l=1, factor_c=1))
    post(client, auth, "hazard-zones", zone())
    result_row(session, "risk-four-colour")
    session.commit()
    sign_in(client, "manager", "manager-demo-2026")
    numbers = read_csv(client.get("/dashboard.csv").data)
    assert numbers[("totals", "hazard_zones.count")] == "1"
    assert numbers[("totals", "risk_points.count")] == "3"
    assert numbers[("totals", "risk_points.major")] == "2"
    assert "灾害风险区" in client.get("/dashboard").get_data(as_text=True)
