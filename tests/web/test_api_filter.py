"""OGC API – Features Part 3 over HTTP on both databases: CQL2 text and JSON filters on the
queryables, within the caller's divisions, and 400s that name the place."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests import factories as f

GEO = "application/geo+json"
ITEMS = "/api/collections/pipelines/items"


def post(client: Any, auth: Any, feature: dict[str, Any], collection: str = "pipelines") -> int:
    resp = client.post(f"/api/collections/{collection}/items", data=json.dumps(feature),
                       headers=auth.headers("admin"), content_type=GEO)
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["id"])


@pytest.fixture
def pipes(client: Any, auth: Any) -> dict[str, int]:
    """Five segments: four in 西湖区 (330106), one in 上城区 (330102)."""
    return {
        "alpha": post(client, auth, f.pipeline(f.XIHU, name="Alpha main", material="ductile_iron",
                                               diameter_mm=300, build_year=2005,
                                               survey_date="2020-05-01")),
        "lower": post(client, auth, f.pipeline((120.085, 30.281), name="alpha branch",
                                               material="pe", diameter_mm=100, build_year=2010)),
        "beta": post(client, auth, f.pipeline((120.09, 30.282), name="Beta_1 %line",
                                              material="pe", diameter_mm=200, build_year=1999,
                                              survey_date="2023-01-15")),
        "gamma": post(client, auth, f.pipeline((120.095, 30.283), name="Gamma O'Neil",
                                               material="steel", diameter_mm=250.5,
                                               build_year=2015, status="abandoned")),
        "south": post(client, auth, f.pipeline(f.SHANGCHENG, name="Alpha south",
                                               material="ductile_iron", diameter_mm=300,
                                               build_year=2005, survey_date="2021-01-01")),
    }


def ids(client: Any, auth: Any, query: str, user: str = "admin",
        collection: str = "pipelines") -> set[int]:
    resp = client.get(f"/api/collections/{collection}/items?limit=1000&{query}",
                      headers=auth.headers(user))
    assert resp.status_code == 200, resp.get_json()
    return {int(feat["id"]) for feat in resp.get_json()["features"]}


def text(expr: str) -> str:
    return "filter=" + quote(expr)


def cql_json(expr: dict[str, Any]) -> str:
    return "filter-lang=cql2-json&filter=" + quote(json.dumps(expr))


def named(pipes: dict[str, int], *names: str) -> set[int]:
    return {pipes[n] for n in names}


def test_comparisons(client: Any, auth: Any, pipes: dict[str, int]) -> None:
    assert ids(client, auth, text("diameter_mm = 300")) == named(pipes, "alpha", "south")
    assert ids(client, auth, text("diameter_mm <> 300")) == named(pipes, "lower", "beta", "gamma")
    assert ids(client, auth, text("diameter_mm < 200")) == named(pipes, "lower")
    assert ids(client, auth, text("diameter_mm <= 200")) == named(pipes, "lower", "beta")
    assert ids(client, auth, text("diameter_mm > 250")) == named(pipes, "gamma", "alpha", "south")
    assert ids(client, auth, text("diameter_mm >= 250.5")) == named(pipes, "gamma", "alpha",
                                                                    "south")
    assert ids(client, auth, text("200 > diameter_mm")) == named(pipes, "lower")  # literal first
    assert ids(client, auth, text("name = 'Gamma O''Neil'")) == named(pipes, "gamma")


def test_codes_compare_as_codes_and_dates_as_dates(client: Any, auth: Any,
                                                   pipes: dict[str, int]) -> None:
    both = named(pipes, "alpha", "south")
    assert ids(client, auth, text("material = 'ductile_iron'")) == both
    assert ids(client, auth, text("material = '球墨铸铁'")) == both  # a label names its code
    assert ids(client, auth, text("condition_grade = 2")) >= both
    assert ids(client, auth, text("survey_date = DATE('2020-05-01')")) == named(pipes, "alpha")
    assert ids(client, auth, text("survey_date > '2020-12-31'")) == named(pipes, "beta", "south")
    # A timestamp compares with a date column on its date.
    assert ids(client, auth, text("survey_date = TIMESTAMP('2023-01-15T23:59:00Z')")) == \
        named(pipes, "beta")


def test_and_or_not_with_cql2_precedence(client: Any, auth: Any, pipes: dict[str, int]) -> None:
    assert ids(client, auth, text("material = 'pe' AND build_year > 2000")) == named(pipes,
                                                                                   "lower")
    assert ids(client, auth, text("material = 'steel' OR diameter_mm = 100")) == \
        named(pipes, "gamma", "lower")
    # AND binds tighter than OR.
    assert ids(client, auth, text("material = 'steel' OR material = 'pe' AND build_year < 2000")
               ) == named(pipes, "gamma", "beta")
    assert ids(client, auth, text("NOT (material = 'pe' OR material = 'steel')")) == \
        named(pipes, "alpha", "south")
    assert ids(client, auth, text("NOT ((survey_date IS NULL))")) == named(pipes, "alpha", "beta",
                                                                           "south")


def test_like_is_case_sensitive_with_both_wildcards(client: Any, auth: Any,
                                                    pipes: dict[str, int]) -> None:
    assert ids(client, auth, text("name LIKE 'Alpha%'")) == named(pipes, "alpha", "south")
    assert ids(client, auth, text("name LIKE 'alpha%'")) == named(pipes, "lower")
    assert ids(client, auth, text("CASEI(name) LIKE CASEI('ALPHA%')")) == named(pipes, "alpha",
                                                                                "lower", "south")
    assert ids(client, auth, text("name LIKE 'Beta_1 _line'")) == named(pipes, "beta")
    assert ids(client, auth, text("name LIKE '%\\%line'")) == named(pipes, "beta")  # escaped %
    assert ids(client, auth, text("name LIKE 'Beta\\_1%'")) == named(pipes, "beta")
    assert ids(client, auth, text("name LIKE 'Beta\\_\\_%'")) == set()
    assert ids(client, auth, text("name NOT LIKE '%a%'")) == set()
    assert ids(client, auth, text("name ILIKE 'ALPHA%'")) == named(pipes, "alpha", "lower",
                                                                    "south")


def test_in_between_and_is_null(client: Any, auth: Any, pipes: dict[str, int]) -> None:
    assert ids(client, auth, text("material IN ('pe', 'steel')")) == named(pipes, "lower", "beta",
                                                                            "gamma")
    assert ids(client, auth, text("material NOT IN ('pe', 'steel')")) == named(pipes, "alpha",
                                                                                "south")
    assert ids(client, auth, text("build_year BETWEEN 2005 AND 2010")) == named(
        pipes, "alpha", "lower", "south")
    assert ids(client, auth, text("survey_date IS NULL")) == named(pipes, "lower", "gamma")
    assert ids(client, auth, text("survey_date IS NOT NULL")) == named(pipes, "alpha", "beta",
                                                                        "south")


def test_cql2_json(client: Any, auth: Any, pipes: dict[str, int]) -> None:
    prop = {"property": "diameter_mm"}
    assert ids(client, auth, cql_json({"op": "=", "args": [prop, 300]})) == named(pipes, "alpha",
                                                                                   "south")
    assert ids(client, auth, cql_json({"op": "between", "args": [prop, 150, 260]})) == named(
        pipes, "beta", "gamma")
    assert ids(client, auth, cql_json({"op": "and", "args": [
        {"op": "like", "args": [{"property": "name"}, "Alpha%"]},
        {"op": "not", "args": [{"op": "isNull", "args": [{"property": "survey_date"}]}]},
        {"op": "in", "args": [{"property": "material"}, ["ductile_iron"]]},
    ]})) == named(pipes, "alpha", "south")
    assert ids(client, auth, cql_json({"op": ">=", "args": [{"property": "survey_date"},
                                                           {"date": "2021-01-01"}]})) == \
        named(pipes, "beta", "south")


def test_s_intersects_in_crs84_and_other_crs(client: Any, auth: Any,
                                              pipes: dict[str, int]) -> None:
    # f.line starts at the point and runs 0.001 east, 0.0005 north.
    near_alpha = "S_INTERSECTS(geometry, POLYGON((120.0795 30.2795, 120.0805 30.2795, " \
                 "120.0805 30.2805, 120.0795 30.2805, 120.0795 30.2795)))"
    assert ids(client, auth, text(near_alpha)) == named(pipes, "alpha")
    assert ids(client, auth, text("S_INTERSECTS(geom, BBOX(120.084, 30.28, 120.0915, 30.2825))")
               ) == named(pipes, "lower", "beta")
    assert ids(client, auth, text("S_INTERSECTS(geometry, POINT(120.5 30.5))")) == set()
    # EPSG:4326 has latitude first (its authority's order), like bbox-crs.
    crs = quote("http://www.opengis.net/def/crs/EPSG/0/4326")
    swapped = "S_INTERSECTS(geometry, BBOX(30.28, 120.084, 30.2825, 120.0915))"
    assert ids(client, auth, text(swapped) + f"&filter-crs={crs}") == named(pipes, "lower", "beta")
    json_box = {"op": "s_intersects", "args": [{"property": "geometry"},
                                               {"bbox": [120.084, 30.28, 120.0915, 30.2825]}]}
    assert ids(client, auth, cql_json(json_box)) == named(pipes, "lower", "beta")
    line = {"op": "s_intersects", "args": [{"property": "geometry"}, {
        "type": "LineString", "coordinates": [[120.0905, 30.28], [120.0905, 30.29]]}]}
    assert ids(client, auth, cql_json(line)) == named(pipes, "beta")


def test_a_filter_never_reaches_past_the_divisions(client: Any, auth: Any,
                                                   pipes: dict[str, int]) -> None:
    """engineer sees 西湖区 only: no filter, however wide, brings 上城区's segment back."""
    assert pipes["south"] not in ids(client, auth, text("name LIKE 'Alpha%'"), user="engineer")
    assert ids(client, auth, text("name = 'Alpha south'"), user="engineer") == set()
    everything = text("division_code = '330102' OR division_code <> '330102'")
    assert ids(client, auth, everything, user="engineer") == named(pipes, "alpha", "lower",
                                                                   "beta", "gamma")
    assert ids(client, auth, text("name = 'Alpha south'"), user="engineer_sc") == named(pipes,
                                                                                        "south")
    body = client.get(f"{ITEMS}?{text('name = ' + repr('Alpha south'))}",
                      headers=auth.headers("engineer")).get_json()
    assert body["numberMatched"] == 0


