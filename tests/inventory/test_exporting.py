"""Exports on both databases: every format and collection round-trips through the importer."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
from geoalchemy2.shape import to_shape
from openpyxl import load_workbook
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import COLLECTIONS, exporting, importing, service
from inventory.formats import open_source
from inventory.formats.pages import columns
from inventory.formats.shortnames import LIMIT, SHORT, expand, short
from inventory.service import WriteContext
from resilience import accounts, geo
from resilience.errors import Forbidden, InvalidInput, NotFound
from tests import factories as f

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # one database per worker

EXTENT = (118.3, 29.1, 120.8, 30.6)
MARK = "导出测试"  # data_source of every record a test exports
REFS = "导出测试-引用"  # records the exported ones point at (kept when the originals go)
WRITABLE = ["pipelines", "network-points", "tunnels", "shelters", "flood-points",
            "hazard-zones", "risk-points"]
FORMATS = list(exporting.FORMATS)
ADMIN = accounts.CONSOLE
XIHU_B = (120.085, 30.283)  # 西湖区, a second place


def ctx(session: Session, username: str = "admin") -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, username)),
                        extent=EXTENT)


def create(session: Session, collection: str, feature: dict[str, Any]) -> Any:
    return service.create(session, collection, feature, ctx(session))


def points(session: Session) -> tuple[int, int]:
    a = create(session, "network-points", f.network_point(XIHU_B, data_source=REFS))
    b = create(session, "network-points", f.network_point((XIHU_B[0] + 0.001, XIHU_B[1]),
                                                          data_source=REFS, kind="manhole"))
    return a.id, b.id


def records(session: Session, collection: str) -> list[dict[str, Any]]:
    """Features covering every writable field: one full, one sparse (more where types differ)."""
    common = {"data_source": MARK, "address": "西湖区文三路 1 号", "survey_date": "2024-05-01",
              "remarks": '含逗号, "引号" 与\n换行', "division_code": "330106"}
    if collection == "pipelines":
        start, end = points(session)
        return [
            f.pipeline(name="天然气中压管", external_id="EXP-P1", category="gas",
                       subcategory="natural_gas", material="pe", diameter_mm=160.5,
                       width_mm=200, height_mm=300, pressure_class="medium_a", pressure_mpa=0.4,
                       cable_count=0, start_depth_m=1.25, end_depth_m=1.5,
                       burial_method="direct", build_year=2016, owner="杭州燃气集团",
                       operator="西湖燃气运维", status="in_service", condition_grade=2,
                       start_point_id=start, end_point_id=end, **common),
            f.feature(f.line(f.SHANGCHENG), category="water_supply", external_id="EXP-P2",
                      data_source=MARK),
        ]
    if collection == "network-points":
        return [
            f.network_point(name="1号阀门井", external_id="EXP-N1", kind="valve",
                            category="gas", ground_elevation_m=6.25, depth_m=1.5,
                            owner="杭州燃气集团", status="abandoned", condition_grade=3,
                            build_year=1999, **common),
            f.feature(f.point(f.SHANGCHENG), kind="manhole", external_id="EXP-N2",
                      data_source=MARK),
        ]
    if collection == "tunnels":
        carried = [create(session, "pipelines", f.pipeline(
            (XIHU_B[0], XIHU_B[1] + 0.002 * i), data_source=REFS)).id for i in range(3)]
        return [
            f.tunnel(external_id="EXP-T1", tunnel_type="trunk", width_m=6.5, height_m=3.8,
                     build_year=2018, design_life_years=100, owner="杭州城投",
                     operator="管廊运营公司", status="in_service", condition_grade=1,
                     cabins=[{"name": "综合舱", "use": "integrated", "fire_compartment_m": 200.0,
                              "pipeline_ids": carried[:2]},
                             {"name": "电力舱", "use": "power", "pipeline_ids": [carried[2]]}],
                     nodes=[{"kind": "access", "name": "1号出入口", "position": [120.081, 30.28]},
                            {"kind": "ventilation", "position": [120.083, 30.28]}],
                     **common),
            f.feature(f.line(f.SHANGCHENG, dx=0.003, dy=0.0), tunnel_type="cable",
                      external_id="EXP-T2", data_source=MARK),
        ]
    if collection == "shelters":
        return [
            f.shelter(external_id="EXP-S1", kind="emergency_shelter", shelter_class="fixed_short",
                      tier="county", site_type="outdoor", effective_area_m2=20000.0,
                      capacity_persons=8000, facilities=["应急供水", "应急厕所", "医疗救护"],
                      entrances=4, managing_unit="西湖区应急管理局", contact_phone="0571-8888 0000",
                      is_open=False, build_year=2010, **common),
            f.feature(f.point(f.SHANGCHENG), name="人防工程", kind="civil_defence",
                      shelter_class="emergency", external_id="EXP-S2", data_source=MARK),
        ]
    if collection == "hazard-zones":
        return [
            f.feature(f.square(XIHU_B), name="文三路内涝风险区", external_id="EXP-H1",
                      kind="waterlogging", hazard_class=4, return_period_years=50, intensity=0.45,
                      intensity_unit="m", issuing_unit="杭州市城乡建设委员会", **common),
            f.feature(f.square(f.SHANGCHENG), kind="flood", hazard_class=2, external_id="EXP-H2",
                      data_source=MARK),
        ]
    if collection == "risk-points":
        return [
            f.feature(f.point(XIHU_B), name="文三路加油站卸油区", external_id="EXP-R1",
                      category="hazardous_materials", method="lec", preset="lec_default",
                      factor_l=3, factor_e=6, factor_c=15, responsible_unit="中石化杭州分公司",
                      control_measures="卸油时双人监护；\n静电接地", assessed_at="2025-01-10",
                      next_review_at="2026-01-10", asset_collection="network-points", asset_id=7,
                      **common),
            f.feature(f.point(f.SHANGCHENG), category="construction", method="ls", factor_l=2,
                      factor_s=4, external_id="EXP-R2", data_source=MARK),
        ]
    assert collection == "flood-points"
    return [
        f.flood_point(external_id="EXP-F1", cause="underpass", catchment="西溪汇水区",
                      status="eliminated", eliminated_on="2025-03-01",
                      trigger_rainfall_mm_h=40.5, responsible_unit="西湖区城管局",
                      contact_person="王工", plan="一点一策：抽排", pumps=2,
                      events=[{"occurred_on": "2024-06-20", "max_depth_cm": 35.0, "duration_h": 2.5,
                               "rainfall_mm": 120.0, "area_m2": 800.0, "note": "早高峰"},
                              {"occurred_on": "2023-07-01", "max_depth_cm": 20.0}],
                      **common),
        f.feature(f.point(f.SHANGCHENG), external_id="EXP-F2", data_source=MARK),
    ]


def make(session: Session, collection: str) -> list[Any]:
    return [create(session, collection, feature) for feature in records(session, collection)]


def writable(spec: Any, obj: Any) -> dict[str, Any]:
    """What a round trip must give back: writable properties, nested lists without ids."""
    feature = service.as_feature(spec, obj)
    props = feature["properties"]
    for child in spec.children:
        props[child.name] = [{k: v for k, v in item.items() if k != "id"}
                             for item in props.get(child.name) or []]
    return {"properties": props, "geometry": feature["geometry"]}


def marked(session: Session, collection: str, mark: str = MARK) -> list[Any]:
    model = COLLECTIONS[collection].model
    return list(session.scalars(select(model).where(model.data_source == mark,
                                                    model.retired_at.is_(None))
                                .order_by(model.external_id)))


def wipe(session: Session, objs: list[Any]) -> None:
    """Delete the originals, so the import starts from an empty collection."""
    for obj in objs:
        session.delete(obj)
    session.flush()


def same_geometry(a: dict[str, Any], b: dict[str, Any], tolerance: float = 1e-7) -> bool:
    """Equal vertex by vertex, whatever the ring orientation (shapefiles turn outer rings)."""
    return bool(shapely.normalize(shape(a)).equals_exact(shapely.normalize(shape(b)), tolerance))


def import_back(session: Session, path: Path, collection: str, crs: str | None = None
                ) -> importing.ImportReport:
    report = importing.import_source(session, open_source(path), collection, ctx(session),
                                     crs=crs)
    assert report.stored and not report.rejected, [
        (p.row, p.field, p.code, p.params) for p in report.rejected]
    return report


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("collection", WRITABLE)
def test_every_format_round_trips_every_collection(session: Session, tmp_path: Path,
                                                    collection: str, fmt: str) -> None:
    spec = COLLECTIONS[collection]
    made = make(session, collection)
    before = {o.external_id: writable(spec, o) for o in made}
    path = tmp_path / ("export" + exporting.FORMATS[fmt].extension)
    report = exporting.export(session, collection, fmt, path, by=ADMIN,
                              filters={"data_source": MARK}, batch=1)  # a page per record
    assert (report.records, report.path, report.crs) == (len(made), str(path), "EPSG:4490")
    wipe(session, made)
    assert marked(session, collection) == []
    import_back(session, path, collection)
    after = {o.external_id: writable(spec, o) for o in marked(session, collection)}
    assert sorted(after) == sorted(before)
    for key, old in before.items():
        new = after[key]
        if fmt == "csv":  # CSV cannot tell an empty text from a missing one
            new["properties"] = {k: (v if v != "" else None) for k, v in new["properties"].items()}
        assert new["properties"] == old["properties"], key
        assert same_geometry(new["geometry"], old["geometry"]), key


def test_a_file_holds_every_field_with_registry_words_iso_dates_and_json_lists(
        session: Session, tmp_path: Path) -> None:
    made = make(session, "tunnels")
    path = tmp_path / "t.csv"
    exporting.export(session, "tunnels", "csv", path, by=ADMIN, filters={"data_source": MARK})
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    import csv

    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    assert list(rows[0]) == columns(COLLECTIONS["tunnels"]) + ["wkt"]
    assert list(rows[0])[:3] == ["id", "name", "external_id"]
    full = next(r for r in rows if r["external_id"] == "EXP-T1")
    assert full["id"] == str(made[0].id) and full["version"] == "1"
    assert full["created_by"] == "admin" and re.match(r"\d{4}-\d\d-\d\dT", full["created_at"])
    assert (full["tunnel_type"], full["survey_date"]) == ("trunk", "2024-05-01")
    cabins = json.loads(full["cabins"])
    assert [c["use"] for c in cabins] == ["integrated", "power"] and cabins[0]["id"]
    assert json.loads(full["nodes"])[0]["position"] == [120.081, 30.28]
    assert full["wkt"].startswith("LINESTRING (120.08 30.28")
    assert full["remarks"] == '含逗号, "引号" 与\n换行'

    shelters = make(session, "shelters")
    path = tmp_path / "s.geojson"
    exporting.export(session, "shelters", "geojson", path, by=ADMIN,
                     filters={"data_source": MARK})
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:EPSG::4490"
    first = next(x for x in doc["features"] if x["id"] == shelters[0].id)
    assert first["properties"]["facilities"] == ["应急供水", "应急厕所", "医疗救护"]
    assert first["properties"]["is_open"] is False and first["properties"]["version"] == 1
    path = tmp_path / "s.xlsx"
    exporting.export(session, "shelters", "xlsx", path, by=ADMIN, filters={"data_source": MARK})
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert json.loads(cells["facilities"]) == ["应急供水", "应急厕所", "医疗救护"]
    assert cells["is_open"] is False and cells["survey_date"] == "2024-05-01"
    assert cells["wkt"].startswith("POLYGON ((")


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "shp", "xlsx"])
@pytest.mark.parametrize("crs", ["EPSG:4549", "GCJ-02"])
def test_projected_and_offset_exports_come_back_in_place(session: Session, tmp_path: Path,
                                                         crs: str, fmt: str) -> None:
    made = make(session, "pipelines") + make(session, "network-points")
    expected = {o.external_id: to_shape(o.geom) for o in made}
    for collection in ("pipelines", "network-points"):
        path = tmp_path / (collection + exporting.FORMATS[fmt].extension)
        report = exporting.export(session, collection, fmt, path, crs=crs, by=ADMIN,
                                  filters={"data_source": MARK})
        assert report.crs == crs
        if fmt == "geojson":  # the file's own numbers are the transformed ones
            doc = json.loads(path.read_text(encoding="utf-8"))
            for feature in doc["features"]:
                want = geo.from_storage(expected[feature["properties"]["external_id"]],
                                        geo.parse_crs(crs))
                tolerance = 0.01 if crs == "EPSG:4549" else 1e-9
                assert shape(feature["geometry"]).equals_exact(want, tolerance)
        wipe(session, [o for o in made if COLLECTIONS[collection].model is type(o)])
        import_back(session, path, collection, crs=crs)
    back_again = marked(session, "pipelines") + marked(session, "network-points")
    assert sorted(o.external_id for o in back_again) == sorted(expected)
    for obj in back_again:
        back = to_shape(obj.geom)
        assert back.equals_exact(expected[obj.external_id], 1e-7), obj.external_id


def ids_in(session: Session, tmp_path: Path, collection: str = "pipelines",
           by: accounts.Principal = ADMIN, **options: Any) -> list[int]:
    path = tmp_path / "filtered.geojson"
    exporting.export(session, collection, "geojson", path, by=by, **options)
    return sorted(x["id"] for x in json.loads(path.read_text(encoding="utf-8"))["features"])


def test_division_bbox_and_property_filters_select_the_right_records(
        session: Session, tmp_path: Path) -> None:
    xihu = create(session, "pipelines", f.pipeline(data_source=MARK, category="gas",
                                                   subcategory=None, material="pe"))
    other = create(session, "pipelines", f.pipeline(XIHU_B, data_source=MARK))
    shangcheng = create(session, "pipelines", f.pipeline(f.SHANGCHENG, data_source=MARK))
    mine = {"data_source": MARK}
    assert ids_in(session, tmp_path, filters=mine) == sorted([xihu.id, other.id, shangcheng.id])
    assert ids_in(session, tmp_path, filters=mine, division="330106") == sorted(
        [xihu.id, other.id])
    assert ids_in(session, tmp_path, filters=mine, division="330102") == [shangcheng.id]
    box = (f.SHANGCHENG[0] - 0.01, f.SHANGCHENG[1] - 0.01, f.SHANGCHENG[0] + 0.01,
           f.SHANGCHENG[1] + 0.01)
    assert ids_in(session, tmp_path, filters=mine, bbox=box) == [shangcheng.id]
    assert ids_in(session, tmp_path, filters=mine, bbox=",".join(map(str, box))) == [
        shangcheng.id]
    assert ids_in(session, tmp_path, filters={**mine, "category": "gas"}) == [xihu.id]
    assert ids_in(session, tmp_path, filters={**mine, "category": "gas,water_supply"}) == sorted(
        [xihu.id, other.id, shangcheng.id])
    assert ids_in(session, tmp_path, filters={**mine, "material": ["pe"], "category": "GAS"}) == [
        xihu.id]
    assert ids_in(session, tmp_path, filters={"data_source": "no such"}) == []


def test_users_export_only_what_their_divisions_hold(session: Session, tmp_path: Path) -> None:
    xihu = create(session, "flood-points", f.flood_point(data_source=MARK))
    shangcheng = create(session, "flood-points", f.flood_point(f.SHANGCHENG, data_source=MARK))
    mine = {"data_source": MARK}

    def as_user(name: str, **options: Any) -> list[int]:
        principal = accounts.principal_of(accounts.get_user(session, name))
        return ids_in(session, tmp_path, "flood-points", by=principal, filters=mine, **options)

    assert as_user("engineer") == [xihu.id]
    assert as_user("engineer_sc") == [shangcheng.id]
    assert as_user("viewer") == sorted([xihu.id, shangcheng.id])
    assert as_user("nobody") == []
    with pytest.raises(Forbidden):
        as_user("engineer", division="330102")
    with pytest.raises(Forbidden):
        as_user("engineer", division="3301")  # the city is more than they were granted
    assert as_user("engineer", division="330106") == [xihu.id]
    principal = accounts.principal_of(accounts.get_user(session, "engineer"))
    path = tmp_path / "mine.gpkg"
    report = exporting.export(session, "flood-points", "gpkg", path, by=principal, filters=mine)
    assert report.records == 1 and pyogrio.read_info(path)["features"] == 1


def test_bad_requests_are_refused_before_anything_is_written(session: Session,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "never.geojson"
    with pytest.raises(InvalidInput) as err:
        exporting.export(session, "pipelines", "kml", path, by=ADMIN, crs="EPSG:2000",
                         bbox="1,2,3", filters={"colour": "red", "diameter_mm": "big"})
    assert sorted((p.field, p.code) for p in err.value.problems) == [
        ("bbox", "invalid_bbox"), ("colour", "unknown_parameter"), ("crs", "unknown_crs"),
        ("diameter_mm", "not_a_number"), ("format", "unsupported_format")]
    with pytest.raises(InvalidInput):
        exporting.export(session, "pipelines", "csv", path, by=ADMIN, filters={"remarks": "x"})
    with pytest.raises(NotFound):
        exporting.export(session, "pipes", "csv", path, by=ADMIN)
    assert not path.exists() and list(tmp_path.iterdir()) == []
    for ok in ("EPSG:4490", "EPSG:4326", "CRS84", "EPSG:4549", "EPSG:4491", "EPSG:4554",
               "http://www.opengis.net/def/crs/EPSG/0/4549", "gcj02", "EPSG:3857"):
        exporting.export_crs(ok)
    assert exporting.export_crs("CRS84").epsg == 4326


def test_keyset_pages_give_every_record_once_in_key_order(session: Session,
                                                          tmp_path: Path) -> None:
    made = [create(session, "network-points",
                   f.network_point((120.08 + 0.0005 * i, 30.28), data_source=MARK))
            for i in range(7)]
    seen: list[tuple[int, int]] = []
    path = tmp_path / "p.geojson"
    report = exporting.export(session, "network-points", "geojson", path, by=ADMIN,
                              filters={"data_source": MARK}, batch=3,
                              progress=lambda done, total: seen.append((done, total)))
    ids = [x["id"] for x in json.loads(path.read_text(encoding="utf-8"))["features"]]
    assert ids == sorted(o.id for o in made) and report.records == 7
    assert seen == [(3, 7), (6, 7), (7, 7)]
    for fmt in ("gpkg", "shp"):  # appended page by page
        out = tmp_path / ("p" + exporting.FORMATS[fmt].extension)
        exporting.export(session, "network-points", fmt, out, by=ADMIN,
                         filters={"data_source": MARK}, batch=3)
        target = f"/vsizip/{out}/network_points.shp" if fmt == "shp" else out
        meta, _, _, fields = pyogrio.raw.read(target)
        assert sorted(fields[list(meta["fields"]).index("id")].tolist()) == ids


def test_spreadsheet_text_never_becomes_a_formula(session: Session, tmp_path: Path) -> None:
    risky = ['=HYPERLINK("http://x")', "+86 571", "-1号井", "@SUM(A1)", "\tTab", "\rCR"]
    for i, text in enumerate(risky):  # names are stripped on write; remarks keep tabs
        create(session, "network-points", f.network_point(
            (120.08 + 0.0005 * i, 30.28), data_source=MARK, remarks=text,
            name=text if text.strip() == text else None))
    path = tmp_path / "risky.xlsx"
    exporting.export(session, "network-points", "xlsx", path, by=ADMIN,
                     filters={"data_source": MARK})
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    names = [row[header.index("name")] for row in rows][:4]
    remarks = [row[header.index("remarks")] for row in rows]
    assert [c.value for c in names] == risky[:4]
    assert [c.value for c in remarks][:5] == risky[:5]
    assert remarks[5].value in ("\rCR", "\nCR")  # XML readers may normalise a lone CR
    assert all(c.data_type == "s" and c.quotePrefix for c in names + remarks)  # text, never "f"
    with zipfile.ZipFile(path) as z:
        sheet_xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "HYPERLINK" in sheet_xml


def ogrinfo(target: str) -> str:
    exe = shutil.which("ogrinfo")
    assert exe, "ogrinfo missing: make test installs gdal-bin"
    out = subprocess.run([exe, "-ro", "-so", "-al", target], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert "ERROR" not in out.stderr and "may only be partially supported" not in out.stderr
    return out.stdout


@pytest.mark.parametrize("crs", ["EPSG:4490", "EPSG:4549"])
def test_gdal_reads_the_geopackage_and_the_shapefiles(session: Session, tmp_path: Path,
                                                      crs: str) -> None:
    make(session, "shelters")  # a polygon and a point: one GeoPackage layer, two shapefiles
    code = crs.split(":")[1]
    gpkg = tmp_path / "shelters.gpkg"
    exporting.export(session, "shelters", "gpkg", gpkg, crs=crs, by=ADMIN,
                     filters={"data_source": MARK})
    out = ogrinfo(str(gpkg))
    assert "Layer name: shelters" in out and "Feature Count: 2" in out
    assert "Geometry: Unknown (any)" in out and f'ID["EPSG",{code}]' in out
    shp = tmp_path / "shelters.shp.zip"
    report = exporting.export(session, "shelters", "shp", shp, crs=crs, by=ADMIN,
                              filters={"data_source": MARK})
    assert report.files == ("shelters_polygon.shp", "shelters_point.shp")
    with zipfile.ZipFile(shp) as z:
        assert sorted(z.namelist()) == sorted(
            f"shelters_{kind}{ext}" for kind in ("point", "polygon")
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"))
        assert z.read("shelters_point.cpg").strip() == b"UTF-8"
    out = ogrinfo(f"/vsizip/{shp}")
    assert out.count("Feature Count: 1") == 2
    assert "Geometry: Point" in out and "Geometry: Polygon" in out
    assert ("CGCS2000" in out or "China Geodetic" in out or "China_2000" in out)
    if crs == "EPSG:4549":
        assert "Gauss" in out and "120" in out
    for column in ("shel_class", "eff_area", "trig_rain"):
        assert (column + ":" in out) == (column != "trig_rain")


def test_empty_exports_are_valid_files(session: Session, tmp_path: Path) -> None:
    nothing = {"data_source": "nothing at all"}
    for fmt, spec in exporting.FORMATS.items():
        path = tmp_path / ("empty" + spec.extension)
        report = exporting.export(session, "shelters", fmt, path, by=ADMIN, filters=nothing)
        assert report.records == 0 and path.stat().st_size > 0
    assert json.loads((tmp_path / "empty.geojson").read_text())["features"] == []
    assert (tmp_path / "empty.csv").read_text(encoding="utf-8-sig").splitlines() == [
        ",".join(columns(COLLECTIONS["shelters"]) + ["wkt"])]
    assert pyogrio.read_info(tmp_path / "empty.gpkg")["features"] == 0
    assert pyogrio.read_info(f"/vsizip/{tmp_path}/empty.shp.zip/shelters_point.shp")[
        "features"] == 0


def test_text_a_shapefile_cannot_hold_is_refused_not_cut(session: Session,
                                                         tmp_path: Path) -> None:
    long_remark = "地下管线普查备注" * 12  # 96 characters, 288 bytes
    obj = create(session, "pipelines", f.pipeline(data_source=MARK, remarks=long_remark))
    path = tmp_path / "long.shp.zip"
    with pytest.raises(InvalidInput) as err:
        exporting.export(session, "pipelines", "shp", path, by=ADMIN,
                         filters={"data_source": MARK})
    assert [(p.field, p.code, p.params["id"]) for p in err.value.problems] == [
        ("remarks", "too_long_for_format", obj.id)]
    assert not path.exists() and list(tmp_path.iterdir()) == []
    exporting.export(session, "pipelines", "gpkg", tmp_path / "long.gpkg", by=ADMIN,
                     filters={"data_source": MARK})
    assert pyogrio.raw.read(tmp_path / "long.gpkg", columns=["remarks"])[3][0][0] == long_remark


def test_an_export_to_a_stream_and_the_divisions_collection(session: Session,
                                                            tmp_path: Path) -> None:
    import io

    buffer = io.BytesIO()
    report = exporting.export(session, "divisions", "gpkg", buffer,
                              by=accounts.principal_of(accounts.get_user(session, "nobody")),
                              division="330106")
    assert report.path is None and report.records >= 1
    path = tmp_path / "divisions.gpkg"
    path.write_bytes(buffer.getvalue())
    meta, _, _, fields = pyogrio.raw.read(path)
    assert list(meta["fields"])[:2] == ["code", "name"] and "330106" in fields[0].tolist()


def result_row(session: Session, collection: str, **values: Any) -> Any:
    """A published map's row as a run writes it (the collections themselves are read-only)."""
    from geoalchemy2.shape import from_shape

    model = COLLECTIONS[collection].model
    row = model(unit="cell", ref=values.pop("ref", "c-1"), name="网格 1",
                geom=from_shape(shape(f.square(XIHU_B)), srid=4490), division_code="330106",
                level="high" if collection == "risk-five-colour" else "major", ordinal=5,
                colour="#E60012", score=0.71, measure=49000.0, decided_by="flood",
                explanation={"method": "R = H^a·E^b·V^c·(1−C)^d", "factors": {"H": 0.8},
                             "note": "含逗号, 与“引号”" * 30},
                run_id=1, scheme="composite_default", scheme_version=1, **values)
    session.add(row)
    session.flush()
    return row


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("collection", ["risk-five-colour", "risk-four-colour"])
def test_published_maps_export_but_do_not_import(session: Session, tmp_path: Path,
                                                  collection: str, fmt: str) -> None:
    result_row(session, collection, **({"hazard": 0.8} if collection == "risk-five-colour"
                                       else {"points": 3}))
    path = tmp_path / ("export" + exporting.FORMATS[fmt].extension)
    report = exporting.export(session, collection, fmt, path, by=ADMIN,
                              filters={"level": "high" if collection == "risk-five-colour"
                                       else "major"})
    assert report.records == 1 and path.stat().st_size > 0
    if fmt == "csv":
        import csv

        row = next(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))
        assert (row["level"], row["colour"], row["unit"]) == (row["level"], "#E60012", "cell")
        assert json.loads(row["explanation"])["factors"] == {"H": 0.8}
    with pytest.raises(Forbidden):
        importing.import_source(session, open_source(path), collection, ctx(session))


