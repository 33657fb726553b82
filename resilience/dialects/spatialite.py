"""SQLite with SpatiaLite: the embedded default (one file, one writer at a time)."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path
from typing import Any

# SQLite loads extensions with RTLD_GLOBAL, so SpatiaLite's system GEOS and PROJ would
# shadow the copies bundled with shapely and pyproj if those were loaded afterwards (shapely
# then calls an older GEOS than it was built for). Load the bundled ones first; pyogrio bundles
# its own GDAL, PROJ and SQLite symbols too.
import pyogrio  # noqa: F401  isort: skip
import pyproj  # noqa: F401  isort: skip
import pyproj.crs  # noqa: F401  isort: skip
import shapely  # isort: skip
import numpy as np
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Engine,
    LargeBinary,
    Table,
    bindparam,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from resilience.dialects.base import Backend
from resilience.dialects.expressions import AsWKB, BBoxOverlaps, box_args
from resilience.errors import ServiceUnavailable
from resilience.intent import write_intended
from resilience.model import SRID
from resilience.tilegrid import MERCATOR, MVT_BUFFER, MVT_EXTENT, tile_bbox

SPATIALITE_LIBRARY = "mod_spatialite"
NO_EXTENSIONS = (
    "this Python's sqlite3 cannot load extensions, so SpatiaLite cannot run: install the "
    "SQLite wheel that can (`pip install pysqlite3-binary`, Linux), use a Python built with "
    "loadable extensions (Debian's /usr/bin/python3, Homebrew's python), or set "
    "RESILIENCE_DATABASE_URL to a PostGIS database")


def sqlite_module(stdlib: Any = sqlite3) -> Any:
    """The DB-API module to open SQLite with: the standard library's when it can load
    extensions, else the ``pysqlite3`` wheel (pyenv's and macOS's default builds cannot);
    without either, ServiceUnavailable in one sentence naming the fix."""
    if hasattr(stdlib.Connection, "enable_load_extension"):
        return stdlib
    try:
        import pysqlite3.dbapi2 as wheel
    except ImportError as error:
        raise ServiceUnavailable(NO_EXTENSIONS) from error
    return wheel


def _connect(dbapi_conn: Any, _record: Any) -> None:
    """Load SpatiaLite into every new connection and set pragmas for a web workload."""
    # Take transactions away from pysqlite so SAVEPOINT works (SQLAlchemy's pysqlite recipe).
    dbapi_conn.isolation_level = None
    dbapi_conn.enable_load_extension(True)
    try:
        dbapi_conn.load_extension(SPATIALITE_LIBRARY)
    except Exception as error:  # the driver's OperationalError, stdlib's or the wheel's
        raise ServiceUnavailable(
            "SpatiaLite is not installed: run `apt-get install libsqlite3-mod-spatialite`"
        ) from error
    finally:
        dbapi_conn.enable_load_extension(False)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys = ON")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA busy_timeout = 30000")
    cur.execute("PRAGMA cache_size = -65536")
    cur.close()


def _begin(conn: Any) -> None:
    # A writer takes the lock at BEGIN and waits for it (resilience.intent).
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intended() else "BEGIN")


_to_mercator: list[Any] = []


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator metres through PROJ, the same operation as PostGIS's ST_Transform."""
    if not _to_mercator:
        import pyproj

        _to_mercator.append(pyproj.Transformer.from_crs(SRID, MERCATOR, always_xy=True))
    return _to_mercator[0].transform(lon, lat)  # type: ignore[no-any-return]


class SpatiaLite(Backend):
    """The SQLite half of every difference."""

    name = "spatialite"

    def make_engine(self, url: str, **kwargs: Any) -> Engine:
        """A SQLite engine that loads SpatiaLite and lets SQLAlchemy own transactions."""
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        module = sqlite_module()
        if module is not sqlite3:
            kwargs.setdefault("module", module)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _connect)
        event.listen(engine, "begin", _begin)
        return engine

    def prepare_database(self, conn: Connection) -> None:
        """SpatiaLite's metadata tables, once."""
        has = conn.exec_driver_sql(
            "SELECT count(*) FROM sqlite_master WHERE name = 'spatial_ref_sys'"
        ).scalar()
        if not has:
            conn.exec_driver_sql("SELECT InitSpatialMetadata(0)")

    def insert_many(self, bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                    geom_column: str | None) -> None:
        """One executemany, which runs in a C loop; geometries go in as WKB."""
        if not rows:
            return
        columns = list(rows[0])
        values: dict[str, Any] = {c: bindparam(c, type_=table.c[c].type)
                                  for c in columns if c != geom_column}
        if geom_column is not None:
            geoms = np.array([row[geom_column] for row in rows], dtype=object)
            wkb = shapely.to_wkb(geoms, output_dimension=2, include_srid=False)
            rows = [{**row, geom_column: blob} for row, blob in zip(rows, wkb, strict=True)]
            values[geom_column] = func.GeomFromWKB(bindparam(geom_column, type_=LargeBinary), SRID)
        bind.execute(table.insert().values(values), rows)

    def reserve_ids(self, bind: Session | Connection, table: Table, count: int) -> list[int]:
        """The ids after the largest one: SQLite has one writer at a time, and the caller has
        already written in this transaction, so nobody else can take them."""
        if count <= 0:
            return []
        top = bind.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        return list(range(top + 1, top + 1 + count))

    def insert_ignoring(self, table: Table) -> Any:
        """SQLite's own ``INSERT … ON CONFLICT DO NOTHING``."""
        return sqlite.insert(table).on_conflict_do_nothing()

    def insert_rows_ignoring(self, connection: Connection, table: Table,
                             rows: list[dict[str, Any]]) -> int:
        """One executemany, run in a C loop."""
        result = connection.execute(self.insert_ignoring(table), rows)
        return int(result.rowcount)

    def mvt(self, session: Session, *, layer: str, table: Table, geom: Column[Any],
            key: Column[Any] | None, properties: list[Column[Any]],
            conditions: list[ColumnElement[bool]], order_by: list[Any],
            z: int, x: int, y: int) -> bytes:
        """SpatiaLite has no encoder: the rows come through the spatial index and are
        projected, clipped and snapped here on arrays, then encoded by mapbox-vector-tile."""
        import mapbox_vector_tile

        where = [BBoxOverlaps(geom, *box_args(tile_bbox(z, x, y, MVT_BUFFER))), *conditions]
        columns = [*([key.label("id")] if key is not None else []),
                   AsWKB(geom).label("wkb"), *properties]
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
            return np.column_stack(((np.asarray(mx) - left) * scale,
                                    (top - np.asarray(my)) * scale))

        pixels = shapely.transform(geoms, to_tile)
        low, high = -MVT_BUFFER, MVT_EXTENT + MVT_BUFFER
        clipped = shapely.clip_by_rect(pixels, low, low, high, high)
        snapped = shapely.set_precision(clipped, 1.0)  # the tile grid; what collapses is empty
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
