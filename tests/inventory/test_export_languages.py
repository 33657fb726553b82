"""Spreadsheets for people, on both databases: CSV and XLSX in Chinese, English or machine form."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from inventory import COLLECTIONS, exporting
from inventory.formats.pages import columns
from tests import factories as f
from tests.inventory.test_exporting import (
    ADMIN,
    MARK,
    REFS,
    WRITABLE,
    create,
    import_back,
    make,
    marked,
    same_geometry,
    wipe,
    writable,
)


def read(path: Path) -> tuple[list[str], list[dict[str, Any]], str | None]:
    """A CSV or XLSX export as its header, its rows by heading and (XLSX) its sheet's name."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(text.splitlines(keepends=True)))
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]], None
    book = load_workbook(path)
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    return values[0], [dict(zip(values[0], r, strict=True)) for r in values[1:]], sheet.title


def export(session: Session, path: Path, collection: str, lang: str | None) -> Path:
    exporting.export(session, collection, path.suffix.lstrip("."), path, by=ADMIN,
                     filters={"data_source": MARK}, lang=lang)
    return path


def pipes(session: Session) -> Any:
    start, end = (create(session, "network-points", f.network_point(
        (120.085 + 0.001 * i, 30.283), external_id=f"LANG-N{i + 1}", data_source=REFS)).id
        for i in range(2))
    return create(session, "pipelines", f.pipeline(
        name="天然气中压管", external_id="LANG-P1", category="gas", subcategory="natural_gas",
        material="pe", diameter_mm=160.5, pressure_class="medium_a", burial_method="direct",
        condition_grade=3, start_point_id=start, end_point_id=end, data_source=MARK))


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_chinese_headings_and_code_labels(session: Session, tmp_path: Path, ext: str) -> None:
    made = pipes(session)
    header, rows, sheet = read(export(session, tmp_path / f"p{ext}", "pipelines", "zh"))
    assert header[:4] == ["系统编号", "名称", "外部编号", "管线大类"]
    assert {"材质", "管径(mm)", "压力(MPa)", "起点", "起点点号", "终点点号", "创建时间"} <= set(header)
    assert header[-1] == "WKT" and sheet in (None, "管线段")
    row = rows[0]
    assert (row["管线大类"], row["管线小类"], row["材质"], row["压力级制"], row["埋设方式"],
            row["状况等级"], row["使用状态"]) == ("燃气", "天然气", "聚乙烯", "中压A", "直埋",
                                                "较差", "在用")
    assert str(row["管径(mm)"]) == "160.5" and str(row["系统编号"]) == str(made.id)
    assert str(row["起点"]) == str(made.start_point_id) and row["起点点号"] == "LANG-N1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["创建时间"])  # local, no offset
    assert row["WKT"].startswith("LINESTRING (")


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_english_headings_booleans_and_lists(session: Session, tmp_path: Path, ext: str) -> None:
    create(session, "shelters", f.shelter(external_id="LANG-S1", is_open=False, tier="county",
                                          facilities=["应急供水", "应急厕所"], data_source=MARK))
    header, rows, sheet = read(export(session, tmp_path / f"s{ext}", "shelters", "en"))
    assert header[:3] == ["Registry ID", "Name", "External id"]
    assert "Effective area (m²)" in header and sheet in (None, "Shelters")
    row = rows[0]
    assert (row["Kind"], row["Shelter class"], row["Tier"], row["Open"]) == (
        "Emergency shelter", "Fixed, short term", "County", "No")
    assert row["Facilities"] == "应急供水; 应急厕所"
    header, rows, _ = read(export(session, tmp_path / f"zh{ext}", "shelters", "zh"))
    assert (rows[0]["是否开放"], rows[0]["配套设施"]) == ("否", "应急供水、应急厕所")


@pytest.mark.parametrize("ext", [".csv", ".xlsx"])
def test_the_machine_form_is_field_names_and_codes(session: Session, tmp_path: Path,
                                                   ext: str) -> None:
    made = pipes(session)
    header, rows, sheet = read(export(session, tmp_path / f"m{ext}", "pipelines", "machine"))
    assert header == [*columns(COLLECTIONS["pipelines"]), "wkt"] and sheet in (None, "pipelines")
    assert header[header.index("start_point_id") + 1] == "start_point_no"
    row = rows[0]
    assert (row["category"], row["material"], str(row["condition_grade"])) == ("gas", "pe", "3")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", row["created_at"])
    assert str(row["start_point_id"]) == str(made.start_point_id)
    assert (row["start_point_no"], row["end_point_no"]) == ("LANG-N1", "LANG-N2")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("collection", WRITABLE)
def test_spreadsheets_for_people_round_trip_every_collection(
        session: Session, tmp_path: Path, collection: str, fmt: str, lang: str) -> None:
    spec = COLLECTIONS[collection]
    made = make(session, collection)
    before = {o.external_id: writable(spec, o) for o in made}
    path = tmp_path / ("export" + exporting.FORMATS[fmt].extension)
    report = exporting.export(session, collection, fmt, path, by=ADMIN, lang=lang,
                              filters={"data_source": MARK}, batch=1)
    assert (report.records, report.lang) == (len(made), lang)
    wipe(session, made)
    imported = import_back(session, path, collection)
    assert imported.created == len(made)
    after = {o.external_id: writable(spec, o) for o in marked(session, collection)}
    assert sorted(after) == sorted(before)
    for key, old in before.items():
        new = after[key]
        if fmt == "csv":  # CSV cannot tell an empty text from a missing one
            new["properties"] = {k: (v if v != "" else None) for k, v in new["properties"].items()}
        assert new["properties"] == old["properties"], key
        assert same_geometry(new["geometry"], old["geometry"]), key


def test_a_bad_language_is_refused_before_anything_is_written(session: Session,
                                                             tmp_path: Path) -> None:
    from resilience.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        exporting.export(session, "pipelines", "csv", tmp_path / "x.csv", by=ADMIN, lang="fr")
    assert [(p.field, p.code) for p in err.value.problems] == [("lang", "unknown_code")]
    assert list(tmp_path.iterdir()) == []


def test_gis_formats_keep_field_names_and_codes(session: Session, tmp_path: Path) -> None:
    import pyogrio

    pipes(session)
    path = tmp_path / "p.gpkg"
    report = exporting.export(session, "pipelines", "gpkg", path, by=ADMIN, lang="zh",
                              filters={"data_source": MARK})
    assert report.lang == "machine"
    meta, _, _, fields = pyogrio.raw.read(path)
    names = list(meta["fields"])
    assert "category" in names and fields[names.index("category")][0] == "gas"
    assert re.search(r"\+08:00$", fields[names.index("created_at")][0])
    doc = tmp_path / "p.geojson"
    exporting.export(session, "pipelines", "geojson", doc, by=ADMIN, lang="zh",
                     filters={"data_source": MARK})
    props = json.loads(doc.read_text())["features"][0]["properties"]
    assert props["category"] == "gas" and props["start_point_no"] == "LANG-N1"
