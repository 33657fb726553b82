"""Each layer's JSON Schemas (OGC API – Features Part 5, and the GeoJSON Feature schema GDAL
reads) and its queryables: valid JSON Schema 2020-12, typed as the items API writes its
values (real features of the demo city validate against them on both databases), with units,
code lists and roles; and GDAL 3.6 types its fields from them."""

from __future__ import annotations

import json
import re
import urllib.request
from base64 import b64encode
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from inventory import COLLECTIONS, layers
from inventory.schemas import feature_schema_document, queryables_document, schema_document
from tests.web.test_ogrinfo import ogrinfo
from web.api.schemas import SCHEMA_REL, schema_links

USERPWD = "viewer:viewer-demo-2026"
MEASURED = {"width_mm": "number", "voltage_kv": "number", "pressure_mpa": "number",
            "cable_count": "integer"}
CHECKER = Draft202012Validator.FORMAT_CHECKER


def _ids() -> list[str]:
    """Every listed layer, and the whole collections that mix families (shelters)."""
    listed = [one.id for one in layers.listed_layers()]
    return listed + [name for name in COLLECTIONS if name not in listed]


def _get(client: Any, auth: Any, url: str, lang: str = "zh-CN") -> Any:
    resp = client.get(url, headers=auth.headers("viewer", **{"Accept-Language": lang}))
    assert resp.status_code == 200, (url, resp.get_data(as_text=True)[:300])
    return resp


def test_every_layer_serves_valid_schemas(client: Any, auth: Any) -> None:
    for name in _ids():
        layer = layers.layer(name)
        for suffix in ("schema", "schema/geojson"):
            resp = _get(client, auth, f"/api/collections/{name}/{suffix}")
            assert resp.mimetype == "application/schema+json"
            assert resp.headers["Content-Language"] == "zh-CN"
            assert "codelist-inline" in resp.headers["Link"]
            doc = resp.get_json()
            Draft202012Validator.check_schema(doc)
            assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
            assert doc["$id"] == f"http://localhost/api/collections/{name}/{suffix}"
            assert doc["type"] == "object" and doc["title"] == layer.zh
        part5 = client.get(f"/api/collections/{name}/schema", headers=auth.headers("viewer")
                           ).get_json()["properties"]
        wanted = f"geometry-{layer.geometry_type.lower()}" if layer.geometry_type else "geometry-any"
        assert part5["geometry"] == {"title": "几何", "x-ogc-role": "primary-geometry",
                                     "format": wanted, "x-ogc-propertySeq": 2}
        assert part5["id"]["x-ogc-role"] == "id" and part5["id"]["readOnly"] is True
        assert [p["x-ogc-propertySeq"] for p in part5.values()] == list(range(1, len(part5) + 1))
        roles = [p.get("x-ogc-role") for p in part5.values()]
        assert roles.count("primary-instant") == (1 if layer.spec.temporal else 0)
        assert all("type" in p for key, p in part5.items() if key != "geometry")
        assert all(isinstance(p["type"], str) for key, p in part5.items() if key != "geometry")


def test_an_unknown_layer_has_no_schema(client: Any, auth: Any) -> None:
    resp = client.get("/api/collections/nothing-here/schema", headers=auth.headers("viewer"))
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert client.get("/api/collections/pipelines/schema").status_code == 401


def test_units_types_and_labels_follow_the_request(client: Any, auth: Any) -> None:
    en = _get(client, auth, "/api/collections/pipelines/schema", "en").get_json()["properties"]
    zh = _get(client, auth, "/api/collections/pipelines/schema").get_json()["properties"]
    for name, kind in MEASURED.items():
        assert en[name]["type"] == kind
    assert {k: en[k].get("x-ogc-unit") for k in (*MEASURED, "start_depth_m", "length_m")} == {
        "width_mm": "mm", "voltage_kv": "kV", "pressure_mpa": "MPa", "cable_count": None,
        "start_depth_m": "m", "length_m": "m"}
    assert en["width_mm"]["title"] == "Section width (mm)" and zh["width_mm"]["title"] == "断面宽(mm)"
    assert en["width_mm"]["exclusiveMinimum"] == 0 and en["width_mm"]["maximum"] == 20_000
    assert en["created_at"] == {**en["created_at"], "type": "string", "format": "date-time",
                                "readOnly": True}
    assert en["survey_date"]["format"] == "date" and en["survey_date"]["x-ogc-role"] == "primary-instant"
    assert en["start_point_id"]["x-ogc-role"] == "reference"
    assert en["start_point_id"]["x-ogc-collectionId"] == "network-points"
    tunnels = _get(client, auth, "/api/collections/tunnels/schema", "en").get_json()["properties"]
    assert tunnels["design_life_years"]["x-ogc-unit"] == "a"
    assert tunnels["cabins"]["items"]["properties"]["fire_compartment_m"]["x-ogc-unit"] == "m"
    events = _get(client, auth, "/api/collections/flood-points/schema", "en").get_json()
    assert events["properties"]["events"]["items"]["properties"]["max_depth_cm"]["x-ogc-unit"] == "cm"