def test_filter_and_links_page_together(client: Any, auth: Any, pipes: dict[str, int]) -> None:
    first = client.get(f"{ITEMS}?limit=1&{text('name LIKE ' + repr('%a%'))}",
                       headers=auth.headers("admin")).get_json()
    assert first["numberMatched"] == 5 and first["numberReturned"] == 1
    nxt = next(link["href"] for link in first["links"] if link["rel"] == "next")
    assert "filter=" in nxt
    second = client.get(nxt.replace("http://localhost", ""), headers=auth.headers("admin"))
    assert second.status_code == 200
    assert second.get_json()["features"][0]["id"] != first["features"][0]["id"]


def problem(client: Any, auth: Any, query: str) -> dict[str, Any]:
    resp = client.get(f"{ITEMS}?{query}", headers=auth.headers("admin", **{
        "Accept-Language": "en"}))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.mimetype == "application/problem+json"
    error: dict[str, Any] = resp.get_json()["errors"][0]
    return error


@pytest.mark.parametrize(("query", "field", "code", "words"), [
    (text("diameter_mm = "), "filter", "invalid_filter", "character"),
    (text("name = 'open"), "filter", "invalid_filter", "character 8"),
    (text("nosuch = 1"), "filter", "not_queryable", "nosuch"),
    (text("remarks = 'x'"), "filter", "not_queryable", "remarks"),  # stored, not filterable
    (text("diameter_mm = 'wide'"), "filter", "invalid_literal", "diameter_mm"),
    (text("survey_date = 'yesterday'"), "filter", "invalid_literal", "survey_date"),
    (text("material = 'gold'"), "filter", "invalid_literal", "material"),
    (text("name = DATE('2024-01-01')"), "filter", "invalid_literal", "name"),
    (text("diameter_mm LIKE '3%'"), "filter", "operator_not_applicable", "LIKE"),
    (text("name = material"), "filter", "property_comparison", "name"),
    (text("S_WITHIN(geometry, POINT(120 30))"), "filter", "unsupported_filter", "WITHIN"),
    (text("survey_date T_AFTER DATE('2020-01-01')"), "filter", "unsupported_filter", "AFTER"),
    (text("S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"), "filter",
     "invalid_geometry", "not valid"),
    (text("name = 'x'") + "&filter-lang=sql", "filter-lang", "invalid_filter_lang", "sql"),
    (text("name = 'x'") + "&filter-crs=EPSG:9999", "filter-crs", "unknown_crs", "9999"),
    ("filter-lang=cql2-json&filter=" + quote('{"op": "="'), "filter", "invalid_filter", "JSON"),
    ("filter-lang=cql2-json&filter=" + quote('{"op": "nope", "args": []}'), "filter",
     "invalid_filter", "nope"),
])
def test_bad_filters_are_400_naming_the_place(client: Any, auth: Any, pipes: dict[str, int],
                                             query: str, field: str, code: str,
                                             words: str) -> None:
    error = problem(client, auth, query)
    assert (error["field"], error["code"]) == (field, code), error
    assert words in error["message"], error


