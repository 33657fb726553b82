"""The OGC API over HTTP on both databases: discovery, paging, CRS, writes, errors."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests import factories as f

GEO = "application/geo+json"


def post(client: Any, auth: Any, collection: str, body: Any, user: str = "admin",
         **headers: str) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"/api/collections/{collection}/items", data=data,
                       headers=auth.headers(user, **headers), content_type=GEO)


def test_landing_conformance_openapi(client: Any) -> None:
    landing = client.get("/api").get_json()
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/api/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    doc = client.get("/api/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert "/collections/pipelines/items" in doc["paths"]
    assert "post" in doc["paths"]["/collections/pipelines/items"]
    assert "post" not in doc["paths"]["/collections/divisions/items"]
    # Relative to the API's root, as OGC clients (GDAL) look them up; /tiles keeps the root.
    assert doc["servers"] == [{"url": "http://localhost/api"}]
    assert doc["paths"]["/tiles/{layer}/{z}/{x}/{y}.pbf"]["servers"] == [
        {"url": "http://localhost"}]


def test_collections_need_credentials(client: Any) -> None:
    resp = client.get("/api/collections")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert "Basic" in resp.headers["WWW-Authenticate"]
    bad = client.get("/api/collections", headers={"Authorization": "Bearer rsl_nope"})
    assert bad.status_code == 401


def test_basic_with_password_or_token(client: Any, auth: Any) -> None:
    def basic(user: str, secret: str) -> dict[str, str]:
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}

    assert client.get("/api/collections", headers=basic("viewer", "viewer-demo-2026")
                      ).status_code == 200
    assert client.get("/api/collections", headers=basic("viewer", "wrong")).status_code == 401
    assert client.get("/api/collections", headers=basic("viewer", auth.token("viewer"))
                      ).status_code == 200
    # A token only works for its own user.
    assert client.get("/api/collections", headers=basic("admin", auth.token("viewer"))
                      ).status_code == 401


def test_revoked_and_expired_tokens_stop_working(client: Any, auth: Any, session: Any) -> None:
    from resilience import accounts
    from resilience.model import now

    token, plain = accounts.issue_token(session, "viewer", days=1)
    session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/collections", headers=headers).status_code == 200
    accounts.revoke_token(session, token.id)
    session.commit()
    assert client.get("/api/collections", headers=headers).status_code == 401
    token2, plain2 = accounts.issue_token(session, "viewer", days=1)
    token2.expires_at = now()
    session.commit()
    assert client.get("/api/collections",
                      headers={"Authorization": f"Bearer {plain2}"}).status_code == 401


def test_collections_listing(client: Any, auth: Any) -> None:
    body = client.get("/api/collections", headers=auth.headers("viewer")).get_json()
    ids = [c["id"] for c in body["collections"]]
    # One geometry family per layer (issue 16): shelters and the published maps are split.
    assert ids[:10] == ["pipelines", "network-points", "tunnels", "shelters-points",
                        "shelters-polygons", "flood-points", "divisions", "hazard-zones",
                        "risk-points", "hazards"]
    assert "risk-five-colour-cells" in ids and "risk-four-colour-tunnels" in ids
    assert "shelters" not in ids and "risk-five-colour" not in ids  # mixed: served, not listed
    pipelines = body["collections"][0]
    assert "http://www.opengis.net/def/crs/EPSG/0/4549" in pipelines["crs"]
    assert pipelines["storageCrs"].endswith("/4490")


def test_create_read_update_retire_over_http(client: Any, auth: Any) -> None:
    resp = post(client, auth, "pipelines", f.pipeline(name="<script>alert(1)</script>"))
    assert resp.status_code == 201, resp.get_json()
    location = resp.headers["Location"]
    etag = resp.headers["ETag"]
    item = client.get(location, headers=auth.headers("viewer"))
    assert item.status_code == 200 and item.headers["ETag"] == etag
    feature = item.get_json()
    assert feature["properties"]["name"] == "<script>alert(1)</script>"
    assert feature["properties"]["division_code"] == "330106"
    assert feature["geometry"]["coordinates"][0] == [120.08, 30.28]  # lon, lat (CRS84)

    patched = client.patch(location, data=json.dumps({"properties": {"diameter_mm": 400}}),
                           headers=auth.headers("admin", **{"If-Match": etag}),
                           content_type="application/merge-patch+json")
    assert patched.status_code == 200 and patched.get_json()["properties"]["diameter_mm"] == 400
    stale = client.put(location, data=json.dumps(f.pipeline()),
                       headers=auth.headers("admin", **{"If-Match": etag}), content_type=GEO)
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.get_json()["current_version"] == 2

    gone = client.delete(location + "?reason=demolished",
                         headers=auth.headers("admin", **{"If-Match": patched.headers["ETag"]}))
    assert gone.status_code == 204
    assert client.get(location, headers=auth.headers("admin")).status_code == 404
    restored = client.post(location + "/restore", headers=auth.headers("admin"))
    assert restored.status_code == 200
    history = client.get(location + "/history", headers=auth.headers("admin")).get_json()
    assert [e["action"] for e in history["entries"]] == ["create", "update", "retire", "restore"]
    assert history["entries"][1]["changes"]["diameter_mm"] == [300.0, 400.0]


def test_paging_by_keyset_links(client: Any, auth: Any) -> None:
    ids = [post(client, auth, "network-points",
                f.network_point(at=(120.08 + i * 0.0003, 30.28))).get_json()["id"]
           for i in range(7)]
    url = "/api/collections/network-points/items?limit=3&bbox=120.0799,30.2799,120.0821,30.2801"
    seen: list[int] = []
    pages = 0
    while url:
        body = client.get(url, headers=auth.headers("viewer")).get_json()
        seen += [feat["id"] for feat in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0] if nxt else None
        pages += 1
        if url:
            assert "offset" not in url and "after=" in url
    assert seen == ids and pages == 3
    first = client.get("/api/collections/network-points/items?limit=100&bbox="
                       "120.0799,30.2799,120.0821,30.2801", headers=auth.headers("viewer"))
    assert first.get_json()["numberMatched"] == 7
    second = client.get(f"/api/collections/network-points/items?limit=3&after={ids[2]}"
                        "&bbox=120.0799,30.2799,120.0821,30.2801", headers=auth.headers("viewer"))
    prev = [link["href"] for link in second.get_json()["links"] if link["rel"] == "prev"][0]
    assert parse_qs(urlsplit(prev).query)["before"] == [str(ids[3])]
    assert second.get_json()["numberMatched"] == 7  # every page says the total (GDAL, QGIS)
    assert second.get_json()["numberReturned"] == 3
    division = client.get("/api/collections/network-points/items?limit=3&division=330102&bbox="
                          "120.0799,30.2799,120.0821,30.2801", headers=auth.headers("viewer"))
    assert division.get_json()["numberMatched"] == 0  # the same filter as the features
    page = f"/api/collections/network-points/items?limit=3&after={ids[2]}" \
           "&bbox=120.0799,30.2799,120.0821,30.2801"
    post(client, auth, "network-points", f.network_point(at=(120.0815, 30.28)))
    assert client.get(page, headers=auth.headers("viewer")).get_json()["numberMatched"] == 8
    client.delete(f"/api/collections/network-points/items/{ids[0]}", headers=auth.headers("admin"))
    assert client.get(page, headers=auth.headers("viewer")).get_json()["numberMatched"] == 7


def test_output_crs_and_bbox_crs(client: Any, auth: Any) -> None:
    fid = post(client, auth, "network-points", f.network_point()).get_json()["id"]
    url = f"/api/collections/network-points/items/{fid}"
    gk = client.get(url + "?crs=http://www.opengis.net/def/crs/EPSG/0/4549",
                    headers=auth.headers("viewer"))
    assert gk.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4549>"
    northing, easting = gk.get_json()["geometry"]["coordinates"]
    assert 3_300_000 < northing < 3_400_000 and 400_000 < easting < 600_000
    lat_first = client.get(url + "?crs=http://www.opengis.net/def/crs/EPSG/0/4490",
                           headers=auth.headers("viewer")).get_json()
    assert lat_first["geometry"]["coordinates"] == pytest.approx([30.28, 120.08])
    box = f"{northing - 50},{easting - 50},{northing + 50},{easting + 50}"
    found = client.get("/api/collections/network-points/items?bbox=" + box
                       + "&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4549",
                       headers=auth.headers("viewer")).get_json()
    assert fid in [feat["id"] for feat in found["features"]]
    bad = client.get(url + "?crs=EPSG:2000", headers=auth.headers("viewer"))
    assert bad.status_code == 400


def test_post_in_local_crs_with_content_crs(client: Any, auth: Any) -> None:
    from shapely.geometry import Point

    from resilience import geo

    p = geo.from_storage(Point(*f.XIHU), geo.parse_crs("EPSG:4549"), axis_order="authority")
    feat = f.network_point()
    feat["geometry"] = {"type": "Point", "coordinates": [p.x, p.y]}
    resp = post(client, auth, "network-points", feat,
                **{"Content-Crs": "<http://www.opengis.net/def/crs/EPSG/0/4549>"})
    assert resp.status_code == 201
    assert resp.get_json()["geometry"]["coordinates"] == pytest.approx(list(f.XIHU), abs=1e-8)


def test_property_filters_and_unknown_parameters(client: Any, auth: Any) -> None:
    post(client, auth, "pipelines", f.pipeline(material="pe"))
    post(client, auth, "pipelines", f.pipeline(material="steel"))
    base = "/api/collections/pipelines/items?bbox=120.079,30.279,120.082,30.282"
    pe = client.get(base + "&material=PE", headers=auth.headers("viewer")).get_json()
    assert {feat["properties"]["material"] for feat in pe["features"]} == {"pe"}
    both = client.get(base + "&material=pe,steel", headers=auth.headers("viewer")).get_json()
    assert len(both["features"]) >= 2
    for query, field in [("&colour=red", "colour"), ("&material=gold", "material"),
                         ("&limit=0", "limit"), ("&bbox=1,2,3", "bbox")]:
        resp = client.get(base.split("?")[0] + "?" + query.lstrip("&"),
                          headers=auth.headers("viewer"))
        assert resp.status_code == 400, query
        assert resp.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize(("mutate", "status", "fields"), [
    (lambda b: "{not json", 400, ["body"]),
    (lambda b: {**b, "geometry": f.point()}, 422, ["geometry"]),
    (lambda b: f.with_props(b, category="暖气"), 422, ["category"]),
    (lambda b: f.with_props(b, diameter_mm=-1), 422, ["diameter_mm"]),
    (lambda b: f.with_props(b, colour="red"), 422, ["colour"]),
    (lambda b: {**b, "geometry": f.line(at=(116.4, 39.9))}, 422, ["geometry"]),
    (lambda b: f.with_props(b, diameter_mm=-1, material="gold", build_year="soon"), 422,
     ["diameter_mm", "material", "build_year"]),
])
def test_bad_input_names_every_field_and_writes_nothing(client: Any, auth: Any, mutate: Any,
                                                       status: int, fields: list[str]) -> None:
    def total() -> int:
        body = client.get("/api/collections/pipelines/items?limit=10000",
                          headers=auth.headers("admin")).get_json()
        return len(body["features"])

    before = total()
    resp = post(client, auth, "pipelines", mutate(f.pipeline()))
    assert resp.status_code == status
    assert resp.mimetype == "application/problem+json"
    assert sorted(e["field"] for e in resp.get_json()["errors"]) == sorted(fields)
    assert total() == before


def test_body_over_the_limit(client: Any, auth: Any, app: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    resp = post(client, auth, "pipelines", f.pipeline(remarks="x" * 2000))
    assert resp.status_code == 413
    assert resp.get_json()["errors"][0]["field"] == "body"


def test_unknown_collection_and_id(client: Any, auth: Any) -> None:
    assert client.get("/api/collections/sewers/items", headers=auth.headers("viewer")
                      ).status_code == 404
    missing = client.get("/api/collections/pipelines/items/987654", headers=auth.headers("admin"))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/collections/pipelines/items/abc", headers=auth.headers("admin")
                      ).status_code == 400


def test_messages_follow_accept_language(client: Any, auth: Any) -> None:
    bad = f.pipeline(diameter_mm=-1)
    zh = post(client, auth, "pipelines", bad, **{"Accept-Language": "zh-CN"}).get_json()
    en = post(client, auth, "pipelines", bad, **{"Accept-Language": "en"}).get_json()
    assert "应大于 0" in zh["errors"][0]["message"] and zh["title"] == "输入无效"
    assert "greater than 0" in en["errors"][0]["message"] and en["title"] == "Invalid input"


def test_divisions_are_read_only(client: Any, auth: Any) -> None:
    body = client.get("/api/collections/divisions/items?limit=50",
                      headers=auth.headers("engineer")).get_json()
    codes = {feat["id"] for feat in body["features"]}
    assert {"330100", "330106", "330102"} <= codes
    one = client.get("/api/collections/divisions/items/330106",
                     headers=auth.headers("engineer")).get_json()
    assert one["properties"]["name"] == "西湖区"
    assert post(client, auth, "divisions", f.feature(f.square(), code="1")).status_code == 403


def test_cookie_session_needs_csrf_for_writes(client: Any, app: Any) -> None:
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" type="hidden" value="')[1]
    token = token.split('"')[0]
    resp = client.post("/login", data={"username": "admin", "password": "admin-demo-2026",
                                       "csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/api/collections").status_code == 200
    denied = client.post("/api/collections/pipelines/items", data=json.dumps(f.pipeline()),
                         content_type=GEO)
    assert denied.status_code == 403
    # Signing in starts a new session with a new token; pages carry it in a meta tag.
    html = client.get("/map").get_data(as_text=True)
    token = html.split('<meta name="csrf-token" content="')[1].split('"')[0]
    allowed = client.post("/api/collections/pipelines/items", data=json.dumps(f.pipeline()),
                          content_type=GEO, headers={"X-CSRFToken": token})
    assert allowed.status_code == 201


def test_both_databases_answer_the_same_json_shapes(client: Any, auth: Any) -> None:
    created = post(client, auth, "shelters", f.shelter(is_open=False)).get_json()
    props = created["properties"]
    assert props["is_open"] is False  # SpatiaLite keeps 0/1: normalised to JSON booleans
    assert props["facilities"] == ["应急供水", "应急厕所"]
    assert props["survey_date"] is None and props["version"] == 1
    stamp = props["created_at"]
    assert len(stamp) == 20 and stamp[10] == "T" and stamp.endswith("Z"), stamp
    flood = post(client, auth, "flood-points", f.flood_point()).get_json()
    assert flood["properties"]["events"][0]["occurred_on"] == "2024-06-20"


def test_health_is_public(client: Any) -> None:
    assert client.get("/api/health").get_json() == {"status": "ok", "database": True}


@pytest.mark.parametrize(("props", "expected"), [
    ({"category": "WS", "subcategory": None}, ("drainage", "sewage")),
    ({"category": None, "subcategory": "GD"}, ("power", "power_supply")),
    ({"category": "雨污合流", "subcategory": None}, ("drainage", "combined")),
    ({"category": "排水", "subcategory": "01"}, ("drainage", "stormwater")),
    ({"category": 5, "subcategory": "5-03"}, ("power", "traffic_signal")),
])
def test_a_pipeline_posted_with_cjj61_codes_keeps_both_levels(client: Any, auth: Any,
                                                              props: dict[str, Any],
                                                              expected: tuple[str, str]) -> None:
    body = f.pipeline(**props)
    body["properties"] = {k: v for k, v in body["properties"].items() if v is not None}
    resp = post(client, auth, "pipelines", body)
    assert resp.status_code == 201, resp.get_json()
    stored = resp.get_json()["properties"]
    assert (stored["category"], stored["subcategory"]) == expected
    again = client.get(resp.headers["Location"], headers=auth.headers("admin")).get_json()
    assert (again["properties"]["category"], again["properties"]["subcategory"]) == expected


def test_a_subcategory_of_another_category_is_refused_by_the_api(client: Any, auth: Any) -> None:
    def total() -> int:
        body = client.get("/api/collections/pipelines/items?limit=10000",
                          headers=auth.headers("admin")).get_json()
        return len(body["features"])

    before = total()
    resp = post(client, auth, "pipelines", f.pipeline(category="给水", subcategory="WS"),
                **{"Accept-Language": "zh"})
    assert resp.status_code == 422
    [error] = resp.get_json()["errors"]
    assert (error["field"], error["code"]) == ("subcategory", "subcategory_mismatch")
    assert "WS" in error["message"] and "给水" in error["message"]
    point = post(client, auth, "network-points", f.network_point(category="YS"))
    assert point.status_code == 201 and point.get_json()["properties"]["category"] == "drainage"
    assert total() == before


def test_a_patch_giving_a_subcategory_code_as_the_category_moves_both_levels(
        client: Any, auth: Any) -> None:
    body = f.pipeline(category="YS", subcategory=None)
    body["properties"] = {k: v for k, v in body["properties"].items() if v is not None}
    made = post(client, auth, "pipelines", body)
    assert made.status_code == 201, made.get_json()
    etag = made.headers["ETag"]
    patched = client.patch(made.headers["Location"], json={"properties": {"category": "WS"}},
                           headers=auth.headers("admin", **{"If-Match": etag}))
    assert patched.status_code == 200, patched.get_json()
    props = patched.get_json()["properties"]
    assert (props["category"], props["subcategory"]) == ("drainage", "sewage")
    gas = client.patch(made.headers["Location"], json={"properties": {"category": "gas"}},
                       headers=auth.headers("admin", **{"If-Match": patched.headers["ETag"]}))
    assert gas.status_code == 422  # gas with the stored 污水 小类: say both
    assert gas.get_json()["errors"][0]["field"] == "subcategory"


def test_each_collection_states_the_extent_of_its_data(client: Any, auth: Any) -> None:
    """Issue 16: "zoom to layer" goes to the data (as the caller sees it), and follows edits."""
    post(client, auth, "tunnels", f.tunnel(at=f.XIHU))
    first = client.get("/api/collections/tunnels", headers=auth.headers("admin")).get_json()
    w, s, e, n = first["extent"]["spatial"]["bbox"][0]
    assert w <= 120.08 <= e and s <= 30.28 <= n and e - w < 0.5  # the tunnel, not the city
    post(client, auth, "tunnels", f.tunnel(at=f.SHANGCHENG))
    wider = client.get("/api/collections/tunnels", headers=auth.headers("admin")).get_json()
    assert wider["extent"]["spatial"]["bbox"][0][2] >= 120.20  # kept fresh after the edit
    own = client.get("/api/collections/tunnels", headers=auth.headers("engineer")).get_json()
    assert own["extent"]["spatial"]["bbox"][0][2] < 120.20  # 西湖区's engineer: 西湖区's only
    listed = client.get("/api/collections", headers=auth.headers("admin")).get_json()
    divisions = next(c for c in listed["collections"] if c["id"] == "divisions")
    dw, ds, de, dn = divisions["extent"]["spatial"]["bbox"][0]
    assert de - dw > 1.0  # the whole of 杭州市's divisions
