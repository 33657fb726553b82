"""Sign-in, language switch and redirects, as a browser without JavaScript sees them."""

from __future__ import annotations

from typing import Any


def _csrf(client: Any, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]


def test_home_and_map_send_strangers_to_login(client: Any) -> None:
    assert client.get("/").headers["Location"].endswith("/login")
    resp = client.get("/map")
    assert resp.status_code == 302 and "/login?next=/map" in resp.headers["Location"]


def test_wrong_password_says_so_in_chinese_by_default(client: Any) -> None:
    resp = client.post("/login", data={"username": "admin", "password": "nope",
                                       "csrf_token": _csrf(client)})
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client: Any) -> None:
    resp = client.post("/login", data={"username": "admin", "password": "admin-demo-2026"})
    assert resp.status_code == 400


def test_english_switch(client: Any) -> None:
    assert "登录" in client.get("/login").get_data(as_text=True)
    client.get("/lang/en?next=/login")
    html = client.get("/login").get_data(as_text=True)
    assert "Sign in" in html and 'lang="en"' in html


def test_next_never_leaves_the_site(client: Any) -> None:
    resp = client.post("/login?next=http://evil.example/x",
                       data={"username": "viewer", "password": "viewer-demo-2026",
                             "csrf_token": _csrf(client)})
    assert resp.status_code == 302 and resp.headers["Location"] == "/map"


def test_map_page_is_served_with_local_assets_only(client: Any) -> None:
    client.post("/login", data={"username": "viewer", "password": "viewer-demo-2026",
                                "csrf_token": _csrf(client)})
    html = client.get("/map").get_data(as_text=True)
    assert "/static/vendor/leaflet-1.9.3/leaflet.js" in html
    assert "cdn." not in html and "https://" not in html.split("<body")[0]