def test_nesting_and_size_are_bounded(client: Any, auth: Any) -> None:
    deep = "name = 'x'"
    for _ in range(25):  # each level a NOT and an OR inside it
        deep = f"NOT (name = 'y' OR {deep})"
    assert client.get(f"{ITEMS}?{text('NOT ' * 200 + 'name = ' + repr('x'))}",
                      headers=auth.headers("admin")).status_code == 200  # NOTs alone fold
    assert problem(client, auth, text(deep))["code"] == "filter_too_complex"
    many = " OR ".join(f"build_year = {1900 + i}" for i in range(501))
    assert problem(client, auth, text(many))["code"] == "filter_too_complex"
    assert problem(client, auth, text("x" * 20_001))["code"] == "too_long"
    nested = "[" * 5000 + "]" * 5000
    assert problem(client, auth, "filter-lang=cql2-json&filter=" + nested)["code"] == \
        "invalid_filter"


@pytest.mark.parametrize(("lang", "expr", "expected"), [
    # What GDAL 3.6's OAPIF driver (BuildFilterCQLText) sends for an OGR -where, verbatim.
    ("cql-text", "material = 'pe'", ("lower", "beta")),
    ("cql-text", "(survey_date >= '2021-01-01T') AND (material = 'pe')", ("beta",)),
    ("cql-text", "(name ILIKE '%alpha%') AND (NOT ((survey_date IS NULL)))", ("alpha", "south")),
    ("cql-text", "(diameter_mm >= 100) AND (diameter_mm <= 250.5)", ("lower", "beta", "gamma")),
    ("cql-text", "survey_date > '2023-01-14T'", ("beta",)),
    ("cql-text", "survey_date <= '2020-05-01T00:00:00Z'", ("alpha",)),
    ("cql-text", "(name LIKE 'Gamma O''%') OR (build_year = 1999)", ("gamma", "beta")),
    ("cql-text", "(name IS NULL)", ()),
    # What QGIS 3.32+ (QgsOapifCql2TextExpressionCompiler) sends.
    ("cql2-text", "(NOT ((material = 'pe')))", ("alpha", "gamma", "south")),
    ("cql2-text", "(CASEI(name) LIKE CASEI('ALPHA%'))", ("alpha", "lower", "south")),
    ("cql2-text", "(survey_date >= DATE('2021-01-01'))", ("beta", "south")),
    ("cql2-text", "(survey_date < TIMESTAMP('2021-01-01T00:00:00.000Z'))", ("alpha",)),
    ("cql2-text", "S_INTERSECTS(geometry,BBOX(120.0845,30.2805,120.0865,30.2825))", ("lower",)),
    ("cql2-text", "S_INTERSECTS(geometry,POINT(120.08 30.28))", ("alpha",)),  # a vertex
])
def test_what_gdal_and_qgis_send_is_understood(client: Any, auth: Any, pipes: dict[str, int],
                                               lang: str, expr: str,
                                               expected: tuple[str, ...]) -> None:
    assert ids(client, auth, f"filter-lang={lang}&{text(expr)}") == named(pipes, *expected)


