"""PostgreSQL with PostGIS: production (many writers, COPY, GiST and trigram indexes)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import shapely
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Engine,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from resilience.dialects.base import Backend
from resilience.dialects.expressions import BBoxOverlaps, box_args
from resilience.model import SRID
from resilience.tilegrid import MERCATOR, MVT_BUFFER, MVT_EXTENT, tile_bbox

CONNECT_TIMEOUT = 5  # seconds; a URL's own ``?connect_timeout=`` wins


def _copy(connection: Connection, table: Table, rows: list[dict[str, Any]],
          geom_column: str | None) -> None:
    """One ``COPY … FROM STDIN`` (an executemany is a round trip per row here)."""
    columns = list(rows[0])
    json_columns = {c for c in columns if isinstance(table.c[c].type, JSON)}
    ewkb = None
    if geom_column is not None:
        geoms = np.array([row[geom_column] for row in rows], dtype=object)
        ewkb = shapely.to_wkb(shapely.set_srid(geoms, SRID), hex=True, output_dimension=2,
                              include_srid=True)
    raw = connection.connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    json_at = [i for i, c in enumerate(columns) if c in json_columns]
    geom_at = columns.index(geom_column) if geom_column is not None else None
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for i, row in enumerate(rows):
                values = [row[c] for c in columns]
                for j in json_at:
                    if values[j] is not None:
                        values[j] = dumps(values[j])
                if geom_at is not None and ewkb is not None:
                    values[geom_at] = ewkb[i]
                copy.write_row(values)
    except raw.Error as error:  # type: ignore[union-attr]  # the type every statement raises
        raise DBAPIError.instance(statement, None, error, type(raw).Error) from error  # type: ignore[union-attr]


class PostGIS(Backend):
    """The PostgreSQL half of every difference."""

    name = "postgis"

    def make_engine(self, url: str, **kwargs: Any) -> Engine:
        """A pooled engine that checks connections before use (a restarted server) and gives up
        connecting after a few seconds (a server away answers 503 at once, never hangs)."""
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("pool_size", 10)
        if "connect_timeout" not in make_url(url).query:
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT,
                                      **kwargs.get("connect_args", {})}
        return create_engine(url, **kwargs)

    def prepare_database(self, conn: Connection) -> None:
        """The PostGIS extension."""
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")

    def insert_many(self, bind: Session | Connection, table: Table, rows: list[dict[str, Any]],
                    geom_column: str | None) -> None:
        """One COPY; JSON columns as text, geometries as hex EWKB."""
        if not rows:
            return
        connection = bind.connection() if isinstance(bind, Session) else bind
        _copy(connection, table, rows, geom_column)

    def reserve_ids(self, bind: Session | Connection, table: Table, count: int) -> list[int]:
        """Ids drawn from the table's sequence, safe beside other writers."""
        if count <= 0:
            return []
        sequence = func.pg_get_serial_sequence(table.name, "id")
        return list(bind.execute(select(func.nextval(sequence)).select_from(
            func.generate_series(1, count))).scalars())

    def insert_ignoring(self, table: Table) -> Any:
        """PostgreSQL's own ``INSERT … ON CONFLICT DO NOTHING``."""
        return postgresql.insert(table).on_conflict_do_nothing()

    def insert_rows_ignoring(self, connection: Connection, table: Table,
                             rows: list[dict[str, Any]]) -> int:
        """COPY into a temporary table, then one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
        (a multi-row VALUES of 100k rows spends its time in the driver's query parsing)."""
        columns = list(rows[0])
        staging = Table(f"staging_{table.name}", MetaData(),
                        *[Column(c, table.c[c].type) for c in columns])
        names = ", ".join(f'"{c}"' for c in columns)
        connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{staging.name}"')
        connection.exec_driver_sql(f'CREATE TEMPORARY TABLE "{staging.name}" ON COMMIT DROP AS '
                                   f'SELECT {names} FROM "{table.name}" WITH NO DATA')
        _copy(connection, staging, rows, None)
        result = connection.exec_driver_sql(
            f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{staging.name}" '
            "ON CONFLICT DO NOTHING")
        connection.exec_driver_sql(f'DROP TABLE "{staging.name}"')
        return int(result.rowcount)

    def create_search_indexes(self, conn: Connection, tables: list[Table]) -> None:
        """A pg_trgm GIN index on each table's searchable text (when pg_trgm is installable;
        ILIKE still answers without it, by scanning)."""
        from resilience.text_search import index_name, searchable

        available = conn.exec_driver_sql(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'").scalar()
        if not available:
            return
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in tables:
            expr = searchable(table).compile(dialect=conn.dialect,
                                             compile_kwargs={"literal_binds": True})
            conn.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS "{index_name(table)}" '
                                 f'ON "{table.name}" USING gin (({expr}) gin_trgm_ops)')

    def drop_search_indexes(self, conn: Connection, tables: list[Table]) -> None:
        """Drop the trigram indexes (the extension stays: other objects may use it)."""
        from resilience.text_search import index_name

        for table in tables:
            conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index_name(table)}"')

    def mvt(self, session: Session, *, layer: str, table: Table, geom: Column[Any],
            key: Column[Any] | None, properties: list[Column[Any]],
            conditions: list[ColumnElement[bool]], order_by: list[Any],
            z: int, x: int, y: int) -> bytes:
        """Built whole by the database: ST_AsMVTGeom clips and snaps, ST_AsMVT encodes."""
        where = [BBoxOverlaps(geom, *box_args(tile_bbox(z, x, y, MVT_BUFFER))), *conditions]
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
        # here) and starting workers costs more than they save (a z14 tile: 35 ms with two,
        # 9 ms without). Tiles come many at once: their parallelism is the requests themselves.
        session.execute(select(func.set_config("jit", "off", True),
                               func.set_config("max_parallel_workers_per_gather", "0", True)))
        data = session.execute(stmt).scalar()
        return bytes(data) if data else b""
