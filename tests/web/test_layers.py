"""One geometry family per layer (issue 16 item 4): what mixes is split so QGIS and GDAL
drop nothing, writes through a layer stay in it, and OPTIONS says what the caller may do."""

from __future__ import annotations

import json
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import shape

from inventory import COLLECTIONS
from tests import factories as f
from tests.web.test_api import GEO, post


def ids_of(client: Any, auth: Any, layer: str, user: str = "viewer") -> dict[Any, str]:
    body = client.get(f"/api/collections/{layer}/items?limit=1000",
                      headers=auth.headers(user)).get_json()
    assert body["numberMatched"] == len(body["features"])
    return {feat["id"]: feat["geometry"]["type"] for feat in body["features"]}


def test_shelters_are_read_as_points_and_as_polygons(client: Any, auth: Any) -> None:
    site = post(client, auth, "shelters", f.shelter(name="西溪公园")).get_json()
    spot = post(client, auth, "shelters", f.feature(f.point(), **{
        **f.shelter()["properties"], "name": "文三路小学"})).get_json()
    assert ids_of(client, auth, "shelters-points") == {spot["id"]: "Point"}
    # Served as the family's multi type: the layer says MultiPolygon and holds nothing else.
    assert ids_of(client, auth, "shelters-polygons") == {site["id"]: "MultiPolygon"}
    assert ids_of(client, auth, "shelters") == {site["id"]: "Polygon", spot["id"]: "Point"}
    one = client.get(f"/api/collections/shelters-polygons/items/{site['id']}",
                     headers=auth.headers("viewer"))
    assert one.status_code == 200 and one.get_json()["geometry"]["type"] == "MultiPolygon"
    assert client.get(f"/api/collections/shelters-points/items/{site['id']}",
                      headers=auth.headers("viewer")).status_code == 404
    doc = client.get("/api/collections/shelters-polygons", headers=auth.headers("viewer"))
    assert doc.get_json()["geometryType"] == "MultiPolygon"
    assert doc.get_json()["title"] in ("避难场所(面)", "Emergency shelters (polygons)")
    whole = client.get("/api/collections/shelters", headers=auth.headers("viewer")).get_json()
    assert "geometryType" not in whole  # the mixed collection: still served, not listed


def test_writes_through_a_layer_stay_in_it(client: Any, auth: Any) -> None:
    site = post(client, auth, "shelters-polygons", f.shelter()).get_json()
    assert site["geometry"]["type"] == "MultiPolygon"
    wrong = post(client, auth, "shelters-polygons", f.feature(f.point(),
                                                              **f.shelter()["properties"]))
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"][0]["code"] == "geometry_not_in_layer"
    spot = post(client, auth, "shelters-points", f.feature(f.point(),
                                                           **f.shelter()["properties"]))
    assert spot.status_code == 201
    # QGIS editing the points layer cannot reach the outline, nor turn a point into one.
    reach = client.put(f"/api/collections/shelters-points/items/{site['id']}",
                       data=json.dumps(f.feature(f.point(), **f.shelter()["properties"])),
                       content_type=GEO, headers=auth.headers("admin"))
    assert reach.status_code == 404
    assert "/shelters-points/items/" in spot.headers["Location"]
    turn = client.put(spot.headers["Location"],
                      data=json.dumps(f.shelter()), content_type=GEO,
                      headers=auth.headers("admin"))
    assert turn.status_code == 422
    moved = client.patch(f"/api/collections/shelters-points/items/{spot.get_json()['id']}",
                         data=json.dumps({"properties": {"name": "改名"}}),
                         content_type="application/merge-patch+json",
                         headers=auth.headers("admin"))
    assert moved.status_code == 200 and moved.get_json()["properties"]["name"] == "改名"
    gone = client.delete(f"/api/collections/shelters-polygons/items/{site['id']}",
                         headers=auth.headers("admin"))
    assert gone.status_code == 204


def _result(session: Any, collection: str, unit: str, ref: str, geometry: dict[str, Any],
            division: str = "330106") -> Any:
    model = COLLECTIONS[collection].model
    extra = {"points": 1} if collection == "risk-four-colour" else {}
    row = model(unit=unit, ref=ref, name=ref, geom=from_shape(shape(geometry), srid=4490),
                division_code=division, level="low", ordinal=1, colour="#0000FF", score=0.1,
                explanation={}, run_id=1, scheme="s", scheme_version=1, **extra)
    session.add(row)
    session.flush()
    return row.id


