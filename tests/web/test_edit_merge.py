"""Two people edit one record in the browser: a stale form is merged field by field, on both databases.

Base is the version the second editor loaded (from the audit trail), theirs is their form,
saved is the record now: untouched fields take the saved value, their own changes are kept,
and only a field both changed differently is shown for a decision, with nothing saved.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from tests import factories as f
from tests.web.test_asset_page import create, sign_in


class _Form(HTMLParser):
    """The values a browser would post from the page's asset form, as loaded."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._inside = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "asset-form" in a.get("class", ""):
            self._inside = True
        if not self._inside:
            return
        if tag == "input" and "name" in a:
            self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.values[a["name"]] = ""
        elif tag == "option" and self._select is not None and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data


def loaded(client: Any, url: str) -> dict[str, str]:
    """Open the edit form and read what it would post unchanged."""
    page = client.get(url)
    assert page.status_code == 200
    parser = _Form()
    parser.feed(page.get_data(as_text=True))
    return parser.values


def _two_editors(app: Any, client: Any, auth: Any) -> tuple[int, str, Any]:
    key = create(client, auth, f.pipeline(diameter_mm=300, owner="杭州市水务集团有限公司"))
    sign_in(client, "engineer", "engineer-demo-2026")
    colleague = app.test_client()
    sign_in(colleague, "admin", "admin-demo-2026")
    return key, f"/collections/pipelines/items/{key}/edit", colleague


def _item(client: Any, auth: Any, key: int) -> dict[str, Any]:
    resp = client.get(f"/api/collections/pipelines/items/{key}", headers=auth.headers("admin"))
    return dict(resp.get_json()["properties"])


def test_a_stale_form_keeps_the_colleagues_change_and_applies_mine(app: Any, client: Any,
                                                                   auth: Any) -> None:
    key, url, colleague = _two_editors(app, client, auth)
    mine, theirs = loaded(client, url), loaded(colleague, url)
    assert mine["version"] == theirs["version"] and float(mine["diameter_mm"]) == 300
    done = colleague.post(url, data={**theirs, "diameter_mm": "400"})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]

    stale = client.post(url, data={**mine, "owner": "西湖区城管局"})
    assert stale.status_code == 302, stale.get_data(as_text=True)[:3000]
    item = _item(client, auth, key)
    assert (item["diameter_mm"], item["owner"]) == (400, "西湖区城管局")
    assert item["version"] == int(mine["version"]) + 2


def test_a_field_both_changed_is_shown_for_a_decision_and_nothing_is_saved(app: Any, client: Any,
                                                                           auth: Any) -> None:
    key, url, colleague = _two_editors(app, client, auth)
    mine, theirs = loaded(client, url), loaded(colleague, url)
    assert colleague.post(url, data={**theirs, "diameter_mm": "400"}).status_code == 302
    saved = _item(client, auth, key)

    refused = client.post(url, data={**mine, "diameter_mm": "350", "owner": "西湖区城管局"})
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    rows = re.findall(r'<tr data-field="(\w+)">.*?class="mine">([^<]*)<.*?class="theirs">([^<]*)<',
                      page, re.S)
    assert rows == [("diameter_mm", "350", "400")]  # only the real conflict, both values
    assert "管径" in page
    assert _item(client, auth, key) == saved  # nothing was saved

    again = loaded_from(page)
    assert again["version"] == str(saved["version"])
    assert again["owner"] == "西湖区城管局" and again["diameter_mm"] == "350"
    assert client.post(url, data={**again, "diameter_mm": "400"}).status_code == 302  # decided
    item = _item(client, auth, key)
    assert (item["diameter_mm"], item["owner"]) == (400, "西湖区城管局")


def test_an_untouched_stale_form_takes_every_saved_value(app: Any, client: Any, auth: Any) -> None:
    key, url, colleague = _two_editors(app, client, auth)
    mine, theirs = loaded(client, url), loaded(colleague, url)
    changed = {**theirs, "diameter_mm": "400", "owner": "西湖区城管局", "geometry": "",
               "coordinates": "120.0801,30.2801\n120.0812,30.2806"}
    assert colleague.post(url, data=changed).status_code == 302
    saved = _item(client, auth, key)
    assert client.post(url, data=mine).status_code == 302  # pressing 保存 again reverts nothing
    item = _item(client, auth, key)
    assert {k: item[k] for k in ("diameter_mm", "owner", "length_m")} == \
        {k: saved[k] for k in ("diameter_mm", "owner", "length_m")}


def loaded_from(page: str) -> dict[str, str]:
    parser = _Form()
    parser.feed(page)
    return parser.values
