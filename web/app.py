"""The application factory: settings, database, babel, CSRF, blueprints; nothing built on import."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

import inventory
import risk
from resilience.db import make_engine, make_sessions
from resilience.settings import Settings
from web.extensions import babel, csrf, select_locale

# The registry the app serves: every collection of these packages, which define their tables
# and register their collections when imported (the console composes the same two).
PACKAGES = (inventory, risk)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build an app; tests make as many as they need with their own settings."""
    settings = settings or Settings.from_env(**overrides)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours),
        WTF_CSRF_CHECK_DEFAULT=False,  # pages call csrf.protect(); the API checks its own way
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_TRANSLATION_DIRECTORIES="translations",
        JSON_AS_ASCII=False,
        TESTING=settings.testing,
    )
    engine = make_engine(settings.database_url)
    app.extensions["resilience"] = {
        "settings": settings, "engine": engine, "sessions": make_sessions(engine),
    }
    from web import observability

    observability.register(app, settings)  # first: every request gets its id and timing
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)

    # Path integers are ids and years of 32-bit columns: beyond that no route matches (404),
    # instead of an overflow deep in the database driver (500).
    app.url_map.converters["int"] = BoundedInt

    from inventory.assets import importable_collections
    from web import api, basemap, errors, pages
    from web.pages import notifications as notifications_pages
    from web.session import close_db

    api.register(app)
    pages.register(app)
    app.register_blueprint(basemap.bp)
    errors.register(app)
    app.teardown_appcontext(close_db)

    from flask import request

    from resilience import intent

    @app.before_request
    def _declare_writes() -> None:
        """A request that may write takes SQLite's write lock when its transaction begins, so
        racing edits queue and the later one gets 412, not "database is locked" (intent)."""
        intent.declare(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.before_request
    def _sane_query() -> None:
        """A query string that is not UTF-8 text, or holds a NUL, is refused at the edge (400
        naming the parameter) rather than replaced by U+FFFD or sent to the database."""
        from urllib.parse import parse_qsl

        from resilience.errors import Problem
        from web.errors import BadRequest

        raw = request.query_string
        if not raw:
            return
        try:
            pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                              errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise BadRequest("query string is not UTF-8", [
                Problem("query", "not_utf8", {})]) from None
        bad = [k for k, v in pairs if "\x00" in k or "\x00" in v]
        if bad:
            raise BadRequest("NUL in the query string", [
                Problem(bad[0].replace("\x00", ""), "invalid_character", {"value": "NUL"})])

    @app.teardown_request
    def _undeclare(_exc: BaseException | None = None) -> None:
        intent.declare(False)  # threads are reused by gunicorn: nothing carries over

    from resilience.codes import ROLES
    from web.session import current_principal

    def role_label(role: str) -> str:
        code = ROLES.get(role)
        return code.label(select_locale()) if code else role

    def may_import(principal: Any) -> bool:
        return bool(importable_collections(principal))

    from resilience.clock import format_local

    zone = settings.zone
    app.jinja_env.filters["localtime"] = lambda value, seconds=False: format_local(
        value, zone, seconds=seconds)
    app.jinja_env.globals.update(
        page_locale=select_locale, current_principal=current_principal, role_label=role_label,
        may_import=may_import, unread_notifications=notifications_pages.unread_count,
    )

    from web import map_scripts, security_headers

    map_scripts.register(app, settings.instance_path)  # folium's script as a file (CSP)
    security_headers.register(app, settings)

    return app


class BoundedInt(IntegerConverter):
    """``<int:…>`` no larger than a PostgreSQL INTEGER (2³¹ − 1)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002 (werkzeug's)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)
