"""The city profile over HTTP and on the admin page: admins enter, everyone reads, errors named."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resilience import profiles
from resilience.divisions import DivisionProfile
from tests.web.test_dashboard import sign_in


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_admins_put_figures_and_others_read_them(client: Any, auth: Any) -> None:
    body = {"built_up_area_km2": 26.3, "population": 1323000, "built_up_population": 1300000,
            "source": "杭州统计年鉴2025"}
    put = client.put("/api/profiles/330102/2025", json=body, headers=auth.headers("admin"))
    assert put.status_code == 200, put.get_json()
    assert put.get_json()["population"] == 1323000
    refused = client.put("/api/profiles/330102/2025", json=body, headers=auth.headers("engineer"))
    assert refused.status_code == 403
    bad = client.put("/api/profiles/330102/2025", json={"population": -3, "area": 1},
                     headers=auth.headers("admin"))
    assert bad.status_code == 422
    assert {e["field"] for e in bad.get_json()["errors"]} == {"area"}
    bad = client.put("/api/profiles/330102/2025", json={"population": -3},
                     headers=auth.headers("admin"))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "population"
    later = client.get("/api/profiles/330102/2027", headers=auth.headers("viewer")).get_json()
    assert later["figures"]["year"] == 2025 and later["figures"]["population"] == 1323000
    listed = client.get("/api/profiles?year=2025", headers=auth.headers("engineer")).get_json()
    assert listed["profiles"] == []  # 西湖区's engineer does not see 上城区
    assert client.get("/api/profiles?year=99999", headers=auth.headers("admin")).status_code == 400
    assert client.delete("/api/profiles/330102/2025",
                         headers=auth.headers("admin")).status_code == 204
    assert client.get("/api/profiles/330102/2025",
                      headers=auth.headers("admin")).get_json()["figures"] is None


def test_the_page_saves_what_changed_and_names_bad_rows(client: Any, session: Session) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    html = client.get("/admin/profile?year=2025").get_data(as_text=True)
    assert 'data-division="330106"' in html
    token = _token(html)
    form = {"csrf_token": token, "year": "2025", "code": ["330106", "330102"],
            "built_up_area_km2:330106": "88.5", "population:330106": "1145000",
            "built_up_population:330106": "", "source:330106": "年鉴",
            "built_up_area_km2:330102": "abc", "population:330102": "",
            "built_up_population:330102": "", "source:330102": ""}
    bad = client.post("/admin/profile", data=form)
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "上城区 built_up_area_km2" in text and 'value="88.5"' in text  # typed values kept
    assert session.scalar(select(func.count()).select_from(DivisionProfile)) == 0
    form["built_up_area_km2:330102"] = ""
    good = client.post("/admin/profile", data=form)
    assert good.status_code == 302 and "done=1" in good.headers["Location"]
    figures = profiles.figures(session, "330106", 2025)
    assert figures is not None and figures.built_up_area_km2 == 88.5
    sheet = client.get("/admin/profile.xlsx")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"
    upload = client.post("/admin/profile/sheet", data={
        "csrf_token": token, "year": "2025",
        "file": (io.BytesIO("区划代码,年份,常住人口\n330102,2024,1300000\n".encode()), "p.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 302
    assert profiles.figures(session, "330102", 2024) is not None
    wrong = client.post("/admin/profile/sheet", data={
        "csrf_token": token, "file": (io.BytesIO(b"x"), "p.txt")},
        content_type="multipart/form-data")
    assert wrong.status_code == 422 and "txt" in wrong.get_data(as_text=True)


def test_only_admins_open_the_page(client: Any) -> None:
    sign_in(client, "manager", "manager-demo-2026")
    assert client.get("/admin/profile").status_code == 403
