"""Security headers on every response and the session cookie's flags, set in one place.

The Content-Security-Policy lets a page run only scripts the registry serves as files:
``script-src 'self'`` with no ``'unsafe-inline'``, so markup slipped into a page (a stored
name, a crafted query) cannot run; JSON handed to scripts travels in ``<script
type="application/json">`` blocks, which are data and never run, and folium's map script
is a file of its own (web/map_scripts.py). No library needs ``'unsafe-eval'``.

``style-src`` keeps ``'unsafe-inline'``: folium's map header is ``<style>`` blocks (the map
div's size), the print sheet sets its ``@page`` size in one, and the templates colour
legend swatches and level badges from data with ``style`` attributes. A style cannot run
code, so this leaves the script rule whole.

Images may also come from the configured online basemap (``RESILIENCE_BASEMAP_URL``); local
tiles are served by the app itself.

The session cookie is HttpOnly and SameSite=Lax (Strict would sign out whoever opens a
link from an e-mail or a scanned QR label), and Secure whenever the request came over
HTTPS. Behind a reverse proxy that is known only from its X-Forwarded-Proto header, and
the client's address only from X-Forwarded-For: both are trusted only when
``RESILIENCE_TRUSTED_PROXIES`` says how many proxies set them, since anyone can send them.
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, current_app, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from resilience.settings import Settings


def content_security_policy(basemap_url: str) -> str:
    """The policy for a registry whose basemap is ``basemap_url`` (a setting, so cached)."""
    return _policy(basemap_url.strip())


@lru_cache(maxsize=8)
def _policy(basemap_url: str) -> str:
    tiles = tile_source(basemap_url)
    directives = (
        ("default-src", "'self'"),
        ("script-src", "'self'"),
        ("style-src", "'self' 'unsafe-inline'"),
        ("img-src", "'self' data: blob:" + (f" {tiles}" if tiles else "")),
        ("connect-src", "'self'"),
        ("object-src", "'none'"),
        ("base-uri", "'self'"),
        ("form-action", "'self'"),
        ("frame-ancestors", "'none'"),
    )
    return "; ".join(f"{name} {value}" for name, value in directives)


def tile_source(template: str) -> str | None:
    """The CSP source of an online basemap template: its scheme, host and port.

    A label holding a placeholder (``t{s}.tianditu.gov.cn``, the tile servers a client
    spreads its requests over) becomes the ``*.`` of the labels after it; None for no
    basemap or local tiles (served by the app, under ``'self'``).
    """
    template = template.strip()
    if not template.startswith(("http://", "https://", "//")):
        return None
    scheme, _, rest = template.partition("//")
    authority = rest.split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1].lower()
    host, port = authority, ""
    if ":" in authority and not authority.endswith("]"):
        host, port = authority.rsplit(":", 1)
        port = ":*" if "{" in port else f":{port}"
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        rest_labels = labels[templated[-1] + 1:]
        if len(rest_labels) < 2:  # no registrable name left to pin: the scheme alone
            return scheme or None
        host = "*." + ".".join(rest_labels)
    return f"{scheme}//{host}{port}" if scheme else f"{host}{port}"


class RequestSecureSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, its cookie Secure whenever this request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure over HTTPS (as the trusted proxy reports it) or when SESSION_COOKIE_SECURE says so."""
        return request.is_secure or bool(super().get_cookie_secure(app))


def add_headers(response: Response) -> Response:
    """Set the headers on any response, page, API, static file or error, keeping a stricter CSP
    a view chose (an attachment's)."""
    settings: Settings = current_app.extensions["resilience"]["settings"]
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(settings.basemap_url))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")  # nothing of a URL leaves the registry
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors 'none' for old browsers
    return response


def register(app: Flask, settings: Settings) -> None:
    """Trust the configured proxies' headers, flag the session cookie and add the headers."""
    if settings.trusted_proxies > 0:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = RequestSecureSessionInterface()
    app.after_request(add_headers)
