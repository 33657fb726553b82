"""Issue 14 §8 on both databases: four-colour tables are data the city chooses.

The common LS table (R 20–25 重大, 15–16 较大, 9–12 一般, 1–8 低, DOMAIN.md §10) ships beside
the two of §3; an admin adds a table of the city's own and a risk point named to it is
assessed with it; every band is shown as its real interval (``D > 320``, never
"(−∞, +∞]"), L, E, C, S carry their Chinese names, and an LEC class is never a bare "一般"
beside a 一般风险 level. Before: three tables in code, no way to add one, the point's band
drawn as "(−∞, +∞]" by the map, factors as bare letters.
"""

from __future__ import annotations

import json
import re
from typing import Any

from risk import legends
from risk.levels import PRESETS, band_label
from tests.web.test_api import post
from tests.web.test_asset_page import csrf, sign_in
from tests.web.test_risk_collections import risk_point

JSON = "application/json"
CITY_TABLE = [{"low": 1, "high": 4, "level": "low", "low_closed": True},
              {"low": 5, "high": 10, "level": "general", "low_closed": True},
              {"low": 12, "high": 16, "level": "considerable", "low_closed": True},
              {"low": 20, "high": 25, "level": "major", "low_closed": True}]


def intervals(table: dict[str, Any]) -> dict[str, str]:
    return {b["interval"]: b["level"] for b in table["bands"]}


def test_the_common_ls_table_ships_beside_the_two_published_ones(client: Any, auth: Any) -> None:
    listed = client.get("/api/risk/presets", headers=auth.headers("viewer")).get_json()
    tables = {t["name"]: t for t in listed["presets"]}
    assert {"lec_default", "ls_r9_considerable", "ls_r9_general", "ls_r15_considerable"} <= set(tables)
    assert intervals(tables["ls_r15_considerable"]) == {
        "20 ≤ R ≤ 25": "major", "15 ≤ R ≤ 16": "considerable", "9 ≤ R ≤ 12": "general",
        "1 ≤ R ≤ 8": "low"}
    assert tables["ls_r15_considerable"]["convention"] is True  # [I]: shown as 参考
    lec = tables["lec_default"]
    assert intervals(lec)["D > 320"] == "major" and intervals(lec)["D ≤ 20"] == "low"
    assert lec["convention"] is True and lec["formula"] == "D = L × E × C"
    names = {b["name"] for b in lec["bands"]}
    assert "一般" not in names and "一般危险" in names
    # A point of R = 15 is 较大 by the common table, 较大 also by §3's; R = 12 一般 vs 较大.
    ls = post(client, auth, "risk-points", risk_point(method="ls", factor_l=3, factor_e=None,
                                                       factor_c=None, factor_s=4,
                                                       preset="ls_r15_considerable"))
    assert ls.status_code == 201, ls.get_data(as_text=True)
    assert (ls.get_json()["properties"]["score"], ls.get_json()["properties"]["level"]) == (
        12, "general")


def test_an_admin_adds_a_table_and_a_point_is_assessed_with_it(client: Any, auth: Any) -> None:
    body = {"name": "hz_ls_2026", "method": "ls", "params": {"bands": CITY_TABLE},
            "note": "杭州市 2026 年选定"}
    denied = client.post("/api/risk/presets", data=json.dumps(body), content_type=JSON,
                         headers=auth.headers("manager"))
    assert denied.status_code == 403
    made = client.post("/api/risk/presets", data=json.dumps(body), content_type=JSON,
                       headers=auth.headers("admin"))
    assert made.status_code == 201, made.get_json()
    saved = made.get_json()
    assert (saved["name"], saved["version"], saved["map"], saved["created_by"]) == (
        "hz_ls_2026", 1, "four", "admin")
    assert intervals(saved["table"])["12 ≤ R ≤ 16"] == "considerable"
    point = post(client, auth, "risk-points", risk_point(method="ls", factor_l=3, factor_e=None,
                                                          factor_c=None, factor_s=4,
                                                          preset="hz_ls_2026"))
    assert point.status_code == 201, point.get_data(as_text=True)
    assert (point.get_json()["properties"]["level"], point.get_json()["properties"]["preset"]) \
        == ("considerable", "hz_ls_2026")
    again = client.post("/api/risk/presets", data=json.dumps(body), content_type=JSON,
                        headers=auth.headers("admin"))
    assert again.get_json()["version"] == 2  # an edit is a new version