def test_the_openapi_offers_what_gdal_looks_for(client: Any) -> None:
    """GDAL pushes a -where down when the items operation lists filter-lang with ``cql-text``
    and the queryables by name (see cql_syntax.ALIASES)."""
    doc = client.get("/api/openapi.json").get_json()
    params = {p["name"]: p for p in doc["paths"][ITEMS.removeprefix("/api")]["get"][
        "parameters"]}
    assert {"cql2-text", "cql2-json", "cql-text"} <= set(params["filter-lang"]["schema"]["enum"])
    assert {"datetime", "filter", "filter-crs", "sortby", "properties", "material"} <= set(params)


TOKENS = ["name", "diameter_mm", "survey_date", "material", "geometry", "nosuch", "=", "<>", "<",
          ">=", "AND", "OR", "NOT", "(", ")", "LIKE", "ILIKE", "IN", "BETWEEN", "IS", "NULL", ",",
          "'x'", "'%_\\'", "''", "1", "-2.5", "1e400", "99999999999", "TRUE", "DATE('2024-02-30')",
          "DATE('2024-01-01')", "TIMESTAMP('2024-01-01T00:00:00Z')", "CASEI(", "S_INTERSECTS(",
          "POINT(1 2)", "POLYGON((0 0, 1 0, 0 1, 0 0))", "BBOX(1,2,3,4)", "LINESTRING(0 0, nan 1)",
          "ENVELOPE(1 2 3 4)", "\"name\"", "T_AFTER", "+", "*"]


