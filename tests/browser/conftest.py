"""Headless Chromium for the page tests: Debian's own browser, one per test session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"  # screenshots to look at
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium driven by Playwright (no browser download: `make test` installs chromium)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium missing: make test installs it", pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextmanager
def signed_in(browser: Any, base: str, width: int = 1280, locale: str = "zh-CN",
              user: str = "engineer", password: str = "engineer-demo-2026",
              landing: str = "/map") -> Iterator[tuple[Any, list[str]]]:
    """A page signed in as a demo user, in a language and width, recording every request that
    leaves the server (the pages must work with nothing from outside). ``landing`` is where
    sign-in leads: a test that goes elsewhere at once lands on a light page, so the map's
    city-wide loads, abandoned by the browser, do not hold the server while it is timed."""
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale)
    page = context.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url)
            if not r.url.startswith((base, "data:", "blob:")) else None)
    page.goto(f"{base}/login?next={landing}")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if locale == "en":
        page.goto(f"{base}/lang/en?next={landing}")
    try:
        yield page, outside
    finally:
        context.close()