def test_a_table_that_leaves_a_score_out_or_reads_backwards_is_refused(client: Any,
                                                                       auth: Any) -> None:
    def codes(bands: list[dict[str, Any]], name: str = "mine", method: str = "ls") -> set[str]:
        resp = client.post("/api/risk/presets", content_type=JSON, headers=auth.headers("admin"),
                           data=json.dumps({"name": name, "method": method,
                                            "params": {"bands": bands}}))
        assert resp.status_code == 400, resp.get_json()
        return {e["code"] for e in resp.get_json()["errors"]}

    assert "bands_gap" in codes(CITY_TABLE[1:])  # R = 1…4 fall nowhere
    backwards = [{**b, "level": lv} for b, lv in zip(CITY_TABLE, ("low", "considerable",
                                                                   "general", "major"),
                                                     strict=True)]
    assert "bands_order" in codes(backwards)
    assert "bands_overlap" in codes([*CITY_TABLE, {"low": 3, "high": 5, "level": "low"}])
    assert "preset_read_only" in codes(CITY_TABLE, name="ls_r9_general")
    assert "unknown_code" in codes(CITY_TABLE, method="matrix")


def test_band_labels_name_the_real_interval_and_the_factors_their_chinese_names() -> None:
    lec = PRESETS["lec_default"]
    assert [band_label(b, "lec") for b in lec.bands] == [
        "稍有危险（D ≤ 20）", "一般危险（20 < D ≤ 70）", "显著危险（70 < D ≤ 160）",
        "高度危险（160 < D ≤ 320）", "极其危险（D > 320）"]
    assert band_label(PRESETS["ls_r9_considerable"].bands[2], "ls") == "9 ≤ R ≤ 16"
    names = legends.factor_names("zh_CN")
    assert names["lec"] == {"L": "L 事故发生的可能性", "E": "E 暴露于危险环境的频繁程度",
                            "C": "C 事故后果的严重程度"}
    assert names["ls"]["S"] == "S 后果严重性"
    assert legends.factor_names("en")["lec"]["E"] == "E exposure frequency"


def test_the_four_colour_page_carries_the_tables_and_factor_names(client: Any) -> None:
    sign_in(client, "viewer", "viewer-demo-2026")
    page = client.get("/risk/four").get_data(as_text=True)
    assert "−∞" not in page and 'data-preset="lec_default"' in page
    assert "D &gt; 320" in page  # the legend's table
    config = json.loads(re.search(r'id="risk-config">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    # What the map says of a point: its band's real interval, its factors' Chinese names.
    top = config["presets"]["lec_default"]["bands"][0]
    assert (top["interval"], top["name"], top["label"]) == ("D > 320", "极其危险", "重大风险")
    assert config["factor_names"]["lec"]["L"] == "L 事故发生的可能性"
    assert config["factor_names"]["ls"]["S"] == "S 后果严重性"


def test_the_schemes_page_lists_the_tables_and_an_admin_adds_one(client: Any) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    page = client.get("/risk/schemes").get_data(as_text=True)
    assert 'data-preset="ls_r15_considerable"' in page and 'id="preset-form"' in page
    assert "9 ≤ R ≤ 12" in page
    token = csrf(client, "/risk/schemes")
    bad = client.post("/risk/schemes/presets", data={
        "csrf_token": token, "name": "mine", "method": "ls",
        "bands": json.dumps(CITY_TABLE[1:])})
    assert bad.status_code == 422 and 'id="preset-errors"' in bad.get_data(as_text=True)
    good = client.post("/risk/schemes/presets", data={
        "csrf_token": token, "name": "mine", "method": "ls", "bands": json.dumps(CITY_TABLE)})
    assert good.status_code == 302 and "saved=mine" in good.headers["Location"]
    page = client.get("/risk/schemes").get_data(as_text=True)
    assert re.search(r'data-preset="mine"', page) and "12 ≤ R ≤ 16" in page
    sign_in(client, "viewer", "viewer-demo-2026")
    assert client.post("/risk/schemes/presets", data={"csrf_token": token, "name": "x"}
                       ).status_code in (302, 403)
