"""Every difference between SpatiaLite and PostGIS lives here, picked by dialect name.

Services and repositories call these helpers with the session's dialect; nothing else in
the code asks which database it is talking to.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import Geometry
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    LargeBinary,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from resilience.model import SRID

Json = JSON().with_variant(JSONB(), "postgresql")

BBox = tuple[float, float, float, float]


def dialect_of(bind: Session | Connection) -> str:
    """The dialect name ("sqlite" or "postgresql") behind a session or connection."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name


def geometry(kind: str) -> Geometry:
    """A geometry column type in the registry's CRS with a spatial index on both databases."""
    return Geometry(geometry_type=kind, srid=SRID, spatial_index=True)


def envelope(dialect: str, bbox: BBox) -> ColumnElement[Any]:
    """A rectangle in storage coordinates (lon/lat, EPSG:4490)."""
    minx, miny, maxx, maxy = bbox
    if dialect == "sqlite":
        return func.BuildMbr(minx, miny, maxx, maxy, SRID)
    return func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID)


def bbox_filter(dialect: str, table: Table, geom: Column[Any], bbox: BBox) -> ColumnElement[bool]:
    """Features intersecting a bbox, through the spatial index on both databases.

    PostGIS's ST_Intersects uses the GiST index by itself; SpatiaLite needs its R*Tree
    asked explicitly through the SpatialIndex virtual table.
    """
    env = envelope(dialect, bbox)
    if dialect == "sqlite":
        minx, miny, maxx, maxy = bbox
        candidates = text(
            "SELECT rowid FROM SpatialIndex WHERE f_table_name = :t AND f_geometry_column = :g "
            "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, :srid)"
        ).bindparams(
            t=table.name, g=geom.name, minx=minx, miny=miny, maxx=maxx, maxy=maxy, srid=SRID
        )
        rowid = literal_column(f'"{table.name}".rowid')  # divisions key on text codes
        return rowid.in_(candidates.columns(literal_column("rowid"))) & (
            func.ST_Intersects(geom, env) == 1
        )
    return func.ST_Intersects(geom, env)


def as_geojson(dialect: str, geom: Column[Any], digits: int = 8) -> ColumnElement[str]:
    """The geometry as GeoJSON text built by the database (lon/lat order)."""
    if dialect == "sqlite":
        return func.AsGeoJSON(geom, digits)
    return func.ST_AsGeoJSON(geom, digits, 0)  # 0: no "crs" member


def as_wkb(dialect: str, geom: Column[Any]) -> ColumnElement[bytes]:
    """Plain (ISO) WKB of the geometry, for shapely."""
    if dialect == "sqlite":
        return func.AsBinary(geom)
    return func.ST_AsBinary(geom)


def from_wkb(dialect: str, wkb: bytes) -> ColumnElement[Any]:
    """A geometry in the registry's CRS from WKB bytes."""
    if dialect == "sqlite":
        return func.GeomFromWKB(wkb, SRID)
    return func.ST_GeomFromWKB(wkb, SRID)


def reserve_ids(bind: Session | Connection, table: Table, count: int) -> list[int]:
    """``count`` new primary keys for ``table``, so a batch can be inserted without RETURNING.

    PostgreSQL draws them from the id sequence (safe beside other writers). SQLite has one
    writer at a time and the import has already written in this transaction, so the ids
    after the largest one are ours.
    """
    if count <= 0:
        return []
    if dialect_of(bind) == "sqlite":
        top = bind.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        return list(range(top + 1, top + 1 + count))
    sequence = func.pg_get_serial_sequence(table.name, "id")
    return list(bind.execute(select(func.nextval(sequence)).select_from(
        func.generate_series(1, count))).scalars())


