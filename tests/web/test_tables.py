"""The collection tables, the index and the search page as a browser without JavaScript sees them."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy.orm import Session

from inventory import service
from inventory.service import WriteContext
from resilience.accounts import SYSTEM
from tests import factories as f
from tests.web.map_script import with_map_script

EXTENT = (118.3, 29.1, 120.8, 30.6)
XSS = "<script>document.title='pwned'</script>管"
ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _create(session: Session, at: tuple[float, float], i: int, **props: Any) -> int:
    shifted = (at[0] + (i % 10) * 0.0015, at[1] + (i // 10) * 0.001)
    obj = service.create(session, "pipelines", f.pipeline(shifted, **props),
                         WriteContext(by=SYSTEM, extent=EXTENT))
    return int(obj.id)


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """45 segments in 西湖区 (one named with a script), 3 in 上城区 that 西湖's engineer never sees."""
    rows: dict[int, dict[str, Any]] = {}
    for i in range(45):
        category = ("water_supply", "gas", "drainage")[i % 3]
        props = {"name": XSS if i == 7 else f"测试路{category}管{i:02d}",
                 "external_id": f"TB-330106-{i:04d}", "category": category, "subcategory": None,
                 "material": {"water_supply": "ductile_iron", "gas": "pe",
                              "drainage": "concrete"}[category],
                 "diameter_mm": [150, 300, 600, None][i % 4],
                 "build_year": [1998, 2008, 2018, None, 2003][i % 5]}
        key = _create(session, f.XIHU, i, **props)
        rows[key] = props
    hidden = [_create(session, f.SHANGCHENG, i, name=f"上城专用管{i}", category="gas",
                      subcategory=None, material="pe", external_id=f"SC-330102-{i:04d}")
              for i in range(3)]
    session.flush()
    return {"rows": rows, "hidden": hidden}


def _keys(page: str) -> list[int]:
    return [int(k) for k in re.findall(r'<tr data-key="(\d+)"', page)]


