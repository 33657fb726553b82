"""Readers and column mapping on files made the way survey tools and utilities make them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inventory import COLLECTIONS
from inventory.formats import open_source
from inventory.mapping import build, load_mapping_file, normalise
from resilience.errors import InvalidInput

PIPES = COLLECTIONS["pipelines"]


def test_csv_in_gbk_with_chinese_headers_and_lon_lat(tmp_path: Path) -> None:
    path = tmp_path / "给水管线.csv"
    path.write_bytes(
        "管线编号,管线类型,材质,管径(mm),起点埋深（m）,建设年代,经度,纬度,序号\n"
        "JS-1,给水,球墨铸铁,300,1.2,2005,120.08,30.28,1\n\n"
        "JS-2,JS,PE,200,1.0,2015,120.09,30.29,2\n".encode("gbk"))
    source = open_source(path)
    records = list(source.records())
    assert [r.row for r in records] == [2, 4]  # blank line 3 skipped, numbers kept
    assert records[0].geometry == {"type": "Point", "coordinates": ["120.08", "30.28"]}
    mapping = build(PIPES, source.columns)
    assert mapping.columns == {"管线编号": "external_id", "管线类型": "category", "材质": "material",
                               "管径(mm)": "diameter_mm", "起点埋深（m）": "start_depth_m",
                               "建设年代": "build_year"}
    assert mapping.unmapped == ["序号"]
    assert mapping.apply(records[1].properties)["category"] == "JS"
    assert list(source.records()) == records  # re-iterable: a second pass reads afresh


def test_csv_with_wkt_utf8_bom_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text('\ufeffname;category;WKT\n"a;b";gas;"LINESTRING (120.08 30.28, 120.09 30.28)"\n',
                    encoding="utf-8")
    source = open_source(path)
    [record] = list(source.records())
    assert record.properties == {"name": "a;b", "category": "gas"}
    assert record.geometry.startswith("LINESTRING")


def test_geojson_collection_streams_with_declared_crs(tmp_path: Path) -> None:
    path = tmp_path / "pipes.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
        "features": [{"type": "Feature", "id": 7, "properties": {"材质": "钢", "diameter_mm": 1.5},
                      "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4.5]]}}]},
        ensure_ascii=False), encoding="utf-8")
    source = open_source(path)
    assert source.crs == "urn:ogc:def:crs:EPSG::4549"
    [record] = list(source.records())
    assert record.properties == {"材质": "钢", "diameter_mm": 1.5, "__feature_id__": 7}
    assert record.geometry["coordinates"] == [[1.0, 2.0], [3.0, 4.5]]


def test_geojsonseq_lines_and_a_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "pipes.geojsonl"
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": None}
    path.write_text("\x1e" + json.dumps(feature) + "\n{broken\n" + json.dumps(feature) + "\n")
    records = list(open_source(path).records())
    assert [r.row for r in records] == [1, 2, 3]
    assert records[1].properties == {"__invalid__": "invalid_json"}


def test_truncated_geojson_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "prop')
    with pytest.raises(InvalidInput) as err:
        list(open_source(path).records())
    assert err.value.problems[0].code == "invalid_json"


@pytest.mark.parametrize(("name", "content", "code"), [
    ("empty.csv", b"", "empty_file"),
    ("data.dwg", b"xx", "unsupported_format"),
])
def test_unusable_files(tmp_path: Path, name: str, content: bytes, code: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert err.value.problems[0].code == code


def test_the_registry_s_own_names_always_match() -> None:
    names = ["diameter_mm", "START_DEPTH_M", "Build Year", "external_id", "category"]
    mapping = build(PIPES, names)
    assert mapping.unmapped == []
    assert sorted(mapping.columns.values()) == ["build_year", "category", "diameter_mm",
                                                "external_id", "start_depth_m"]


def test_headers_normalise() -> None:
    assert normalise(" 管径（毫米） ") == "管径"
    assert normalise("DIAMETER_MM") == "diametermm"
    assert normalise("Start Depth [m]") == "startdepth"


def test_mapping_file_comes_first_and_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"columns": {"GJ": "diameter_mm", "LX": "category"},
                                "values": {"category": {"上水": "water_supply"}}}))
    mapping = build(PIPES, ["GJ", "LX", "材质"], load_mapping_file(path))
    assert mapping.apply({"GJ": "300", "LX": "上水", "材质": "钢"}) == {
        "diameter_mm": "300", "category": "water_supply", "material": "钢"}
    path.write_text(json.dumps({"columns": {"GJ": "colour"}}))
    with pytest.raises(InvalidInput) as err:
        build(PIPES, ["GJ"], load_mapping_file(path))
    assert err.value.problems[0].code == "unknown_field"


def test_every_problem_code_has_a_message() -> None:
    import re

    from resilience.messages import MESSAGES

    root = Path(__file__).resolve().parents[2]
    used = set()
    for package in ("resilience", "inventory", "risk", "web"):
        for path in (root / package).rglob("*.py"):
            used |= set(re.findall(r'Problem\(\s*[^,]+,\s*"([a-z_]+)"', path.read_text()))
    assert used - set(MESSAGES) == set()


def test_parsing_a_batch_column_wise_gives_what_parsing_each_row_gives() -> None:
    from datetime import date

    from inventory.pipelines import PIPELINES
    from inventory.validation import parse_properties, parse_rows

    rows = [
        {"category": "给水", "material": "PE", "diameter_mm": "300", "build_year": 2005},
        {"category": "暖气", "material": "金", "diameter_mm": -5, "start_depth_m": "80"},
        {"category": "RQ", "material": None, "diameter_mm": "", "status": None, "nonsense": 1,
         "name": "  ", "owner": " 杭州燃气 ", "address": "x" * 201, "remarks": " kept "},
        {"category": "gas", "length_m": 12.5, "build_year": "2999", "survey_date": "2024-13-01"},
        {"category": "给水", "material": "PE", "diameter_mm": "300", "build_year": 2005},
        {},
    ]
    today = date(2026, 11, 25)
    cache: dict = {}
    for _ in range(2):  # the second pass answers from the cache
        batch = parse_rows(PIPELINES, rows, today, cache)
        single = [parse_properties(PIPELINES, r, partial=False, today=today) for r in rows]
        assert batch == single