def insert_many(bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                geom_column: str | None = None) -> None:
    """Insert many rows at once; ``geom_column`` holds shapely geometries in lon/lat.

    PostgreSQL gets one ``COPY … FROM STDIN`` (an executemany there is a round trip per
    row); SQLite one executemany, which runs in a C loop. Other values are plain Python
    values (JSON columns as dicts or lists).
    """
    if not rows:
        return
    columns = list(rows[0])
    if geom_column is not None:
        geoms = np.array([row[geom_column] for row in rows], dtype=object)
    if dialect_of(bind) == "sqlite":
        values: dict[str, Any] = {c: bindparam(c, type_=table.c[c].type)
                                  for c in columns if c != geom_column}
        if geom_column is not None:
            wkb = shapely.to_wkb(geoms, output_dimension=2, include_srid=False)
            rows = [{**row, geom_column: blob} for row, blob in zip(rows, wkb, strict=True)]
            values[geom_column] = func.GeomFromWKB(bindparam(geom_column, type_=LargeBinary), SRID)
        bind.execute(table.insert().values(values), rows)
        return
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    ewkb = (shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, output_dimension=2,
                           include_srid=True) if geom_column is not None else None)
    connection = bind.connection() if isinstance(bind, Session) else bind
    raw = connection.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    json_at = [i for i, c in enumerate(columns) if c in json_columns]
    geom_at = columns.index(geom_column) if geom_column is not None else None
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for i, row in enumerate(rows):
                values = [row[c] for c in columns]
                for j in json_at:
                    if values[j] is not None:
                        values[j] = dumps(values[j])
                if geom_at is not None and ewkb is not None:
                    values[geom_at] = ewkb[i]
                copy.write_row(values)
    except raw.Error as error:  # the same error type as every other statement raises
        raise DBAPIError.instance(statement, None, error, type(raw).Error) from error


def length_m(dialect: str, geom: Column[Any]) -> ColumnElement[float]:
    """Geodesic length in metres on the ellipsoid."""
    if dialect == "sqlite":
        return func.GeodesicLength(geom)
    return func.ST_Length(func.Geography(geom))


def prepare_database(conn: Connection) -> None:
    """Make the database spatial: SpatiaLite metadata or the PostGIS extension."""
    if conn.dialect.name == "sqlite":
        has = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'"
        ).scalar()
        if not has:
            conn.exec_driver_sql("SELECT InitSpatialMetadata(0)")
    else:
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")


def analyze(conn: Connection) -> None:
    """Refresh planner statistics after a bulk load so bbox queries use their index."""
    conn.exec_driver_sql("ANALYZE")


def contains(dialect: str, outer: Any, inner: Any) -> ColumnElement[bool]:
    """ST_Contains as a boolean on both databases (SpatiaLite answers 0/1/-1)."""
    if dialect == "sqlite":
        return func.ST_Contains(outer, inner) == 1
    return func.ST_Contains(outer, inner)


def point_on_surface(geom: Any) -> ColumnElement[Any]:
    """A point guaranteed to lie on the geometry (same name on both databases)."""
    return func.ST_PointOnSurface(geom)


def extent_columns(dialect: str, geom: Any) -> list[ColumnElement[float]]:
    """minx, miny, maxx, maxy of a geometry column as aggregate expressions."""
    if dialect == "sqlite":
        ext = func.Extent(geom)
        return [func.MbrMinX(ext), func.MbrMinY(ext), func.MbrMaxX(ext), func.MbrMaxY(ext)]
    ext = func.ST_Extent(geom)
    return [func.ST_XMin(ext), func.ST_YMin(ext), func.ST_XMax(ext), func.ST_YMax(ext)]


JsonKind = str  # "plain", "bool", "datetime", "json"


def _json_value(dialect: str, column: Any, kind: JsonKind) -> Any:
    if kind == "bool":
        if dialect == "sqlite":
            return func.json(case((column.is_(None), "null"), (column != 0, "true"),
                                  else_="false"))
        return column
    if kind == "datetime":
        if dialect == "sqlite":
            return func.strftime("%Y-%m-%dT%H:%M:%SZ", column)
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    if kind == "json" and dialect == "sqlite":
        return func.json(column)
    return column


def json_object(dialect: str, items: list[tuple[str, Any, JsonKind]]) -> ColumnElement[str]:
    """A JSON object built by the database, one key per column, as text.

    Both databases render numbers, text and dates the same way; booleans and timestamps
    are normalised here (SpatiaLite keeps 0/1 and space-separated UTC text).
    """
    args: list[Any] = []
    for key, column, kind in items:
        args += [literal(key), _json_value(dialect, column, kind)]
    if dialect == "sqlite":
        return func.json_object(*args)
    return cast(func.json_build_object(*args), Text)


def json_array_agg(dialect: str, column: Any) -> ColumnElement[str]:
    """A JSON array of a column's values over the group (``[]`` when empty)."""
    if dialect == "sqlite":
        return func.json_group_array(column)
    return func.coalesce(func.json_agg(column), literal("[]").cast(JSON))
