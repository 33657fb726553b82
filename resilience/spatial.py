"""Every difference between SpatiaLite and PostGIS lives here, picked by dialect name.

Services and repositories call these helpers with the session's dialect; nothing else in
the code asks which database it is talking to.
"""

from __future__ import annotations

import json
import math
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


# Vector tiles (Mapbox Vector Tile 2.1) on the Web Mercator grid: 4096 units a side, so a
# 256-pixel tile has 16 units a pixel, and a 64-unit (4 px) buffer so strokes meet at seams.
MVT_EXTENT = 4096
MVT_BUFFER = 64
MERCATOR = 3857


def tile_bbox(z: int, x: int, y: int, buffer: int = 0) -> BBox:
    """A tile's lon/lat rectangle, widened by ``buffer`` tile units on each side.

    Computed once per tile in Python (the inverse Web Mercator), so the row filter compares
    stored EPSG:4490 geometries with a constant rectangle and keeps to the spatial index.
    """
    n = 2.0 ** z
    pad = buffer / MVT_EXTENT

    def lon(px: float) -> float:
        return px / n * 360.0 - 180.0

    def lat(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * py / n))))

    return lon(x - pad), lat(y + 1 + pad), lon(x + 1 + pad), lat(y - pad)


def bbox_overlaps(dialect: str, table: Table, geom: Column[Any], bbox: BBox) -> ColumnElement[bool]:
    """Rows whose bounding box meets ``bbox``, from the spatial index alone (no exact test).

    Enough for tiles: clipping drops whatever only the bounding boxes share.
    """
    minx, miny, maxx, maxy = bbox
    if dialect == "sqlite":
        candidates = text(
            "SELECT rowid FROM SpatialIndex WHERE f_table_name = :t AND f_geometry_column = :g "
            "AND search_frame = BuildMbr(:minx, :miny, :maxx, :maxy, :srid)"
        ).bindparams(
            t=table.name, g=geom.name, minx=minx, miny=miny, maxx=maxx, maxy=maxy, srid=SRID
        )
        rowid = literal_column(f'"{table.name}".rowid')
        return rowid.in_(candidates.columns(literal_column("rowid")))
    return geom.op("&&")(func.ST_MakeEnvelope(minx, miny, maxx, maxy, SRID))


def mbr_size(dialect: str, geom: Column[Any]) -> tuple[ColumnElement[float], ColumnElement[float]]:
    """Width and height of a geometry's bounding box in degrees (read from its header)."""
    if dialect == "sqlite":
        return func.MbrMaxX(geom) - func.MbrMinX(geom), func.MbrMaxY(geom) - func.MbrMinY(geom)
    return func.ST_XMax(geom) - func.ST_XMin(geom), func.ST_YMax(geom) - func.ST_YMin(geom)


def mvt(session: Session, *, layer: str, table: Table, geom: Column[Any], key: Column[Any] | None,
        properties: list[Column[Any]], conditions: list[ColumnElement[bool]], order_by: list[Any],
        z: int, x: int, y: int) -> bytes:
    """One layer of a vector tile holding the rows that match; ``b""`` when none is drawn.

    PostGIS builds it whole (ST_AsMVTGeom clips and snaps to the grid, ST_AsMVT encodes).
    SpatiaLite has no encoder: the rows come through the spatial index and are projected,
    clipped and snapped here on arrays, then encoded by mapbox-vector-tile. Either way a
    feature that snaps to nothing is dropped, a null property is left out, and ``key`` (an
    integer) becomes the feature id.
    """
    dialect = dialect_of(session)
    where = [bbox_overlaps(dialect, table, geom, tile_bbox(z, x, y, MVT_BUFFER)), *conditions]
    if dialect == "sqlite":
        return _mvt_python(session, layer, geom, key, properties, where, order_by, z, x, y)
    tile_geom = func.ST_AsMVTGeom(func.ST_Transform(geom, MERCATOR),
                                  func.ST_TileEnvelope(z, x, y), MVT_EXTENT, MVT_BUFFER, True)
    columns = [*([key.label("id")] if key is not None else []), *properties,
               tile_geom.label("geom")]
    rows = select(*columns).where(*where).order_by(*order_by).subquery("tile")
    names = [literal(layer, Text), literal(MVT_EXTENT), literal("geom", Text)]
    if key is not None:
        names.append(literal("id", Text))
    stmt = select(func.ST_AsMVT(literal_column("tile"), *names)).select_from(rows).where(
        rows.c.geom.is_not(None))
    # ST_AsMVTGeom's planner cost pushes a tile over jit_above_cost and parallel_setup_cost,
    # but compiling the query takes longer than running it (300 ms of a z10 tile's 380 ms
    # here) and starting workers costs more than they save (a z14 tile: 35 ms with two, 9 ms
    # without). Tiles come many at once: their parallelism is the requests themselves.
    session.execute(select(func.set_config("jit", "off", True),
                           func.set_config("max_parallel_workers_per_gather", "0", True)))
    data = session.execute(stmt).scalar()
    return bytes(data) if data else b""


_to_mercator: list[Any] = []


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator metres through PROJ, the same operation as PostGIS's ST_Transform."""
    if not _to_mercator:
        import pyproj

        _to_mercator.append(pyproj.Transformer.from_crs(SRID, MERCATOR, always_xy=True))
    return _to_mercator[0].transform(lon, lat)  # type: ignore[no-any-return]


def _mvt_python(session: Session, layer: str, geom: Column[Any], key: Column[Any] | None,
                properties: list[Column[Any]], where: list[ColumnElement[bool]],
                order_by: list[Any], z: int, x: int, y: int) -> bytes:
    """SpatiaLite's half of :func:`mvt`: select, then project, clip and snap on arrays."""
    import mapbox_vector_tile

    columns = [*([key.label("id")] if key is not None else []),
               as_wkb("sqlite", geom).label("wkb"), *properties]
    rows = session.execute(select(*columns).where(*where).order_by(*order_by)).all()
    if not rows:
        return b""
    geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
    size = 2 * math.pi * 6378137.0 / 2.0 ** z  # the tile's side in Web Mercator metres
    left = -math.pi * 6378137.0 + x * size
    top = math.pi * 6378137.0 - y * size
    scale = MVT_EXTENT / size

    def to_tile(coords: np.ndarray) -> np.ndarray:
        mx, my = _mercator(coords[:, 0], coords[:, 1])
        return np.column_stack(((np.asarray(mx) - left) * scale, (top - np.asarray(my)) * scale))

    pixels = shapely.transform(geoms, to_tile)
    low, high = -MVT_BUFFER, MVT_EXTENT + MVT_BUFFER
    clipped = shapely.clip_by_rect(pixels, low, low, high, high)
    snapped = shapely.set_precision(clipped, 1.0)  # the tile grid; what collapses becomes empty
    keep = ~shapely.is_empty(snapped)
    if not keep.any():
        return b""
    names = [c.name for c in properties]
    first = len(columns) - len(names)  # properties follow the key and the geometry
    features = []
    for i in np.flatnonzero(keep).tolist():
        row = rows[i]
        feature: dict[str, Any] = {"geometry": snapped[i],
                                   "properties": dict(zip(names, row[first:], strict=True))}
        if key is not None:
            feature["id"] = row[0]
        features.append(feature)
    polygons = bool(np.isin(shapely.get_type_id(snapped[keep]), (3, 6)).any())
    return mapbox_vector_tile.encode(  # type: ignore[no-any-return]
        {"name": layer, "features": features},
        default_options={"y_coord_down": True, "extents": MVT_EXTENT,
                         "check_winding_order": polygons})