def test_short_names_fit_dbase_and_map_back() -> None:
    for spec in COLLECTIONS.values():
        names = columns(spec)
        shorts = [short(n) for n in names]
        assert all(len(s) <= LIMIT and s.isascii() for s in shorts), spec.name
        assert len(set(shorts)) == len(shorts), spec.name
        for name in names[1:]:
            assert expand(spec, short(name)) == name
            assert expand(spec, short(name).upper()) == name
    assert expand(COLLECTIONS["pipelines"], "trig_rain") is None
    assert set(SHORT.values()).isdisjoint(
        {f.name for s in COLLECTIONS.values() for f in s.fields} - set(SHORT.values()))


# --- the command line ---------------------------------------------------------------------

BIN = str(Path(sys.executable).parent / "resilience")


def run(args: list[str], url: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_INSTANCE_PATH": str(tmp)}
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=600)


def test_export_from_the_command_line(request: pytest.FixtureRequest, tmp_path: Path,
                                      engine: Any) -> None:
    from tests.conftest import fresh_database

    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    url = fresh_database(request.config, dialect, f"resilience_cli_export_{WORKER}", tmp_path)
    assert run(["init"], url, tmp_path).returncode == 0
    assert run(["demo", "--segments", "200"], url, tmp_path).returncode == 0
    out = tmp_path / "pipes.gpkg"
    done = run(["export", "pipelines", "-o", str(out), "--crs", "EPSG:4549",
                "--where", "category=water_supply,drainage", "--as", "engineer"], url, tmp_path)
    assert done.returncode == 0, done.stderr
    count = int(re.search(r"exported (\d+) pipelines", done.stdout).group(1))
    assert count > 0 and "EPSG:4549" in done.stdout and done.stderr == ""  # no bar off a TTY
    info = pyogrio.read_info(out)
    assert info["features"] == count and info["crs"] == "EPSG:4549"
    zipped = run(["export", "shelters", "--format", "shp", "-o", str(tmp_path / "s.zip"),
                  "--division", "330106", "--bbox", "118,29,121,31"], url, tmp_path)
    assert zipped.returncode == 0, zipped.stderr
    refused = run(["export", "pipelines", "-o", str(tmp_path / "x.gpkg"), "--as", "engineer",
                   "--division", "330102"], url, tmp_path)
    assert refused.returncode == 77 and "Traceback" not in refused.stderr
    bad = run(["export", "pipelines", "-o", str(tmp_path / "x.kml")], url, tmp_path)
    assert bad.returncode == 2 and "--format" in bad.stderr
    wrong = run(["export", "pipelines", "--format", "gpkg", "-o", str(tmp_path / "x.gpkg"),
                 "--crs", "EPSG:2000", "--where", "colour=red"], url, tmp_path)
    assert wrong.returncode == 65 and "crs" in wrong.stderr and "colour" in wrong.stderr
    assert "Traceback" not in wrong.stderr and not (tmp_path / "x.gpkg").exists()
