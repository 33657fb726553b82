"""Vector tiles over HTTP on both databases: content, access, retirement, caching, bad addresses."""

from __future__ import annotations

import json
import math
from typing import Any

import mapbox_vector_tile
import pytest

from tests import factories as f

GEO = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"
HERE = (120.074, 30.28)  # 西湖区, in the middle of its z15 tile (f.XIHU is near a tile edge)


def tile_of(at: tuple[float, float], z: int) -> tuple[int, int, int]:
    lon, lat = at
    n = 2 ** z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def pixel_of(at: tuple[float, float], z: int, x: int, y: int) -> tuple[float, float]:
    """Where a lon/lat falls in a tile, in its 4096 units with y down (what MVT stores)."""
    lon, lat = at
    n = 2 ** z
    py = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return ((lon + 180) / 360 * n - x) * 4096, (py - y) * 4096


def post(client: Any, auth: Any, collection: str, body: Any, user: str = "admin") -> dict[str, Any]:
    resp = client.post(f"/api/collections/{collection}/items", data=json.dumps(body),
                       headers=auth.headers(user), content_type=GEO)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()  # type: ignore[no-any-return]


def get_tile(client: Any, auth: Any, layer: str, address: tuple[int, int, int],
             user: str = "admin", **headers: str) -> Any:
    z, x, y = address
    return client.get(f"/tiles/{layer}/{z}/{x}/{y}.pbf", headers=auth.headers(user, **headers))


def features(resp: Any, layer: str) -> dict[int, dict[str, Any]]:
    """The tile's features by id (an empty 204 tile has none)."""
    if resp.status_code == 204:
        assert resp.get_data() == b""
        return {}
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == MVT
    decoded = mapbox_vector_tile.decode(resp.get_data(), default_options={"y_coord_down": True})
    assert set(decoded) <= {layer}
    return {feat["id"]: feat for feat in decoded.get(layer, {}).get("features", [])}


def test_tile_holds_the_features_with_their_properties(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline(HERE))
    address = tile_of(HERE, 15)
    got = features(get_tile(client, auth, "pipelines", address), "pipelines")
    assert pipe["id"] in got
    feat = got[pipe["id"]]
    assert feat["properties"] == {"name": "文三路给水管", "category": "water_supply",
                                  "material": "ductile_iron", "diameter_mm": 300, "status": "in_service"}
    assert feat["geometry"]["type"] == "LineString"
    # The line's ends where Web Mercator puts them, to the unit (both databases project alike).
    x0, y0 = HERE
    expected = [pixel_of((x0, y0), *address), pixel_of((x0 + 0.001, y0 + 0.0005), *address)]
    for (px, py), (ex, ey) in zip(feat["geometry"]["coordinates"], expected, strict=True):
        assert abs(px - ex) <= 1 and abs(py - ey) <= 1


def test_a_line_across_tiles_is_clipped_at_the_buffer(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline())  # f.XIHU: crosses a z15 tile edge
    z, x, y = tile_of(f.XIHU, 15)
    left = features(get_tile(client, auth, "pipelines", (z, x, y)), "pipelines")[pipe["id"]]
    assert max(px for px, _ in left["geometry"]["coordinates"]) == 4096 + 64
    right = features(get_tile(client, auth, "pipelines", (z, x + 1, y)), "pipelines")[pipe["id"]]
    assert min(px for px, _ in right["geometry"]["coordinates"]) == -64


@pytest.mark.parametrize(("layer", "factory", "expected"), [
    ("network-points", f.network_point, {"kind": "valve", "category": "water_supply",
                                         "status": "in_service"}),
    ("tunnels", f.tunnel, {"name": "文一路综合管廊", "tunnel_type": "branch", "status": "in_service"}),
    ("shelters", f.shelter, {"name": "西溪公园避难场所", "kind": "emergency_shelter",
                             "shelter_class": "fixed_short"}),
    ("flood-points", f.flood_point, {"name": "文二西路下穿", "cause": "underpass", "status": "active"}),
])
def test_every_asset_layer(client: Any, auth: Any, layer: str, factory: Any,
                           expected: dict[str, Any]) -> None:
    record = post(client, auth, layer, factory(HERE))
    got = features(get_tile(client, auth, layer, tile_of(HERE, 15)), layer)
    assert got[record["id"]]["properties"] == expected