def test_no_filter_datetime_or_sortby_is_a_server_error(client: Any, auth: Any) -> None:
    """Random text and random token soup: 200 or 400, never 5xx (the schemathesis fuzzer
    reaches these parameters too, with fewer CQL-shaped inputs)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    soup = st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(" ".join)
    junk = st.text(max_size=40)
    headers = auth.headers("admin")

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(expr=st.one_of(soup, junk), when=junk, sortby=junk,
           lang=st.sampled_from(["cql2-text", "cql2-json", "cql-text", "x"]))
    def check(expr: str, when: str, sortby: str, lang: str) -> None:
        for query in (f"filter-lang={lang}&{text(expr)}", f"datetime={quote(when)}",
                      f"sortby={quote(sortby)}", f"properties={quote(sortby)}"):
            resp = client.get(f"{ITEMS}?{query}", headers=headers)
            assert resp.status_code in (200, 400), (query, resp.get_data(as_text=True)[:300])

    check()
    keys = st.sampled_from(["op", "args", "property", "bbox", "date", "timestamp", "interval",
                            "type", "coordinates", "function", "name", "arguments"])
    leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                       st.sampled_from(["=", "like", "in", "between", "and", "not", "isNull",
                                        "s_intersects", "casei", "name", "Point", "Polygon",
                                        "2024-01-01", "..", "geometry"]))
    trees = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(keys, inner, max_size=3), max_leaves=12)

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(tree=st.dictionaries(keys, trees, min_size=1, max_size=3))
    def check_json(tree: dict[str, Any]) -> None:
        resp = client.get(f"{ITEMS}?{cql_json(tree)}", headers=headers)
        assert resp.status_code in (200, 400), (tree, resp.get_data(as_text=True)[:300])

    check_json()