def test_every_unit_set_in_a_specification_reaches_the_schema(client: Any, auth: Any) -> None:
    seen = 0
    for name, spec in COLLECTIONS.items():
        props = _get(client, auth, f"/api/collections/{name}/schema").get_json()["properties"]
        for f in spec.fields:
            if f.name in props:
                assert props[f.name].get("x-ogc-unit") == f.unit, (name, f.name)
                seen += f.unit is not None
    assert seen >= 15


def test_code_lists_are_inline_with_labels(client: Any, auth: Any) -> None:
    en = _get(client, auth, "/api/collections/pipelines/schema", "en").get_json()["properties"]
    zh = _get(client, auth, "/api/collections/pipelines/schema").get_json()["properties"]
    assert en["category"]["type"] == "string"
    assert {"const": "gas", "title": "Gas"} in en["category"]["oneOf"]
    assert {"const": "gas", "title": "燃气"} in zh["category"]["oneOf"]
    grades = en["condition_grade"]
    assert grades["type"] == "integer" and [c["const"] for c in grades["oneOf"]] == [1, 2, 3, 4]


def test_the_feature_schema_has_the_shape_gdal_reads(client: Any, auth: Any) -> None:
    doc = _get(client, auth, "/api/collections/shelters-polygons/schema/geojson").get_json()
    assert doc["required"] == ["type", "geometry", "properties"]
    assert doc["properties"]["geometry"]["properties"]["type"]["enum"] == ["MultiPolygon"]
    inner = doc["properties"]["properties"]
    assert inner["type"] == "object" and inner["additionalProperties"] is False
    assert inner["properties"]["effective_area_m2"]["type"] == "number"
    assert inner["properties"]["facilities"] == {**inner["properties"]["facilities"], "type": "array",
                                                 "items": {"type": "string"}}
    assert inner["properties"]["is_open"]["type"] == "boolean"


def test_queryables_are_the_filters_the_items_api_takes(client: Any, auth: Any) -> None:
    layer = layers.layer("pipelines")
    doc = queryables_document(layer, "en", "http://localhost/api/collections/pipelines/queryables")
    Draft202012Validator.check_schema(doc)
    assert doc["additionalProperties"] is False
    assert doc["properties"]["geometry"] == {"title": "Geometry", "x-ogc-role": "primary-geometry",
                                            "format": "geometry-linestring"}
    names = set(doc["properties"]) - {"geometry"}
    assert {"width_mm", "cable_count", "category"} <= names
    assert not {"cabin_id", "length_m", "remarks", "id"} & names  # not filters: refused
    assert doc["properties"]["cable_count"]["type"] == "integer"
    for name in sorted(names):  # each one is taken, each other property refused
        prop = doc["properties"][name]
        lowest = max(1, prop.get("minimum", 1))
        sample = {"integer": str(lowest), "number": str(lowest), "boolean": "true"}.get(
            prop["type"], "x")
        if "oneOf" in prop:
            sample = str(prop["oneOf"][0]["const"])
        if prop.get("format") == "date":
            sample = "2024-01-01"
        resp = client.get(f"/api/collections/pipelines/items?{name}={sample}&limit=1",
                          headers=auth.headers("viewer"))
        assert resp.status_code == 200, (name, resp.get_json())
    assert client.get("/api/collections/pipelines/items?cabin_id=1",
                      headers=auth.headers("viewer")).status_code == 400


def test_the_links_reach_the_schemas(client: Any, auth: Any) -> None:
    links = schema_links("shelters-points", "http://localhost")
    assert [(one["rel"], one["type"]) for one in links] == [
        (SCHEMA_REL, "application/schema+json"), ("describedBy", "application/schema+json")]
    for one in links:
        _get(client, auth, one["href"].removeprefix("http://localhost"))