def _link(page: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    return html.unescape(found.group(1)) if found else None


def _get(client: Any, auth: Any, url: str, user: str = "engineer",
         lang: dict[str, str] = ZH) -> tuple[int, str]:
    resp = client.get(url, headers={**auth.headers(user), **lang})
    return resp.status_code, resp.get_data(as_text=True)


def test_strangers_are_sent_to_login(client: Any) -> None:
    for path in ("/collections", "/collections/pipelines", "/search?q=x"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_index_counts_what_the_user_sees(client: Any, auth: Any, city: dict[str, Any]) -> None:
    status, page = _get(client, auth, "/collections")
    assert status == 200 and "数据浏览" in page
    count = re.search(r'data-collection="pipelines">.*?<span class="count">([\d,]+)</span>', page, re.S)
    assert count and count.group(1) == "45"
    _, admin = _get(client, auth, "/collections", "admin")
    count = re.search(r'data-collection="pipelines">.*?<span class="count">([\d,]+)</span>', admin, re.S)
    assert count and int(count.group(1).replace(",", "")) >= 48
    assert 'href="/collections/divisions"' in page


def test_table_shows_labels_colours_links_and_escapes_text(client: Any, auth: Any,
                                                           city: dict[str, Any]) -> None:
    status, page = _get(client, auth, "/collections/pipelines?limit=100")
    assert status == 200
    rows = city["rows"]
    assert _keys(page) == sorted(rows)  # default order: by id
    assert "共 45 条记录" in page and ">管线大类<" in page
    assert "给水" in page and "球墨铸铁" in page and "西湖区" in page
    assert 'class="cat-swatch" style="background: #00FFFF"' in page  # CJJ 61 water supply
    key = next(iter(rows))
    assert f'<a href="/collections/pipelines/items/{key}">' in page
    # Stored text arrives as text: no script element from data, anywhere on the page.
    assert "<script>document.title" not in page
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;管" in page
    # Everything from the app itself; no handlers in the markup.
    assert "https://" not in page and "http://" not in page
    assert not re.search(r"\son[a-z]+=", page)
    # Every form control is labelled.
    ids = set(re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', page))
    assert ids <= set(re.findall(r'<label[^>]*\bfor="([^"]+)"', page))


def test_filters_combine_and_stay_in_the_links(client: Any, auth: Any, city: dict[str, Any]) -> None:
    rows = city["rows"]
    url = "/collections/pipelines?category=gas&year_from=2000&year_to=2010&limit=100"
    status, page = _get(client, auth, url)
    expected = sorted(k for k, r in rows.items() if r["category"] == "gas"
                      and r["build_year"] is not None and 2000 <= r["build_year"] <= 2010)
    assert status == 200 and _keys(page) and _keys(page) == expected
    assert f"共 {len(expected)} 条记录" in page
    assert '<option value="gas" selected>燃气</option>' in page
    assert 'name="year_from" type="text" inputmode="numeric" maxlength="4" size="6"\n' \
           '             value="2000"' in page
    # The sort links, the map and the downloads keep the selection.
    sort = html.unescape(re.search(r'<a href="([^"]+)" data-sort="diameter_mm"', page).group(1))
    assert parse_qs(urlsplit(sort).query) == {"category": ["gas"], "year_from": ["2000"],
                                              "year_to": ["2010"], "limit": ["100"],
                                              "sort": ["diameter_mm"]}
    map_href = html.unescape(re.search(r'<a href="([^"]+)" class="button" id="show-on-map"',
                                       page).group(1))
    assert urlsplit(map_href).path == "/map"
    assert parse_qs(urlsplit(map_href).query) == {"collection": ["pipelines"], "category": ["gas"],
                                                  "year_from": ["2000"], "year_to": ["2010"]}
    export = html.unescape(re.search(r'<a href="([^"]+)" data-format="geojson"', page).group(1))
    query = parse_qs(urlsplit(export).query)
    assert query["category"] == ["gas"] and query["build_year"] == [
        ",".join(str(y) for y in range(2000, 2011))]
    # The download holds exactly the table's records.
    resp = client.get(export, headers=auth.headers("engineer"))
    assert resp.status_code == 200
    assert sorted(feat["id"] for feat in json.loads(resp.get_data())["features"]) == expected


def test_text_filter_matches_names_and_ids_ignoring_case(client: Any, auth: Any,
                                                         city: dict[str, Any]) -> None:
    rows = city["rows"]
    _, page = _get(client, auth, "/collections/pipelines?q=tb-330106-001&limit=100")
    assert _keys(page) == sorted(k for k, r in rows.items()
                                 if r["external_id"].startswith("TB-330106-001"))
    assert "下载文件包含除文本搜索外的全部筛选条件" in page
    _, page = _get(client, auth, "/collections/pipelines?q=<script>")
    assert len(_keys(page)) == 1 and "<script>document" not in page


def test_sort_by_a_column_with_empty_values_and_page_both_ways(client: Any, auth: Any,
                                                               city: dict[str, Any]) -> None:
    rows = city["rows"]
    present = sorted((k for k, r in rows.items() if r["diameter_mm"] is not None),
                     key=lambda k: (rows[k]["diameter_mm"], k), reverse=True)
    expected = present + sorted((k for k, r in rows.items() if r["diameter_mm"] is None),
                                reverse=True)
    url = "/collections/pipelines?sort=-diameter_mm&limit=20"
    pages: list[list[int]] = []
    prev_links: list[str | None] = []
    while url:
        status, page = _get(client, auth, url)
        assert status == 200
        pages.append(_keys(page))
        prev_links.append(_link(page, "prev"))
        assert 'aria-sort="descending"' in page and "共 45 条记录" in page
        url = _link(page, "next")  # type: ignore[assignment]
    assert [k for p in pages for k in p] == expected and [len(p) for p in pages] == [20, 20, 5]
    assert prev_links[0] is None and "before=" in (prev_links[2] or "")
    _, back = _get(client, auth, prev_links[2])  # type: ignore[arg-type]
    assert _keys(back) == pages[1]
    _, first = _get(client, auth, _link(back, "first"))  # type: ignore[arg-type]
    assert _keys(first) == pages[0]
    # A second click on the sorted column turns it round.
    header = re.search(r'<a href="([^"]+)" data-sort="diameter_mm"', first).group(1)
    assert "sort=diameter_mm" in html.unescape(header)


def test_crafted_urls_never_show_another_division(client: Any, auth: Any,
                                                  city: dict[str, Any]) -> None:
    hidden = set(city["hidden"])
    status, page = _get(client, auth, "/collections/pipelines?division=330102")
    assert status == 403 and "您无权操作区划 330102" in page and not _keys(page)
    for url in ("/collections/pipelines?limit=100", "/collections/pipelines?q=上城专用管",
                f"/collections/pipelines?after={min(hidden)}&sort=name&limit=100",
                f"/collections/pipelines?q={min(hidden)}"):
        status, page = _get(client, auth, url)
        results = page.split("</form>")[-1]  # after the filters, which echo the text typed
        assert status == 200 and not set(_keys(page)) & hidden and "上城专用管" not in results
    assert '<option value="330102"' not in page and '<option value="330106">西湖区' in page
    _, found = _get(client, auth, "/search?q=上城专用管")
    assert "<li data-key" not in found and 'id="no-hits"' in found
    status, page = _get(client, auth, "/map?collection=pipelines&division=330102")
    assert status == 403
    _, admin = _get(client, auth, "/collections/pipelines?division=330102", "admin")
    assert set(_keys(admin)) == hidden


@pytest.mark.parametrize(("query", "said"), [
    ("sort=diameter", "排序: “diameter”不是可排序的列"),
    ("year_from=abc", "建设年代（起）: “abc”不是整数"),
    ("limit=10000", "每页条数: “10000”不是可选的每页条数（可选 20, 50, 100）"),
    ("after=abc", "分页位置: “abc”在此无效"),
    ("category=steam", "管线大类: “steam”不是允许的代码"),
    ("year_from=2010&year_to=2000", "建设年代（止）: 2000 小于最小值 2010"),
    ("after=2147483000&sort=name", "分页位置: “2147483000”不存在"),
])
def test_bad_parameters_are_explained_on_the_page(client: Any, auth: Any, query: str,
                                                  said: str) -> None:
    status, page = _get(client, auth, f"/collections/pipelines?{query}")
    assert status == 400
    assert 'id="table-problems"' in page and said in html.unescape(page)
    assert 'id="f-q"' in page  # the form is there to correct it


def test_unknown_collection_is_not_found(client: Any, auth: Any) -> None:
    assert _get(client, auth, "/collections/nothing")[0] == 404


def test_count_is_capped(client: Any, auth: Any, city: dict[str, Any],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    from web.pages import tables

    monkeypatch.setattr(tables, "COUNT_CAP", 10)
    _, page = _get(client, auth, "/collections/pipelines")
    assert "超过 10 条记录" in page


def test_english_and_other_collections(client: Any, auth: Any, city: dict[str, Any]) -> None:
    status, page = _get(client, auth, "/collections/pipelines?category=water_supply", lang=EN)
    assert status == 200 and "Pipeline segments" in page and "15 records" in page
    assert "Water supply" in page and "Ductile iron" in page and "Xihu District" in page
    for name in ("network-points", "tunnels", "shelters", "flood-points", "divisions"):
        status, page = _get(client, auth, f"/collections/{name}", lang=EN)
        assert status == 200, name
    _, divisions = _get(client, auth, "/collections/divisions?level=county&sort=-code")
    assert "西湖区" in divisions and "上城区" in divisions  # boundaries are public, as in the API
    assert re.search(r'aria-sort="descending">\s*<a href="[^"]+" data-sort="code"', divisions)
    assert divisions.index("330127") < divisions.index("330102")


def test_language_switch_keeps_the_table_state(client: Any, auth: Any) -> None:
    _, page = _get(client, auth, "/collections/pipelines?category=gas&sort=-build_year")
    switch = html.unescape(re.search(r'<a href="(/lang/en[^"]+)"', page).group(1))
    assert parse_qs(urlsplit(switch).query)["next"] == [
        "/collections/pipelines?category=gas&sort=-build_year"]


def test_map_opens_on_the_selection(client: Any, auth: Any, city: dict[str, Any]) -> None:
    status, page = _get(client, auth, "/map?collection=pipelines&category=gas&year_from=2000")
    assert status == 200
    page = with_map_script(client, page, auth.headers("engineer"))
    assert '"query": "category=gas\\u0026build_year=2000%2C2001%2C' in page
    south, west, north, east = map(float, re.search(
        r"fitBounds\(\s*\[\[([\d.]+), ([\d.]+)\], \[([\d.]+), ([\d.]+)\]\]", page).groups())
    assert 30.279 < south < north < 30.29 and 120.079 < west < east < 120.1  # the gas lines only
    assert _get(client, auth, "/map?collection=pipelines&year_from=abc")[0] == 400


def test_search_groups_results_and_jumps_to_a_single_one(client: Any, auth: Any,
                                                         city: dict[str, Any]) -> None:
    rows = city["rows"]
    key = next(k for k, r in rows.items() if r["external_id"] == "TB-330106-0021")
    resp = client.get("/search?q=tb-330106-0021", headers={**auth.headers("engineer"), **ZH})
    assert resp.status_code == 302 and resp.headers["Location"] == f"/collections/pipelines/items/{key}"
    status, page = _get(client, auth, "/search?q=测试路gas")
    assert status == 200 and 'data-collection="pipelines"' in page
    assert len(re.findall(r'<li data-key="\d+">', page)) == 10 and "(10+)" in page
    assert 'href="/collections/pipelines?q=%E6%B5%8B%E8%AF%95%E8%B7%AFgas"' in page
    _, page = _get(client, auth, "/search?q=管")
    assert "&lt;script&gt;" in page and "<script>document" not in page
    _, page = _get(client, auth, "/search")
    assert 'id="search-q"' in page and 'id="no-hits"' not in page
    status, page = _get(client, auth, "/search?q=" + "长" * 101)
    assert status == 400 and "超过 100 个字符" in page
    _, page = _get(client, auth, "/search?q=没有这种管", lang=EN)
    assert "Nothing found for “没有这种管”." in html.unescape(page)


def test_top_bar_has_the_search_box_and_the_browse_link(client: Any, auth: Any) -> None:
    _, page = _get(client, auth, "/collections")
    assert '<form class="top-search" role="search" method="get" action="/search">' in page
    assert 'href="/collections" class="nav-browse" aria-current="page">数据浏览<' in page
    assert client.get("/static/css/tables.css").status_code == 200


def test_index_caps_large_counts(client: Any, auth: Any, city: dict[str, Any],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from web.pages import tables

    monkeypatch.setattr(tables, "COUNT_CAP", 40)
    _, page = _get(client, auth, "/collections")
    count = re.search(r'data-collection="pipelines">.*?<span class="count">([^<]+)</span>', page, re.S)
    assert count and count.group(1) == "40+"
