"""Imports over HTTP on both databases: inline and queued runs, reports, rejected rows, undo."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import openpyxl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from console.handlers import HANDLERS
from inventory import Pipeline, import_jobs
from resilience import jobs

HEADER = "管线编号,管线类型,材质,管径(mm),WKT\n"


def csv_file(rows: list[str]) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode("gbk")


def row(ext: str, x: float = 120.08, material: str = "球墨铸铁") -> str:
    return f'{ext},给水,{material},300,"LINESTRING ({x} 30.28, {x + 0.001} 30.2805)"'


def upload(client: Any, auth: Any, data: bytes, user: str = "engineer", name: str = "管线.csv",
           **form: str) -> Any:
    fields: dict[str, Any] = {"collection": "pipelines", "file": (io.BytesIO(data), name), **form}
    return client.post("/api/imports", data=fields, headers=auth.headers(user),
                       content_type="multipart/form-data")


def live(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Pipeline)
                          .where(Pipeline.retired_at.is_(None)))


def test_a_small_upload_is_imported_at_once_and_can_be_undone(client: Any, auth: Any,
                                                              session: Session) -> None:
    before = live(session)
    resp = upload(client, auth, csv_file([row("API-1"), row("API-2", 120.082)]))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "done" and body["report"]["created"] == 2
    assert resp.headers["Location"].endswith(f"/api/imports/{body['id']}")
    assert live(session) == before + 2
    status = client.get(f"/api/imports/{body['id']}", headers=auth.headers("engineer")).get_json()
    assert status["report"]["stored"] is True
    listed = client.get("/api/imports", headers=auth.headers("engineer")).get_json()
    assert body["id"] in [i["id"] for i in listed["imports"]]
    undone = client.delete(f"/api/imports/{body['id']}", headers=auth.headers("engineer"))
    assert undone.status_code == 200 and undone.get_json()["retired"] == 2
    assert live(session) == before


def test_a_rejected_upload_stores_nothing_and_hands_back_its_bad_rows(client: Any, auth: Any,
                                                                     session: Session) -> None:
    before = live(session)
    resp = upload(client, auth, csv_file([row("R-1"), row("R-2", material="=cmd|' /C calc'!A0"),
                                          row("R-3", 121.9)]))
    assert resp.status_code == 422
    report = resp.get_json()["report"]
    assert report["stored"] is False and report["rejected_rows"] == 2
    assert {(p["row"], p["field"]) for p in report["rejected"]} == {(3, "material"), (4, "geometry")}
    assert all(p["message"] for p in report["rejected"])
    assert live(session) == before
    links = {link["type"]: link["href"] for link in resp.get_json()["links"]
             if link["rel"] == "rejected"}
    text = client.get(links["text/csv"], headers=auth.headers("engineer")).data.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 3 and "R-2" in lines[1] and "R-3" in lines[2]
    assert "'=cmd" in lines[1]  # a formula in a rejected cell stays text
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        links[import_jobs_xlsx()], headers=auth.headers("engineer")).data))
    formula = next(c for c in book.active[2] if isinstance(c.value, str) and c.value[0] == "=")
    assert formula.value == "=cmd|' /C calc'!A0"  # the value as it was, marked as text
    assert formula.data_type == "s" and formula.quotePrefix
    assert book.active["A2"].data_type == "s" and book.active.title == "未导入的行"


def import_jobs_xlsx() -> str:
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_dry_run_reports_200_and_stores_nothing(client: Any, auth: Any, session: Session) -> None:
    before = live(session)
    resp = upload(client, auth, csv_file([row("DRY-1")]), dry_run="1")
    assert resp.status_code == 200 and resp.get_json()["report"]["dry_run"] is True
    assert live(session) == before


def test_a_large_upload_is_queued_and_the_scheduler_runs_it(
        client: Any, auth: Any, session: Session, sessions: sessionmaker[Session],
        monkeypatch: Any) -> None:
    monkeypatch.setattr(import_jobs, "INLINE_BYTES", 10)  # every upload counts as large here
    before = live(session)
    resp = upload(client, auth, csv_file([row(f"Q-{i}", 120.08 + i * 0.002) for i in range(5)]))
    assert resp.status_code == 202
    url = resp.headers["Location"]
    queued = client.get(url, headers=auth.headers("engineer")).get_json()
    assert queued["status"] == "queued" and "report" not in queued
    assert jobs.run_one(sessions, HANDLERS) == resp.get_json()["id"]
    done = client.get(url, headers=auth.headers("engineer")).get_json()
    assert done["status"] == "done" and done["report"]["created"] == 5
    assert live(session) == before + 5


def test_who_may_import_and_see_imports(client: Any, auth: Any) -> None:
    assert upload(client, auth, csv_file([row("V-1")]), user="viewer").status_code == 403
    outside = upload(client, auth, csv_file([row("O-1", 120.20)]), user="engineer")  # 上城区
    assert outside.status_code == 422
    assert outside.get_json()["report"]["rejected"][0]["code"] == "division_not_granted"
    other = client.get(f"/api/imports/{outside.get_json()['id']}",
                       headers=auth.headers("engineer_sc"))
    assert other.status_code == 403
    assert client.get("/api/imports/999999", headers=auth.headers("admin")).status_code == 404
    # An emergency manager loads risk data, not pipelines.
    assert upload(client, auth, csv_file([row("M-1")]), user="manager").status_code == 403
    points = ("name,category,method,factor_l,factor_e,factor_c,lon,lat\n"
              "燃气阀井,gas_pipeline,lec,3,6,15,120.1301,30.2601\n").encode()
    loaded = upload(client, auth, points, user="manager", name="风险点.csv",
                    collection="risk-points")
    assert loaded.status_code == 201, loaded.get_json()
    assert loaded.get_json()["report"]["created"] == 1


def test_bad_uploads_get_a_clear_problem(client: Any, auth: Any) -> None:
    no_file = client.post("/api/imports", data={"collection": "pipelines"},
                          headers=auth.headers("engineer"), content_type="multipart/form-data")
    assert no_file.status_code in (400, 422)
    assert no_file.get_json()["errors"][0]["field"] == "file"
    fake = upload(client, auth, b"this is not a geopackage", name="survey.gpkg")
    assert fake.status_code in (400, 422)
    assert fake.mimetype == "application/problem+json"
    wrong = upload(client, auth, csv_file([row("W-1")]), collection="nonsense")
    assert wrong.status_code == 404
    sneaky = upload(client, auth, csv_file([row("S-1")]), name="../../etc/passwd.csv")
    assert sneaky.status_code == 201
    assert sneaky.get_json()["file"] == "passwd.csv"
    assert import_jobs.safe_name("..\\..\\x.csv") == "x.csv"


def test_the_import_and_export_endpoints_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/imports"])
    assert "delete" in paths["/imports/{id}"]
    assert "get" in paths["/collections/pipelines/export"]


def test_hidden_hazards_are_filed_one_by_one_not_imported(client: Any, auth: Any) -> None:
    data = "name,category,grade,lon,lat\n井盖缺失,cover_damaged,general,120.1301,30.2601\n"
    refused = upload(client, auth, data.encode(), user="engineer", name="隐患.csv",
                     collection="hazards")
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["field"] == "collection"
    assert upload(client, auth, data.encode(), user="inspector", name="隐患.csv",
                  collection="hazards").status_code == 403


def test_rejected_rows_keep_the_files_columns_and_go_back_in_once_corrected(
        client: Any, auth: Any, session: Session) -> None:
    """A point table with lon/lat columns: the bad row comes back as it was, under the
    file's own headings beside an error column, and imports once its cell is put right."""
    header = "点号,点类型,管线类型,埋深(m),经度,纬度\n"
    body = header + "RJ-1,检查井,污水,1.5,120.0801,30.2801\nRJ-2,井盖?,雨水,1.2,120.0803,30.2801\n"
    first = upload(client, auth, body.encode("gbk"), name="管线点.csv",
                   collection="network-points", skip_invalid="1")
    assert first.status_code == 201, first.get_json()
    report = first.get_json()["report"]
    assert (report["created"], report["rejected_rows"]) == (1, 1)
    links = {link["type"]: link["href"] for link in first.get_json()["links"]
             if link["rel"] == "rejected"}
    text = client.get(links["text/csv"], headers=auth.headers("engineer")).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["错误", "原行号", "点号", "点类型", "管线类型", "埋深(m)", "经度", "纬度"]
    assert rows[1][1:] == ["3", "RJ-2", "井盖?", "雨水", "1.2", "120.0803", "30.2801"]
    assert rows[1][0].startswith("点类型: ") and "井盖?" in rows[1][0]
    rows[1][3] = "检查井"  # the engineer puts the cell right and loads the same file again
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    again = upload(client, auth, fixed.getvalue().encode("utf-8-sig"), name="改正.csv",
                   collection="network-points")
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["report"]["created"] == 1
    assert set(again.get_json()["report"]["unmapped_columns"]) == {"错误", "原行号"}
    # In English, as an Excel sheet: the same columns, and it goes back in too.
    book = openpyxl.load_workbook(io.BytesIO(client.get(
        links[import_jobs_xlsx()], headers=auth.headers("engineer", **{"Accept-Language": "en"})
    ).data))
    sheet = book.active
    assert sheet.title == "Rejected rows"
    assert [c.value for c in sheet[1]][:3] == ["Errors", "Row", "点号"]
    sheet["D2"] = "检查井"
    out = io.BytesIO()
    book.save(out)
    check = upload(client, auth, out.getvalue(), name="fixed.xlsx", collection="network-points",
                   dry_run="1")
    assert check.status_code == 200 and check.get_json()["report"]["rejected_rows"] == 0


