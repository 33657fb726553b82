"""The asset page on both databases: attributes, history diff, retire and restore, access."""

from __future__ import annotations

import json
import re
from typing import Any

from tests import factories as f

GEO = "application/geo+json"


def create(client: Any, auth: Any, body: dict[str, Any], user: str = "admin") -> int:
    resp = client.post("/api/collections/pipelines/items", data=json.dumps(body),
                       headers=auth.headers(user), content_type=GEO)
    assert resp.status_code == 201, resp.get_json()
    return int(resp.get_json()["id"])


def sign_in(client: Any, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
    assert resp.status_code == 302


def csrf(client: Any, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_the_page_shows_labels_history_and_escapes_stored_text(client: Any, auth: Any) -> None:
    body = f.pipeline(name="<script>alert(1)</script>文三路给水管")
    key = create(client, auth, body)
    patch = client.patch(f"/api/collections/pipelines/items/{key}",
                         data=json.dumps({"properties": {"diameter_mm": 500}}),
                         headers=auth.headers("admin"), content_type="application/merge-patch+json")
    assert patch.status_code == 200
    sign_in(client, "engineer", "engineer-demo-2026")
    page = client.get(f"/collections/pipelines/items/{key}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "给水" in page and "#00FFFF" in page  # the category's label and CJJ 61 colour
    assert "管径(mm)" in page and "500" in page
    history = page[page.index('id="history-title"'):]
    assert "300" in history and "500" in history  # before → after


def test_retire_with_a_reason_then_restore(client: Any, auth: Any) -> None:
    key = create(client, auth, f.pipeline())
    sign_in(client, "engineer", "engineer-demo-2026")
    url = f"/collections/pipelines/items/{key}"
    token = csrf(client, url)
    no_reason = client.post(f"{url}/retire", data={"csrf_token": token, "reason": " "})
    assert no_reason.status_code == 302 and "error=" in no_reason.location
    done = client.post(f"{url}/retire", data={"csrf_token": token, "reason": "废弃 2024"})
    assert done.status_code == 302 and "done=retire" in done.location
    page = client.get(url).get_data(as_text=True)
    assert "废弃 2024" in page and f'action="/collections/pipelines/items/{key}/restore"' in page
    back = client.post(f"{url}/restore", data={"csrf_token": csrf(client, url)})
    assert back.status_code == 302
    api = client.get(f"/api/collections/pipelines/items/{key}", headers=auth.headers("admin"))
    assert api.status_code == 200 and api.get_json()["properties"].get("retired_at") is None


def test_another_divisions_asset_is_refused_and_a_viewer_cannot_retire(client: Any,
                                                                       auth: Any) -> None:
    key = create(client, auth, f.pipeline(at=f.SHANGCHENG))
    sign_in(client, "engineer", "engineer-demo-2026")  # 西湖区 only
    resp = client.get(f"/collections/pipelines/items/{key}")
    assert resp.status_code == 403
    assert client.get("/collections/pipelines/items/999999").status_code == 404
    assert client.get("/collections/nonsense/items/1").status_code == 404
    client.post("/logout", data={"csrf_token": csrf(client, "/map")})
    sign_in(client, "viewer", "viewer-demo-2026")
    page = client.get(f"/collections/pipelines/items/{key}").get_data(as_text=True)
    assert "/retire" not in page
    token = csrf(client, f"/collections/pipelines/items/{key}")
    refused = client.post(f"/collections/pipelines/items/{key}/retire",
                          data={"csrf_token": token, "reason": "x"})
    assert refused.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client: Any) -> None:
    resp = client.get("/collections/pipelines/items/1")
    assert resp.status_code == 302 and "/login" in resp.location