def _fetch(base: str, path: str) -> dict[str, Any]:
    req = urllib.request.Request(base + path, headers={
        "Authorization": "Basic " + b64encode(USERPWD.encode()).decode(), "Accept-Language": "en"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        body: dict[str, Any] = json.load(resp)
    return body


def _present(values: dict[str, Any]) -> dict[str, Any]:
    """A feature's properties without nulls: a null is the absence of a value."""
    return {k: v for k, v in values.items() if v is not None}


def test_real_features_validate_against_their_schemas(live: Any) -> None:
    """Every feature of the demo city, on this database, as the items API writes it."""
    checked: dict[str, int] = {}
    measured: dict[str, int] = dict.fromkeys(MEASURED, 0)
    for layer in layers.listed_layers():
        base = f"/api/collections/{layer.id}"
        part5 = Draft202012Validator(_fetch(live.url, f"{base}/schema"), format_checker=CHECKER)
        geojson = Draft202012Validator(_fetch(live.url, f"{base}/schema/geojson"),
                                       format_checker=CHECKER)
        page = _fetch(live.url, f"{base}/items?limit=10000")
        # Every record; of the published maps (when a test has run them), the first 10,000.
        assert layer.spec.readonly_collection or not any(
            one["rel"] == "next" for one in page["links"])
        for feature in page["features"]:
            props = _present(feature["properties"])
            flat = {"id": feature["id"], "geometry": feature["geometry"], **props}
            errors = [e.message for e in part5.iter_errors(flat)]
            errors += [e.message for e in geojson.iter_errors({**feature, "properties": props})]
            assert errors == [], (layer.id, feature["id"], errors[:5])
            for name in MEASURED:
                if name in props:
                    value = props[name]
                    assert not isinstance(value, bool | str), (name, value)
                    assert isinstance(value, int if MEASURED[name] == "integer" else int | float)
                    measured[name] += 1
        checked[layer.id] = len(page["features"])
    assert all(checked[name] > 0 for name in ("pipelines", "network-points", "tunnels",
                                               "shelters-points", "flood-points", "divisions",
                                               "hazard-zones", "risk-points")), checked
    assert all(n > 0 for n in measured.values()), measured


@pytest.mark.parametrize("collection", ["risk-five-colour", "risk-four-colour"])
def test_published_map_features_validate(client: Any, auth: Any, session: Any,
                                         collection: str) -> None:
    """The risk maps hold rows only after a run: one written as a run writes it."""
    from tests.inventory.test_exporting import result_row

    row = result_row(session, collection, ref=f"{collection}-schema",
                     **({"hazard": 0.8} if collection == "risk-five-colour" else {"points": 3}))
    session.commit()
    base = f"/api/collections/{collection}-cells"
    schema = Draft202012Validator(_get(client, auth, f"{base}/schema").get_json(),
                                  format_checker=CHECKER)
    features = _get(client, auth, f"{base}/items?limit=100").get_json()["features"]
    assert row.id in [one["id"] for one in features]
    for feature in features:
        flat = {"id": feature["id"], "geometry": feature["geometry"],
                **_present(feature["properties"])}
        assert [e.message for e in schema.iter_errors(flat)] == []
        assert isinstance(feature["properties"]["explanation"], dict)


def test_gdal_types_the_fields_from_the_schema(live: Any) -> None:
    """With a first page of 1 feature (a water main: no voltage, no cables), GDAL 3.6 would
    make ``voltage_kv`` and ``cable_count`` text; read from ``describedBy``, they are numbers."""
    out = ogrinfo("-so", "-oo", "PAGE_SIZE=1", f"OAPIF:{live.url}/api", "pipelines")
    fields = dict(re.findall(r"^(\w+): (\w+) \(", out, re.M))
    assert {name: fields.get(name) for name in (*MEASURED, "build_year", "survey_date",
                                                 "created_at")} == {
        "width_mm": "Real", "voltage_kv": "Real", "pressure_mpa": "Real",
        "cable_count": "Integer", "build_year": "Integer", "survey_date": "Date",
        "created_at": "DateTime"}, out
    points = dict(re.findall(r"^(\w+): (\w+) \(", ogrinfo(
        "-so", "-oo", "PAGE_SIZE=1", f"OAPIF:{live.url}/api", "shelters-points"), re.M))
    assert points["effective_area_m2"] == "Real" and points["capacity_persons"] == "Integer"
    assert points["facilities"] == "StringList"


def test_the_documents_are_built_without_a_request() -> None:
    """The builders are plain functions of a layer (no Flask): scripts and the CLI use them."""
    layer = layers.layer("risk-five-colour-cells")
    for build in (schema_document, feature_schema_document, queryables_document):
        doc = build(layer, "en", "https://example.org/x")
        Draft202012Validator.check_schema(doc)
    assert schema_document(layer, "en", "x")["properties"]["geometry"]["format"] == \
        "geometry-multipolygon"
    assert schema_document(layer, "en", "x")["properties"]["computed_at"]["x-ogc-role"] == \
        "primary-instant"
