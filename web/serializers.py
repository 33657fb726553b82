"""Rows to GeoJSON text, fast: the database builds each geometry and property object as JSON,
Python only joins the pieces (and adds nested lists for the few collections that have them).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from shapely import wkb
from shapely.geometry import mapping

from resilience import geo
from resilience.geo import CrsRef

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def geometry_text(raw: Any, crs: CrsRef) -> str:
    """GeoJSON geometry text: as the database made it, or transformed from WKB."""
    if raw is None:
        return "null"
    if crs.is_crs84:
        return raw if isinstance(raw, str) else raw.decode()
    geom = geo.from_storage(wkb.loads(bytes(raw)), crs, axis_order="authority")
    return _dumps(mapping(geom))


def properties_text(row: Any, extra: dict[str, Any] | None = None) -> str:
    """The property object as the database built it, with nested lists spliced in."""
    props: str = row.properties
    if not extra:
        return props
    tail = ",".join(_dumps(k) + ":" + _dumps(_plain(v)) for k, v in extra.items())
    return props[:-1] + ("," if len(props) > 2 else "") + tail + "}"


def feature_text(row: Any, key: Any, crs: CrsRef, extra: dict[str, Any] | None = None) -> str:
    """One GeoJSON Feature as text."""
    return ('{"type":"Feature","id":' + _dumps(key) + ',"geometry":'
            + geometry_text(row.geometry, crs) + ',"properties":' + properties_text(row, extra)
            + "}")


def dumps(value: Any) -> str:
    """Compact JSON text, keeping Chinese readable."""
    return _dumps(value)
