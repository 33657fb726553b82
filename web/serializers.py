"""Rows to GeoJSON text, fast: the database builds each geometry, Python only the properties."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from shapely import wkb
from shapely.geometry import mapping

from inventory import CollectionSpec
from resilience import geo
from resilience.geo import CrsRef

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def properties(spec: CollectionSpec, row: Any, pk: str, extra: dict[str, Any] | None) -> dict:
    """The row's properties (everything but the key and geometry), JSON-ready."""
    mapping_ = row._mapping
    props = {k: _plain(v) for k, v in mapping_.items() if k not in (pk, "geometry")}
    if extra:
        for key, value in extra.items():
            props[key] = [{k: _plain(v) for k, v in item.items()} for item in value] \
                if isinstance(value, list) and value and isinstance(value[0], dict) else value
    return props


def geometry_text(raw: Any, crs: CrsRef) -> str:
    """GeoJSON geometry text: as the database made it, or transformed from WKB."""
    if raw is None:
        return "null"
    if crs.is_crs84:
        return raw if isinstance(raw, str) else raw.decode()
    geom = geo.from_storage(wkb.loads(bytes(raw)), crs, axis_order="authority")
    return _dumps(mapping(geom))


def feature_text(spec: CollectionSpec, row: Any, pk: str, crs: CrsRef,
                 extra: dict[str, Any] | None = None) -> str:
    """One GeoJSON Feature as text."""
    key = row._mapping[pk]
    props = properties(spec, row, pk, extra)
    return (
        '{"type":"Feature","id":' + _dumps(key) + ',"geometry":'
        + geometry_text(row._mapping["geometry"], crs) + ',"properties":' + _dumps(props) + "}"
    )


def dumps(value: Any) -> str:
    """Compact JSON text, keeping Chinese readable."""
    return _dumps(value)
