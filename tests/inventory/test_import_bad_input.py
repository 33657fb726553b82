"""Bad deliveries on both databases: each gets a clear report, and the database stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyproj import Transformer
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from inventory import Pipeline, importing
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import InvalidInput
from resilience.messages import describe

EXTENT = (118.3, 29.1, 120.8, 30.6)


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")), extent=EXTENT)


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Pipeline))


def feature(coords: list[list[float]], ext: str, kind: str = "LineString") -> dict[str, object]:
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": coords},
            "properties": {"external_id": ext, "category": "water_supply", "material": "pe"}}


def geojson(path: Path, features: list[dict[str, object]], crs: str | None = None) -> Path:
    body: dict[str, object] = {"type": "FeatureCollection", "features": features}
    if crs:
        body["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def lines(n: int, start: int = 0) -> list[dict[str, object]]:
    return [feature([[120.08 + i * 1e-4, 30.28], [120.08 + i * 1e-4, 30.2805]], f"L-{i}")
            for i in range(start, start + n)]


def test_a_database_failure_midway_leaves_the_database_as_it_was(
        session: Session, tmp_path: Path, dialect: str) -> None:
    """A real database error after the first batch was written: nothing of the import stays."""
    if dialect == "spatialite":
        session.execute(text("CREATE TEMP TRIGGER boom BEFORE INSERT ON pipelines "
                             "WHEN NEW.external_id = 'L-2500' BEGIN SELECT RAISE(ABORT, 'boom'); END"))
    else:
        session.execute(text("CREATE FUNCTION pg_temp.boom() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN IF NEW.external_id = 'L-2500' THEN RAISE EXCEPTION 'boom'; "
                             "END IF; RETURN NEW; END $$"))
        session.execute(text("CREATE TRIGGER boom BEFORE INSERT ON pipelines FOR EACH ROW "
                             "EXECUTE FUNCTION pg_temp.boom()"))
    before = count(session)
    path = geojson(tmp_path / "big.geojson", lines(3000))
    with pytest.raises(SQLAlchemyError, match="boom"):
        importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert count(session) == before  # the first 2,000 rows went with the savepoint
    session.execute(text("DROP TRIGGER boom" + ("" if dialect == "spatialite" else " ON pipelines")))
    again = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert again.stored and count(session) == before + 3000


def test_a_line_with_too_many_vertices_is_a_rejected_row(session: Session, tmp_path: Path) -> None:
    n = 150_000
    huge = feature([[120.08 + i * 1e-7, 30.28 + (i % 2) * 1e-7] for i in range(n)], "HUGE")
    path = geojson(tmp_path / "huge.geojson", [*lines(2), huge])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert [(p.row, p.code) for p in report.rejected] == [(3, "too_many_vertices")]
    assert not report.stored


def test_mixed_geometry_types_name_the_rows_that_do_not_fit(session: Session, tmp_path: Path) -> None:
    path = geojson(tmp_path / "mixed.geojson",
                   [*lines(1), feature([120.08, 30.28], "P", "Point"),
                    feature([[[120.08, 30.28], [120.09, 30.28], [120.09, 30.29], [120.08, 30.28]]],
                            "A", "Polygon")])
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert [(p.row, p.code) for p in report.rejected] == [(2, "wrong_geometry_type"),
                                                           (3, "wrong_geometry_type")]


def test_coordinates_outside_the_city_come_with_a_hint(session: Session, tmp_path: Path) -> None:
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
    x0, y0 = to_gk.transform(120.08, 30.28)
    x1, y1 = to_gk.transform(120.081, 30.2805)
    rows = [feature([[30.28, 120.08], [30.2805, 120.081]], "SWAPPED"),
            feature([[x0, y0], [x1, y1]], "METRES")]
    report = importing.import_source(session, open_source(geojson(tmp_path / "a.geojson", rows)),
                                     "pipelines", ctx(session))
    hints = {p.row: p.params.get("hint") for p in report.rejected}
    assert hints == {1: "swapped", 2: "projected"}
    assert "swapped" in describe(report.rejected[0], "en")
    assert "--crs" in describe(report.rejected[1], "en")
    declared = geojson(tmp_path / "b.geojson", lines(1), crs="urn:ogc:def:crs:EPSG::4549")
    report = importing.import_source(session, open_source(declared), "pipelines", ctx(session))
    assert report.rejected[0].params["hint"] == "geographic"
    assert "经纬度" in describe(report.rejected[0], "zh")
    prefixed = [feature([[40_000_000 + x0, y0], [40_000_000 + x1, y1]], "ZONE")]
    report = importing.import_source(session, open_source(geojson(tmp_path / "c.geojson", prefixed)),
                                     "pipelines", ctx(session), crs="EPSG:4549")
    assert report.rejected[0].params["hint"] == "other_zone"
    assert "zone" in describe(report.rejected[0], "en")
    right = importing.import_source(session, open_source(geojson(tmp_path / "c.geojson", prefixed)),
                                    "pipelines", ctx(session), crs="EPSG:4528")  # zone 40, prefixed
    assert right.rejected == [] and right.stored


def test_missing_required_columns_are_one_problem_each(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "no-category.csv"
    path.write_text("管线编号,材质,WKT\nN-1,PE,\"LINESTRING (120.08 30.28, 120.081 30.2805)\"\n",
                    encoding="utf-8")
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session))
    assert [(p.field, p.code, p.params["value"]) for p in report.rejected] == [
        ("file", "missing_column", "category")]
    assert "管线" in describe(report.rejected[0], "zh") and not report.stored


def test_a_wrong_declared_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("管线编号,管线类型\nA,给水\n".encode("gbk"))
    with pytest.raises(InvalidInput) as caught:
        list(open_source(path, encoding="utf-8").records())
    assert caught.value.problems[0].code == "wrong_encoding"


@pytest.mark.parametrize("name", ["photo.csv", "photo.geojson", "photo.xlsx", "photo.gpkg",
                                  "photo.zip"])
def test_a_file_that_is_not_what_its_extension_says(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    with pytest.raises(InvalidInput) as caught:
        source = open_source(path)
        list(source.records())
    assert caught.value.problems[0].field in ("file", "sheet", "layer")