def test_a_rejected_geojson_feature_comes_back_with_its_properties_and_wkt(
        client: Any, auth: Any) -> None:
    features = [{"type": "Feature", "properties": {"外部编号": f"GJ-{i}", "管线大类": "给水",
                                                   "材质": material, "管径(mm)": 300},
                 "geometry": {"type": "LineString",
                              "coordinates": [[120.08 + 0.002 * i, 30.28], [120.081 + 0.002 * i, 30.2805]]}}
                for i, material in enumerate(["球墨铸铁", "木头"])]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    resp = upload(client, auth, data, name="管线.geojson")
    assert resp.status_code == 422 and resp.get_json()["report"]["rejected_rows"] == 1
    href = next(x["href"] for x in resp.get_json()["links"] if x.get("type") == "text/csv")
    rows = list(csv.reader(io.StringIO(client.get(href, headers=auth.headers("engineer"))
                                       .data.decode("utf-8-sig"))))
    assert rows[0] == ["错误", "原行号", "外部编号", "管线大类", "材质", "管径(mm)", "wkt"]
    assert rows[1][2:6] == ["GJ-1", "给水", "木头", "300"] and rows[1][6].startswith("LINESTRING")
    rows[1][4] = "球墨铸铁"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    again = upload(client, auth, fixed.getvalue().encode("utf-8-sig"), name="改正.csv")
    assert again.status_code == 201 and again.get_json()["report"]["created"] == 1