def test_the_published_maps_are_read_per_unit(client: Any, auth: Any, session: Any) -> None:
    square = f.square()
    multi = {"type": "MultiPolygon", "coordinates": [square["coordinates"]]}
    made = {
        "cells": _result(session, "risk-four-colour", "cell", "c1", square),
        "asset-lines": _result(session, "risk-four-colour", "asset", "pipelines:1", f.line()),
        "asset-points": _result(session, "risk-four-colour", "asset", "shelters:2", f.point()),
        "asset-polygons": _result(session, "risk-four-colour", "asset", "shelters:3", square),
        "tunnels": _result(session, "risk-four-colour", "tunnel", "7", f.line()),
        "provinces": _result(session, "risk-four-colour", "division", "330000", multi),
        "cities": _result(session, "risk-four-colour", "division", "330100", multi),
        "counties": _result(session, "risk-four-colour", "division", "330106", multi),
        "townships": _result(session, "risk-four-colour", "division", "330106001", multi),
    }
    session.commit()
    listed = {c["id"]: c for c in client.get("/api/collections",
                                             headers=auth.headers("admin")).get_json()[
        "collections"]}
    for suffix, key in made.items():
        layer = f"risk-four-colour-{suffix}"
        got = ids_of(client, auth, layer, "admin")
        assert list(got) == [key], (layer, got)
        assert len(set(got.values())) == 1 and listed[layer]["geometryType"] in got.values()
    assert len(ids_of(client, auth, "risk-four-colour", "admin")) == len(made)
    assert "risk-five-colour-tunnels" not in listed  # the five-colour map has no tunnel zones


def test_extents_in_space_and_time_follow_the_data(client: Any, auth: Any) -> None:
    post(client, auth, "pipelines", f.pipeline(survey_date="2019-05-01"))
    post(client, auth, "pipelines", f.pipeline(at=(120.2, 30.3), survey_date="2023-11-30"))
    doc = client.get("/api/collections/pipelines", headers=auth.headers("viewer")).get_json()
    assert doc["extent"]["temporal"]["interval"] == [["2019-05-01", "2023-11-30"]]
    assert doc["temporalProperty"] == "survey_date"
    later = post(client, auth, "pipelines", f.pipeline(survey_date="2025-01-02"))
    assert later.status_code == 201
    doc = client.get("/api/collections/pipelines", headers=auth.headers("viewer")).get_json()
    assert doc["extent"]["temporal"]["interval"] == [["2019-05-01", "2025-01-02"]]
    hazards = client.get("/api/collections/hazards", headers=auth.headers("viewer")).get_json()
    assert hazards["temporalProperty"] == "found_at" and "temporal" not in hazards["extent"]


def _allow(client: Any, auth: Any, url: str, user: str | None) -> set[str]:
    resp = client.options(url, headers=auth.headers(user) if user else {})
    assert resp.status_code == 204
    return {m.strip() for m in resp.headers["Allow"].split(",")}


def test_options_say_what_the_caller_may_do(client: Any, auth: Any) -> None:
    reads = {"GET", "HEAD", "OPTIONS"}
    items = "/api/collections/pipelines/items"
    assert _allow(client, auth, items, "viewer") == reads
    assert _allow(client, auth, items, None) == reads
    assert _allow(client, auth, items, "engineer") == reads | {"POST"}
    assert _allow(client, auth, items + "/1", "engineer") == reads | {"PUT", "PATCH", "DELETE"}
    assert _allow(client, auth, items + "/1", "viewer") == reads
    assert _allow(client, auth, "/api/collections/risk-five-colour-cells/items", "admin") == reads
    assert _allow(client, auth, "/api/collections/risk-points/items", "viewer") == reads
    # Risk data is the emergency manager's to keep too; asset collections are not.
    assert _allow(client, auth, "/api/collections/risk-points/items", "manager") \
        == reads | {"POST"}
    assert _allow(client, auth, items, "manager") == reads
    assert _allow(client, auth, "/api/collections/shelters-points/items", "admin") \
        == reads | {"POST"}
    assert client.options("/api/collections/nothing/items",
                          headers=auth.headers("admin")).status_code == 404
