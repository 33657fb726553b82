"""GDAL formats (GeoPackage, zipped Shapefile, File Geodatabase), Excel, and hostile archives.

Fixtures are written the way survey tools write them: GBK attribute tables with a .cpg (or
without), a .prj, Chinese headers, geodatabases zipped with their folder.
"""

from __future__ import annotations

import datetime as dt
import gc
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyogrio.raw
import pytest
import shapely

from inventory.formats import Source, archive, ogr, open_source
from inventory.formats.dbf import text_encoding
from resilience.errors import InvalidInput

CRS = "EPSG:4549"  # CGCS2000 3-degree Gauss-Krüger, central meridian 120°E
LINES = [shapely.LineString([(500000, 3350000), (500100, 3350050)]),
         shapely.LineString([(500100, 3350050), (500180, 3350120)])]
POINTS = [shapely.Point(500000, 3350000), shapely.Point(500100, 3350050),
          shapely.Point(500180, 3350120)]


def _write(path: Path, geoms: list[Any], fields: dict[str, np.ndarray], *, driver: str,
           geometry_type: str = "LineString", **kwargs: Any) -> None:
    wkb = np.array([None if g is None else shapely.to_wkb(g) for g in geoms], dtype=object)
    pyogrio.raw.write(path, wkb, list(fields.values()), list(fields), crs=CRS, driver=driver,
                      geometry_type=geometry_type, **kwargs)


def _pipes() -> dict[str, np.ndarray]:
    return {"管线编号": np.array(["JS-1", "JS-2"], dtype=object),
            "材质": np.array(["球墨铸铁", "聚乙烯"], dtype=object),
            "管径": np.array([300, 200], dtype=np.int32),
            "埋深": np.array([1.2, 0.8])}


def _zip(path: Path, root: Path, files: list[Path]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f.relative_to(root).as_posix())
    return path


def _shapefile(tmp_path: Path, *, cpg: bool) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    _write(folder / "给水管线.shp", LINES, _pipes(), driver="ESRI Shapefile", encoding="GBK")
    assert (folder / "给水管线.cpg").read_text() == "GBK"
    assert (folder / "给水管线.dbf").read_bytes().find("球墨铸铁".encode("gbk")) > 0
    if not cpg:
        (folder / "给水管线.cpg").unlink()
    return folder


def _plain(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool, dt.date)


def _problem(error: pytest.ExceptionInfo[InvalidInput]) -> tuple[str, str]:
    problem = error.value.problems[0]
    return problem.field, problem.code


# --- GeoPackage -------------------------------------------------------------------------------


def test_geopackage_reports_its_crs_and_gives_wkb(tmp_path: Path) -> None:
    path = tmp_path / "管线.gpkg"
    _write(path, LINES, _pipes(), driver="GPKG", layer="给水管线")
    source = open_source(path)
    assert (source.format, source.crs) == ("gpkg", CRS)
    assert source.columns == ["管线编号", "材质", "管径", "埋深"]
    records = list(source.records())
    assert [r.row for r in records] == [1, 2]
    assert records[0].properties == {"管线编号": "JS-1", "材质": "球墨铸铁", "管径": 300, "埋深": 1.2}
    assert all(_plain(v) for r in records for v in r.properties.values())
    assert isinstance(records[0].geometry, bytes)
    assert shapely.from_wkb(records[1].geometry).equals(LINES[1])  # coordinates untouched
    assert list(source.records()) == records  # re-iterable


def test_geopackage_streams_in_batches_with_nulls_dates_and_missing_geometry(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "points.gpkg"
    n = 7
    mask = np.array([i == 3 for i in range(n)])
    _write(path, [shapely.Point(500000 + i, 3350000) if i != 5 else None for i in range(n)], {
        "编号": np.array([f"P{i}" for i in range(n)], dtype=object),
        "深度": np.arange(n, dtype=np.int64),
        "日期": np.array([f"2020-01-0{i + 1}" for i in range(n)], dtype="datetime64[D]"),
        "时间": np.array(["2020-01-02T03:04:05"] * n, dtype="datetime64[ms]"),
        "有效": np.array([True] * n),
    }, driver="GPKG", geometry_type="Point", field_mask=[None, mask, None, None, None])
    calls: list[dict[str, Any]] = []
    real = pyogrio.raw.read

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ogr, "BATCH", 3)
    monkeypatch.setattr(pyogrio.raw, "read", spy)
    records = list(open_source(path).records())
    assert [r.row for r in records] == list(range(1, n + 1))
    assert [r.properties["编号"] for r in records] == [f"P{i}" for i in range(n)]
    assert [c["skip_features"] for c in calls] == [0, 3, 6]
    assert all(c["max_features"] == 3 for c in calls)
    assert records[3].properties["深度"] is None
    assert type(records[4].properties["深度"]) is int
    assert records[1].properties["日期"] == dt.date(2020, 1, 2)
    assert records[0].properties["时间"].startswith("2020-01-02T03:04:05")
    assert records[0].properties["有效"] is True
    assert records[5].geometry is None
    assert all(_plain(v) for r in records for v in r.properties.values())