def test_divisions_layer_for_every_signed_in_user(client: Any, auth: Any) -> None:
    resp = client.get("/tiles/divisions/10/853/421.pbf", headers=auth.headers("engineer"))
    decoded = mapbox_vector_tile.decode(resp.get_data())
    codes = {feat["properties"]["code"]: feat["properties"] for feat in decoded["divisions"]["features"]}
    assert codes["330106"]["level"] == "county"
    assert "330102" in codes  # another district's boundary: administrative data, public
    assert resp.headers["ETag"]
    again = client.get("/tiles/divisions/10/853/421.pbf",
                       headers=auth.headers("engineer", **{"If-None-Match": resp.headers["ETag"]}))
    assert again.status_code == 304


def test_a_feature_outside_the_tile_is_absent(client: Any, auth: Any) -> None:
    here = post(client, auth, "pipelines", f.pipeline(HERE))
    there = post(client, auth, "pipelines", f.pipeline(f.SHANGCHENG))
    got = features(get_tile(client, auth, "pipelines", tile_of(HERE, 15)), "pipelines")
    assert here["id"] in got and there["id"] not in got
    z, x, y = tile_of(HERE, 15)
    left = features(get_tile(client, auth, "pipelines", (z, x - 1, y)), "pipelines")
    assert here["id"] not in left


def test_retired_features_are_absent(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline(HERE))
    kept = post(client, auth, "pipelines", f.pipeline((HERE[0] + 0.002, HERE[1])))
    assert client.delete(f"/api/collections/pipelines/items/{pipe['id']}",
                         headers=auth.headers("admin")).status_code == 204
    got = features(get_tile(client, auth, "pipelines", tile_of(HERE, 15)), "pipelines")
    assert pipe["id"] not in got and kept["id"] in got


def test_a_restricted_engineer_sees_only_their_divisions(client: Any, auth: Any) -> None:
    xihu = post(client, auth, "pipelines", f.pipeline(HERE))
    shangcheng = post(client, auth, "pipelines", f.pipeline(f.SHANGCHENG))
    in_xihu, in_shangcheng = tile_of(HERE, 15), tile_of(f.SHANGCHENG, 15)
    assert xihu["id"] in features(get_tile(client, auth, "pipelines", in_xihu, "engineer"), "pipelines")
    hidden = get_tile(client, auth, "pipelines", in_shangcheng, "engineer")
    assert shangcheng["id"] not in features(hidden, "pipelines")
    assert shangcheng["id"] in features(get_tile(client, auth, "pipelines", in_shangcheng, "engineer_sc"),
                                        "pipelines")
    assert shangcheng["id"] in features(get_tile(client, auth, "pipelines", in_shangcheng), "pipelines")
    # Nobody's grant, nothing drawn; and the two engineers never share a cached tile.
    assert features(get_tile(client, auth, "pipelines", in_xihu, "nobody"), "pipelines") == {}
    mine = get_tile(client, auth, "pipelines", in_xihu, "engineer").headers["ETag"]
    theirs = get_tile(client, auth, "pipelines", in_xihu, "engineer_sc").headers["ETag"]
    assert mine != theirs


def test_anonymous_callers_get_401(client: Any) -> None:
    resp = client.get("/tiles/pipelines/15/27316/13467.pbf")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"


def test_etag_304_and_a_new_etag_after_an_edit(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline(HERE))
    address = tile_of(HERE, 15)
    first = get_tile(client, auth, "pipelines", address)
    assert first.status_code == 200
    tag = first.headers["ETag"]
    assert tag.startswith('W/"')
    assert first.headers["Cache-Control"] == "private, max-age=60"
    assert "Authorization" in first.headers["Vary"]
    cached = get_tile(client, auth, "pipelines", address, **{"If-None-Match": tag})
    assert cached.status_code == 304 and cached.get_data() == b""
    assert cached.headers["ETag"] == tag
    assert get_tile(client, auth, "pipelines", address,
                    **{"If-None-Match": f'"other", {tag}'}).status_code == 304

    patch = client.patch(f"/api/collections/pipelines/items/{pipe['id']}",
                         data=json.dumps({"properties": {"name": "文三路给水干管"}}),
                         headers=auth.headers("admin"), content_type=GEO)
    assert patch.status_code == 200
    fresh = get_tile(client, auth, "pipelines", address, **{"If-None-Match": tag})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] != tag
    assert features(fresh, "pipelines")[pipe["id"]]["properties"]["name"] == "文三路给水干管"
    # An edit anywhere in the layer moves every tile of it (one indexed max(updated_at)).
    far = tile_of(f.SHANGCHENG, 15)
    before = get_tile(client, auth, "pipelines", far).headers["ETag"]
    post(client, auth, "pipelines", f.pipeline(f.GONGSHU))
    assert get_tile(client, auth, "pipelines", far).headers["ETag"] != before


