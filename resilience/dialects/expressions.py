"""SQL expressions that SpatiaLite and PostGIS spell differently, as dialect-neutral constructs.

Each construct is built once by the caller, with no idea of the database, and SQLAlchemy's
compiler picks the spelling when the statement meets a connection (``@compiles``, the way
GeoAlchemy2 maps its own functions). The arguments are clause elements, so statements stay
in SQLAlchemy's compiled cache and the constants are bound, not pasted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, LargeBinary, Text, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from resilience.model import SRID

SQLITE, POSTGRESQL = "sqlite", "postgresql"


def _args(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> list[str]:
    return [compiler.process(c, **kw) for c in element.clauses]


def _renamed(construct: type[FunctionElement[Any]], sqlite: str, postgresql: str) -> None:
    """The same arguments under another function name on each database."""

    @compiles(construct, SQLITE)
    def _on_sqlite(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
        return f"{sqlite}({', '.join(_args(element, compiler, **kw))})"

    @compiles(construct, POSTGRESQL)
    def _on_postgresql(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
        return f"{postgresql}({', '.join(_args(element, compiler, **kw))})"


class AsWKB(FunctionElement[bytes]):
    """Plain (ISO) WKB of a geometry, for shapely."""

    type = LargeBinary()
    inherit_cache = True


class AsGeoJSON(FunctionElement[str]):
    """A geometry as GeoJSON text in lon/lat order, with no ``crs`` member."""

    type = Text()
    inherit_cache = True


class FromWKB(FunctionElement[Any]):
    """A geometry in the registry's CRS from WKB (geometry, srid)."""

    inherit_cache = True


class Envelope(FunctionElement[Any]):
    """A rectangle (minx, miny, maxx, maxy, srid)."""

    inherit_cache = True


class GeodesicLength(FunctionElement[float]):
    """Length in metres on the ellipsoid."""

    type = Float()
    inherit_cache = True


class Extent(FunctionElement[Any]):
    """The aggregate bounding box of a geometry column."""

    inherit_cache = True


class MinX(FunctionElement[float]):
    """A box's or geometry's west edge (read from the header on SpatiaLite)."""

    type = Float()
    inherit_cache = True


class MinY(MinX):
    """A box's or geometry's south edge."""

    inherit_cache = True


class MaxX(MinX):
    """A box's or geometry's east edge."""

    inherit_cache = True


class MaxY(MinX):
    """A box's or geometry's north edge."""

    inherit_cache = True


_renamed(AsWKB, "AsBinary", "ST_AsBinary")
_renamed(FromWKB, "GeomFromWKB", "ST_GeomFromWKB")
_renamed(Envelope, "BuildMbr", "ST_MakeEnvelope")
_renamed(Extent, "Extent", "ST_Extent")
_renamed(MinX, "MbrMinX", "ST_XMin")
_renamed(MinY, "MbrMinY", "ST_YMin")
_renamed(MaxX, "MbrMaxX", "ST_XMax")
_renamed(MaxY, "MbrMaxY", "ST_YMax")


@compiles(AsGeoJSON, SQLITE)
def _geojson_sqlite(element: AsGeoJSON, compiler: SQLCompiler, **kw: Any) -> str:
    return f"AsGeoJSON({', '.join(_args(element, compiler, **kw))})"