def test_multi_layer_geopackage_needs_a_layer_choice(tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    _write(path, POINTS, {"点号": np.array(["J1", "J2", "J3"], dtype=object)}, driver="GPKG",
           layer="管点", geometry_type="Point")
    _write(path, LINES, {"管线编号": np.array(["L1", "L2"], dtype=object)}, driver="GPKG",
           layer="管线", append=False)
    assert sorted(ogr.layers(path)) == ["管点", "管线"]
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("layer", "choose_layer")
    assert sorted(err.value.problems[0].params["allowed"]) == ["管点", "管线"]
    source = open_source(path, layer="管线")
    assert [r.properties for r in source.records()] == [{"管线编号": "L1"}, {"管线编号": "L2"}]
    with pytest.raises(InvalidInput) as err:
        open_source(path, layer="阀门")
    assert _problem(err) == ("layer", "unknown_layer")


def test_the_only_layer_with_features_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "survey.gpkg"
    _write(path, LINES, {"管线编号": np.array(["L1", "L2"], dtype=object)}, driver="GPKG", layer="管线")
    empty = np.array([], dtype=object)
    pyogrio.raw.write(path, empty, [empty], ["点号"], layer="管点", crs=CRS, driver="GPKG",
                      geometry_type="Point")
    assert sorted(ogr.layers(path)) == ["管点", "管线"]
    assert [r.row for r in open_source(path).records()] == [1, 2]


@pytest.mark.parametrize("content", [b"this is a text file, not a GeoPackage\n",
                                     b'{"type": "FeatureCollection", "features": []}'])
def test_a_gpkg_that_is_not_a_geopackage(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "管线.gpkg"
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("file", "unreadable_file")
    assert err.value.problems[0].params["format"] == "GeoPackage"


# --- Shapefile --------------------------------------------------------------------------------


def test_zipped_gbk_shapefile_with_cpg_and_prj(tmp_path: Path) -> None:
    folder = _shapefile(tmp_path, cpg=True)
    path = _zip(tmp_path / "给水.zip", folder, sorted(folder.iterdir()))
    source = open_source(path)
    assert (source.format, source.crs) == ("shapefile", CRS)  # from the .prj
    assert source.columns == ["管线编号", "材质", "管径", "埋深"]
    records = list(source.records())
    assert [r.properties["材质"] for r in records] == ["球墨铸铁", "聚乙烯"]
    assert records[0].properties["管径"] == 300
    assert shapely.from_wkb(records[0].geometry).equals(LINES[0])
    assert list(source.records()) == records
    assert ogr.layers(path) == ["给水管线"]


def test_gbk_shapefile_without_cpg_is_still_read(tmp_path: Path) -> None:
    folder = _shapefile(tmp_path, cpg=False)
    path = _zip(tmp_path / "给水.zip", folder, sorted(folder.iterdir()))
    guessed = open_source(path)  # UTF-8 fails strictly on the DBF, so GB18030
    assert guessed.columns == ["管线编号", "材质", "管径", "埋深"]
    assert [r.properties["材质"] for r in guessed.records()] == ["球墨铸铁", "聚乙烯"]
    declared = open_source(path, encoding="GBK")
    assert [r.properties["材质"] for r in declared.records()] == ["球墨铸铁", "聚乙烯"]
    bare = open_source(folder / "给水管线.shp")  # a bare .shp with its side files
    assert [r.properties["管线编号"] for r in bare.records()] == ["JS-1", "JS-2"]
    for wrong in ("utf-8", "no-such-encoding"):
        with pytest.raises(InvalidInput) as err:
            list(open_source(path, encoding=wrong).records())
        assert _problem(err) == ("file", "wrong_encoding")


def test_utf8_shapefile_without_cpg_and_a_value_cut_mid_character(tmp_path: Path) -> None:
    folder = tmp_path / "shp"
    folder.mkdir()
    _write(folder / "lines.shp", LINES, {"名称": np.array(["雨水管", "污水管道甲乙"], dtype=object)},
           driver="ESRI Shapefile", encoding="UTF-8", layer_options={"RESIZE": "YES"})
    (folder / "lines.cpg").unlink()
    records = list(open_source(folder / "lines.shp").records())
    assert [r.properties["名称"] for r in records] == ["雨水管", "污水管道甲乙"]
    dbf = folder / "lines.dbf"
    whole = "污水管道甲乙".encode()  # fills the 18-byte field exactly
    dbf.write_bytes(dbf.read_bytes().replace(whole, "污水管道甲".encode() + b"x" + "乙".encode()[:2]))
    assert text_encoding(dbf) == "UTF-8"  # half a character at a field's end is a cut
    with pytest.raises(InvalidInput) as err:  # pyogrio decodes strictly: a clear error, no crash
        list(open_source(folder / "lines.shp").records())
    assert _problem(err) == ("file", "wrong_encoding")


def test_a_local_crs_without_epsg_code_comes_as_wkt(tmp_path: Path) -> None:
    folder = _shapefile(tmp_path, cpg=True)
    (folder / "给水管线.prj").write_text(  # a city grid: CGCS2000 GK on 120°15', false northing
        'PROJCS["Local_Grid",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
        'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
        'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
        'PARAMETER["False_Northing",-3000000.0],PARAMETER["Central_Meridian",120.25],'
        'PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')
    crs = open_source(folder / "给水管线.shp").crs
    assert crs is not None and "Local_Grid" in crs and "120.25" in crs  # never guessed as an EPSG code


def test_chinese_member_names_from_windows_zips(tmp_path: Path) -> None:
    folder = _shapefile(tmp_path, cpg=True)
    stem = "给水管线".encode("gbk")
    placeholder = b"X" * len(stem)
    path = tmp_path / "windows.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, placeholder.decode() + f.suffix)
    path.write_bytes(path.read_bytes().replace(placeholder, stem))  # GBK names, no UTF-8 flag
    assert ogr.layers(path) == ["给水管线"]


# --- File Geodatabase -------------------------------------------------------------------------


def test_zipped_file_geodatabase(tmp_path: Path) -> None:
    gdb = tmp_path / "普查成果.gdb"
    _write(gdb, LINES, _pipes(), driver="OpenFileGDB", layer="GS_LINE")
    _write(gdb, POINTS, {"点号": np.array(["J1", "J2", "J3"], dtype=object)}, driver="OpenFileGDB",
           layer="GS_POINT", geometry_type="Point")
    path = _zip(tmp_path / "普查成果.gdb.zip", tmp_path, sorted(p for p in gdb.rglob("*") if p.is_file()))
    assert sorted(ogr.layers(path)) == ["GS_LINE", "GS_POINT"]
    source = open_source(path, layer="GS_LINE")
    assert (source.format, source.crs) == ("filegdb", CRS)
    records = list(source.records())
    assert [r.properties["材质"] for r in records] == ["球墨铸铁", "聚乙烯"]
    assert shapely.from_wkb(records[1].geometry).equals(LINES[1])
    folder = ogr.read_filegdb(gdb, layer="GS_POINT")  # an unzipped .gdb folder
    assert [r.properties["点号"] for r in folder.records()] == ["J1", "J2", "J3"]


def test_unpacked_files_go_on_close_and_on_collection(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    folder = _shapefile(tmp_path, cpg=True)
    path = _zip(tmp_path / "给水.zip", folder, sorted(folder.iterdir()))
    source: Source | None = open_source(path)
    assert len(list(scratch.iterdir())) == 1
    assert source is not None and len(list(source.records())) == 2
    ogr.close(source)
    assert list(scratch.iterdir()) == []
    source = open_source(path)
    assert len(list(scratch.iterdir())) == 1
    source = None
    gc.collect()
    assert list(scratch.iterdir()) == []
    rows = open_source(path).records()  # the Source goes at once; its iteration keeps the files
    gc.collect()
    assert [r.row for r in rows] == [1, 2]
    del rows
    gc.collect()
    assert list(scratch.iterdir()) == []
    assert ogr.layers(path) == ["给水管线"]
    assert list(scratch.iterdir()) == []


# --- hostile and broken archives --------------------------------------------------------------


def test_archive_member_escaping_its_folder_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.shp", b"x")
        z.writestr("../x.shp", b"x")
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("file", "unsafe_archive_path")
    assert not (tmp_path.parent / "x.shp").exists()


@pytest.mark.parametrize("name", ["/etc/cron.d/x", "C:/x.shp", "a/../../x.shp", "link.shp"])
def test_absolute_paths_and_links_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "evil.zip"
    info = zipfile.ZipInfo(name)
    if name == "link.shp":
        info.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, b"/etc/passwd")
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("file", "unsafe_archive_path")


def _bomb(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("zeros.shp", "w") as member:
            block = bytes(1024**2)
            for _ in range(50):
                member.write(block)
    return path


def test_zip_bombs_are_refused(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "bomb.zip")
    assert path.stat().st_size < 1024**2
    with pytest.raises(InvalidInput) as err:
        open_source(path)  # 50 MB at about 1000:1
    assert _problem(err) == ("file", "archive_too_large")
    with pytest.raises(InvalidInput) as err:
        open_source(path, max_size=10 * 1024**2)
    assert _problem(err) == ("file", "archive_too_large")
    assert err.value.problems[0].params["max"] == 10 * 1024**2


def test_bytes_are_counted_while_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(archive, "check_sizes", lambda *args, **kwargs: None)  # headers believed
    path = _bomb(tmp_path / "bomb.zip")
    for options in ({}, {"max_size": 5 * 1024**2}):
        with pytest.raises(InvalidInput) as err:
            open_source(path, **options)
        assert _problem(err) == ("file", "archive_too_large")
    assert list(scratch.iterdir()) == []  # nothing left behind


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    path = _bomb(tmp_path / "liar.zip")
    data = bytearray(path.read_bytes())
    central = data.index(b"PK\x01\x02")
    data[central + 24:central + 28] = (1000).to_bytes(4, "little")  # "1000 bytes, honest"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert err.value.problems[0].code in ("archive_too_large", "not_a_zip")


@pytest.mark.parametrize(("name", "cut"), [("cut.zip", 0.5), ("not-a-zip.zip", 0.0)])
def test_broken_zips_are_a_clear_error(tmp_path: Path, name: str, cut: float) -> None:
    folder = _shapefile(tmp_path, cpg=True)
    source = _zip(tmp_path / "whole.zip", folder, sorted(folder.iterdir()))
    path = tmp_path / name
    content = source.read_bytes()
    path.write_bytes(content[:int(len(content) * cut)] if cut else b"just some text")
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("file", "not_a_zip")


def test_a_zip_without_layers(tmp_path: Path) -> None:
    path = tmp_path / "docs.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("说明.txt", "普查说明")
        z.writestr("__MACOSX/._a.shp", b"junk")
    with pytest.raises(InvalidInput) as err:
        open_source(path)
    assert _problem(err) == ("file", "no_layer_in_archive")


# --- Excel ------------------------------------------------------------------------------------


def _workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    pipes = book.active
    pipes.title = "管线"
    pipes.append([])  # row 1 left blank: the header is the first non-empty row
    pipes.append(["管线编号", "管径", "建设日期", "经度", "纬度"])
    pipes.append([" JS-1 ", 300, dt.datetime(2005, 3, 1), 120.08, 30.28])
    pipes.append([None, None, None, None, None])
    pipes.append(["JS-2", 1.5, dt.datetime(2006, 1, 2, 3, 4), 120.09, 30.29])
    pipes.append(["", None, None, None, None])
    lines = book.create_sheet("线")
    lines.append(["编号", "WKT", "备注"])
    lines.append(["L1", "LINESTRING (120.08 30.28, 120.09 30.29)", "  "])
    book.save(path)
    return path


def test_xlsx_first_sheet_with_chinese_headers_numbers_and_dates(tmp_path: Path) -> None:
    source = open_source(_workbook(tmp_path / "普查.xlsx"))
    assert (source.format, source.crs) == ("xlsx", None)
    assert source.columns == ["管线编号", "管径", "建设日期"]
    records = list(source.records())
    assert [r.row for r in records] == [3, 5]  # the rows Excel shows
    assert records[0].properties == {"管线编号": "JS-1", "管径": 300, "建设日期": dt.date(2005, 3, 1)}
    assert records[1].properties == {"管线编号": "JS-2", "管径": 1.5, "建设日期": "2006-01-02T03:04:00"}
    assert records[0].geometry == {"type": "Point", "coordinates": [120.08, 30.28]}
    assert list(source.records()) == records


def test_xlsx_named_sheet_with_wkt(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "普查.xlsx")
    source = open_source(path, sheet="线")
    [record] = list(source.records())
    assert (record.row, record.properties) == (2, {"编号": "L1", "备注": None})
    assert record.geometry.startswith("LINESTRING")
    with pytest.raises(InvalidInput) as err:
        open_source(path, sheet="阀门")
    assert _problem(err) == ("sheet", "unknown_sheet")
    assert err.value.problems[0].params["allowed"] == ["管线", "线"]


def test_empty_and_broken_workbooks(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    openpyxl.Workbook().save(empty)
    with pytest.raises(InvalidInput) as err:
        open_source(empty)
    assert _problem(err) == ("sheet", "empty_sheet")
    nothing = tmp_path / "nothing.xlsx"
    nothing.write_bytes(b"")
    with pytest.raises(InvalidInput) as err:
        open_source(nothing)
    assert _problem(err) == ("file", "empty_file")
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(_workbook(tmp_path / "whole.xlsx").read_bytes()[:2000])
    with pytest.raises(InvalidInput) as err:
        open_source(cut)
    assert _problem(err) == ("file", "unreadable_file")
