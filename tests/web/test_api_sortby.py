"""``sortby`` and ``properties`` on the items API, on both databases: several keys, empty values
last both ways, keyset pages forwards and back; a feature cut to the properties asked for."""

from __future__ import annotations

import functools
import json
from typing import Any
from urllib.parse import quote

import pytest

from tests import factories as f

GEO = "application/geo+json"
ITEMS = "/api/collections/pipelines/items"
# (name, material, build_year): ties on both keys, and empty years.
ROWS = [("B", "pe", 2005), ("A", "steel", None), ("C", "pe", 2010), ("A", "pe", 2005),
        ("D", "cast_iron", None), ("B", "steel", 2010), ("E", "pe", 1999)]


@pytest.fixture
def pipes(client: Any, auth: Any) -> dict[int, dict[str, Any]]:
    out = {}
    for i, (name, material, year) in enumerate(ROWS):
        feat = f.pipeline((120.08 + i * 0.002, 30.28), name=name, material=material,
                          build_year=year)
        resp = client.post(ITEMS, data=json.dumps(feat), headers=auth.headers("admin"),
                           content_type=GEO)
        assert resp.status_code == 201, resp.get_json()
        out[int(resp.get_json()["id"])] = {"name": name, "material": material,
                                           "build_year": year}
    return out


def expected(pipes: dict[int, dict[str, Any]], keys: list[tuple[str, bool]],
             rank: dict[str, list[str]] | None = None) -> list[int]:
    """The order the API promises: each key in turn, empty values last whichever way, then
    the id in the direction of the last key."""
    rank = rank or {}

    def value(row: dict[str, Any], name: str) -> Any:
        v = row[name]
        return rank[name].index(v) if name in rank and v is not None else v

    def compare(a: int, b: int) -> int:
        for name, descending in keys:
            va, vb = value(pipes[a], name), value(pipes[b], name)
            if va == vb:
                continue
            if va is None or vb is None:
                return 1 if va is None else -1
            return (-1 if va < vb else 1) * (-1 if descending else 1)
        return (-1 if a < b else 1) * (-1 if keys[-1][1] else 1)

    return sorted(pipes, key=functools.cmp_to_key(compare))


def get(client: Any, auth: Any, url: str, user: str = "admin") -> dict[str, Any]:
    resp = client.get(url.replace("http://localhost", ""), headers=auth.headers(user))
    assert resp.status_code == 200, resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def page_ids(body: dict[str, Any]) -> list[int]:
    return [int(feat["id"]) for feat in body["features"]]


def href(body: dict[str, Any], rel: str) -> str | None:
    return next((link["href"] for link in body["links"] if link["rel"] == rel), None)


@pytest.mark.parametrize("sortby", ["-build_year,name", "name,-build_year", "build_year,name",
                                    "-name,-build_year"])
def test_several_keys_empty_values_last(client: Any, auth: Any,
                                        pipes: dict[int, dict[str, Any]], sortby: str) -> None:
    keys = [(k.lstrip("+-"), k.startswith("-")) for k in sortby.split(",")]
    got = [i for i in page_ids(get(client, auth, f"{ITEMS}?limit=100&sortby={sortby}"))
           if i in pipes]
    assert got == expected(pipes, keys)


def test_plus_prefix_and_codes_in_their_list_order(client: Any, auth: Any,
                                                   pipes: dict[int, dict[str, Any]]) -> None:
    from inventory.pipelines import PIPELINES

    codes = PIPELINES.field("material").codes.values()  # type: ignore[union-attr]
    plus = [i for i in page_ids(get(client, auth, f"{ITEMS}?limit=100&sortby=%2Bmaterial,%2Bname"))
            if i in pipes]
    assert plus == expected(pipes, [("material", False), ("name", False)], {"material": codes})
    # A raw "+" is a space in a query string: read as the same ascending key.
    space = [i for i in page_ids(get(client, auth, f"{ITEMS}?limit=100&sortby=+material,+name"))
             if i in pipes]
    assert space == plus


@pytest.mark.parametrize("sortby", ["-build_year,name", "material,-name"])
def test_keyset_pages_forwards_and_back(client: Any, auth: Any,
                                        pipes: dict[int, dict[str, Any]], sortby: str) -> None:
    everything = quote("build_year IS NULL OR build_year > 0")
    query = f"{ITEMS}?limit=2&sortby={sortby}&filter={everything}"
    whole = [i for i in page_ids(get(client, auth, f"{ITEMS}?limit=100&sortby={sortby}"))
             if i in pipes]
    forwards: list[list[int]] = []
    body = get(client, auth, query)
    assert body["numberMatched"] >= len(pipes)
    while True:
        forwards.append(page_ids(body))
        nxt = href(body, "next")
        if nxt is None:
            break
        assert "sortby=" in nxt
        body = get(client, auth, nxt)
    flat = [i for page in forwards for i in page]
    assert [i for i in flat if i in pipes] == whole and len(flat) == len(set(flat))
    backwards: list[list[int]] = []
    while True:
        prev = href(body, "prev")
        if prev is None:
            break
        body = get(client, auth, prev)
        if body["features"]:  # before the first row: an empty page, and no further link
            backwards.append(page_ids(body))
    assert backwards == forwards[:-1][::-1]


@pytest.mark.parametrize("sortby", ["remarks", "nosuch", "name,,", "-"])
def test_unknown_sort_keys_are_400(client: Any, auth: Any, sortby: str) -> None:
    resp = client.get(f"{ITEMS}?sortby={sortby}", headers=auth.headers("admin"))
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["field"] == "sortby"
    assert resp.get_json()["errors"][0]["code"] == "not_sortable"


def test_properties_cut_the_feature_and_keep_the_geometry(client: Any, auth: Any,
                                                          pipes: dict[int, dict[str, Any]]) -> None:
    body = get(client, auth, f"{ITEMS}?limit=3&properties=name,build_year")
    for feat in body["features"]:
        assert set(feat["properties"]) == {"name", "build_year"}
        assert feat["geometry"]["type"] == "LineString"
    none = get(client, auth, f"{ITEMS}?limit=1&properties=")
    assert none["features"][0]["properties"] == {} and none["features"][0]["geometry"]
    key = next(iter(pipes))
    one = get(client, auth, f"{ITEMS}/{key}?properties=material")
    assert one["properties"] == {"material": pipes[key]["material"]}
    assert one["geometry"]["type"] == "LineString"


def test_properties_take_nested_lists_by_name(client: Any, auth: Any) -> None:
    resp = client.post("/api/collections/tunnels/items", data=json.dumps(f.tunnel()),
                       headers=auth.headers("admin"), content_type=GEO)
    assert resp.status_code == 201
    key = resp.get_json()["id"]
    one = get(client, auth, f"/api/collections/tunnels/items/{key}?properties=name,cabins")
    assert set(one["properties"]) == {"name", "cabins"}
    assert [c["name"] for c in one["properties"]["cabins"]] == ["综合舱", "电力舱"]


def test_unknown_properties_are_400(client: Any, auth: Any) -> None:
    resp = client.get(f"{ITEMS}?properties=name,colour,shape", headers=auth.headers("admin"))
    assert resp.status_code == 400
    errors = resp.get_json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("properties", "unknown_property")] * 2
