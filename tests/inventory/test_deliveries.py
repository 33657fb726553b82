"""Deliveries as they really arrive, made the way survey tools make them, loaded on both databases."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pyogrio
import shapely
from pyproj import Transformer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import Pipeline, Shelter, importing
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts, geo

EXTENT = (118.3, 29.1, 120.8, 30.6)


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")), extent=EXTENT)


def stored_start(session: Session, external_id: str) -> tuple[float, float]:
    return session.execute(select(func.ST_X(func.ST_StartPoint(Pipeline.geom)),
                                  func.ST_Y(func.ST_StartPoint(Pipeline.geom)))
                           .where(Pipeline.external_id == external_id)).one()


def test_a_gbk_shapefile_in_a_gauss_kruger_zone_without_cpg(session: Session, tmp_path: Path) -> None:
    """ArcGIS-style: GBK attribute table, .prj of CGCS2000 / 3-degree GK CM 120E, no .cpg."""
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4549", always_xy=True)
    starts = [(120.080 + i * 0.003, 30.280) for i in range(3)]
    lines = [shapely.LineString([to_gk.transform(x, y), to_gk.transform(x + 0.001, y + 0.0005)])
             for x, y in starts]
    folder = tmp_path / "shp"
    folder.mkdir()
    shp = folder / "给水管线.shp"
    pyogrio.raw.write(shp, geometry=shapely.to_wkb(np.array(lines, dtype=object)),
                      field_data=[np.array(["GBK-1", "GBK-2", "GBK-3"], dtype=object),
                                  np.array(["给水", "给水", "排水"], dtype=object),
                                  np.array(["球墨铸铁", "钢", "钢筋混凝土"], dtype=object),
                                  np.array([300.0, 200.0, 800.0]),
                                  np.array(["西湖区文三路", "西湖区学院路", "西湖区教工路"], dtype=object)],
                      fields=["GXBH", "管线类型", "材质", "管径", "所在道路"], geometry_type="LineString",
                      crs="EPSG:4549", driver="ESRI Shapefile", encoding="GBK")
    for cpg in folder.glob("*.cpg"):
        cpg.unlink()
    archive = tmp_path / "普查成果.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for member in folder.iterdir():
            z.write(member, member.name)
    mapping = {"columns": {"GXBH": "external_id"}}
    report = importing.import_source(session, open_source(archive), "pipelines", ctx(session),
                                     mapping=mapping)
    assert report.rejected == [] and report.created == 3, report.rejected
    pipe = session.scalar(select(Pipeline).where(Pipeline.external_id == "GBK-3"))
    assert (pipe.category, pipe.material, pipe.diameter_mm, pipe.address) == (
        "drainage", "concrete", 800, "西湖区教工路")
    assert np.allclose(stored_start(session, "GBK-1"), starts[0], atol=1e-7)


def test_an_excel_sheet_with_chinese_headers_and_longitude_latitude(
        session: Session, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "避难场所"
    sheet.append(["应急避难场所名称", "编号", "场所类型", "避难场所类别", "有效避难面积(㎡)", "经度", "纬度",
                  "配套设施", "联系电话"])
    sheet.append(["西溪湿地公园避难场所", "BN-001", "应急避难场所", "中期固定避难场所", 52000, 120.078,
                  30.272, "供水、供电、厕所", "0571-88888888"])
    sheet.append(["文三路小学", "BN-002", "应急避难场所", "紧急避难场所", 3000, 120.129, 30.281, "供水",
                  None])
    path = tmp_path / "避难场所.xlsx"
    book.save(path)
    report = importing.import_source(session, open_source(path), "shelters", ctx(session))
    assert report.rejected == [] and report.created == 2, report.rejected
    shelter = session.scalar(select(Shelter).where(Shelter.external_id == "BN-001"))
    assert shelter.name == "西溪湿地公园避难场所" and shelter.effective_area_m2 == 52000
    assert len(shelter.facilities) == 3


def test_a_gcj02_csv_from_a_web_map_is_shifted_back(session: Session, tmp_path: Path) -> None:
    """Points picked on AMap are GCJ-02: declared as such they land on the real street."""
    lon, lat = 120.08, 30.28
    glon, glat = geo.wgs84_to_gcj02(np.array([lon, lon + 0.001]), np.array([lat, lat + 0.0005]))
    wkt = f"LINESTRING ({glon[0]:.7f} {glat[0]:.7f}, {glon[1]:.7f} {glat[1]:.7f})"
    path = tmp_path / "高德取点.csv"
    path.write_text(f"编号,管线类型,材质,WKT\nGCJ-1,燃气,PE,\"{wkt}\"\n", encoding="utf-8-sig")
    report = importing.import_source(session, open_source(path), "pipelines", ctx(session),
                                     crs="GCJ-02")
    assert report.rejected == [] and report.created == 1
    x, y = stored_start(session, "GCJ-1")
    assert abs(x - lon) < 2e-6 and abs(y - lat) < 2e-6  # GCJ-02 is ~500 m off here
    assert abs(glon[0] - lon) > 0.003
