"""Hazard zones and risk points through the bulk importer: levels derived, bad rows named."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import COLLECTIONS, importing
from inventory.formats import open_source
from inventory.import_report import ImportReport
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import Forbidden
from risk.hazard_zones import HazardZone
from risk.points import RiskPoint

EXTENT = (118.3, 29.1, 120.8, 30.6)
MARK = "风险导入测试"


def ctx(session: Session, username: str = "admin") -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, username)),
                        extent=EXTENT)


def square(x: float, y: float, size: float = 0.004) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def zones_file(tmp_path: Path, features: list[dict[str, Any]]) -> Path:
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def zone(geometry: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry,
            "properties": {"data_source": MARK, **props}}


# Field names where the survey words have no alias yet (inventory.mapping).
POINTS_HEADER = ("编号,名称,类别,method,factor_l,factor_e,factor_c,factor_s,责任单位,"
                 "control_measures,经度,纬度\n")


def points_file(tmp_path: Path, rows: list[str], name: str = "points.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((POINTS_HEADER + "".join(r + "\n" for r in rows)).encode("gbk"))
    return path


def stored(session: Session, model: Any) -> list[Any]:
    return list(session.scalars(select(model).where(model.data_source == MARK)
                                .order_by(model.id))) if model is HazardZone else \
        list(session.scalars(select(model).where(model.external_id.like("RP-%"))
                             .order_by(model.external_id)))


def test_hazard_zones_load_from_geojson(session: Session, tmp_path: Path) -> None:
    path = zones_file(tmp_path, [
        zone(square(120.08, 30.28), name="文三路内涝风险区", kind="城市内涝风险区",
             hazard_class=4, return_period_years=50),
        zone(square(120.20, 30.25), name="钱塘江洪水淹没区", kind="flood", hazard_class="3",
             return_period_years=100, intensity=1.5, intensity_unit="m"),
    ])
    report = importing.import_source(session, open_source(path), "hazard-zones", ctx(session))
    assert report.stored and not report.rejected and report.created == 2
    zones = stored(session, HazardZone)
    assert [(z.kind, z.hazard_class, z.division_code) for z in zones] == [
        ("waterlogging", 4, "330106"), ("flood", 3, "330102")]


def test_an_invalid_polygon_is_named_by_row_and_nothing_is_stored(session: Session,
                                                                  tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[120.08, 30.28], [120.09, 30.29],
                                                  [120.09, 30.28], [120.08, 30.29],
                                                  [120.08, 30.28]]]}
    path = zones_file(tmp_path, [
        zone(square(120.08, 30.28), kind="flood", hazard_class=3),
        zone(bowtie, kind="flood", hazard_class=3),
        zone(square(120.08, 30.30), kind="seismic", hazard_class=9),
    ])
    report = importing.import_source(session, open_source(path), "hazard-zones", ctx(session))
    assert not report.stored and stored(session, HazardZone) == []
    assert {(p.row, p.field, p.code) for p in report.rejected} == {
        (2, "geometry", "invalid_geometry"), (3, "hazard_class", "too_large")}


def test_risk_points_from_csv_take_their_levels_in_the_bulk_path(session: Session,
                                                                 tmp_path: Path) -> None:
    path = points_file(tmp_path, [
        "RP-1,文三路加油站,危险物品,LEC,3,6,15,,中石化杭州分公司,双人卸油；静电接地,120.081,30.281",
        "RP-2,地铁施工基坑,施工作业,ls,4,,,5,杭州地铁集团,第三方监测,120.201,30.251",
        "RP-3,燃气调压站,燃气管线,lec,1,2,7,,杭州燃气集团,,120.082,30.282",
    ])
    report = importing.import_source(session, open_source(path), "risk-points", ctx(session))
    assert report.stored and not report.rejected, report.rejected
    points = stored(session, RiskPoint)
    assert [(p.external_id, p.score, p.level, p.preset, p.source) for p in points] == [
        ("RP-1", 270, "considerable", "lec_default", "manual"),
        ("RP-2", 20, "major", "ls_r9_considerable", "manual"),
        ("RP-3", 14, "low", "lec_default", "manual")]
    assert points[0].band_name == "高度危险" and points[0].control_measures == "双人卸油；静电接地"
    # A re-delivery with another likelihood: the level follows on the update path too.
    again = points_file(tmp_path, [
        "RP-1,文三路加油站,危险物品,LEC,6,6,15,,中石化杭州分公司,双人卸油；静电接地,120.081,30.281",
    ], "again.csv")
    report = importing.import_source(session, open_source(again), "risk-points", ctx(session))
    assert report.stored and report.updated == 1
    session.expire_all()
    first = stored(session, RiskPoint)[0]
    assert (first.score, first.level, first.version) == (540, "major", 2)


def test_factors_off_their_tables_are_row_problems(session: Session, tmp_path: Path) -> None:
    path = points_file(tmp_path, [
        "RP-1,文三路加油站,危险物品,lec,3,6,10,,中石化,,120.081,30.281",
        "RP-2,基坑,施工作业,lec,3,6,15,4,地铁集团,,120.201,30.251",
        "RP-3,调压站,燃气管线,ls,6,,,2,燃气集团,,120.082,30.282",
        "RP-4,调压站,燃气管线,lec,3,6,15,,燃气集团,,120.083,30.283",
    ])
    report = importing.import_source(session, open_source(path), "risk-points", ctx(session))
    assert not report.stored and stored(session, RiskPoint) == []
    assert {(p.row, p.field, p.code) for p in report.rejected} == {
        (2, "factor_c", "not_in_table"), (3, "factor_s", "only_when"),
        (4, "factor_l", "not_in_table")}


def test_a_bad_factor_past_the_checks_is_still_a_row_problem(
        session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The derivation is the last line: without the collection's checks, no 500 either."""
    unchecked = dataclasses.replace(COLLECTIONS["risk-points"], cross_checks=())
    monkeypatch.setitem(COLLECTIONS, "risk-points", unchecked)
    path = points_file(tmp_path, ["RP-1,文三路加油站,危险物品,lec,3,6,10,,中石化,,120.081,30.281",
                                  "RP-2,调压站,燃气管线,lec,3,6,15,,燃气集团,,120.083,30.283"])
    report = importing.import_source(session, open_source(path), "risk-points", ctx(session))
    assert not report.stored
    assert [(p.row, p.field, p.code) for p in report.rejected] == [(2, "factor_c", "not_in_table")]


