"""The JSON API under ``/api`` (OGC API – Features and the registry's own endpoints) and the
vector tiles under ``/tiles``: thin adapters over the domain, answering problem+json."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Register every API blueprint on the app (modules are imported here, not at package import)."""
    from web.api import (
        collections,
        docs,
        exports,
        feature_writes,
        features,
        hazards,
        health_checks,
        imports,
        inspections,
        openapi,
        profiles,
        risk,
        schemas,
        tiles,
        tilesets,
    )

    for module in (collections, features, feature_writes, exports, imports, openapi, tiles, risk,
                   inspections, hazards, health_checks, profiles, tilesets, schemas, docs):
        app.register_blueprint(module.bp)
