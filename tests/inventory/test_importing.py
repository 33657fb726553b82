"""Imports on both databases: all or nothing, every rejected row named, upsert, undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import Point
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import Pipeline, importing
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts, audit, geo
from resilience.errors import Forbidden

EXTENT = (118.3, 29.1, 120.8, 30.6)
HEADER = "管线编号,管线类型,管线小类,材质,管径(mm),起点埋深,建设年代,WKT\n"


def ctx(session: Session, username: str = "admin") -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, username)),
                        extent=EXTENT)


def line(x: float, y: float = 30.28) -> str:
    return f'"LINESTRING ({x} {y}, {x + 0.001} {y + 0.0005})"'


def write(tmp_path: Path, rows: list[str], name: str = "pipes.csv",
          encoding: str = "gbk") -> Path:
    path = tmp_path / name
    path.write_bytes((HEADER + "".join(r + "\n" for r in rows)).encode(encoding))
    return path


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Pipeline)
                          .where(Pipeline.retired_at.is_(None)))


def test_a_clean_file_loads_with_chinese_headers_and_codes(session: Session,
                                                          tmp_path: Path) -> None:
    before = count(session)
    path = write(tmp_path, [f"IMP-1,给水,配水,球墨铸铁,300,1.2,2005,{line(120.08)}",
                            f"IMP-2,RQ,TR,PE,160,1.0,2016,{line(120.082)}"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert (report.rows, report.created, report.stored, report.rejected) == (2, 2, True, [])
    assert count(session) == before + 2
    pipe = session.scalar(select(Pipeline).where(Pipeline.external_id == "IMP-2"))
    assert (pipe.category, pipe.subcategory, pipe.material, pipe.division_code) == (
        "gas", "natural_gas", "pe", "330106")


def test_one_bad_row_stores_nothing_and_every_problem_is_listed(session: Session,
                                                               tmp_path: Path) -> None:
    before = count(session)
    path = write(tmp_path, [f"B-1,给水,配水,球墨铸铁,300,1.2,2005,{line(120.08)}",
                            f"B-2,暖气,,金,-5,80,2005,{line(120.082)}",
                            f"B-1,给水,配水,PE,100,1.0,2010,{line(120.084)}",
                            "B-4,给水,配水,PE,100,1.0,2010,"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert not report.stored and count(session) == before
    found = sorted((p.row, p.field, p.code) for p in report.rejected)
    assert found == [
        (3, "category", "unknown_code"), (3, "diameter_mm", "must_be_positive"),
        (3, "material", "unknown_code"), (3, "start_depth_m", "too_large"),
        (4, "external_id", "duplicate_in_file"), (5, "geometry", "required"),
    ]
    skipped = importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                      skip_invalid=True)
    assert skipped.stored and count(session) == before + 1


def test_dry_run_reports_and_stores_nothing(session: Session, tmp_path: Path) -> None:
    before = count(session)
    path = write(tmp_path, [f"D-1,给水,配水,球墨铸铁,300,1.2,2005,{line(120.08)}"])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                     dry_run=True)
    assert report.created == 1 and not report.stored and count(session) == before


def test_gauss_kruger_file_is_transformed(session: Session, tmp_path: Path) -> None:
    a = geo.from_storage(Point(120.08, 30.28), geo.parse_crs("EPSG:4549"))
    b = geo.from_storage(Point(120.081, 30.2805), geo.parse_crs("EPSG:4549"))
    path = tmp_path / "gk.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"管线类型": "PS", "管径": 600, "编号": "GK-1"},
        "geometry": {"type": "LineString", "coordinates": [[a.x, a.y], [b.x, b.y]]}}]}))
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                     crs="EPSG:4549")
    assert report.stored, report.rejected
    pipe = session.scalar(select(Pipeline).where(Pipeline.external_id == "GK-1"))
    assert pipe.division_code == "330106" and 100 < pipe.length_m < 130
    wrong = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert [p.params.get("hint") for p in wrong.rejected] == ["projected"]


def test_external_ids_update_and_undo_restores(session: Session, tmp_path: Path) -> None:
    first = write(tmp_path, [f"U-1,给水,配水,球墨铸铁,300,1.2,2005,{line(120.08)}"], "a.csv")
    importing.import_source(session, open_source(first), "pipelines", ctx(session))
    second = write(tmp_path, [f"U-1,给水,配水,PE,400,1.2,2005,{line(120.08)}",
                              f"U-2,给水,配水,PE,200,1.2,2015,{line(120.085)}"], "b.csv")
    report = importing.import_source(session, open_source(second), "pipelines", ctx(session))
    assert (report.created, report.updated) == (1, 1)
    u1 = session.scalar(select(Pipeline).where(Pipeline.external_id == "U-1"))
    assert (u1.material, u1.diameter_mm) == ("pe", 400)
    done = importing.undo(session, report.import_id, ctx(session))
    assert done == {"retired": 1, "restored": 1}
    session.refresh(u1)
    assert (u1.material, u1.diameter_mm) == ("ductile_iron", 300)
    u2 = session.scalar(select(Pipeline).where(Pipeline.external_id == "U-2"))
    assert u2.retired_at is not None


def test_a_redelivery_changes_only_what_changed(session: Session, tmp_path: Path) -> None:
    rows = [f"RD-{i},给水,配水,球墨铸铁,300,1.2,2005,{line(120.08 + i * 0.002)}" for i in range(3)]
    importing.import_source(session, open_source(write(tmp_path, rows, "a.csv")), "pipelines",
                            ctx(session))
    rows[1] = rows[1].replace(",300,", ",500,")
    again = importing.import_source(session, open_source(write(tmp_path, rows, "b.csv")),
                                    "pipelines", ctx(session))
    assert (again.created, again.updated, again.unchanged) == (0, 3, 2)
    pipes = session.scalars(select(Pipeline).where(Pipeline.external_id.like("RD-%"))
                            .order_by(Pipeline.external_id)).all()
    assert [(p.diameter_mm, p.version, p.remarks) for p in pipes] == [
        (300, 1, None), (500, 2, None), (300, 1, None)]
    entries = audit.entries_of_job(session, again.import_id)
    assert [(e.action, e.after["diameter_mm"], e.before["diameter_mm"]) for e in entries] == [
        ("update", 500, 300)]


def test_rows_outside_the_users_divisions_are_rejected(session: Session,
                                                      tmp_path: Path) -> None:
    path = write(tmp_path, [f"E-1,给水,配水,PE,100,1.0,2010,{line(120.08)}",
                            f"E-2,给水,配水,PE,100,1.0,2010,{line(120.20, 30.25)}"])
    report = importing.import_source(session, open_source(path), "pipelines",
                                     ctx(session, "engineer"))
    assert [(p.row, p.code) for p in report.rejected] == [(3, "division_not_granted")]
    with pytest.raises(Forbidden):
        importing.import_source(session, open_source(path), "pipelines", ctx(session, "viewer"))
