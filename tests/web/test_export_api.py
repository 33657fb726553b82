"""Downloads over HTTP on both databases: formats, headers, filters, rights, errors."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pyogrio
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from inventory import exporting, importing, service
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts
from tests import factories as f

MARK = "接口导出测试"
EXTENT = (118.3, 29.1, 120.8, 30.6)


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")),
                        extent=EXTENT)


@pytest.fixture
def made(session: Session) -> dict[str, Any]:
    """Two flood points in 西湖区 (one gas-free underpass, one low-lying) and one in 上城区."""
    def add(at: tuple[float, float], **props: Any) -> Any:
        return service.create(session, "flood-points",
                              f.flood_point(at, data_source=MARK, **props), ctx(session))

    out = {"xihu": add(f.XIHU, name="=HYPERLINK(\"http://x\")", external_id="H-1"),
           "xihu_low": add((120.085, 30.283), cause="low_lying", external_id="H-2"),
           "shangcheng": add(f.SHANGCHENG, external_id="H-3")}
    session.commit()  # a savepoint: the app's session on the same connection sees it
    return out


def get(client: Any, auth: Any, query: str, user: str = "admin",
        collection: str = "flood-points", **headers: str) -> Any:
    return client.get(f"/api/collections/{collection}/export?data_source={quote(MARK)}&{query}",
                      headers=auth.headers(user, **headers))


def disposition(resp: Any) -> tuple[str, str]:
    header = resp.headers["Content-Disposition"]
    assert header.startswith("attachment; ")
    ascii_name = header.split('filename="', 1)[1].split('"', 1)[0]
    utf8_name = unquote(header.split("filename*=UTF-8''", 1)[1])
    return ascii_name, utf8_name


def test_geojson_is_streamed_with_an_attachment_name(client: Any, auth: Any,
                                                     made: dict[str, Any]) -> None:
    resp = get(client, auth, "format=geojson")
    assert resp.status_code == 200 and resp.is_streamed
    assert resp.mimetype == "application/geo+json"
    assert resp.headers["Cache-Control"] == "no-store"
    ascii_name, utf8_name = disposition(resp)
    assert ascii_name.startswith("flood-points-") and ascii_name.endswith(".geojson")
    assert utf8_name.startswith("易涝点-") and utf8_name.endswith(".geojson")
    doc = json.loads(resp.get_data())
    assert doc["type"] == "FeatureCollection" and doc["name"] == "flood_points"
    assert sorted(x["id"] for x in doc["features"]) == sorted(o.id for o in made.values())
    event = doc["features"][0]["properties"]["events"][0]
    assert event["occurred_on"] == "2024-06-20"  # nested lists as real JSON


def test_csv_has_a_bom_and_a_wkt_column(client: Any, auth: Any, made: dict[str, Any]) -> None:
    resp = get(client, auth, "format=csv&division=330106&lang=machine")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = resp.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(r["external_id"] for r in rows) == ["H-1", "H-2"]
    assert disposition(resp)[1].startswith("易涝点-330106-")
    assert all(r["wkt"].startswith("POINT (") for r in rows)
    assert json.loads(rows[0]["events"])[0]["max_depth_cm"] == 35


def table(resp: Any, fmt: str) -> tuple[list[str], list[dict[str, Any]], str | None]:
    """A CSV or XLSX download as its header, its rows by heading and (XLSX) its sheet's name."""
    assert resp.status_code == 200, resp.get_data()
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(resp.get_data().decode("utf-8-sig"))))
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]], None
    sheet = load_workbook(io.BytesIO(resp.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    return values[0], [dict(zip(values[0], r, strict=True)) for r in values[1:]], sheet.title


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_spreadsheets_speak_the_callers_language(client: Any, auth: Any, made: dict[str, Any],
                                                 fmt: str) -> None:
    header, rows, sheet = table(get(client, auth, f"format={fmt}"), fmt)  # no preference: 中文
    assert header[:3] == ["系统编号", "名称", "外部编号"] and header[-1] == "WKT"
    assert {"成因", "状态", "致涝雨强(mm/h)", "积水记录"} <= set(header) and sheet in (None, "易涝点")
    assert sorted(r["成因"] for r in rows) == ["下凹立交", "下凹立交", "低洼地"]
    header, rows, sheet = table(get(client, auth, f"format={fmt}", **{
        "Accept-Language": "en-US,en;q=0.9"}), fmt)
    assert header[:3] == ["Registry ID", "Name", "External id"] and sheet in (None, "Flood points")
    assert "Low-lying ground" in [r["Cause"] for r in rows]
    header, rows, sheet = table(get(client, auth, f"format={fmt}&lang=machine", **{
        "Accept-Language": "en"}), fmt)
    assert header[:3] == ["id", "name", "external_id"] and sheet in (None, "flood-points")
    assert sorted(r["cause"] for r in rows) == ["low_lying", "underpass", "underpass"]
    header, _, _ = table(get(client, auth, f"format={fmt}&lang=en"), fmt)
    assert header[2] == "External id"


def test_the_language_chosen_on_the_pages_wins_over_the_browsers(client: Any,
                                                                 made: dict[str, Any]) -> None:
    from tests.web.test_imports_page import _sign_in

    _sign_in(client, "admin")
    client.get("/lang/en?next=/imports")
    resp = client.get(f"/api/collections/flood-points/export?format=csv&data_source={quote(MARK)}",
                      headers={"Accept-Language": "zh-CN"})
    header, _, _ = table(resp, "csv")
    assert header[:3] == ["Registry ID", "Name", "External id"]


def test_a_language_the_api_does_not_speak_is_a_400(client: Any, auth: Any,
                                                    made: dict[str, Any]) -> None:
    resp = get(client, auth, "format=csv&lang=fr")
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    assert [(e["field"], e["code"]) for e in resp.get_json()["errors"]] == [("lang", "unknown_code")]
    doc = json.loads(get(client, auth, "format=geojson&lang=zh").get_data())
    assert {x["properties"]["cause"] for x in doc["features"]} == {"underpass", "low_lying"}


@pytest.mark.parametrize("fmt", ["gpkg", "xlsx", "shp"])
def test_finished_files_are_sent_whole(client: Any, auth: Any, made: dict[str, Any],
                                       tmp_path: Path, fmt: str) -> None:
    resp = get(client, auth, f"format={fmt}&crs=EPSG:4549")
    assert resp.status_code == 200, resp.get_data()
    spec = exporting.FORMATS[fmt]
    assert resp.headers["Content-Type"] == spec.media_type
    assert resp.headers["Content-Crs"] == "<http://www.opengis.net/def/crs/EPSG/0/4549>"
    ascii_name, _ = disposition(resp)
    assert ascii_name.endswith(spec.extension)
    path = tmp_path / ascii_name
    path.write_bytes(resp.get_data())
    if fmt == "xlsx":
        sheet = load_workbook(path).active
        assert sheet.max_row == 4
        cell = next(c for row in sheet.iter_rows(min_row=2) for c in row
                    if c.value == '=HYPERLINK("http://x")')
        assert cell.data_type == "s"
        return
    target = f"/vsizip/{path}/flood_points.shp" if fmt == "shp" else str(path)
    info = pyogrio.read_info(target)
    assert info["features"] == 3 and info["crs"] == "EPSG:4549"
    if fmt == "shp":
        with zipfile.ZipFile(path) as z:
            assert {"flood_points.shp", "flood_points.cpg", "flood_points.prj"} <= set(
                z.namelist())


def test_a_download_imports_back(client: Any, auth: Any, made: dict[str, Any], session: Session,
                                 tmp_path: Path) -> None:
    resp = get(client, auth, "format=geojson&crs=GCJ-02")
    path = tmp_path / "gcj.geojson"
    path.write_bytes(resp.get_data())
    assert json.loads(path.read_text())["crs"]["properties"]["name"] == "GCJ-02"
    for obj in made.values():
        session.delete(obj)
    session.flush()
    report = importing.import_source(session, open_source(path), "flood-points", ctx(session))
    assert report.stored and report.created == 3, report.rejected


def test_filters_and_rights(client: Any, auth: Any, made: dict[str, Any]) -> None:
    def ids(query: str, user: str = "admin") -> list[int]:
        resp = get(client, auth, "format=geojson&" + query, user)
        assert resp.status_code == 200, resp.get_data()
        return sorted(x["id"] for x in json.loads(resp.get_data())["features"])

    xihu, low, shangcheng = made["xihu"].id, made["xihu_low"].id, made["shangcheng"].id
    assert ids("cause=low_lying") == [low]
    assert ids("cause=low_lying,underpass") == sorted([xihu, low, shangcheng])
    assert ids("bbox=120.19,30.24,120.21,30.26") == [shangcheng]
    assert ids("division=330102") == [shangcheng]
    assert ids("", "engineer") == sorted([xihu, low])
    assert ids("", "engineer_sc") == [shangcheng]
    assert ids("", "nobody") == []
    refused = get(client, auth, "format=csv&division=330102", "engineer")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    anonymous = client.get("/api/collections/flood-points/export?format=csv")
    assert anonymous.status_code == 401


@pytest.mark.parametrize(("query", "field", "code"), [
    ("format=kml", "format", "unsupported_format"),
    ("format=csv&crs=EPSG:2000", "crs", "unknown_crs"),
    ("format=csv&crs=nonsense", "crs", "unknown_crs"),
    ("format=gpkg&bbox=1,2,3", "bbox", "invalid_bbox"),
    ("format=csv&colour=red", "colour", "unknown_parameter"),
    ("format=csv&pumps=many", "pumps", "not_an_integer"),
])
def test_bad_parameters_are_400_problems(client: Any, auth: Any, query: str, field: str,
                                         code: str) -> None:
    resp = get(client, auth, query, **{"Accept-Language": "en"})
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    errors = resp.get_json()["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, code)]
    assert errors[0]["message"] and "Content-Disposition" not in resp.headers
    zh = get(client, auth, query, **{"Accept-Language": "zh-CN"}).get_json()
    assert zh["errors"][0]["message"] != errors[0]["message"]


def test_unknown_collection_is_404(client: Any, auth: Any) -> None:
    resp = client.get("/api/collections/pipes/export?format=csv", headers=auth.headers("admin"))
    assert resp.status_code == 404


def test_every_collection_links_its_downloads(client: Any, auth: Any) -> None:
    doc = client.get("/api/collections/pipelines", headers=auth.headers("viewer")).get_json()
    links = [x for x in doc["links"] if x["rel"] == "enclosure"]
    assert [(x["type"], x["href"].rsplit("?", 1)[1]) for x in links] == [
        (spec.media_type, f"format={name}") for name, spec in exporting.FORMATS.items()]
    assert all(x["href"].startswith("http://localhost/api/collections/pipelines/export?")
               for x in links)
    listing = client.get("/api/collections", headers=auth.headers("viewer")).get_json()
    assert all(any(x["rel"] == "enclosure" for x in c["links"]) for c in listing["collections"])
    for link in links:  # each link works as it is given
        path = link["href"].removeprefix("http://localhost")
        assert client.get(path, headers=auth.headers("viewer")).status_code == 200
