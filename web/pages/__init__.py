"""The registry's HTML pages: thin views over the domain, each signed in (``web.auth``), laid
out for a desk and a phone, working with no internet."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every page blueprint on the app (modules are imported here, not at package import)."""
    from web.pages import (
        assets,
        dashboard,
        edit,
        hazards,
        healthcheck,
        inspect,
        notifications,
        profile,
        qr,
        renewal,
        risk_divisions,
        risk_map,
        risk_print,
        risk_runs,
        risk_schemes,
        status,
        users,
        views,
    )

    for module in (views, assets, edit, dashboard, risk_map, risk_runs, risk_divisions, risk_print,
                   risk_schemes, inspect, qr, status, hazards, healthcheck, renewal, notifications,
                   users, profile):
        app.register_blueprint(module.bp)
