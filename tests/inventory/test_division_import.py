"""Official boundaries replace the offline ones, all or nothing, on both databases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import box, mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import Pipeline, division_import
from resilience import gb2260
from resilience.audit import AuditEntry
from resilience.divisions import Division
from resilience.errors import InvalidInput
from tests import factories as f

TO_GK = Transformer.from_crs(4490, 4549, always_xy=True)


def _county(code: str) -> Any:
    return next(shapely.from_wkt(s.boundary_wkt) for s in gb2260.offline_divisions("330100")
                if s.code == code)


def _streets(code: str, parts: int) -> list[Any]:
    """A county cut into vertical strips: streets that cover it exactly."""
    county = _county(code)
    minx, miny, maxx, maxy = county.bounds
    edges = np.linspace(minx, maxx, parts + 1)
    return [county.intersection(box(a, miny, b, maxy)) for a, b in zip(edges, edges[1:],
                                                                       strict=False)]


def _geojson(path: Path, rows: list[tuple[str, str, Any]], *, gk: bool = True) -> Path:
    """A FeatureCollection with Chinese headers, in EPSG:4549 like a surveyor's delivery."""
    features = []
    for code, name, geom in rows:
        if gk:
            geom = shapely.transform(geom, lambda xy: np.column_stack(TO_GK.transform(
                xy[:, 0], xy[:, 1])))
        features.append({"type": "Feature", "properties": {"行政区划代码": code, "名称": name},
                         "geometry": mapping(geom)})
    body: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if gk:
        body["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return path


def test_streets_are_added_under_their_county_and_records_keep_theirs(
        session: Session, tmp_path: Path) -> None:
    from inventory import service
    from resilience.accounts import SYSTEM

    service.create(session, "pipelines", f.pipeline(),  # a record in 西湖区 before the import
                   service.WriteContext(by=SYSTEM, extent=None))
    streets = [(f"330106{i:03d}", f"测试街道{i}", g) for i, g in
               enumerate(_streets("330106", 3), start=1)]
    path = _geojson(tmp_path / "xihu_streets.geojson", streets)
    before = {p.id: p.division_code for p in session.scalars(select(Pipeline))}
    report = division_import.load(session, path, city_code="330100", by="admin")
    assert sorted(report.added) == ["330106001", "330106002", "330106003"]
    added = session.get(Division, "330106002")
    assert added is not None and (added.level, added.parent_code) == ("township", "330106")
    assert added.boundary_source == "official: xihu_streets.geojson"
    assert {p.id: p.division_code for p in session.scalars(select(Pipeline))} == before
    audits = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.collection == "divisions"))
    assert audits == 3
    again = division_import.load(session, path, city_code="330100", by="admin")
    assert not again.added and not again.updated  # idempotent


def test_a_county_boundary_is_replaced_and_audited(session: Session, tmp_path: Path) -> None:
    finer = shapely.segmentize(_county("330102"), 0.001)  # the same shape, more vertices
    path = _geojson(tmp_path / "shangcheng.geojson", [("330102", "上城区", finer)], gk=False)
    report = division_import.load(session, path, city_code="330100", by="admin")
    assert report.updated == ["330102"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.record_id == 330102)).one()
    assert entry.before["boundary"]["digest"] != entry.after["boundary"]["digest"]
    assert entry.after["boundary_source"].startswith("official:")
    from resilience import division_sync

    kept = division_sync.load_offline(session, "330100")  # a later `init` keeps it
    assert "330102" in kept.kept_official


def test_bad_files_name_rows_and_fields_and_store_nothing(session: Session,
                                                          tmp_path: Path) -> None:
    streets = _streets("330106", 3)
    bowtie = shapely.Polygon([(120.10, 30.25), (120.12, 30.27), (120.12, 30.25),
                              (120.10, 30.27)])
    rows = [
        ("330106001", "一", streets[0]),
        ("330106001", "一又", streets[1]),                   # duplicate code
        ("330199", "不存在区", streets[2]),                   # unknown county
        ("330206001", "宁波的街道", streets[2]),               # another city
        ("330106004", "", shapely.Polygon()),               # no name, empty geometry
        ("330106005", "八字", bowtie),                       # invalid
        ("33010600x", "坏代码", streets[2]),                  # not a code
    ]
    path = _geojson(tmp_path / "bad.geojson", rows, gk=False)
    with pytest.raises(InvalidInput) as caught:
        division_import.load(session, path, city_code="330100", by="admin")
    found = {(p.row, p.field, p.code) for p in caught.value.problems}
    assert {(2, "code", "duplicate_in_file"), (3, "code", "unknown_division"),
            (4, "code", "division_outside_city"), (5, "name", "required"),
            (6, "geometry", "invalid_geometry"), (7, "code", "invalid_division_code")} <= found
    assert any(r == 5 and fld == "geometry" for r, fld, _ in found)
    assert session.scalar(select(func.count()).select_from(Division).where(
        Division.level == "township")) == 0


def test_holes_overlaps_and_a_county_outside_its_city_are_refused(session: Session,
                                                                  tmp_path: Path) -> None:
    streets = _streets("330106", 3)
    hole = _geojson(tmp_path / "hole.geojson", [("330106001", "一", streets[0]),
                                               ("330106002", "二", streets[1])], gk=False)
    with pytest.raises(InvalidInput) as caught:
        division_import.load(session, hole, city_code="330100", by="admin")
    assert [p.code for p in caught.value.problems] == ["leaves_hole"]
    wide = streets[0].buffer(0.01).intersection(_county("330106"))
    overlap = _geojson(tmp_path / "overlap.geojson", [("330106001", "一", wide),
                                                     ("330106002", "二", streets[1]),
                                                     ("330106003", "三", streets[2])], gk=False)
    with pytest.raises(InvalidInput) as caught:
        division_import.load(session, overlap, city_code="330100", by="admin")
    assert {p.code for p in caught.value.problems} == {"overlaps"}
    moved = shapely.affinity.translate(_county("330127"), xoff=0.6)
    away = _geojson(tmp_path / "away.geojson", [("330127", "淳安县", moved)], gk=False)
    with pytest.raises(InvalidInput) as caught:
        division_import.load(session, away, city_code="330100", by="admin")
    assert "outside_parent" in {p.code for p in caught.value.problems}


def test_columns_are_found_or_named(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "odd.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"QH": "330102", "MC": "上城区"},
        "geometry": mapping(_county("330102"))}]}), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        division_import.plan(session, path, city_code="330100")
    assert caught.value.problems[0].field == "code_column"
    checked = division_import.plan(session, path, city_code="330100", code_column="QH",
                                   name_column="MC")
    assert not checked.problems and checked.rows[0].code == "330102"
