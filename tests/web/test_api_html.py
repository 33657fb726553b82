"""The items API's HTML encoding (``f=html`` or a browser's Accept): a 303 to the registry's
own page for the collection or the record, which a signed-in browser then opens."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests import factories as f
from tests.web.test_asset_page import sign_in

GEO = "application/geo+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def create(client: Any, auth: Any, collection: str, body: dict[str, Any]) -> int:
    resp = client.post(f"/api/collections/{collection}/items", data=json.dumps(body),
                       headers=auth.headers("admin"), content_type=GEO)
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["id"])


@pytest.mark.parametrize("ask", [{"query": "f=html"}, {"accept": BROWSER},
                                 {"query": "f=HTML", "accept": "application/json"}])
def test_items_as_html_go_to_the_table(client: Any, auth: Any, ask: dict[str, str]) -> None:
    query = "division=330106&material=pe&limit=5" + ("&" + ask["query"] if "query" in ask else "")
    headers = auth.headers("admin", **({"Accept": ask["accept"]} if "accept" in ask else {}))
    resp = client.get(f"/api/collections/pipelines/items?{query}", headers=headers)
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert location.startswith("/collections/pipelines?")
    assert "division=330106" in location and "material=pe" in location
    sign_in(client, "admin", "admin-demo-2026")
    assert client.get(location).status_code == 200


@pytest.mark.parametrize("accept", [None, "*/*", "application/geo+json, application/json",
                                    "application/json", "text/html;q=0.5, application/json"])
def test_json_stays_json(client: Any, auth: Any, accept: str | None) -> None:
    headers = auth.headers("admin", **({"Accept": accept} if accept else {}))
    resp = client.get("/api/collections/pipelines/items?limit=1", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == GEO
    for f_ in ("json", "geojson"):
        assert client.get(f"/api/collections/pipelines/items?limit=1&f={f_}",
                          headers=auth.headers("admin")).status_code == 200


def test_an_unknown_f_is_400(client: Any, auth: Any) -> None:
    resp = client.get("/api/collections/pipelines/items?f=xml", headers=auth.headers("admin"))
    assert resp.status_code == 400
    assert resp.get_json()["errors"][0]["field"] == "f"


@pytest.mark.parametrize(("collection", "body", "page"), [
    ("pipelines", f.pipeline(), "/collections/pipelines/items/{key}"),
    ("shelters", f.shelter(), "/collections/shelters/items/{key}"),
    ("hazards", f.feature(f.point(), category="cover_damaged", description="井盖破损"),
     "/hazards/{key}"),
])
def test_one_item_as_html_goes_to_its_page(client: Any, auth: Any, collection: str,
                                           body: dict[str, Any], page: str) -> None:
    key = create(client, auth, collection, body)
    resp = client.get(f"/api/collections/{collection}/items/{key}?f=html",
                      headers=auth.headers("admin"))
    assert resp.status_code == 303
    assert resp.headers["Location"] == page.format(key=key)
    sign_in(client, "admin", "admin-demo-2026")
    assert client.get(resp.headers["Location"]).status_code == 200
    as_json = client.get(f"/api/collections/{collection}/items/{key}",
                         headers=auth.headers("admin"))
    assert as_json.status_code == 200 and as_json.mimetype == GEO


def test_a_division_as_html_is_its_row_in_the_table(client: Any, auth: Any) -> None:
    resp = client.get("/api/collections/divisions/items/330106",
                      headers=auth.headers("viewer", Accept=BROWSER))
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/collections/divisions?q=330106"
    sign_in(client, "viewer", "viewer-demo-2026")
    assert "330106" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_the_collection_document_helper(app: Any, auth: Any) -> None:
    """What ``/api/collections/{c}?f=html`` calls: a 303 to the table, or None for JSON."""
    from inventory import service
    from web.api.html_encoding import collection_redirect

    spec = service.collection("tunnels")
    with app.test_request_context("/api/collections/tunnels?f=html"):
        resp = collection_redirect(spec)
        assert resp is not None and resp.status_code == 303
        assert resp.headers["Location"] == "/collections/tunnels"
    with app.test_request_context("/api/collections/tunnels", headers={"Accept": "*/*"}):
        assert collection_redirect(spec) is None