@compiles(AsGeoJSON, POSTGRESQL)
def _geojson_postgresql(element: AsGeoJSON, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_AsGeoJSON({', '.join(_args(element, compiler, **kw))}, 0)"  # 0: no "crs"


@compiles(GeodesicLength, SQLITE)
def _length_sqlite(element: GeodesicLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"GeodesicLength({_args(element, compiler, **kw)[0]})"


@compiles(GeodesicLength, POSTGRESQL)
def _length_postgresql(element: GeodesicLength, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_Length(Geography({_args(element, compiler, **kw)[0]}))"


# The conditions below carry no Boolean type on purpose: SQLite has no native boolean, and
# SQLAlchemy would wrap a Boolean-typed expression in WHERE as "(…) = 1", which hides the
# R*Tree lookup from SQLite's planner. They render as complete conditions themselves.


class Contains(FunctionElement[bool]):
    """ST_Contains as a condition (SpatiaLite answers 0/1/-1)."""

    inherit_cache = True


@compiles(Contains, SQLITE)
def _contains_sqlite(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(ST_Contains({', '.join(_args(element, compiler, **kw))}) = 1)"


@compiles(Contains, POSTGRESQL)
def _contains_postgresql(element: Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_Contains({', '.join(_args(element, compiler, **kw))})"


def _index_frame(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    """SpatiaLite's R*Tree lookup for (geom, minx, miny, maxx, maxy, srid): rowid IN (…)."""
    geom: Any
    geom, *box = list(element.clauses)
    table = geom.table
    rowid = f"{compiler.preparer.quote(table.name)}.rowid"
    frame = f"BuildMbr({', '.join(compiler.process(b, **kw) for b in box)})"
    real = getattr(table, "original", table).name  # an alias searches its table's index
    lookup = (f"{rowid} IN (SELECT rowid FROM SpatialIndex WHERE f_table_name = "
              f"'{real}' AND f_geometry_column = '{geom.name}' "
              f"AND search_frame = {frame})")
    return lookup, frame


class BBoxIntersects(FunctionElement[bool]):
    """Rows whose geometry meets a rectangle, through the spatial index on both databases.

    PostGIS's ST_Intersects uses the GiST index by itself; SpatiaLite needs its R*Tree
    asked explicitly through the SpatialIndex virtual table.
    """

    inherit_cache = True


@compiles(BBoxIntersects, SQLITE)
def _bbox_sqlite(element: BBoxIntersects, compiler: SQLCompiler, **kw: Any) -> str:
    lookup, frame = _index_frame(element, compiler, **kw)
    geom = compiler.process(list(element.clauses)[0], **kw)
    return f"({lookup} AND ST_Intersects({geom}, {frame}) = 1)"


@compiles(BBoxIntersects, POSTGRESQL)
def _bbox_postgresql(element: BBoxIntersects, compiler: SQLCompiler, **kw: Any) -> str:
    geom, *box = _args(element, compiler, **kw)
    return f"ST_Intersects({geom}, ST_MakeEnvelope({', '.join(box)}))"


class BBoxOverlaps(FunctionElement[bool]):
    """Rows whose bounding box meets a rectangle, from the spatial index alone (no exact test)."""

    inherit_cache = True


@compiles(BBoxOverlaps, SQLITE)
def _overlaps_sqlite(element: BBoxOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    return _index_frame(element, compiler, **kw)[0]


@compiles(BBoxOverlaps, POSTGRESQL)
def _overlaps_postgresql(element: BBoxOverlaps, compiler: SQLCompiler, **kw: Any) -> str:
    geom, *box = _args(element, compiler, **kw)
    return f"({geom} && ST_MakeEnvelope({', '.join(box)}))"


def box_args(bbox: tuple[float, float, float, float]) -> list[Any]:
    """A bbox and the registry's SRID as bound parameters."""
    return [*(literal(float(v), Float()) for v in bbox), literal(SRID)]


class TextContains(FunctionElement[bool]):
    """Case-insensitive "contains" (expr, pattern): ILIKE, answered from PostgreSQL's trigram
    index; SQLite's LIKE folds ASCII case by itself (and ILIKE would become lower() LIKE
    lower(), which scans twice the work)."""

    inherit_cache = True


@compiles(TextContains, SQLITE)
def _text_sqlite(element: TextContains, compiler: SQLCompiler, **kw: Any) -> str:
    expr, pattern = _args(element, compiler, **kw)
    return f"({expr} LIKE {pattern} ESCAPE '\\')"


@compiles(TextContains, POSTGRESQL)
def _text_postgresql(element: TextContains, compiler: SQLCompiler, **kw: Any) -> str:
    expr, pattern = _args(element, compiler, **kw)
    return f"({expr} ILIKE {pattern} ESCAPE '\\')"


class JsonBool(FunctionElement[Any]):
    """A boolean column as a JSON true/false/null (SpatiaLite keeps 0/1)."""

    inherit_cache = True


@compiles(JsonBool, SQLITE)
def _bool_sqlite(element: JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    col = _args(element, compiler, **kw)[0]
    return f"json(CASE WHEN ({col} IS NULL) THEN 'null' WHEN ({col} != 0) THEN 'true' ELSE 'false' END)"


@compiles(JsonBool, POSTGRESQL)
def _bool_postgresql(element: JsonBool, compiler: SQLCompiler, **kw: Any) -> str:
    return _args(element, compiler, **kw)[0]


class JsonTimestamp(FunctionElement[str]):
    """A UTC timestamp as ISO 8601 text ending in Z (SpatiaLite stores space-separated text)."""

    type = Text()
    inherit_cache = True


@compiles(JsonTimestamp, SQLITE)
def _ts_sqlite(element: JsonTimestamp, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strftime('%Y-%m-%dT%H:%M:%SZ', {_args(element, compiler, **kw)[0]})"


@compiles(JsonTimestamp, POSTGRESQL)
def _ts_postgresql(element: JsonTimestamp, compiler: SQLCompiler, **kw: Any) -> str:
    col = _args(element, compiler, **kw)[0]
    return f"""to_char(timezone('UTC', {col}), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""


class JsonNested(FunctionElement[Any]):
    """A JSON column nested as JSON, not as a string (SQLite keeps JSON as text)."""

    inherit_cache = True


@compiles(JsonNested, SQLITE)
def _nested_sqlite(element: JsonNested, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json({_args(element, compiler, **kw)[0]})"


@compiles(JsonNested, POSTGRESQL)
def _nested_postgresql(element: JsonNested, compiler: SQLCompiler, **kw: Any) -> str:
    return _args(element, compiler, **kw)[0]


class JsonObject(FunctionElement[str]):
    """A JSON object built by the database from key, value, key, value…, as text."""

    type = Text()
    inherit_cache = True


@compiles(JsonObject, SQLITE)
def _object_sqlite(element: JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_object({', '.join(_args(element, compiler, **kw))})"


@compiles(JsonObject, POSTGRESQL)
def _object_postgresql(element: JsonObject, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(json_build_object({', '.join(_args(element, compiler, **kw))}) AS TEXT)"


class JsonArrayAgg(FunctionElement[str]):
    """A JSON array of a column's values over the group (``[]`` when empty)."""

    type = JSON()
    inherit_cache = True


@compiles(JsonArrayAgg, SQLITE)
def _agg_sqlite(element: JsonArrayAgg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array({_args(element, compiler, **kw)[0]})"


@compiles(JsonArrayAgg, POSTGRESQL)
def _agg_postgresql(element: JsonArrayAgg, compiler: SQLCompiler, **kw: Any) -> str:
    return f"coalesce(json_agg({_args(element, compiler, **kw)[0]}), CAST('[]' AS JSON))"
