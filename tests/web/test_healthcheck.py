"""The health-check pages: compute, profile figures, entered values with errors by indicator, XLSX, rights."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from resilience import profiles
from risk.healthcheck import checks
from tests.healthcheck.conftest import YEAR, build_city
from tests.healthcheck.test_checks import survey_rows
from tests.web.test_dashboard import sign_in


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    return build_city(session)


def _row(html: str, code: str) -> str:
    """The indicator table's row of one code."""
    start = html.index(f'<tr data-code="{code}"')
    return html[start:html.index("</tr>", start)]


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_an_engineer_computes_enters_and_exports(client: Any, session: Session,
                                                 city: dict[str, Any]) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    html = client.get(f"/health-check?year={YEAR}").get_data(as_text=True)
    assert 'id="hc-empty"' in html and 'value="330106" selected' in html
    assert 'value="330102"' not in html  # 上城区 is not granted to 西湖区's engineer
    resp = client.post(f"/health-check/330106/{YEAR}/compute", data={"csrf_token": _token(html)})
    assert resp.status_code == 302
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="hc-indicators"' in html and "内涝积水点数量" in html and "1 个易涝点未消除" in html
    assert 'data-code="pipeline_over_age.gas"' in html
    assert "城市概况中无建成区面积：无数据，不作判定" in _row(html, "drainage_density")
    assert 'id="hc-v-built_up_area"' not in html  # the city profile's, not entered here
    refused = client.post(f"/health-check/330106/{YEAR}/values", data={
        "csrf_token": _token(html), "v:built_up_area": "80"})
    assert refused.status_code == 422
    survey_rows(session)  # entered (survey-only) rows a city adds to its catalogue
    session.commit()
    bad = client.post(f"/health-check/330106/{YEAR}/values", data={
        "csrf_token": _token(html), "v:fire_5min_coverage": "80 亩", "v:rescue_teams": "-5"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "单位“亩”与指标单位（%）不符" in text and "小于最小值" in text
    assert 'value="80 亩"' in text  # what was typed is kept
    assert checks.find(session, "330106", YEAR).value_of("rescue_teams") is None
    profiles.save(session, "330106", YEAR - 1, {"built_up_area_km2": 80, "population": 1_000_000},
                  by="admin", source="演示", example=True)
    session.commit()
    good = client.post(f"/health-check/330106/{YEAR}/values", data={
        "csrf_token": _token(html), "v:fire_5min_coverage": "80", "v:rescue_teams": "3"})
    assert good.status_code == 302
    check = checks.find(session, "330106", YEAR)
    session.refresh(check)
    assert check.value_of("rescue_teams").value == 3
    assert check.value_of("built_up_area").value == 80
    assert check.value_of("drainage_density").note == "example_figures"  # recomputed on it
    html = client.get(good.headers["Location"]).get_data(as_text=True)
    assert f"城市概况示例数据（{YEAR - 1} 年），非官方统计" in _row(html, "drainage_density")
    xlsx = client.get(f"/health-check/330106/{YEAR}.xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["指标", "问题清单"]
    printed = client.get(f"/health-check/330106/{YEAR}/print")
    page = printed.get_data(as_text=True)
    assert printed.status_code == 200 and "A4 portrait" not in page  # the CSS holds @page
    assert "西湖区" in page and "问题清单" in page and "1 个易涝点未消除" in page
    css = client.get("/static/css/healthcheck_print.css").get_data(as_text=True)
    assert "@page { size: A4 portrait" in css
    final = client.post(f"/health-check/330106/{YEAR}/final", data={"csrf_token": _token(html)})
    assert final.status_code == 302
    html = client.get(final.headers["Location"]).get_data(as_text=True)
    assert 'id="hc-compute"' not in html and "已定稿" in html
    frozen = client.post(f"/health-check/330106/{YEAR}/compute", data={"csrf_token": _token(html)})
    assert frozen.status_code == 409


def test_viewers_read_but_may_not_compute_and_others_divisions_are_hidden(
        client: Any, session: Session, city: dict[str, Any]) -> None:
    checks.compute(session, "330106", YEAR, by="t")
    session.commit()
    sign_in(client, "viewer", "viewer-demo-2026")
    html = client.get(f"/health-check?division=330106&year={YEAR}").get_data(as_text=True)
    assert 'id="hc-indicators"' in html and 'id="hc-compute"' not in html
    assert client.post(f"/health-check/330106/{YEAR}/compute",
                       data={"csrf_token": _token(html)}).status_code == 403
    assert client.get(f"/health-check/330106/{YEAR - 5}.xlsx").status_code == 404
    client.post("/logout", data={"csrf_token": _token(html)})
    sign_in(client, "engineer_sc", "engineer-demo-2026")
    assert client.get(f"/health-check?division=330106&year={YEAR}").status_code == 403
    assert client.get(f"/health-check/330106/{YEAR}.xlsx").status_code == 403


def test_the_menu_links_the_health_check_and_english_works(client: Any) -> None:
    assert client.get("/health-check").status_code == 302  # sign in first
    sign_in(client, "manager", "manager-demo-2026")
    html = client.get("/health-check").get_data(as_text=True)
    assert 'class="nav-healthcheck"' in html and "城市体检" in html
    en = client.get("/health-check", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "City health check" in en or "城市体检" in en


def test_the_api_lists_and_reads_checks_of_granted_divisions(client: Any, auth: Any,
                                                             session: Session,
                                                             city: dict[str, Any]) -> None:
    mine = checks.compute(session, "330106", YEAR, by="t")
    other = checks.compute(session, "330102", YEAR, by="t")
    session.commit()
    listed = client.get(f"/api/health-checks?year={YEAR}", headers=auth.headers("engineer"))
    assert listed.status_code == 200
    assert [c["division_code"] for c in listed.json["health_checks"]] == ["330106"]
    assert client.get("/api/health-checks?division=330102",
                      headers=auth.headers("engineer")).status_code == 403
    assert client.get("/api/health-checks?year=x",
                      headers=auth.headers("engineer")).status_code == 400
    assert client.get(f"/api/health-checks/{other.id}",
                      headers=auth.headers("engineer")).status_code == 404
    body = client.get(f"/api/health-checks/{mine.id}",
                      headers=auth.headers("engineer", **{"Accept-Language": "en"})).json
    by_code = {i["code"]: i for i in body["indicators"]}
    assert by_code["waterlogging_points"]["value"] == 1
    assert by_code["waterlogging_points"]["target_met"] is False
    assert by_code["waterlogging_points"]["judgement"] == "missed"
    assert by_code["waterlogging_points"]["target_source"].startswith("working definition")
    assert by_code["fire_5min_coverage"]["judgement"] == "no_data"
    assert by_code["waterlogging_points"]["name"] == "Waterlogging points"
    assert any(p["text"].startswith("1 flood points") for p in body["problems"])
    assert {link["rel"] for link in body["links"]} == {"self", "alternate"}
    assert client.get("/api/health-checks").status_code == 401


def test_reference_values_and_no_data_are_shown_as_such(client: Any, session: Session,
                                                        city: dict[str, Any]) -> None:
    checks.compute(session, "330106", YEAR, by="t")
    checks.compute(session, "330105", YEAR, by="t")  # 拱墅区: no flood survey
    session.commit()
    sign_in(client, "manager", "manager-demo-2026")
    html = client.get(f"/health-check?division=330106&year={YEAR}").get_data(as_text=True)
    row = _row(html, "waterlogging_points")
    assert "参考值 ≤ 0" in row and "来源：工作定义" in row and 'data-judgement="missed"' in row
    assert 'data-judgement="not_judged"' in _row(html, "tunnel_length")
    assert "未评估" in _row(html, "tunnel_length")
    entered = _row(html, "fire_5min_coverage")  # survey-only: entered, not yet — 无数据
    assert 'data-judgement="no_data"' in entered and "无数据" in entered
    assert 'id="hc-evaluation"' in html and 'id="hc-renewal"' in html
    other = client.get(f"/health-check?division=330105&year={YEAR}").get_data(as_text=True)
    row = _row(other, "waterlogging_points")
    assert 'data-judgement="no_data"' in row and "未普查" in row
    problems = other[other.index('id="hc-problems"'):other.index('id="hc-indicators"')]
    assert "易涝点" not in problems  # never "0 易涝点, target met", never a problem either
    printed = client.get(f"/health-check/330106/{YEAR}/print").get_data(as_text=True)
    assert "参考值及其来源" in printed and "工作定义" in printed


def test_the_five_year_evaluation_page_draws_each_trend(client: Any, session: Session,
                                                        city: dict[str, Any]) -> None:
    for year in (YEAR - 1, YEAR):
        checks.compute(session, "330106", year, by="t")
    session.commit()
    sign_in(client, "engineer", "engineer-demo-2026")
    resp = client.get(f"/health-check/evaluation?division=330106&year={YEAR}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "五年一评估" in html
    card = html[html.index('data-code="waterlogging_points"'):]
    card = card[:card.index("</article>")]
    assert "<svg" in card and "<polyline" in card and 'class="reference"' in card
    assert card.count('class="gap"') == 3  # three of the five years have no check
    assert "http" not in card  # nothing fetched from outside
    assert 'id="hc-eval-compute"' in html
    done = client.post("/health-check/330106/evaluation/compute",
                       data={"csrf_token": _token(html), "year": str(YEAR)})
    assert done.status_code == 302
    html = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'id="hc-eval-compute"' not in html  # every year now has its check
    assert len(checks.checks_of(session, divisions=("330106",))) == 5
    sign_in(client, "engineer_sc", "engineer-demo-2026")
    assert client.get(f"/health-check/evaluation?division=330106&year={YEAR}").status_code == 403
