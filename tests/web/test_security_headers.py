"""Headers and cookies (issue 15 item 7) on both databases: the CSP and its companions on every
kind of response, pages with no inline script, folium's script served as a file, the session
cookie's flags, and proxy headers believed only when configured."""

from __future__ import annotations

from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import folium
import pytest
from flask import request

from resilience.settings import Settings
from tests import factories as f
from tests.web.map_script import SRC, with_map_script
from tests.web.test_dashboard import create, sign_in
from web.offline_assets import InlineScriptError, make_offline
from web.security_headers import content_security_policy, tile_source

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
          "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
          "form-action 'self'; frame-ancestors 'none'")


def app_with(settings: Settings, sessions: Any, **changes: Any) -> Any:
    from web.app import create_app

    app = create_app(replace(settings, **changes))
    app.extensions["resilience"]["sessions"] = sessions
    return app


def assert_headers(resp: Any, policy: str = POLICY) -> None:
    assert resp.headers["Content-Security-Policy"] == policy, resp.request.path
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert resp.headers["X-Frame-Options"] == "DENY"


def test_every_kind_of_response_carries_the_headers(client: Any, auth: Any) -> None:
    answers = {
        "/login": 200, "/map": 302, "/static/js/page.js": 200,
        "/static/vendor/leaflet-1.9.3/leaflet.js": 200, "/static/no-such-file.js": 404,
        "/no-such-page": 404, "/api/collections": 401, "/api/health": 200,
    }
    for path, status in answers.items():
        resp = client.get(path)
        assert resp.status_code == status, path
        assert_headers(resp)
    api = client.get("/api/collections/pipelines/items", headers=auth.headers("engineer"))
    assert api.status_code == 200 and api.mimetype == "application/geo+json"
    assert_headers(api)
    missing = client.get("/api/collections/no-such-collection/items", headers=auth.headers("engineer"))
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert_headers(missing)
    wrong = client.post("/api/collections/pipelines/items", data="{", content_type="application/geo+json",
                        headers=auth.headers("admin"))
    assert wrong.status_code == 400 and wrong.mimetype == "application/problem+json"
    assert_headers(wrong)
    sign_in(client, "engineer", "engineer-demo-2026")
    assert_headers(client.get("/map"))
    assert_headers(client.get("/dashboard"))


