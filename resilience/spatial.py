"""Geometry helpers for queries, the same on SpatiaLite and PostGIS.

Each helper returns a dialect-neutral SQL construct (see :mod:`resilience.dialects`, where
every difference between the two databases lives); services and repositories build their
queries with these and never ask which database they talk to.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import Column, ColumnElement, func, literal

from resilience.dialects import expressions as x
from resilience.dialects.types import Json
from resilience.model import SRID
from resilience.tilegrid import BBox

__all__ = ["BBox", "Json", "as_geojson", "as_wkb", "bbox_filter", "bbox_overlaps", "contains",
           "envelope", "extent_columns", "from_wkb", "geometry", "json_array_agg", "json_object",
           "length_m", "mbr_size", "point_on_surface"]


def geometry(kind: str) -> Geometry:
    """A geometry column type in the registry's CRS with a spatial index on both databases."""
    return Geometry(geometry_type=kind, srid=SRID, spatial_index=True)


def envelope(bbox: BBox) -> ColumnElement[Any]:
    """A rectangle in storage coordinates (lon/lat, EPSG:4490)."""
    return x.Envelope(*x.box_args(bbox))


def bbox_filter(geom: Column[Any], bbox: BBox) -> ColumnElement[bool]:
    """Features intersecting a bbox, through the spatial index on both databases."""
    return x.BBoxIntersects(geom, *x.box_args(bbox))


def bbox_overlaps(geom: Column[Any], bbox: BBox) -> ColumnElement[bool]:
    """Rows whose bounding box meets ``bbox``, from the spatial index alone (no exact test).

    Enough for tiles: clipping drops whatever only the bounding boxes share.
    """
    return x.BBoxOverlaps(geom, *x.box_args(bbox))


def as_geojson(geom: Any, digits: int = 8) -> ColumnElement[str]:
    """The geometry as GeoJSON text built by the database (lon/lat order)."""
    return x.AsGeoJSON(geom, literal(digits))


def as_wkb(geom: Any) -> ColumnElement[bytes]:
    """Plain (ISO) WKB of the geometry, for shapely."""
    return x.AsWKB(geom)


def from_wkb(wkb: Any) -> ColumnElement[Any]:
    """A geometry in the registry's CRS from WKB bytes (or a column holding them)."""
    return x.FromWKB(wkb, literal(SRID))


def length_m(geom: Any) -> ColumnElement[float]:
    """Geodesic length in metres on the ellipsoid."""
    return x.GeodesicLength(geom)


def contains(outer: Any, inner: Any) -> ColumnElement[bool]:
    """ST_Contains as a boolean on both databases."""
    return x.Contains(outer, inner)


def point_on_surface(geom: Any) -> ColumnElement[Any]:
    """A point guaranteed to lie on the geometry (same name on both databases)."""
    return func.ST_PointOnSurface(geom)


def extent_columns(geom: Any) -> list[ColumnElement[float]]:
    """minx, miny, maxx, maxy of a geometry column as aggregate expressions."""
    ext = x.Extent(geom)
    return [x.MinX(ext), x.MinY(ext), x.MaxX(ext), x.MaxY(ext)]


def mbr_size(geom: Any) -> tuple[ColumnElement[float], ColumnElement[float]]:
    """Width and height of a geometry's bounding box in degrees (read from its header)."""
    return x.MaxX(geom) - x.MinX(geom), x.MaxY(geom) - x.MinY(geom)


JsonKind = str  # "plain", "bool", "datetime", "json"


def _json_value(column: Any, kind: JsonKind) -> Any:
    if kind == "bool":
        return x.JsonBool(column)
    if kind == "datetime":
        return x.JsonTimestamp(column)
    if kind == "json":
        return x.JsonNested(column)
    return column


def json_object(items: list[tuple[str, Any, JsonKind]]) -> ColumnElement[str]:
    """A JSON object built by the database, one key per column, as text.

    Both databases render numbers, text and dates the same way; booleans and timestamps
    are normalised (SpatiaLite keeps 0/1 and space-separated UTC text).
    """
    args: list[Any] = []
    for key, column, kind in items:
        args += [literal(key), _json_value(column, kind)]
    return x.JsonObject(*args)


def json_array_agg(column: Any) -> ColumnElement[str]:
    """A JSON array of a column's values over the group (``[]`` when empty)."""
    return x.JsonArrayAgg(column)
