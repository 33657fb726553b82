"""Every main page under the Content-Security-Policy in headless Chromium: nothing refused.

Each page is opened signed in, with a listener for ``securitypolicyviolation`` events (put in
by Playwright, so the policy does not apply to it) and one on the console for Chromium's
"Refused to …" messages; any violation or script error fails the test. (Playwright runs a
predicate given as an expression through the page's eval(), which the policy refuses: give
``wait_for_function`` an arrow function, which goes over the DevTools protocol instead.) The maps must also
have drawn: a Leaflet container with its layers filled. Screenshots (csp-*.png) go to
test-results/ to be looked at.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from resilience.settings import Settings
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_inspect_browser import phone_task  # noqa: F401 (a fixture)
from tests.browser.test_risk_browser import risk_live  # noqa: F401 (a fixture)
from tests.conftest import start_live_server

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WATCH = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolation([e.effectiveDirective, e.blockedURI || "inline", e.sourceFile + ":" + e.lineNumber,
                       e.sample].join(" "));
}, true);
"""


class Watched:
    """A signed-in page and what went wrong on it: CSP violations and script errors."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.problems: list[str] = []

    def open(self, path: str) -> None:
        """Go to ``path``; its answer must carry the policy."""
        resp = self.page.goto(self.base + path)
        assert resp is not None and resp.status == 200, (path, resp and resp.status)
        assert "script-src 'self'" in resp.headers["content-security-policy"], path

    def clean(self, where: str) -> None:
        """Nothing refused and no script error so far."""
        self.page.wait_for_timeout(150)  # late reports (images, workers) arrive
        assert self.problems == [], f"{where}: {self.problems}"

    def shot(self, name: str, dialect: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"csp-{name}-{dialect}.png"))


@contextmanager
def watched(browser: Any, base: str, user: str, password: str, viewport: dict[str, int] = DESKTOP,
            allowed: tuple[str, ...] = (), **options: Any) -> Iterator[Watched]:
    """A new browser context signed in as ``user``, watching for violations from the first page."""
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    w = Watched(page, base)
    context.expose_function("cspViolation", lambda text: w.problems.append(f"{page.url}: CSP {text}"))
    context.add_init_script(WATCH)
    page.on("console", lambda m: w.problems.append(f"{page.url}: console {m.text}")
            if "Content Security Policy" in m.text or "Refused to" in m.text else None)
    page.on("pageerror", lambda e: w.problems.append(f"{page.url}: error {e}"))
    page.on("request", lambda r: w.problems.append(f"outside: {r.url}")
            if not r.url.startswith((base, "data:", "blob:", *allowed)) else None)
    page.goto(f"{base}/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    try:
        yield w
    finally:
        context.close()


def drawn(page: Any, container: str) -> int:
    """How many things a Leaflet map inside ``container`` has drawn (canvases, paths, tiles)."""
    return int(page.evaluate(
        """(sel) => { const m = document.querySelector(sel + ' .leaflet-container, ' + sel + '.leaflet-container');
             if (!m) return 0;
             return m.querySelectorAll('.leaflet-overlay-pane canvas, .leaflet-overlay-pane path, '
                                       + '.leaflet-tile-pane canvas, .leaflet-tile-pane img').length; }""",
        container))


def first_id(base: str, collection: str) -> int:
    token = base64.b64encode(b"admin:admin-demo-2026").decode()
    req = urllib.request.Request(f"{base}/api/collections/{collection}/items?limit=1",
                                 headers={"Authorization": f"Basic {token}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return int(json.load(resp)["features"][0]["id"])


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_maps_draw_with_nothing_refused(risk_live: Any, browser: Any, dialect: str,  # noqa: F811
                                            viewport: dict[str, int]) -> None:
    size = "desktop" if viewport is DESKTOP else "phone"
    with watched(browser, risk_live.url, "admin", "admin-demo-2026", viewport) as w:
        p = w.page
        w.open("/map")
        p.wait_for_function("() => Number(document.body.getAttribute('data-loaded-pipelines') || 0) > 10",
                            timeout=30000)
        assert p.locator(".folium-map.leaflet-container .leaflet-control-layers").count() == 1
        p.wait_for_function("(n) => document.querySelectorAll('.folium-map .leaflet-overlay-pane canvas,"
                            " .folium-map .leaflet-tile-pane canvas').length >= n", arg=1)
        w.clean("registry map")
        w.shot(f"map-{size}", dialect)
        for colours in ("five", "four"):
            w.open(f"/risk/{colours}")
            p.wait_for_selector("body[data-risk-ready]", timeout=30000)
            p.wait_for_function("() => [...document.body.attributes].some(a => "
                                "(a.name.startsWith('data-loaded-') && Number(a.value) > 0)"
                                " || a.name === 'data-tiles-loaded')", timeout=30000)
            assert drawn(p, ".risk-map") > 0
            w.clean(f"{colours}-colour map")
            w.shot(f"risk-{colours}-{size}", dialect)
        w.open("/risk/print/five?division=330106&size=A4")
        p.wait_for_selector("body[data-risk-ready]", timeout=30000)
        assert p.locator(".map-frame .leaflet-container").count() == 1
        p.evaluate("window.print = () => document.body.setAttribute('data-printed', '1')")
        p.click("button[data-print]")
        assert p.get_attribute("body", "data-printed") == "1"  # the button's listener, not onclick
        w.clean("risk print sheet")
        if size == "desktop":
            w.shot("risk-print", dialect)


def test_asset_pages_and_drawing_forms(live: Any, browser: Any, dialect: str) -> None:
    key = first_id(live.url, "pipelines")
    with watched(browser, live.url, "admin", "admin-demo-2026") as w:
        p = w.page
        w.open(f"/collections/pipelines/items/{key}")
        p.wait_for_selector("#asset-map.leaflet-container .leaflet-interactive")
        w.clean("asset page")
        w.open(f"/collections/pipelines/items/{key}/edit")
        p.wait_for_selector("#draw-map .leaflet-interactive")
        assert p.locator("#draw-map .leaflet-draw-toolbar").count() >= 1
        w.clean("edit form")
        w.shot("edit", dialect)
        for name in ("pipelines", "shelters", "flood-points", "risk-points", "hazard-zones"):
            w.open(f"/collections/{name}/new")
            p.wait_for_selector("#draw-map .leaflet-draw-toolbar")
            w.clean(f"new {name}")
        w.open(f"/s/pipelines/{key}")
        w.clean("status page")


PAGES = ["/collections", "/collections/pipelines", "/collections/shelters", "/search?q=给水",
         "/dashboard", "/risk/runs", "/risk/divisions", "/risk/schemes", "/hazards", "/imports",
         "/notifications", "/health-check/evaluation", "/renewal", "/admin/users",
         "/admin/users/engineer", "/admin/logins", "/admin/profile",
         "/qr/labels"]


def test_every_other_page(risk_live: Any, browser: Any, dialect: str) -> None:  # noqa: F811
    with watched(browser, risk_live.url, "admin", "admin-demo-2026") as w:
        p = w.page
        for path in PAGES:
            w.open(path)
            w.clean(path)
        w.open("/dashboard")
        assert p.locator("canvas").count() > 0  # Chart.js drew
        w.shot("dashboard", dialect)
        w.open("/risk/divisions")
        p.wait_for_selector("body[data-charts]")
        w.clean("divisions charts")


def test_the_health_check_confirms_and_prints_without_inline_handlers(live: Any, browser: Any,
                                                                      dialect: str) -> None:
    with watched(browser, live.url, "engineer", "engineer-demo-2026") as w:
        p = w.page
        w.open("/health-check")
        if p.locator("#hc-empty").count():
            p.click("#hc-compute")
            p.wait_for_selector("#hc-indicators")
        asked: list[str] = []
        if p.locator("#hc-finalize").count():  # a draft: the freeze asks first
            p.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
            at = p.url
            p.click("#hc-finalize")
            p.wait_for_timeout(300)
            assert asked and asked[0].strip(), asked  # the question of the form's data-confirm
            assert p.url == at and p.locator("#hc-finalize").count() == 1  # dismissed: not sent
        w.clean("health check")
        p.click("#hc-print")
        p.wait_for_selector("article.sheet")
        p.evaluate("window.print = () => document.body.setAttribute('data-printed', '1')")
        p.click("button[data-print]")
        assert p.get_attribute("body", "data-printed") == "1"
        w.clean("health check print")


def test_the_inspectors_pages_work_offline_under_the_policy(live: Any, browser: Any, dialect: str,
                                                            phone_task: dict[str, Any]) -> None:  # noqa: F811
    at = phone_task["at"]
    with watched(browser, live.url, "inspector", "inspector-demo-2026", PHONE, is_mobile=True,
                 has_touch=True, geolocation={"longitude": at[0], "latitude": at[1]},
                 permissions=["geolocation"]) as w:
        p = w.page
        task = f"/inspect/tasks/{phone_task['task_id']}"
        w.open("/inspect")
        p.wait_for_selector(f"a.task-link[href$='{task}']")
        p.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=20000)
        w.open(task)
        p.wait_for_selector("#items li.item")
        p.wait_for_function(f"() => caches.open('inspect-v1').then(c => c.match('{task}'))"
                            ".then(r => r !== undefined)", timeout=20000)
        w.clean("inspection online")
        w.shot("inspect-task-phone", dialect)
        p.context.set_offline(True)
        p.reload()  # the service worker answers, with the headers it kept
        p.wait_for_selector("#items li.item")
        p.goto(live.url + "/inspect")
        p.wait_for_selector(f"a.task-link[href$='{task}']")
        w.clean("inspection offline")
        p.context.set_offline(False)
        w.open(f"/s/pipelines/{phone_task['pipe_id']}")
        w.clean("status page on a phone")


def _tile() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (190, 220, 190)).save(buf, "PNG")
    return buf.getvalue()


@contextmanager
def tile_server() -> Iterator[str]:
    """An "online" basemap on another origin (localhost, not the app's 127.0.0.1): one green tile."""
    tile = _tile()

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(tile)))
            self.end_headers()
            self.wfile.write(tile)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://localhost:{server.server_port}"
    finally:
        server.shutdown()


def test_an_online_basemap_is_allowed_from_its_own_origin(live: Any, browser: Any, tmp_path: Path,
                                                          dialect: str) -> None:
    from web.app import create_app

    with tile_server() as origin:
        settings = Settings(database_url=live.database_url, instance_path=tmp_path, secret_key="csp",
                            basemap_url=origin + "/{z}/{x}/{y}.png").resolved()
        base, server = start_live_server(create_app(settings))
        try:
            with watched(browser, base, "viewer", "viewer-demo-2026", allowed=(origin,)) as w:
                w.open("/map")
                w.page.wait_for_selector(".leaflet-basemap-pane img.leaflet-tile-loaded")
                w.clean("map on an online basemap")
                w.shot("online-basemap", dialect)
        finally:
            server.shutdown()