def test_the_policy_allows_no_inline_script_and_only_the_configured_basemap() -> None:
    assert content_security_policy("") == POLICY
    assert content_security_policy("/srv/tiles/hangzhou.mbtiles") == POLICY  # served by the app
    script_src = next(d for d in POLICY.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self'"  # no 'unsafe-inline', no 'unsafe-eval', no nonce
    online = content_security_policy("http://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}?tk={key}")
    assert "img-src 'self' data: blob: http://*.tianditu.gov.cn;" in online
    assert online.replace(" http://*.tianditu.gov.cn", "") == POLICY


@pytest.mark.parametrize(("template", "source"), [
    ("", None), ("none", None), ("/srv/tiles", None), ("tiles.mbtiles", None),
    ("http://t{s}.tianditu.gov.cn/vec_w/{z}/{x}/{y}?tk={key}", "http://*.tianditu.gov.cn"),
    ("https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}", "https://*.is.autonavi.com"),
    ("https://Tiles.Example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
    ("//10.1.2.3:8080/tiles/{z}/{x}/{y}.png", "10.1.2.3:8080"),
    ("https://user:pw@gis.local/{z}/{x}/{y}", "https://gis.local"),
    ("https://{s}.tile.example/{z}/{x}/{y}", "https://*.tile.example"),
    ("https://{s}.intranet/{z}/{x}/{y}", "https:"),  # no domain to pin: the scheme alone
])
def test_tile_source(template: str, source: str | None) -> None:
    assert tile_source(template) == source


def test_an_online_basemap_origin_is_allowed_for_images(settings: Settings, sessions: Any) -> None:
    app = app_with(settings, sessions, basemap_url="https://t{s}.tianditu.gov.cn/img_w/{z}/{x}/{y}")
    policy = app.test_client().get("/login").headers["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tianditu.gov.cn;" in policy


def test_an_attachment_keeps_its_own_stricter_policy(client: Any, auth: Any, tmp_path: Path) -> None:
    import io
    import re

    from tests.web.test_attachments import PNG  # a real image: attachments sniff their content

    pipe = create(client, auth, "pipelines", f.pipeline())
    sign_in(client, "admin", "admin-demo-2026")
    page = f"/collections/pipelines/items/{pipe['id']}"
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(page).get_data(as_text=True))
    assert token is not None
    sent = client.post(f"{page}/attachments", data={"csrf_token": token.group(1),
                                                    "file": (io.BytesIO(PNG), "photo.png")})
    assert sent.status_code in (302, 303), sent.get_data(as_text=True)[:500]
    html = client.get(page).get_data(as_text=True)
    href = re.search(r'href="(/attachments/\d+)"', html)
    assert href is not None
    resp = client.get(href.group(1))
    assert resp.status_code == 200
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert resp.headers["X-Frame-Options"] == "DENY" and resp.headers["X-Content-Type-Options"] == "nosniff"


class ScriptAudit(HTMLParser):
    """Every ``<script>`` that would run without a src, every on…= handler, every javascript: URL."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script" and not named.get("src") and named.get("type") != "application/json":
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        self.found += [f"{tag} {k}=" for k, _ in attrs if k.startswith("on")]
        self.found += [f"{tag} {k}={v}" for k, v in attrs
                       if k in ("href", "src", "action", "formaction")
                       and (v or "").strip().lower().startswith("javascript:")]


def inline_scripts(html: str) -> list[str]:
    audit = ScriptAudit()
    audit.feed(html)
    return audit.found


def test_no_page_holds_an_inline_script(client: Any, auth: Any) -> None:
    pipe = create(client, auth, "pipelines", f.pipeline(name="<script>alert(1)</script>给水管"))
    sign_in(client, "admin", "admin-demo-2026")
    pages = ["/login", "/map", "/map?collection=pipelines&category=water_supply", "/collections",
             "/collections/pipelines", "/collections/pipelines/new", "/collections/risk-points/new",
             f"/collections/pipelines/items/{pipe['id']}", f"/collections/pipelines/items/{pipe['id']}/edit",
             f"/s/pipelines/{pipe['id']}", "/search?q=无此名称", "/dashboard", "/risk/five", "/risk/four",
             "/risk/print/five", "/risk/print/four", "/risk/runs", "/risk/divisions", "/risk/schemes",
             "/hazards", "/inspect", "/imports", "/notifications", "/health-check",
             "/health-check/evaluation", "/renewal", "/admin/users", "/admin/users/engineer",
             "/admin/logins", "/admin/profile", "/qr/labels?collection=pipelines", "/no-such-page"]
    checked = 0
    for path in pages:
        resp = client.get(path)
        assert resp.status_code in (200, 404), (path, resp.status_code)
        assert_headers(resp)
        if resp.mimetype == "text/html":
            assert inline_scripts(resp.get_data(as_text=True)) == [], path
            checked += 1
    assert checked == len(pages)


def test_the_map_script_is_a_cached_file_any_worker_serves(settings: Settings, sessions: Any,
                                                           client: Any, app: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    first = client.get("/map").get_data(as_text=True)
    again = client.get("/map").get_data(as_text=True)
    src = SRC.findall(first)
    assert len(src) == 1 and SRC.findall(again) == src  # the same view is the same file
    script = client.get(src[0])
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert script.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert_headers(script)
    text = script.get_data(as_text=True)
    assert "L.map(" in text and "window.resilienceLayers" in text
    assert (settings.instance_path / "map-scripts" / src[0].rsplit("/", 1)[1]).is_file()
    # Another worker (another app on the same instance folder) answers from the folder.
    other = app_with(settings, sessions).test_client()
    assert other.get(src[0]).status_code == 401  # a signed-in user's script only
    sign_in(other, "viewer", "viewer-demo-2026")
    assert other.get(src[0]).get_data(as_text=True) == text
    assert other.get("/map-scripts/" + "0" * 64 + ".js").status_code == 404
    assert other.get("/map-scripts/..%2Fsecret_key.js").status_code == 404
    risk = with_map_script(client, client.get("/risk/five").get_data(as_text=True))
    assert "window.resilienceRiskMap" in risk


def test_a_folium_map_that_needs_an_inline_script_is_refused() -> None:
    m = folium.Map(tiles=None, no_touch=True)
    make_offline(m, lambda p: "/static/" + p)
    with pytest.raises(InlineScriptError):
        m.get_root().render()
    plain = folium.Map(tiles=None)
    make_offline(plain, lambda p: "/static/" + p)
    root = plain.get_root()
    root.render()
    assert inline_scripts(root.header.render()) == []
    assert "map_00000000000000000000000000000001" in root.html.render()


def session_cookie(resp: Any) -> str:
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert len(cookies) == 1, resp.headers.getlist("Set-Cookie")
    return cookies[0]


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(client: Any) -> None:
    plain = session_cookie(client.get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    secure = session_cookie(client.get("/login", base_url="https://registry.example"))
    assert "HttpOnly" in secure and "SameSite=Lax" in secure and "Secure" in secure


def test_forwarded_proto_counts_only_behind_a_configured_proxy(settings: Settings, sessions: Any,
                                                               client: Any) -> None:
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert "Secure" not in session_cookie(client.get("/login", headers=forwarded))
    behind = app_with(settings, sessions, trusted_proxies=1).test_client()
    assert "Secure" in session_cookie(behind.get("/login", headers=forwarded))
    assert "Secure" not in session_cookie(behind.application.test_client().get("/login"))  # plain HTTP


@pytest.mark.parametrize(("proxies", "expected"), [
    (0, ("127.0.0.1", "http")),  # not configured: the headers are anybody's words
    (1, ("198.51.100.7", "https")),  # the one proxy's entry, the last: not the client's claim
    (2, ("203.0.113.9", "https")),
])
def test_proxy_headers_are_believed_only_when_configured(settings: Settings, sessions: Any,
                                                         proxies: int, expected: tuple[str, str]) -> None:
    app = app_with(settings, sessions, trusted_proxies=proxies)
    app.add_url_rule("/_seen", "seen", lambda: f"{request.remote_addr} {request.scheme}")
    seen = app.test_client().get("/_seen", headers={
        "X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https, https"})
    assert tuple(seen.get_data(as_text=True).split()) == expected


def test_trusted_proxies_setting(tmp_path: Path) -> None:
    env = {"RESILIENCE_INSTANCE_PATH": str(tmp_path), "RESILIENCE_SECRET_KEY": "k"}
    assert Settings.from_env(env).trusted_proxies == 0
    assert Settings.from_env({**env, "RESILIENCE_TRUSTED_PROXIES": "1"}).trusted_proxies == 1
    with pytest.raises(ValueError, match="RESILIENCE_TRUSTED_PROXIES"):
        Settings.from_env({**env, "RESILIENCE_TRUSTED_PROXIES": "-1"})
