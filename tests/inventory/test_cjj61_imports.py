"""Deliveries that write CJJ 61 小类 codes, names and numbers, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import NetworkPoint, Pipeline, importing, survey
from inventory.formats import open_source
from inventory.mapping import load_mapping_file
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import InvalidInput
from tests.inventory.test_survey import TO_GK

EXTENT = (118.3, 29.1, 120.8, 30.6)


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")), extent=EXTENT)


def line(x: float, y: float = 30.28) -> str:
    return f'"LINESTRING ({x} {y}, {x + 0.001} {y + 0.0005})"'


def write(path: Path, header: str, rows: list[str]) -> Path:
    path.write_bytes((header + "\r\n" + "".join(r + "\r\n" for r in rows)).encode("gbk"))
    return path


def stored(session: Session, prefix: str) -> dict[str, tuple[str, str | None]]:
    rows = session.execute(select(Pipeline.external_id, Pipeline.category, Pipeline.subcategory)
                           .where(Pipeline.external_id.like(prefix + "%"))).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Pipeline))


def test_a_drainage_delivery_with_subcategory_codes_as_pipeline_type_imports(
        session: Session, tmp_path: Path) -> None:
    path = write(tmp_path / "排水管线.csv", "管线编号,管线类型,材质,管径(mm),起点埋深,终点埋深,权属单位,WKT", [
        f"PS-1,YS,钢筋混凝土,800,2.1,2.3,杭州排水,{line(120.080)}",
        f"PS-2,WS,PVC,400,1.8,1.9,杭州排水,{line(120.082)}",
        f"PS-3,HS,砼,1000,2.5,2.6,杭州排水,{line(120.084)}",
        f"PS-4,ys,砼,600,2.0,2.0,杭州排水,{line(120.086)}",
        f"PS-5,合流,砼,600,2.0,2.0,杭州排水,{line(120.088)}"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert (report.rows, report.created, report.rejected, report.stored) == (5, 5, [], True)
    assert stored(session, "PS-") == {
        "PS-1": ("drainage", "stormwater"), "PS-2": ("drainage", "sewage"),
        "PS-3": ("drainage", "combined"), "PS-4": ("drainage", "stormwater"),
        "PS-5": ("drainage", "combined")}


def test_subcategories_by_chinese_name_and_numeric_code_and_alone(session: Session,
                                                                   tmp_path: Path) -> None:
    path = write(tmp_path / "types.csv", "管线编号,管线类型,管线小类,WKT", [
        f"T-1,排水,雨水,{line(120.080)}",
        f"T-2,排水,202,{line(120.082)}",
        f"T-3,2,2-03,{line(120.084)}",
        f"T-4,燃气,03,{line(120.086)}",
        f"T-5,,GD,{line(120.088)}",
        f"T-6,热力管,蒸汽,{line(120.090)}",
        f"T-7,402,,{line(120.092)}"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert (report.created, report.rejected) == (7, [])
    assert stored(session, "T-") == {
        "T-1": ("drainage", "stormwater"), "T-2": ("drainage", "sewage"),
        "T-3": ("drainage", "combined"), "T-4": ("gas", "natural_gas"),
        "T-5": ("power", "power_supply"), "T-6": ("heat", "steam"), "T-7": ("heat", "steam")}
    # A file whose only type column is the 小类 is not refused for lacking 管线类型.
    only = write(tmp_path / "only.csv", "管线编号,小类,WKT", [f"O-1,LD,{line(120.094)}"])
    report = importing.import_source(session, open_source(only), "pipelines", ctx(session))
    assert (report.created, report.rejected) == (1, [])
    assert stored(session, "O-") == {"O-1": ("power", "street_lighting")}


def test_a_redelivery_with_subcategory_codes_updates_both_levels(session: Session,
                                                                 tmp_path: Path) -> None:
    header = "管线编号,管线类型,WKT"
    importing.import_source(session, open_source(write(tmp_path / "a.csv", header, [
        f"R-1,排水,{line(120.080)}"])), "pipelines", ctx(session))
    assert stored(session, "R-") == {"R-1": ("drainage", None)}
    again = importing.import_source(session, open_source(write(tmp_path / "b.csv", header, [
        f"R-1,WS,{line(120.080)}"])), "pipelines", ctx(session))
    assert (again.updated, again.rejected) == (1, [])
    assert stored(session, "R-") == {"R-1": ("drainage", "sewage")}


def test_a_subcategory_of_another_category_is_a_row_error_and_nothing_is_stored(
        session: Session, tmp_path: Path) -> None:
    before = count(session)
    path = write(tmp_path / "bad.csv", "管线编号,管线类型,管线小类,WKT", [
        f"M-1,给水,配水,{line(120.080)}",
        f"M-2,给水,WS,{line(120.082)}",
        f"M-3,YS,污水,{line(120.084)}"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert not report.stored and count(session) == before
    assert sorted((p.row, p.field, p.code, p.params["value"], p.params["category"])
                  for p in report.rejected) == [
        (3, "subcategory", "subcategory_mismatch", "WS", "给水"),
        (4, "subcategory", "subcategory_conflict", "污水", "YS")]


def test_a_mapping_file_with_a_subcategory_under_the_wrong_category_writes_nothing(
        session: Session, tmp_path: Path) -> None:
    before = count(session)
    path = write(tmp_path / "m.csv", "管线编号,管线类型,管线小类,WKT", [f"W-1,R,1,{line(120.080)}"])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"values": {"category": {"R": "排水"},
                                              "subcategory": {"1": "YS", "雨水": "GD"}}},
                                  ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as error:
        importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                mapping=load_mapping_file(mapping))
    assert [(p.field, p.code, p.params["value"], p.params["code"]) for p in error.value.problems] == [
        ("mapping.values.subcategory", "mapping_wrong_category", "雨水", "GD")]
    assert count(session) == before
    # Corrected, the same file loads, its own words mapped to CJJ 61 codes.
    mapping.write_text(json.dumps({"values": {"category": {"R": "排水"}, "subcategory": {"1": "YS"}}}),
                       encoding="utf-8")
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                     mapping=load_mapping_file(mapping))
    assert (report.created, report.rejected) == (1, [])
    assert stored(session, "W-") == {"W-1": ("drainage", "stormwater")}


def _point(number: str, lon: float, lat: float) -> str:
    east, north = TO_GK.transform(lon, lat)
    return f"{number},{north:.3f},{east:.3f},检查井"


def test_survey_point_numbers_with_subcategory_prefixes_give_the_type(
        session: Session, tmp_path: Path) -> None:
    points = write(tmp_path / "管线点表.csv", "物探点号,X,Y,附属物", [
        _point("YS9001", 120.080, 30.280), _point("YS9002", 120.081, 30.2804),
        _point("WS9003", 120.082, 30.2809), _point("WS9004", 120.083, 30.2812),
        _point("TR9005", 120.084, 30.2815), _point("TR9006", 120.085, 30.2818)])
    lines = write(tmp_path / "管线段表.csv", "起点点号,终点点号,管径,起点埋深,终点埋深", [
        "YS9001,YS9002,600,2.0,2.1", "WS9003,WS9004,400,1.8,1.9", "TR9005,TR9006,160,1.0,1.1"])
    report = survey.import_pair(session, open_source(lines), open_source(points, plain=True),
                                ctx(session), crs="EPSG:4549")
    assert (report.created, report.rejected, report.stored) == (3, [], True)
    found = dict(session.execute(select(NetworkPoint.external_id, NetworkPoint.category)
                                 .where(NetworkPoint.external_id.like("__900_"))).tuples().all())
    assert found == {"YS9001": "drainage", "YS9002": "drainage", "WS9003": "drainage",
                     "WS9004": "drainage", "TR9005": "gas", "TR9006": "gas"}
    segments = session.execute(select(NetworkPoint.external_id, Pipeline.category, Pipeline.subcategory)
                               .join(Pipeline, Pipeline.start_point_id == NetworkPoint.id)
                               .where(NetworkPoint.external_id.like("__900_"))).all()
    assert sorted(tuple(s) for s in segments) == [("TR9005", "gas", "natural_gas"),
                                                  ("WS9003", "drainage", "sewage"),
                                                  ("YS9001", "drainage", "stormwater")]
