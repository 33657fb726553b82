"""The API documentation page (/api/docs): drawn from the OpenAPI document, public, in Chinese
and English, with nothing fetched from another host."""

from __future__ import annotations

import html
import re
from typing import Any

from openapi_spec_validator import validate

from web.api.docs import docs_link, groups, type_text
from web.api.openapi import document
from web.api.schemas import schema_paths

TEXT = {"zh-CN": ("接口文档", "如何开始", "本接口的说明文档（网页）"),
        "en": ("API documentation", "How to start", "This API's documentation, for people (HTML)")}


def _page(client: Any, lang: str) -> str:
    resp = client.get("/api/docs", headers={"Accept-Language": lang})
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    return html.unescape(resp.get_data(as_text=True))


def test_the_page_is_public_in_both_languages(client: Any) -> None:
    for lang, words in TEXT.items():
        page = _page(client, lang)
        assert all(w in page for w in words[:2]), lang
        assert f'<html lang="{lang}"' in page
    client.get("/lang/en?next=/api/docs")  # the site's language switch rules the page too
    assert "How to start" in client.get("/api/docs", headers={"Accept-Language": "zh-CN"}
                                        ).get_data(as_text=True)


def test_every_path_and_operation_of_the_document_is_listed(app: Any, client: Any) -> None:
    page = _page(client, "en")
    with app.test_request_context():
        doc = document("http://localhost")
    for path, item in doc["paths"].items():
        assert f'<code class="path">{path}</code>' in page, path
        for method in item:
            assert f'id="{method}-' + path.replace("/", "-").replace("{", "").replace("}", "") \
                in page, (method, path)
    operations = sum(len(item) for item in doc["paths"].values())
    assert page.count('<details class="op"') == operations > 100


def test_nothing_comes_from_another_host(client: Any) -> None:
    for lang in TEXT:
        page = _page(client, lang)
        addresses = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert addresses and all(a.startswith(("/", "#", "http://localhost/")) for a in addresses), \
            [a for a in addresses if not a.startswith(("/", "#", "http://localhost/"))]
        assert "<script" not in page.replace('<script src="/static/js/page.js" defer></script>', "")


def test_chinese_summaries_come_from_the_document(app: Any, client: Any) -> None:
    """An operation's ``x-summary-zh`` sits beside its summary, and the page shows it in Chinese."""
    paths = schema_paths()
    zh, en = _page(client, "zh-CN"), _page(client, "en")
    with app.test_request_context():
        doc = document("http://localhost")
    doc["paths"].update(paths)
    for lang_zh in (True, False):
        listed = {op.path: op.summary for g in groups(doc, lang_zh) for op in g.operations}
        for path, item in paths.items():
            wanted = item["get"]["x-summary-zh"] if lang_zh else item["get"]["summary"]
            assert listed[path] == wanted
    assert TEXT["zh-CN"][2] in zh and TEXT["en"][2] in en


def test_the_new_paths_keep_the_document_valid(app: Any) -> None:
    with app.test_request_context():
        doc = document("http://localhost")
    doc["paths"].update(schema_paths())
    validate(doc)
    params = doc["paths"]["/api/collections/{collectionId}/schema"]["get"]["parameters"]
    assert {"pipelines", "shelters-points", "risk-five-colour-cells"} <= set(params[0]["schema"]["enum"])
    assert doc["paths"]["/api/docs"]["get"]["security"] == []


def test_groups_and_types_read_from_the_document(app: Any) -> None:
    with app.test_request_context():
        doc = document("http://localhost")
    found = {g.anchor: g for g in groups(doc, zh=False)}
    anchors = list(found)
    assert anchors[0] == "service"  # then what every collection has, if anything, then each one
    assert anchors.index("collection-pipelines") < anchors.index("imports") < anchors.index("tiles")
    assert found["collection-pipelines"].title == "Pipeline segments · 管线段"
    public = {op.path for g in found.values() for op in g.operations if op.public}
    assert "/api/health" in public and "/api/collections/pipelines/items" not in public
    assert type_text({"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}) == \
        "integer, 1–10000, default 100"
    assert type_text({"type": "array", "items": {"type": "number"}}) == "array<number>"
    assert type_text({"type": "string", "enum": ["five", "four"]}) == "string, five | four"


def test_the_landing_page_link(client: Any) -> None:
    assert docs_link("https://registry.example") == {
        "href": "https://registry.example/api/docs", "rel": "service-doc", "type": "text/html",
        "title": "API documentation (zh, en)"}