def test_a_merged_update_that_leaves_a_stray_factor_is_refused(session: Session,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"  # GeoJSON rows carry only the properties they name

    def deliver(props: dict[str, Any]) -> ImportReport:
        path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": {"type": "Point", "coordinates": [120.081, 30.281]},
            "properties": {"external_id": "RP-9", "category": "construction", **props}}]}),
            encoding="utf-8")
        return importing.import_source(session, open_source(path), "risk-points", ctx(session))

    assert deliver({"method": "ls", "factor_l": 3, "factor_s": 3}).stored
    # The stored LS factor would stay beside the new LEC ones: it is named. (LS's default
    # preset, stored before, follows the method.)
    report = deliver({"method": "lec", "factor_l": 3, "factor_e": 6, "factor_c": 15})
    assert not report.stored
    assert [(p.row, p.field, p.code) for p in report.rejected] == [(1, "factor_s", "only_when")]
    fixed = deliver({"method": "lec", "factor_l": 3, "factor_e": 6, "factor_c": 15,
                     "factor_s": None})
    assert fixed.stored, fixed.rejected
    session.expire_all()
    point = session.scalars(select(RiskPoint).where(RiskPoint.external_id == "RP-9")).one()
    assert (point.preset, point.score, point.level) == ("lec_default", 270, "considerable")
    chosen = deliver({"method": "ls", "factor_l": 3, "factor_s": 3, "factor_e": None,
                      "factor_c": None, "preset": "ls_r9_general"})
    assert chosen.stored
    refused = deliver({"method": "lec", "factor_l": 3, "factor_e": 6, "factor_c": 15,
                       "factor_s": None})
    assert [(p.field, p.code) for p in refused.rejected] == [("preset", "unknown_code")]


@pytest.mark.parametrize("username", ["manager", "engineer"])
def test_the_emergency_manager_imports_risk_data_only(session: Session, tmp_path: Path,
                                                      username: str) -> None:
    path = points_file(tmp_path, ["RP-1,文三路加油站,危险物品,lec,3,6,15,,中石化,,120.081,30.281"])
    report = importing.import_source(session, open_source(path), "risk-points",
                                     ctx(session, username))
    assert report.stored
    pipes = tmp_path / "pipes.csv"
    pipes.write_text("管线类型,WKT\nJS,\"LINESTRING (120.08 30.28, 120.081 30.2805)\"\n",
                     encoding="utf-8")
    if username == "manager":
        with pytest.raises(Forbidden):
            importing.import_source(session, open_source(pipes), "pipelines",
                                    ctx(session, username))
    with pytest.raises(Forbidden):
        importing.import_source(session, open_source(path), "risk-points",
                                ctx(session, "inspector"))
    with pytest.raises(Forbidden):
        importing.import_source(session, open_source(path), "risk-four-colour", ctx(session))


def test_columns_named_by_the_fields_own_labels_match(session: Session, tmp_path: Path) -> None:
    """A table headed as the pages and exports label the fields (评价方法, 可能性 L, 管控措施…)."""
    path = tmp_path / "标签.csv"
    path.write_text("编号,名称,类别,评价方法,可能性 L,暴露频繁程度 E,后果 C,管控措施,下次复评日期,经度,纬度\n"
                    "RP-9,调压站,燃气管线,LEC,3,6,15,每日巡检,2027-06-30,120.083,30.283\n",
                    encoding="utf-8")
    report = importing.import_source(session, open_source(path), "risk-points", ctx(session))
    assert report.stored and not report.rejected, report.rejected
    point = stored(session, RiskPoint)[0]
    assert (point.external_id, point.method, point.score, point.level) == (
        "RP-9", "lec", 270, "considerable")
    assert point.control_measures == "每日巡检" and str(point.next_review_at) == "2027-06-30"
