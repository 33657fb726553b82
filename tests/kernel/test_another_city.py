"""A fresh clone set to another city (宁波, 330200), end to end by the command line alone:
init → its survey delivery (管线点表 + 管线段表 with 小类 codes, Chinese headers, Gauss-Krüger
coordinates of Ningbo's own zone) → an export in Chinese → that export into a second fresh
install, count for count. No demo, no mapping file, no hand edits."""

from __future__ import annotations

import os
from pathlib import Path

import openpyxl
import pytest
from pyproj import Transformer
from sqlalchemy import func, select

from inventory import NetworkPoint, Pipeline
from tests.test_cli import run

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
NINGBO = {"RESILIENCE_CITY_CODE": "330200"}
TO_GK = Transformer.from_crs("EPSG:4490", "EPSG:4550", always_xy=True)  # CGCS2000 3° CM 123°E


def _point(number: str, lon: float, lat: float, feature: str, fitting: str) -> list[object]:
    east, north = TO_GK.transform(lon, lat)
    return [number, round(north, 3), round(east, 3), 3.1, feature, fitting]


# 海曙区, around Tianyi Square: a storm line and a sewer under the same street.
POINTS = [_point("YS1", 121.5500, 29.8700, "直线点", "雨水检查井"),
          _point("YS2", 121.5510, 29.8702, "直线点", "雨水篦"),
          _point("YS3", 121.5520, 29.8705, "直线点", "雨水检查井"),
          _point("WS1", 121.5500, 29.8699, "直线点", "污水检查井"),
          _point("WS2", 121.5512, 29.8701, "直线点", "污水检查井")]
LINES = [["YS1", "YS2", "YS", "砼", 600, 1.5, 1.6, "宁波市排水有限公司"],
         ["YS2", "YS3", "YS", "砼", 600, 1.6, 1.7, "宁波市排水有限公司"],
         ["WS1", "WS2", "污水", "PVC", 400, 2.1, 2.2, "宁波市排水有限公司"]]


def _csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    body = ",".join(header) + "\r\n" + "".join(",".join(map(str, r)) + "\r\n" for r in rows)
    path.write_bytes(body.encode("gb18030"))
    return path


@pytest.fixture
def two_installs(request: pytest.FixtureRequest, tmp_path: Path, engine: object
                 ) -> tuple[str, str]:
    from tests.conftest import fresh_database

    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"  # type: ignore[attr-defined]
    first = fresh_database(request.config, dialect, f"resilience_nb1_{WORKER}", tmp_path / "a")
    second = fresh_database(request.config, dialect, f"resilience_nb2_{WORKER}", tmp_path / "b")
    return first, second


def _count(url: str) -> tuple[int, int, list[tuple[str, str]]]:
    from resilience.db import make_engine, make_sessions

    engine = make_engine(url)
    try:
        with make_sessions(engine)() as s:
            kinds = sorted(s.execute(select(Pipeline.category, Pipeline.subcategory)).tuples())
            return (s.scalar(select(func.count()).select_from(NetworkPoint)) or 0,
                    s.scalar(select(func.count()).select_from(Pipeline)) or 0,
                    [(c, sc or "") for c, sc in kinds])
    finally:
        engine.dispose()


def test_ningbo_from_init_to_a_reimported_chinese_export(two_installs: tuple[str, str],
                                                         tmp_path: Path) -> None:
    first, second = two_installs
    (tmp_path / "a").mkdir(exist_ok=True)
    (tmp_path / "b").mkdir(exist_ok=True)
    assert run(["init"], first, tmp_path / "a", env=NINGBO).returncode == 0
    points = _csv(tmp_path / "管线点表.csv", ["物探点号", "X", "Y", "地面高程", "特征", "附属物"],
                  POINTS)
    lines = _csv(tmp_path / "管线段表.csv", ["起点点号", "终点点号", "管线类型", "材质", "管径",
                                          "起点埋深", "终点埋深", "权属单位"], LINES)
    unsaid = run(["import", str(lines), "--points", str(points), "--into", "pipelines"],
                 first, tmp_path / "a", env=NINGBO)
    assert unsaid.returncode == 65 and "EPSG:4550" in unsaid.stderr  # the hint names its zone
    loaded = run(["import", str(lines), "--points", str(points), "--into", "pipelines",
                  "--crs", "EPSG:4550"], first, tmp_path / "a", env=NINGBO)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert _count(first) == (5, 3, [("drainage", "sewage"), ("drainage", "stormwater"),
                                    ("drainage", "stormwater")])
    out_points, out_lines = tmp_path / "点.xlsx", tmp_path / "段.xlsx"
    for collection, path in (("network-points", out_points), ("pipelines", out_lines)):
        done = run(["export", collection, "-o", str(path)], first, tmp_path / "a", env=NINGBO)
        assert done.returncode == 0, done.stderr
    sheet = openpyxl.load_workbook(out_lines, read_only=True).worksheets[0]
    header = [c for c in next(sheet.iter_rows(values_only=True))]
    assert "管线大类" in header and "管线小类" in header
    values = {v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row}
    assert {"排水", "雨水", "污水"} <= values  # labels, not codes
    assert run(["init"], second, tmp_path / "b", env=NINGBO).returncode == 0
    for path in (out_points, out_lines):
        collection = "network-points" if path == out_points else "pipelines"
        done = run(["import", str(path), "--into", collection], second, tmp_path / "b",
                   env=NINGBO)
        assert done.returncode == 0, done.stdout + done.stderr
    assert _count(second) == _count(first)
