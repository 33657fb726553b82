"""Writing the generated city: divisions, batched Core inserts of assets, tunnels, flood points.

Tens of thousands of network points and pipelines go in as batched Core ``insert()``s (the
ORM would take minutes); the few tunnels and flood points, which have children, as ORM
objects. Everything runs in the caller's transaction and never commits, identically on
SpatiaLite and PostGIS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import shapely
from geoalchemy2 import WKTElement
from geoalchemy2.shape import from_shape
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from demo.columns import CREATED_BY, DATA_SOURCE, Columns, wkt
from demo.districts import hangzhou_divisions
from demo.tunnels import DemoTunnel
from inventory import CabinLine, FloodPoint, Pipeline, Tunnel, TunnelCabin, TunnelNode, WaterloggingEvent
from resilience.divisions import Division
from resilience.model import SRID, now

CHUNK = 5000


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class (its ``__table__`` is typed as a mere FromClause)."""
    return cast(Table, model.__table__)


def already_loaded(session: Session) -> bool:
    """True when divisions exist and some pipeline came from the demo."""
    has_divisions = session.scalar(select(Division.code).limit(1)) is not None
    p = Pipeline.__table__.c
    return has_divisions and session.scalar(
        select(p.id).where(p.data_source == DATA_SOURCE).limit(1)) is not None


def ensure_divisions(session: Session) -> None:
    """Insert Zhejiang, Hangzhou and its 13 county-level units where missing."""
    d = table_of(Division)
    have = set(session.scalars(select(d.c.code)))
    rows = [
        {"code": s.code, "name": s.name, "name_en": s.name_en, "level": s.level,
         "parent_code": s.parent_code, "population": s.population,
         "boundary": from_shape(shapely.from_wkt(s.boundary_wkt), srid=SRID)}
        for s in hangzhou_divisions() if s.code not in have
    ]
    if rows:
        session.execute(insert(d), rows)


def insert_assets(session: Session, table: Table, columns: Columns,
                  progress: Callable[[float], None],
                  want_ids: set[int] | None = None) -> list[int]:
    """Batched Core inserts; returns database ids by row (all, or only `want_ids`' rows)."""
    c = table.c
    before = session.scalar(select(func.max(c.id))) or 0
    stamp = now()
    total = len(columns["geom"])
    for first in range(0, total, CHUNK):
        part = {k: v[first:first + CHUNK] for k, v in columns.items()}
        # leave out columns that are empty in this chunk: fewer parameters to bind
        keys = [k for k, v in part.items() if any(x is not None for x in v)]
        rows = [dict(zip(keys, values, strict=True))
                for values in zip(*(part[k] for k in keys), strict=True)]
        for row in rows:
            row["geom"] = WKTElement(row["geom"], srid=SRID)
            row["created_at"] = row["updated_at"] = stamp
        session.execute(insert(table), rows)
        progress(min(1.0, (first + CHUNK) / total))
    ids_of = _ids_by_external_id(session, table, before, columns, want_ids)
    return [ids_of.get(e, 0) for e in columns["external_id"]]


def _ids_by_external_id(session: Session, table: Table, before: int, columns: Columns,
                        want_ids: set[int] | None) -> dict[str, int]:
    """Ids of the rows just inserted, read back by their (demo-unique) external ids."""
    c = table.c
    stmt = select(c.external_id, c.id).where(c.id > before, c.data_source == DATA_SOURCE)
    if want_ids is not None:
        wanted = [columns["external_id"][i] for i in sorted(want_ids)]
        if not wanted:
            return {}
        stmt = stmt.where(c.external_id.in_(wanted))
    return {e: i for e, i in session.execute(stmt)}


def add_tunnels(session: Session, tunnels: list[DemoTunnel], pipe_ids: list[int]) -> None:
    """The two tunnels with cabins (and the pipelines they carry) and nodes, as ORM objects."""
    for plan in tunnels:
        row = dict(plan.row)
        row["geom"] = WKTElement(wkt(np.array([row["geom"]]))[0], srid=SRID)
        tunnel = Tunnel(**row, data_source=DATA_SOURCE, created_by=CREATED_BY,
                        updated_by=CREATED_BY)
        tunnel.cabins = [
            TunnelCabin(position=n, name=c["name"], use=c["use"],
                        fire_compartment_m=c["fire_compartment_m"],
                        lines=[CabinLine(pipeline_id=pipe_ids[i]) for i in c["lines"]])
            for n, c in enumerate(plan.cabins)
        ]
        tunnel.nodes = [TunnelNode(**node) for node in plan.nodes]
        session.add(tunnel)
    session.flush()


def add_flood_points(session: Session, rows: list[dict[str, Any]]) -> None:
    """Flood points with their events, as ORM objects (a few hundred at most)."""
    for row in rows:
        row = dict(row)
        events = row.pop("events")
        row["geom"] = WKTElement(wkt(np.array([row["geom"]]))[0], srid=SRID)
        session.add(FloodPoint(**row, created_by=CREATED_BY, updated_by=CREATED_BY,
                               events=[WaterloggingEvent(**e) for e in events]))
    session.flush()
