"""The colour-map pages on both databases: maps with legends, runs and diffs, statistics, print."""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from risk import stats
from tests.web.map_script import with_map_script
from tests.web.test_dashboard import sign_in
from tests.web.test_risk_api import make_published


def test_pages_need_a_sign_in(client: Any) -> None:
    for path in ("/risk/five", "/risk/runs", "/risk/divisions", "/risk/print/five"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


def test_five_colour_map_shows_the_official_legend_and_the_published_run(
        client: Any, session: Session) -> None:
    run = make_published(session)["run"]
    sign_in(client, "viewer", "viewer-demo-2026")
    html = client.get("/risk/five").get_data(as_text=True)
    for name, colour in (("高风险", "#E60012"), ("较高风险", "#FF8C00"), ("中风险", "#FFD700"),
                         ("较低风险", "#5CC8F5"), ("低风险", "#2E8B57")):
        assert name in html and colour in html
    assert f"/risk/runs/{run}" in html and "composite_default v1" in html
    assert 'value="cell"' in html and 'value="asset"' in html and 'value="division"' in html
    assert "risk-run-button" not in html  # a viewer may look, not run
    assert "cdn" not in html.lower() and "unpkg" not in html
    config = json.loads(html.split('id="risk-config">')[1].split("</script>")[0])
    assert config["collection"] == "risk-five-colour" and config["map"] == "five"
    assert [lv["code"] for lv in config["levels"]][0] == "high"


def test_four_colour_map_in_english_with_the_run_button_for_a_manager(client: Any) -> None:
    sign_in(client, "manager", "manager-demo-2026")
    client.get("/lang/en")
    html = client.get("/risk/four").get_data(as_text=True)
    for name in ("Major", "Considerable", "General", "Low", "#FF0000", "#0070FF"):
        assert name in html
    assert 'value="tunnel"' in html and 'value="point"' in html
    assert "risk-run-button" in html
    assert client.get("/risk/six").status_code == 404


def test_run_history_and_a_runs_diff(client: Any, session: Session) -> None:
    run = make_published(session)["run"]
    sign_in(client, "manager", "manager-demo-2026")
    html = client.get("/risk/runs").get_data(as_text=True)
    assert f'data-run="{run}"' in html and "composite_default v1" in html
    diff = client.get(f"/risk/runs/{run}").get_data(as_text=True)
    assert "中风险" in diff and "较高风险" in diff and "文三路管廊" in diff
    assert "/collections/pipelines/items/17" in diff  # the asset behind a line
    four = client.get(f"/risk/runs/{run}?map=four").get_data(as_text=True)
    assert "文三路管廊" in four and "西湖给水管" not in four
    assert client.get("/risk/runs/999999").status_code == 404


def test_statistics_by_division_as_tables_and_xlsx(client: Any, session: Session) -> None:
    make_published(session)
    rows = {r.code: r for r in stats.by_division(session)}
    xihu = rows["330106"]
    assert xihu.five["cell"]["fairly_high"] == stats.Cell(1, 250000.0)
    assert xihu.five["asset"]["fairly_high"] == stats.Cell(1, 430.0)
    assert xihu.four["tunnel"]["major"].count == 1 and xihu.name == "西湖区"
    assert stats.by_division(session, {"330102"}) == []
    sign_in(client, "manager", "manager-demo-2026")
    html = client.get("/risk/divisions").get_data(as_text=True)
    assert "西湖区 (330106)" in html and "0.25" in html and "0.43" in html
    assert "chart.umd.min.js" in html
    resp = client.get("/risk/divisions.xlsx")
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    assert "five-area" in wb.sheetnames and "four-points" in wb.sheetnames
    values = [c.value for row in wb["five-length"].iter_rows() for c in row]
    assert "西湖区 (330106)" in values and 0.43 in values


def test_an_engineer_sees_the_statistics_of_their_division_only(client: Any,
                                                                session: Session) -> None:
    make_published(session)
    sign_in(client, "engineer_sc", "engineer-demo-2026")  # 上城区
    html = client.get("/risk/divisions").get_data(as_text=True)
    assert "西湖区 (330106)" not in html


def test_print_view_fits_a_division_on_a_landscape_sheet(client: Any, session: Session) -> None:
    make_published(session)
    sign_in(client, "manager", "manager-demo-2026")
    html = with_map_script(client, client.get("/risk/print/five?division=330106&size=A4").get_data(as_text=True))
    assert "size: A4 landscape" in html and "西湖区" in html and "north-arrow" in html
    assert "较高风险" in html and "topbar" not in html
    assert "fitBounds" in html  # the map opens on the division
    assert client.get("/risk/print/four?division=999999").status_code == 404
    a3 = client.get("/risk/print/four?division=330106&size=XL").get_data(as_text=True)
    assert "size: A3 landscape" in a3


def test_maps_open_on_the_published_results_and_print_on_the_users_division(
        client: Any, session: Session) -> None:
    make_published(session)
    sign_in(client, "engineer", "engineer-demo-2026")  # 西湖区
    html = with_map_script(client, client.get("/risk/five").get_data(as_text=True))
    assert "fitBounds" in html and "30.26" in html  # the cell's extent, not the division's
    printed = client.get("/risk/print/four").get_data(as_text=True)
    assert "西湖区" in printed
    assert client.get("/risk/print/five?division=330102").status_code == 403
