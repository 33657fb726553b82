"""The overview page and its downloads on both databases: access, the same numbers, safe text."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from typing import Any

from openpyxl import load_workbook

from tests import factories as f

GEO = "application/geo+json"
RISKY = "=cmd|' /C calc'!A0"


def create(client: Any, auth: Any, collection: str, body: dict[str, Any]) -> dict[str, Any]:
    resp = client.post(f"/api/collections/{collection}/items", data=json.dumps(body),
                       headers=auth.headers("admin"), content_type=GEO)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def sign_in(client: Any, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert resp.status_code == 302


def seed(client: Any, auth: Any) -> dict[str, dict[str, Any]]:
    """Two segments in 西湖区 (one owned by a formula-looking name), one in 上城区, a shelter."""
    return {
        "water": create(client, auth, "pipelines", f.pipeline()),
        "risky": create(client, auth, "pipelines", f.pipeline(
            (f.XIHU[0] + 0.004, f.XIHU[1]), category="gas", subcategory="natural_gas", material="pe",
            owner=RISKY, build_year=1978, condition_grade=4)),
        "script": create(client, auth, "pipelines", f.pipeline(
            (f.XIHU[0] + 0.008, f.XIHU[1]), owner="<script>alert(1)</script>燃气公司")),
        "other": create(client, auth, "pipelines", f.pipeline(f.SHANGCHENG, category="power",
                                                                subcategory="power_supply")),
        "park": create(client, auth, "shelters", f.shelter()),
    }


def read_csv(data: bytes) -> dict[tuple[str, str], str]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads the Chinese labels
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["section", "key", "label", "value"]
    return {(r[0], r[1]): r[3] for r in rows[1:]}


def chart_data(page: str) -> dict[str, Any]:
    block = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S)
    return json.loads(block.group(1))  # type: ignore[no-any-return]


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    for path in ("/dashboard", "/dashboard?division=330106", "/dashboard.csv", "/dashboard.xlsx"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.location, path


def test_an_engineer_sees_their_division_and_nothing_else(client: Any, auth: Any) -> None:
    made = seed(client, auth)
    sign_in(client, "engineer", "engineer-demo-2026")  # 西湖区 330106
    resp = client.get("/dashboard")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert '<option value="330106"' in page and '<option value="330102"' not in page
    assert 'class="nav-overview" aria-current="page"' in page
    numbers = read_csv(client.get("/dashboard.csv").data)
    assert numbers[("totals", "pipelines.count")] == "3"
    assert numbers[("categories", "power.count")] == "0"
    km = round(sum(made[k]["properties"]["length_m"] for k in ("water", "risky", "script")) / 1000, 3)
    assert float(numbers[("totals", "pipelines.km")]) == km
    for crafted in ("330102", "330100", "33", "<b>x</b>"):
        for path in ("/dashboard", "/dashboard.csv", "/dashboard.xlsx"):
            refused = client.get(path, query_string={"division": crafted})
            assert refused.status_code == 403, (path, crafted)
    refused = client.get("/dashboard?division=330102").get_data(as_text=True)
    assert "上城区" not in refused and "电力" not in refused
    echoed = client.get("/dashboard", query_string={"division": "<b>x</b>"}).get_data(as_text=True)
    assert "<b>x</b>" not in echoed
    assert client.get("/dashboard?division=330106999").status_code == 404


def test_the_page_and_both_downloads_hold_the_same_numbers(client: Any, auth: Any) -> None:
    seed(client, auth)
    sign_in(client, "admin", "admin-demo-2026")
    page = client.get("/dashboard?division=330106").get_data(as_text=True)
    numbers = read_csv(client.get("/dashboard.csv?division=330106").data)
    book = load_workbook(io.BytesIO(client.get("/dashboard.xlsx?division=330106").data))
    # The page: every chart value is the table's, and the tables show the CSV's values.
    charts = chart_data(page)["charts"]
    gas = charts["categories"]["labels"].index("燃气")
    assert charts["categories"]["datasets"][0]["data"][gas] == float(numbers[("categories", "gas.km")])
    assert charts["categories"]["datasets"][0]["colours"][gas] == "#FF00FF"  # CJJ 61
    grade4 = charts["condition"]["datasets"][0]["data"][3]
    assert grade4 == float(numbers[("condition", "4.pipelines_km")]) > 0
    row = re.search(r'<tr data-key="gas">.*?</tr>', page, re.S).group(0)
    assert f'{float(numbers[("categories", "gas.km")]):,.3f}' in row
    assert "1980年以前" in page and "未填写" in page  # bucket labels in the page language
    # The workbook: one sheet per table, each cell the CSV's number.
    assert len(book.sheetnames) == len({section for section, _ in numbers})
    categories = book["管线按大类统计"]
    values = {r[0]: r[1:] for r in categories.iter_rows(min_row=2, values_only=True)}
    assert values["燃气"] == (int(numbers[("categories", "gas.count")]),
                            float(numbers[("categories", "gas.km")]))
    totals = {r[0]: r[1] for r in book["关键指标"].iter_rows(min_row=2, values_only=True)}
    assert totals["管线段"] == int(numbers[("totals", "pipelines.count")]) == 3
    assert totals["避难场所容量(人)"] == int(numbers[("totals", "shelters.capacity")]) == 10_000
    gaps = {r[0]: r for r in book["数据完整性"].iter_rows(min_row=2, values_only=True)}
    assert gaps["管线段 · 起点埋深(m)"][1:3] == (3, 0)
    assert numbers[("changes", "pipelines.create")] == "3"


def test_stored_text_stays_text_on_the_page_and_in_the_downloads(client: Any, auth: Any) -> None:
    seed(client, auth)
    sign_in(client, "admin", "admin-demo-2026")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;燃气公司" in page
    data = client.get("/dashboard.xlsx").data
    owners = load_workbook(io.BytesIO(data))["管线长度最多的权属单位"]
    cells = {c.value: c for row in owners.iter_rows(min_row=2) for c in row[:1]}
    assert RISKY in cells and cells[RISKY].data_type == "s" and cells[RISKY].quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    text = client.get("/dashboard.csv").data.decode("utf-8-sig")
    assert f"'{RISKY}" in text and f",{RISKY}" not in text


def test_english_labels_and_a_division_with_nothing_in_it(client: Any, auth: Any) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    client.get("/lang/en")
    page = client.get("/dashboard?division=330127").get_data(as_text=True)  # 淳安县: empty here
    assert "Overview · Chun&#39;an County" in page or "Overview · Chun'an County" in page
    assert "Pipelines by build year" in page and "Before 1980" in page
    assert "No changes in the last 7 days." in page
    numbers = read_csv(client.get("/dashboard.csv?division=330127").data)
    assert numbers[("totals", "pipelines.count")] == "0"
    assert numbers[("completeness", "pipelines.material.missing_pct")] == ""  # no records, no share
