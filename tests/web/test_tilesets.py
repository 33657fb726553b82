"""OGC API – Tiles and TileJSON over the vector tiles, on both databases: the tile matrix set,
tilesets and their metadata, the tiles at OGC addresses (the very tiles of ``/tiles``), a tile
layer for every collection, hidden hazards by division, and GDAL reading what we describe."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest

from inventory import COLLECTIONS
from inventory.tiles import MAX_ZOOM, TILE_LAYERS
from tests import factories as f
from tests.web.test_tiles import HERE, MVT, features, get_tile, post, tile_of
from web.api.tilesets import landing_links, tile_links

TMS = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
ELSEWHERE = (120.20, 30.25)  # 上城区, in the middle of its z15 tile


def hazard(client: Any, auth: Any, at: tuple[float, float], **props: Any) -> dict[str, Any]:
    body = f.feature(f.point(at), **{"category": "cover_damaged", "description": "井盖破损",
                                     "name": "文三路井盖", **props})
    return post(client, auth, "hazards", body)


def get_json(client: Any, auth: Any, url: str, user: str = "admin") -> Any:
    resp = client.get(url, headers=auth.headers(user))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/json"
    return resp.get_json()


def ogc_tile(client: Any, auth: Any, layer: str, address: tuple[int, int, int],
             user: str = "admin", **headers: str) -> Any:
    z, x, y = address
    return client.get(f"/api/collections/{layer}/tiles/{TMS}/{z}/{y}/{x}",
                      headers=auth.headers(user, **headers))


def by_rel(doc: dict[str, Any], rel: str) -> dict[str, Any]:
    return next(item for item in doc["links"] if item["rel"] == rel)


def path_of(href: str) -> str:
    return href.removeprefix("http://localhost")


def test_the_tile_matrix_set_is_the_registered_web_mercator_quad(client: Any) -> None:
    listing = client.get("/api/tileMatrixSets")  # public: a standard definition
    assert listing.status_code == 200
    (item,) = listing.get_json()["tileMatrixSets"]
    assert (item["id"], item["uri"]) == (TMS, TMS_URI)
    tms = client.get(path_of(by_rel(item, "self")["href"])).get_json()
    assert tms["id"] == TMS and tms["uri"] == TMS_URI
    assert tms["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    matrices = tms["tileMatrices"]
    assert [m["id"] for m in matrices] == [str(z) for z in range(25)]
    # Level 0 as the standard gives it (17-083r4 Annex D.1), halved at each level below.
    for z, matrix in enumerate(matrices):
        assert math.isclose(matrix["scaleDenominator"] * 2 ** z, 559082264.0287178, rel_tol=1e-12)
        assert math.isclose(matrix["cellSize"] * 2 ** z, 156543.03392804097, rel_tol=1e-12)
        assert matrix["matrixWidth"] == matrix["matrixHeight"] == 2 ** z
    assert matrices[3]["pointOfOrigin"] == [-20037508.342789244, 20037508.342789244]
    assert {m["cornerOfOrigin"] for m in matrices} == {"topLeft"}
    assert {(m["tileWidth"], m["tileHeight"]) for m in matrices} == {(256, 256)}


def test_a_collection_lists_its_vector_tileset_and_the_links_lead_on(client: Any, auth: Any) -> None:
    doc = get_json(client, auth, "/api/collections/hazards/tiles")
    assert by_rel(doc, "self")["href"] == "http://localhost/api/collections/hazards/tiles"
    (tileset,) = doc["tilesets"]
    assert tileset["dataType"] == "vector"
    assert tileset["tileMatrixSetURI"] == TMS_URI
    assert tileset["crs"] == "http://www.opengis.net/def/crs/EPSG/0/3857"
    item = by_rel(tileset, "item")
    assert item["href"] == (f"http://localhost/api/collections/hazards/tiles/{TMS}"
                            "/{tileMatrix}/{tileRow}/{tileCol}")
    assert item["type"] == MVT and item["templated"] is True
    scheme = client.get(path_of(by_rel(tileset, REL + "tiling-scheme")["href"]))
    assert scheme.get_json()["id"] == TMS
    metadata = get_json(client, auth, path_of(by_rel(tileset, "self")["href"]))
    assert metadata["tileMatrixSetURI"] == TMS_URI


def test_tileset_metadata_states_limits_layers_and_properties(client: Any, auth: Any) -> None:
    one = hazard(client, auth, HERE)
    two = hazard(client, auth, ELSEWHERE, name=None)
    assert one["id"] != two["id"]
    doc = get_json(client, auth, f"/api/collections/hazards/tiles/{TMS}")
    assert doc["dataType"] == "vector" and doc["mediaTypes"] == [MVT]
    limits = doc["tileMatrixSetLimits"]
    assert [lim["tileMatrix"] for lim in limits] == [str(z) for z in range(MAX_ZOOM + 1)]
    assert limits[15] == {"tileMatrix": "15", "minTileRow": 0, "maxTileRow": 2 ** 15 - 1,
                          "minTileCol": 0, "maxTileCol": 2 ** 15 - 1}
    box = doc["boundingBox"]
    assert box["lowerLeft"] == pytest.approx([HERE[0], ELSEWHERE[1]], abs=1e-6)
    assert box["upperRight"] == pytest.approx([ELSEWHERE[0], HERE[1]], abs=1e-6)
    (layer,) = doc["layers"]
    assert layer["id"] == "hazards" and layer["geometryDimension"] == 0
    assert (layer["minTileMatrix"], layer["maxTileMatrix"]) == ("0", str(MAX_ZOOM))
    props = layer["propertiesSchema"]["properties"]
    assert set(props) == {"name", "category", "grade", "state", "supervised"}
    assert props["supervised"]["type"] == "boolean"
    assert "major" in props["grade"]["enum"]
    tilejson = by_rel(doc, "alternate")
    assert tilejson["href"].endswith(f"/api/collections/hazards/tiles/{TMS}/tilejson.json")
    points = get_json(client, auth, f"/api/collections/network-points/tiles/{TMS}")
    assert points["layers"][0]["minTileMatrix"] == "14"  # empty tiles below, as on the map


def test_the_ogc_tile_is_the_tile_of_tiles_with_its_etag(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline(HERE))
    address = tile_of(HERE, 15)
    plain = get_tile(client, auth, "pipelines", address)
    ogc = ogc_tile(client, auth, "pipelines", address)
    assert plain.status_code == ogc.status_code == 200
    assert ogc.get_data() == plain.get_data()
    assert pipe["id"] in features(ogc, "pipelines")
    for header in ("ETag", "Cache-Control", "Vary", "Content-Type"):
        assert ogc.headers[header] == plain.headers[header], header
    # A copy from either address is current on the other.
    cached = ogc_tile(client, auth, "pipelines", address, **{"If-None-Match": plain.headers["ETag"]})
    assert cached.status_code == 304 and cached.get_data() == b""
    again = get_tile(client, auth, "pipelines", address, **{"If-None-Match": ogc.headers["ETag"]})
    assert again.status_code == 304
    # Row before column: swapping them asks for another tile, far from here and empty.
    z, x, y = address
    swapped = client.get(f"/api/collections/pipelines/tiles/{TMS}/{z}/{x}/{y}",
                         headers=auth.headers("admin"))
    assert swapped.status_code == 204 and swapped.headers["ETag"] != ogc.headers["ETag"]
    assert swapped.headers["Cache-Control"] == "private, max-age=60"


@pytest.mark.parametrize(("path", "field"), [
    (f"/api/collections/pipelines/tiles/{TMS}/23/0/0", "tileMatrix"),
    (f"/api/collections/pipelines/tiles/{TMS}/2/4/0", "tileRow"),
    (f"/api/collections/pipelines/tiles/{TMS}/2/0/4", "tileCol"),
    (f"/api/collections/pipelines/tiles/{TMS}/2/0/x", "tileCol"),
    (f"/api/tiles/{TMS}/-1/0/0", "tileMatrix"),
])
def test_bad_ogc_addresses_are_400_naming_the_parameter(client: Any, auth: Any, path: str,
                                                         field: str) -> None:
    resp = client.get(path, headers=auth.headers("admin"))
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]


def test_unknown_collections_and_grids_are_404(client: Any, auth: Any) -> None:
    for path in ("/api/collections/pipes/tiles", f"/api/collections/pipes/tiles/{TMS}",
                 f"/api/collections/pipes/tiles/{TMS}/1/0/0",
                 "/api/collections/pipelines/tiles/WorldCRS84Quad"):
        resp = client.get(path, headers=auth.headers("admin"))
        assert resp.status_code == 404, path
        assert resp.mimetype == "application/problem+json"


def test_hazard_tiles_follow_the_divisions_of_the_items_api(client: Any, auth: Any) -> None:
    xihu = hazard(client, auth, HERE)
    shangcheng = hazard(client, auth, ELSEWHERE, name="望江路井盖")
    in_xihu, in_shangcheng = tile_of(HERE, 15), tile_of(ELSEWHERE, 15)
    mine = features(ogc_tile(client, auth, "hazards", in_xihu, "engineer"), "hazards")
    assert mine[xihu["id"]]["properties"] == {"name": "文三路井盖", "category": "cover_damaged",
                                               "grade": "general", "state": "reported",
                                               "supervised": False}
    assert mine[xihu["id"]]["geometry"]["type"] == "Point"
    assert shangcheng["id"] not in features(
        ogc_tile(client, auth, "hazards", in_shangcheng, "engineer"), "hazards")
    assert shangcheng["id"] in features(
        ogc_tile(client, auth, "hazards", in_shangcheng, "engineer_sc"), "hazards")
    assert features(get_tile(client, auth, "hazards", in_xihu, "nobody"), "hazards") == {}
    # The items API draws the same line.
    items = client.get("/api/collections/hazards/items", headers=auth.headers("engineer"))
    assert {feat["id"] for feat in items.get_json()["features"]} == {xihu["id"]}


def test_a_retired_hazard_leaves_the_tiles(client: Any, auth: Any) -> None:
    gone = hazard(client, auth, HERE)
    resp = client.delete(f"/api/collections/hazards/items/{gone['id']}?reason=duplicate",
                         headers=auth.headers("admin"))
    assert resp.status_code == 204, resp.get_data(as_text=True)
    assert gone["id"] not in features(ogc_tile(client, auth, "hazards", tile_of(HERE, 15)),
                                      "hazards")


def test_tilejson_agrees_with_the_tiles_and_bounds_what_the_caller_sees(client: Any,
                                                                         auth: Any) -> None:
    xihu = hazard(client, auth, HERE)
    hazard(client, auth, ELSEWHERE)
    url = f"/api/collections/hazards/tiles/{TMS}/tilejson.json"
    everything = get_json(client, auth, url)
    assert everything["tilejson"] == "3.0.0"
    assert everything["bounds"] == pytest.approx([HERE[0], ELSEWHERE[1], ELSEWHERE[0], HERE[1]],
                                                 abs=1e-6)
    mine = get_json(client, auth, url, "engineer")
    assert mine["bounds"] == pytest.approx([*HERE, *HERE], abs=1e-6)  # 上城区's is not theirs
    lon, lat, zoom = mine["center"]
    assert (lon, lat) == pytest.approx(HERE, abs=1e-6)
    assert mine["minzoom"] <= zoom <= mine["maxzoom"] == MAX_ZOOM
    (layer,) = mine["vector_layers"]
    assert layer["fields"] == {"name": "String", "category": "String", "grade": "String",
                               "state": "String", "supervised": "Boolean"}
    # The URL template, filled in, is the tile; its one MVT layer is the one TileJSON names.
    (template,) = mine["tiles"]
    assert template.startswith("http://localhost/")
    z, x, y = tile_of(HERE, 15)
    resp = client.get(path_of(template.format(z=z, x=x, y=y)), headers=auth.headers("engineer"))
    decoded = mapbox_vector_tile.decode(resp.get_data())
    assert set(decoded) == {layer["id"]}
    (feature,) = decoded[layer["id"]]["features"]
    assert feature["id"] == xihu["id"] and set(feature["properties"]) == set(layer["fields"])
    # Nothing to see: the city's configured box, so a client still opens somewhere sensible.
    nothing = get_json(client, auth, url, "nobody")
    assert len(nothing["bounds"]) == 4 and nothing["bounds"][0] < nothing["bounds"][2]


def test_every_collection_has_a_tile_layer(client: Any, auth: Any) -> None:
    assert set(COLLECTIONS) <= set(TILE_LAYERS)
    for name in COLLECTIONS:
        doc = get_json(client, auth, f"/api/collections/{name}/tiles/{TMS}/tilejson.json")
        assert [v["id"] for v in doc["vector_layers"]] == [name]
        assert get_json(client, auth, f"/api/collections/{name}/tiles")["tilesets"]
        resp = client.get(f"/api/collections/{name}/tiles/{TMS}/14/6719/13695",
                          headers=auth.headers("admin"))
        assert resp.status_code in (200, 204), (name, resp.status_code)


def test_the_dataset_tileset_holds_every_layer_in_one_tile(client: Any, auth: Any) -> None:
    pipe = post(client, auth, "pipelines", f.pipeline(HERE))
    found = hazard(client, auth, HERE)
    listing = get_json(client, auth, "/api/tiles")
    hrefs = [by_rel(t, "self")["href"] for t in listing["tilesets"]]
    assert hrefs[0] == f"http://localhost/api/tiles/{TMS}"
    assert hrefs[1:] == [f"http://localhost/api/collections/{n}/tiles/{TMS}" for n in TILE_LAYERS]
    metadata = get_json(client, auth, path_of(hrefs[0]))
    assert [layer["id"] for layer in metadata["layers"]] == list(TILE_LAYERS)
    tilejson = get_json(client, auth, f"/api/tiles/{TMS}/tilejson.json")
    assert [v["id"] for v in tilejson["vector_layers"]] == list(TILE_LAYERS)
    z, x, y = tile_of(HERE, 15)
    resp = client.get(f"/api/tiles/{TMS}/{z}/{y}/{x}", headers=auth.headers("admin"))
    assert resp.status_code == 200 and resp.mimetype == MVT
    decoded = mapbox_vector_tile.decode(resp.get_data())
    assert {"pipelines", "hazards", "divisions"} <= set(decoded)
    assert pipe["id"] in {feat["id"] for feat in decoded["pipelines"]["features"]}
    assert found["id"] in {feat["id"] for feat in decoded["hazards"]["features"]}
    # Each layer reads as it does alone.
    alone = mapbox_vector_tile.decode(ogc_tile(client, auth, "hazards", (z, x, y)).get_data())
    assert decoded["hazards"] == alone["hazards"]
    cached = client.get(f"/api/tiles/{TMS}/{z}/{y}/{x}",
                        headers=auth.headers("admin", **{"If-None-Match": resp.headers["ETag"]}))
    assert cached.status_code == 304
    # A new hazard anywhere moves the dataset's tiles too.
    hazard(client, auth, ELSEWHERE)
    fresh = client.get(f"/api/tiles/{TMS}/{z}/{y}/{x}",
                       headers=auth.headers("admin", **{"If-None-Match": resp.headers["ETag"]}))
    assert fresh.status_code == 200


def test_the_link_functions_point_at_answering_documents(client: Any, auth: Any) -> None:
    base = "http://localhost"
    links = tile_links("hazards", base)
    assert [item["rel"] for item in links] == [REL + "tilesets-vector", "describedby"]
    assert all(item["type"] == "application/json" and item["title"] for item in links)
    assert get_json(client, auth, path_of(links[0]["href"]))["tilesets"]
    assert get_json(client, auth, path_of(links[1]["href"]))["tilejson"] == "3.0.0"
    assert tile_links("no-such-collection", base) == []
    landing = {item["rel"]: item["href"] for item in landing_links(base)}
    assert landing[REL + "tiling-schemes"] == f"{base}/api/tileMatrixSets"
    assert get_json(client, auth, path_of(landing[REL + "tilesets-vector"]))["tilesets"]
    assert get_json(client, auth, path_of(landing["describedby"]))["vector_layers"]


def test_only_the_tile_matrix_sets_are_public(client: Any) -> None:
    for path in ("/api/tileMatrixSets", f"/api/tileMatrixSets/{TMS}"):
        assert client.get(path).status_code == 200
    for path in ("/api/tiles", f"/api/tiles/{TMS}", f"/api/tiles/{TMS}/tilejson.json",
                 f"/api/tiles/{TMS}/15/13467/27316", "/api/collections/hazards/tiles",
                 f"/api/collections/hazards/tiles/{TMS}",
                 f"/api/collections/hazards/tiles/{TMS}/tilejson.json",
                 f"/api/collections/hazards/tiles/{TMS}/15/13467/27316"):
        resp = client.get(path)
        assert resp.status_code == 401, path
        assert resp.mimetype == "application/problem+json"


def test_openapi_describes_the_ogc_tiles(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    ogc = paths["/collections/{collectionId}/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}"]
    names = [p["name"] for p in ogc["get"]["parameters"]]
    assert names == ["collectionId", "tileMatrix", "tileRow", "tileCol", "If-None-Match"]
    assert "hazards" in ogc["get"]["parameters"][0]["schema"]["enum"]
    assert paths["/tileMatrixSets"]["get"]["security"] == []
    for path in ("/tiles", "/tiles/WebMercatorQuad/tilejson.json",
                 "/collections/{collectionId}/tiles/WebMercatorQuad"):
        assert "401" in paths[path]["get"]["responses"], path


def test_gdal_reads_a_tile_with_our_tilejson(client: Any, auth: Any, tmp_path: Path) -> None:
    """GDAL's MVT driver types the tile's fields from the TileJSON (a field no feature carries
    appears only that way), so the layer ids and fields agree with what the tiles hold."""
    exe = shutil.which("ogrinfo")
    if exe is None:
        pytest.fail("ogrinfo missing: make test installs gdal-bin", pytrace=False)
    hazard(client, auth, HERE, name=None)  # no name in the tile: GDAL learns it from TileJSON
    z, x, y = tile_of(HERE, 15)
    resp = ogc_tile(client, auth, "hazards", (z, x, y))
    assert resp.status_code == 200
    tile = tmp_path / str(z) / str(x) / f"{y}.pbf"
    tile.parent.mkdir(parents=True)
    tile.write_bytes(resp.get_data())
    doc = get_json(client, auth, f"/api/collections/hazards/tiles/{TMS}/tilejson.json")
    (tmp_path / "tilejson.json").write_text(json.dumps(doc), encoding="utf-8")

    def ogrinfo(*options: str) -> str:
        out = subprocess.run([exe, "-ro", "-al", *options, f"MVT:{tile}"], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    alone = ogrinfo()
    assert "Layer name: hazards" in alone and "name: String" not in alone
    described = ogrinfo("-oo", f"METADATA_FILE={tmp_path / 'tilejson.json'}")
    assert "Layer name: hazards" in described
    assert "name: String" in described
    assert "supervised: Integer(Boolean)" in described
    assert "Feature Count: 1" in described and "POINT (" in described
    assert 'ID["EPSG",3857]' in described  # placed on the grid from its z/x/y path
