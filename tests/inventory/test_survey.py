"""Survey pairs (管线点表 + 管线段表) as survey companies deliver them, on both databases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import pytest
from pyproj import Transformer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import NetworkPoint, Pipeline, survey
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts

EXTENT = (118.3, 29.1, 120.8, 30.6)
TO_GK = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
POINT_HEADER = ["物探点号", "X", "Y", "地面高程", "特征", "附属物", "管线类型"]
LINE_HEADER = ["起点点号", "终点点号", "管线类型", "材质", "管径", "起点埋深", "终点埋深", "权属单位"]


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")), extent=EXTENT)


def survey_point(number: str, lon: float, lat: float, feature: str = "直线点",
                 fitting: str = "") -> list[object]:
    """A point row as the survey tools write it: X is northing, Y easting (metres, 4549)."""
    east, north = TO_GK.transform(lon, lat)
    return [number, round(north, 3), round(east, 3), 8.52, feature, fitting, "给水"]


POINTS = [survey_point("JS1", 120.080, 30.280, "三通", "阀门井"),
          survey_point("JS2", 120.081, 30.2804), survey_point("JS3", 120.082, 30.2809),
          survey_point("JS4", 120.083, 30.2812, "预留口")]
LINES = [["JS1", "JS2", "给水", "球墨铸铁", 300, 1.2, 1.3, "杭州水务"],
         ["JS2", "JS3", "给水", "球墨铸铁", 300, 1.3, 1.35, "杭州水务"],
         ["JS3", "JS4", "给水", "PE", 160, 1.35, 1.1, "杭州水务"]]


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    text = ",".join(header) + "\r\n" + "".join(",".join(str(v) for v in r) + "\r\n" for r in rows)
    path.write_bytes(text.encode("gbk"))
    return path


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(NetworkPoint)),
            session.scalar(select(func.count()).select_from(Pipeline)))


def test_a_gbk_csv_pair_in_a_gauss_kruger_zone_builds_points_and_segments(
        session: Session, tmp_path: Path) -> None:
    before = counts(session)
    points = write_csv(tmp_path / "管线点表.csv", POINT_HEADER, POINTS)
    lines = write_csv(tmp_path / "管线段表.csv", LINE_HEADER, LINES)
    report = survey.import_pair(session, open_source(lines), open_source(points, plain=True),
                                ctx(session), crs="EPSG:4549")
    assert (report.rows, report.created, report.rejected, report.stored) == (3, 3, [], True)
    assert counts(session) == (before[0] + 4, before[1] + 3)
    first = session.scalar(select(NetworkPoint).where(NetworkPoint.external_id == "JS1"))
    assert (first.kind, first.category, first.ground_elevation_m) == ("valve", "water_supply", 8.52)
    last = session.scalar(select(NetworkPoint).where(NetworkPoint.external_id == "JS4"))
    assert last.kind == "end_cap"
    segment = session.scalar(select(Pipeline).where(Pipeline.start_point_id == first.id))
    assert (segment.material, segment.diameter_mm, segment.start_depth_m, segment.owner) == (
        "ductile_iron", 300, 1.2, "杭州水务")
    second = session.get(NetworkPoint, segment.end_point_id)
    assert second.external_id == "JS2"
    coords = session.execute(select(func.ST_X(func.ST_StartPoint(Pipeline.geom)),
                                    func.ST_Y(func.ST_StartPoint(Pipeline.geom)))
                             .where(Pipeline.id == segment.id)).one()
    assert np.allclose(coords, (120.080, 30.280), atol=1e-7)  # (Y, X) read as (east, north)


def test_every_survey_qa_rule_rejects_its_row_and_nothing_is_stored(
        session: Session, tmp_path: Path) -> None:
    before = counts(session)
    points = write_csv(tmp_path / "p.csv", POINT_HEADER, [*POINTS, POINTS[1]])
    bad = [["JS1", "JS2", "给水", "球墨铸铁", 300, 1.2, 1.3, ""],
           ["JS2", "JS2", "给水", "球墨铸铁", 300, 1.3, 1.3, ""],     # start = end
           ["JS1", "JS2", "给水", "球墨铸铁", 300, 1.2, 1.3, ""],     # duplicate
           ["JS2", "JS1", "给水", "球墨铸铁", 300, 1.3, 1.2, ""],     # reversed
           ["JS3", "JS9", "给水", "球墨铸铁", 300, 1.3, 1.3, ""],     # JS9 nowhere
           ["JS3", "JS4", "给水", "球墨铸铁", 300, 60, 1.3, ""],      # depth out of range
           ["JS2", "JS3", "给水", "球墨铸铁", 300, 2.6, 1.3, ""]]     # JS2 at 1.3 and 2.6
    lines = write_csv(tmp_path / "l.csv", LINE_HEADER, bad)
    report = survey.import_pair(session, open_source(lines), open_source(points, plain=True),
                                ctx(session), crs="EPSG:4549")
    assert not report.stored and counts(session) == before
    found = {(p.params.get("table", "lines"), p.row, p.field, p.code) for p in report.rejected}
    assert {("points", 6, "point_no", "duplicate_in_file"),
            ("lines", 3, "end_point_no", "same_start_end"),
            ("lines", 4, "end_point_no", "duplicate_segment"),
            ("lines", 5, "end_point_no", "reversed_segment"),
            ("lines", 6, "end_point_no", "point_not_found"),
            ("lines", 7, "start_depth_m", "too_large"),
            ("lines", 8, "start_depth_m", "depth_inconsistent")} <= found
    skipped = survey.import_pair(session, open_source(lines), open_source(points, plain=True),
                                 ctx(session), crs="EPSG:4549", skip_invalid=True)
    assert skipped.stored and counts(session)[1] == before[1] + skipped.created


def test_a_workbook_with_a_point_sheet_and_a_line_sheet_is_found_by_its_columns(
        session: Session, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "管线段表"
    book.active.append(LINE_HEADER)
    for row in LINES:
        book.active.append(row)
    sheet = book.create_sheet("管线点表")
    sheet.append(POINT_HEADER)
    for row in POINTS:
        sheet.append(row)
    path = tmp_path / "普查成果.xlsx"
    book.save(path)
    pair = survey.find_pair(path)
    assert pair is not None
    before = counts(session)
    report = survey.import_pair(session, pair[0], pair[1], ctx(session), crs="EPSG:4549")
    assert report.stored and counts(session) == (before[0] + 4, before[1] + 3)


def test_a_geopackage_pair_uses_the_point_layer_geometry_and_its_srs(
        session: Session, tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    east = np.array([p[2] for p in POINTS], dtype=float)
    north = np.array([p[1] for p in POINTS], dtype=float)
    import shapely

    pyogrio.raw.write(path, geometry=shapely.to_wkb(shapely.points(east, north)),
                      field_data=[np.array([p[0] for p in POINTS], dtype=object),
                                  np.array([p[4] for p in POINTS], dtype=object)],
                      fields=["物探点号", "特征"], geometry_type="Point", crs="EPSG:4549",
                      driver="GPKG", layer="points")
    pyogrio.raw.write(path, geometry=None, geometry_type=None, driver="GPKG", layer="lines",
                      field_data=[np.array([r[i] for r in LINES], dtype=object) for i in (0, 1, 3)]
                      + [np.array([float(r[4]) for r in LINES])],
                      fields=["起点点号", "终点点号", "材质", "管径"], append=True)
    pair = survey.find_pair(path)
    assert pair is not None
    before = counts(session)
    report = survey.import_pair(session, pair[0], pair[1], ctx(session))
    assert report.rejected == [] and report.stored
    assert counts(session) == (before[0] + 4, before[1] + 3)


def test_a_line_table_may_name_points_stored_by_an_earlier_delivery(
        session: Session, tmp_path: Path) -> None:
    first = survey.import_pair(
        session, open_source(write_csv(tmp_path / "l1.csv", LINE_HEADER, LINES[:1])),
        open_source(write_csv(tmp_path / "p1.csv", POINT_HEADER, POINTS[:2]), plain=True),
        ctx(session), crs="EPSG:4549")
    assert first.stored
    later = survey.import_pair(
        session, open_source(write_csv(tmp_path / "l2.csv", LINE_HEADER, LINES[1:])),
        open_source(write_csv(tmp_path / "p2.csv", POINT_HEADER, POINTS[2:]), plain=True),
        ctx(session), crs="EPSG:4549")
    assert later.rejected == [] and later.stored and later.created == 2
    js2 = session.scalar(select(NetworkPoint.id).where(NetworkPoint.external_id == "JS2"))
    assert session.scalar(select(func.count()).select_from(Pipeline).where(
        (Pipeline.start_point_id == js2) | (Pipeline.end_point_id == js2))) == 2


@pytest.mark.parametrize("header", [["点号", "X坐标", "Y坐标"], ["物探点号", "x", "y"]])
def test_point_tables_are_recognised_by_their_columns(header: list[str]) -> None:
    assert survey.is_point_table(header)
    assert not survey.is_line_table(header)
    assert survey.is_line_table(["起点点号", "终点点号", "管径"])


def test_undoing_a_survey_import_retires_its_points_and_segments(
        session: Session, tmp_path: Path) -> None:
    from inventory import importing

    def live() -> tuple[int, int]:
        return (session.scalar(select(func.count()).select_from(NetworkPoint)
                               .where(NetworkPoint.retired_at.is_(None))),
                session.scalar(select(func.count()).select_from(Pipeline)
                               .where(Pipeline.retired_at.is_(None))))

    before = live()
    report = survey.import_pair(
        session, open_source(write_csv(tmp_path / "l.csv", LINE_HEADER, LINES)),
        open_source(write_csv(tmp_path / "p.csv", POINT_HEADER, POINTS), plain=True),
        ctx(session), crs="EPSG:4549")
    assert live() == (before[0] + 4, before[1] + 3)
    done = importing.undo(session, report.import_id, ctx(session))
    assert done == {"retired": 7, "restored": 0} and live() == before
