"""The import & export page as a browser without JavaScript sees it: who gets it, and what."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

PASSWORDS = {"admin": "admin-demo-2026", "engineer": "engineer-demo-2026",
             "manager": "manager-demo-2026", "inspector": "inspector-demo-2026",
             "viewer": "viewer-demo-2026"}


def _sign_in(client: Any, username: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"username": username, "password": PASSWORDS[username],
                                       "csrf_token": token})
    assert resp.status_code == 302


def test_strangers_are_sent_to_login(client: Any) -> None:
    resp = client.get("/imports")
    assert resp.status_code == 302
    assert "/login?next=/imports" in resp.headers["Location"]


@pytest.mark.parametrize("username", ["viewer", "inspector"])
def test_roles_that_cannot_edit_get_no_form_and_no_link(client: Any, username: str) -> None:
    _sign_in(client, username)
    resp = client.get("/imports")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 403
    assert 'id="import-form"' not in html
    assert 'href="/imports"' not in html


@pytest.mark.parametrize("username", ["engineer", "admin"])
def test_editors_get_the_form_and_the_nav_link(client: Any, username: str) -> None:
    _sign_in(client, username)
    resp = client.get("/imports")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'id="import-form"' in html and 'href="/imports"' in html and "导入导出" in html
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert token and token.group(1)
    # Writable collections only, titled in the page's language.
    options = re.findall(r'<option value="([a-z-]+)">', html.split('id="import-crs"')[0])
    assert options == ["pipelines", "network-points", "tunnels", "shelters", "flood-points",
                       "hazard-zones", "risk-points"]
    assert "管线段" in html and "divisions" not in options and "risk-four-colour" not in options
    for field in ("file", "points", "mapping", "crs", "encoding", "layer", "dry_run",
                  "skip_invalid"):
        assert f'name="{field}"' in html
    assert "管线点表（与管线段表成对导入时）" in html
    assert "校验不入库" in html and "跳过错误行" in html
    assert '<option value="utf-8-sig">UTF-8</option>' in html
    assert '<option value="gb18030">GBK / GB18030</option>' in html
    # Every control has a label that names it.
    ids = set(re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html))
    labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
    wrapped = set(re.findall(r'<label class="check"><input id="([^"]+)"', html))
    assert ids and ids <= labelled | wrapped
    # Nothing from outside, no inline handlers, the script and its strings are local.
    assert "https://" not in html and "http://" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert '<script src="/static/js/imports.js"></script>' in html
    labels = json.loads(html.split('id="imports-labels">')[1].split("</script>")[0])
    assert labels["text"]["undo"] == "撤销" and labels["titles"]["pipelines"] == "管线段"
    assert 'href="/api/collections/pipelines/export?format=geojson' in html
    # Spreadsheets speak the page's language unless the machine form is asked for.
    assert '<option value="zh" selected>中文名称</option>' in html and "lang=zh" in html
    assert '<option value="machine">字段名与代码（供程序读取）</option>' in html


def test_page_speaks_english_when_asked(client: Any) -> None:
    _sign_in(client, "engineer")
    client.get("/lang/en?next=/imports")
    html = client.get("/imports").get_data(as_text=True)
    assert ">Import &amp; export<" in html or ">Import & export<" in html
    assert "Dry run (check only, store nothing)" in html
    labels = json.loads(html.split('id="imports-labels">')[1].split("</script>")[0])
    assert labels["locale"] == "en" and labels["text"]["undo"] == "Undo"
    assert labels["titles"]["pipelines"] == "Pipeline segments"
    assert '<option value="en" selected>English labels</option>' in html and "lang=en" in html


def test_static_script_is_served(client: Any) -> None:
    resp = client.get("/static/js/imports.js")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True)
    assert "innerHTML" not in text and "textContent" in text


def test_an_emergency_manager_imports_risk_data_only(client: Any) -> None:
    """Hazard zones and risk points are theirs to load; the asset collections are not."""
    _sign_in(client, "manager")
    resp = client.get("/imports")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'href="/imports"' in html
    options = re.findall(r'<option value="([a-z-]+)"', html.split('id="import-form"')[1])
    assert "hazard-zones" in options and "risk-points" in options
    assert "pipelines" not in options
