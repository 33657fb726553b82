"""SQL expressions that SpatiaLite and PostGIS spell differently, as dialect-neutral constructs.

Each construct is built once by the caller, with no idea of the database, and SQLAlchemy's
compiler picks the spelling when the statement meets a connection (``@compiles``, the way
GeoAlchemy2 maps its own functions). The arguments are clause elements, so statements stay
in SQLAlchemy's compiled cache and the constants are bound, not pasted. Most spellings are
templates (:data:`SPELLINGS`); the spatial-index lookups need code.
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


def _spelled(construct: type[FunctionElement[Any]], sqlite: str, postgresql: str) -> None:
    """Each database's spelling as a template over the compiled arguments: ``{0}``, ``{1}``…
    for one argument, ``{args}`` for all of them joined by commas."""

    def spell(template: str) -> Any:
        def compile_(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
            args = _args(element, compiler, **kw)
            return template.format(*args, args=", ".join(args))

        return compile_

    compiles(construct, SQLITE)(spell(sqlite))
    compiles(construct, POSTGRESQL)(spell(postgresql))


class AsWKB(FunctionElement[bytes]):
    """Plain (ISO) WKB of a geometry, for shapely."""

    type = LargeBinary()
    inherit_cache = True


class AsGeoJSON(FunctionElement[str]):
    """A geometry as GeoJSON text in lon/lat order (geometry, digits), with no ``crs`` member."""

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


# The conditions below carry no Boolean type on purpose: SQLite has no native boolean, and
# SQLAlchemy would wrap a Boolean-typed expression in WHERE as "(…) = 1", which hides the
# R*Tree lookup from SQLite's planner. They render as complete conditions themselves.


class Contains(FunctionElement[bool]):
    """ST_Contains as a condition (SpatiaLite answers 0/1/-1)."""

    inherit_cache = True


class TextContains(FunctionElement[bool]):
    """Case-insensitive "contains" (expr, pattern): ILIKE, answered from PostgreSQL's trigram
    index; SQLite's LIKE folds ASCII case by itself (and ILIKE would become lower() LIKE
    lower(), which scans twice the work)."""

    inherit_cache = True


class JsonBool(FunctionElement[Any]):
    """A boolean column as a JSON true/false/null (SpatiaLite keeps 0/1)."""

    inherit_cache = True


class JsonTimestamp(FunctionElement[str]):
    """A UTC timestamp as ISO 8601 text ending in Z (SpatiaLite stores space-separated text)."""

    type = Text()
    inherit_cache = True


class JsonNested(FunctionElement[Any]):
    """A JSON column nested as JSON, not as a string (SQLite keeps JSON as text)."""

    inherit_cache = True


class JsonObject(FunctionElement[str]):
    """A JSON object built by the database from key, value, key, value…, as text."""

    type = Text()
    inherit_cache = True


class JsonArrayAgg(FunctionElement[str]):
    """A JSON array of a column's values over the group (``[]`` when empty)."""

    type = JSON()
    inherit_cache = True


# Construct: (SpatiaLite, PostGIS).
SPELLINGS: dict[type[FunctionElement[Any]], tuple[str, str]] = {
    AsWKB: ("AsBinary({args})", "ST_AsBinary({args})"),
    AsGeoJSON: ("AsGeoJSON({args})", "ST_AsGeoJSON({args}, 0)"),  # 0: no "crs" member
    FromWKB: ("GeomFromWKB({args})", "ST_GeomFromWKB({args})"),
    Envelope: ("BuildMbr({args})", "ST_MakeEnvelope({args})"),
    GeodesicLength: ("GeodesicLength({0})", "ST_Length(Geography({0}))"),
    Extent: ("Extent({args})", "ST_Extent({args})"),
    MinX: ("MbrMinX({args})", "ST_XMin({args})"),
    MinY: ("MbrMinY({args})", "ST_YMin({args})"),
    MaxX: ("MbrMaxX({args})", "ST_XMax({args})"),
    MaxY: ("MbrMaxY({args})", "ST_YMax({args})"),
    Contains: ("(ST_Contains({args}) = 1)", "ST_Contains({args})"),
    TextContains: ("({0} LIKE {1} ESCAPE '\\')", "({0} ILIKE {1} ESCAPE '\\')"),
    JsonBool: ("json(CASE WHEN ({0} IS NULL) THEN 'null' WHEN ({0} != 0) THEN 'true' "
               "ELSE 'false' END)", "{0}"),
    JsonTimestamp: ("strftime('%Y-%m-%dT%H:%M:%SZ', {0})",
                    """to_char(timezone('UTC', {0}), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')"""),
    JsonNested: ("json({0})", "{0}"),
    JsonObject: ("json_object({args})", "CAST(json_build_object({args}) AS TEXT)"),
    JsonArrayAgg: ("json_group_array({0})", "coalesce(json_agg({0}), CAST('[]' AS JSON))"),
}
for _construct, (_sqlite, _postgresql) in SPELLINGS.items():
    _spelled(_construct, _sqlite, _postgresql)


def box_args(bbox: tuple[float, float, float, float]) -> list[Any]:
    """A bbox and the registry's SRID as bound parameters."""
    return [*(literal(float(v), Float()) for v in bbox), literal(SRID)]


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