def test_an_empty_tile_is_204_and_revalidates(client: Any, auth: Any) -> None:
    address = tile_of((120.30, 30.40), 15)
    empty = get_tile(client, auth, "pipelines", address)
    assert empty.status_code == 204 and empty.get_data() == b""
    assert empty.headers["Cache-Control"] == "private, max-age=60"
    again = get_tile(client, auth, "pipelines", address, **{"If-None-Match": empty.headers["ETag"]})
    assert again.status_code == 304


def test_network_points_start_at_zoom_14(client: Any, auth: Any) -> None:
    point = post(client, auth, "network-points", f.network_point(HERE))
    assert point["id"] in features(get_tile(client, auth, "network-points", tile_of(HERE, 14)),
                                   "network-points")
    assert get_tile(client, auth, "network-points", tile_of(HERE, 13)).status_code == 204


def test_city_scale_pipelines_are_thinned_not_emptied(client: Any, auth: Any) -> None:
    short: list[int] = []
    while not short or short[-1] % 64:  # until one falls in the z10 sample (ids are sequential)
        at = (HERE[0] + len(short) % 8 * 0.0012, HERE[1] + len(short) // 8 * 0.0008)
        short.append(post(client, auth, "pipelines", f.pipeline(at))["id"])
        assert len(short) <= 64
    long = post(client, auth, "pipelines", f.feature(f.line(HERE, dx=0.02, dy=0.0),
                                                     category="gas", name="长输燃气管"))["id"]
    got = features(get_tile(client, auth, "pipelines", tile_of(HERE, 10)), "pipelines")
    assert long in got  # 1.9 km: more than four pixels at z10, always drawn
    assert [i for i in short if i in got] == [short[-1]]  # 100 m: one in 4^(13 - 10)
    at_11 = features(get_tile(client, auth, "pipelines", tile_of(HERE, 11)), "pipelines")
    assert [i for i in short if i in at_11] == [i for i in short if i % 16 == 0]
    at_13 = features(get_tile(client, auth, "pipelines", tile_of(HERE, 13)), "pipelines")
    assert set(short) | {long} <= set(at_13)


@pytest.mark.parametrize(("path", "field"), [
    ("/tiles/pipelines/23/0/0.pbf", "z"),
    ("/tiles/pipelines/-1/0/0.pbf", "z"),
    ("/tiles/pipelines/2/4/0.pbf", "x"),
    ("/tiles/pipelines/2/0/4.pbf", "y"),
    ("/tiles/pipelines/2/0/-1.pbf", "y"),
    ("/tiles/pipelines/a/0/0.pbf", "z"),
    ("/tiles/pipelines/3/1.5/0.pbf", "x"),
])
def test_bad_addresses_are_400_problems(client: Any, auth: Any, path: str, field: str) -> None:
    resp = client.get(path, headers=auth.headers("admin", **{"Accept-Language": "en"}))
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"]


def test_unknown_layers_are_404_problems(client: Any, auth: Any) -> None:
    for layer in ("pipes", "hazard"):
        resp = client.get(f"/tiles/{layer}/1/0/0.pbf", headers=auth.headers("admin"))
        assert resp.status_code == 404
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"][0]["field"] == "layer"
    assert client.get("/tiles/pipelines/1/0/0.png", headers=auth.headers("admin")).status_code == 404


def test_openapi_describes_the_tiles(client: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    tiles = doc["paths"]["/tiles/{layer}/{z}/{x}/{y}.pbf"]["get"]
    layer = next(p for p in tiles["parameters"] if p["name"] == "layer")
    assert set(layer["schema"]["enum"]) == {"pipelines", "network-points", "tunnels", "shelters",
                                            "flood-points", "divisions", "hazard-zones",
                                            "risk-points", "risk-five-colour", "risk-four-colour",
                                            "hazards"}
    assert {"200", "204", "304", "400", "401", "404"} <= set(tiles["responses"])


def test_the_version_index_is_migrated_and_used(engine: Any) -> None:
    from sqlalchemy import inspect, text

    for table in ("pipelines", "network_points", "tunnels", "shelters", "flood_points"):
        names = {ix["name"] for ix in inspect(engine).get_indexes(table)}
        assert f"ix_{table}_updated_at" in names, names
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT max(updated_at) FROM pipelines"))
        else:
            plan = " ".join(r[0] for r in conn.execute(text(
                "EXPLAIN SELECT max(updated_at) FROM pipelines")))
    assert "ix_pipelines_updated_at" in plan, plan
