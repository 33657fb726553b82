"""A collection's table, key and geometry, and the columns its features are read as.

Every other repository module reaches a collection's table through here, so a collection
whose key is not ``id`` (divisions: ``code``) or whose geometry is not ``geom`` (divisions:
``boundary``) is handled in one place.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, cast

from sqlalchemy import Column, Table, func, null, or_, select

from inventory.assets import CollectionSpec
from inventory.pipelines import Pipeline
from inventory.tunnels import CabinLine
from resilience.spatial import as_geojson, as_wkb, json_array_agg, json_object


def table_of(spec: CollectionSpec) -> Table:
    """The Core table behind a collection."""
    return cast(Table, spec.model.__table__)


def pk_of(spec: CollectionSpec) -> Column[Any]:
    """The primary-key column (``id``, or ``code`` for divisions)."""
    return next(iter(table_of(spec).primary_key.columns))


def geom_of(spec: CollectionSpec) -> Column[Any]:
    """The geometry column."""
    table = table_of(spec)
    return table.c.geom if "geom" in table.c else table.c.boundary


def stored_fields(spec: CollectionSpec) -> list[str]:
    """The spec's fields that are columns of its table (the rest are derived)."""
    table = table_of(spec)
    return [f.name for f in spec.fields if f.name in table.c]


def _kind(column: Column[Any]) -> str:
    """How a column's values go into JSON (see ``resilience.spatial.json_object``)."""
    type_name = type(column.type).__name__
    if type_name == "Boolean":
        return "bool"
    if type_name == "UTCDateTime":
        return "datetime"
    if type_name in ("JSON", "Variant") or "JSON" in repr(column.type):
        return "json"
    return "plain"


def _derived_columns(spec: CollectionSpec) -> list[tuple[str, Any, str]]:
    """Properties computed from other tables, as joins or subqueries (no extra round trip)."""
    table = table_of(spec)
    if spec.name == "pipelines":
        return [("cabin_id", CabinLine.__table__.c.cabin_id, "plain")]  # outer-joined in page()
    if spec.name == "network-points":
        p = Pipeline.__table__.alias("seg")
        agg = select(json_array_agg(p.c.id)).where(
            or_(p.c.start_point_id == table.c.id, p.c.end_point_id == table.c.id),
            p.c.retired_at.is_(None),
        ).correlate(table).scalar_subquery()
        return [("segment_ids", agg, "json")]
    return []


@lru_cache(maxsize=64)
def feature_columns(name: str, geometry: str, multi: bool = False) -> list[Any]:
    """Key, geometry (GeoJSON text, WKB or none) and the properties as JSON text built by the DB.

    ``multi`` reads every geometry as its multi type (a Polygon as a MultiPolygon of one), so
    a layer GIS clients declare MultiPolygon holds nothing of another type.

    Built once per collection (the same on both databases): constructing ~40 expressions
    costs milliseconds.
    """
    from inventory.assets import COLLECTIONS

    spec = COLLECTIONS[name]
    table = table_of(spec)
    pk = pk_of(spec)
    geom: Any = geom_of(spec)
    if multi:
        geom = func.ST_Multi(geom)
    if geometry == "none":  # tables show attributes only
        geom_expr: Any = null()
    else:
        geom_expr = as_geojson(geom) if geometry == "geojson" else as_wkb(geom)
    items = [(name, table.c[name], _kind(table.c[name]))
             for name in stored_fields(spec) if name != pk.name]
    items += _derived_columns(spec)
    meta = [table.c[name] for name in ("division_code", "version") if name in table.c]
    return [pk, geom_expr.label("geometry"), json_object(items).label("properties"),
            *meta]
