"""Feature pages by keyset in any sort order, table windows, counts and extents.

A page is found as keys first (``filters.matching_keys``), ordered and cut to the page;
the JSON is built only for those rows. Never OFFSET: a cursor is the key of a row, so the
thousandth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.layers import promoted
from inventory.repository.filters import Query, matching_keys, visibility
from inventory.repository.ordering import order_of
from inventory.repository.tables import feature_columns, geom_of, table_of
from inventory.tunnels import CabinLine
from resilience.accounts import Principal
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.spatial import BBox, extent_columns


def page(session: Session, spec: CollectionSpec, principal: Principal, q: Query,
         geometry: str = "geojson") -> list[Row[Any]]:
    """One page of features in the query's order by keyset (``after``/``before``), never OFFSET.

    The keys are found and cut to the page first; the JSON is built only for those rows.
    A cursor under another sort than the key is the key of a row: its sort value is read
    first (one lookup by key), so links stay short and text values need no encoding.
    """
    keys, pk = matching_keys(session, spec, principal, q)
    order = order_of(spec, q.sortby, q.sort, q.descending)
    backwards = q.before is not None
    cursor = q.before if backwards else q.after
    if cursor is not None:
        values: tuple[Any, ...] = ()
        if order.keys:
            found = session.execute(select(*(k for k, _ in order.keys)).where(pk == cursor)).first()
            if found is None:
                raise InvalidInput("unknown cursor", [Problem("before" if backwards else "after",
                                                              "not_found", {"value": cursor})])
            values = tuple(found)
        keys = keys.where(order.past(values, cursor, backwards))
    chosen = keys.order_by(*order.clauses(backwards)).limit(q.limit).subquery("page")
    stmt = select(*feature_columns(spec.name, geometry, promoted(q.layer)))
    stmt = stmt.join(chosen, chosen.c[pk.name] == pk)
    if spec.name == "pipelines":
        lines = CabinLine.__table__
        stmt = stmt.outerjoin(lines, lines.c.pipeline_id == pk)
    stmt = stmt.order_by(*order.clauses(False))
    return list(session.execute(stmt).all())


@dataclass(frozen=True)
class Window:
    """A page of a table and whether pages lie before and after it."""

    rows: list[Row[Any]]
    has_previous: bool
    has_next: bool


def window(session: Session, spec: CollectionSpec, principal: Principal, q: Query,
           geometry: str = "none") -> Window:
    """One page for a table: one row more is read to know whether another page follows.

    Paging back past the first row ends on the first page, full, rather than a short one.
    """
    rows = page(session, spec, principal, replace(q, limit=q.limit + 1), geometry)
    more = len(rows) > q.limit
    if q.before is not None:
        if not more:
            return window(session, spec, principal, replace(q, before=None, after=None), geometry)
        return Window(rows[1:], has_previous=True, has_next=True)
    return Window(rows[:q.limit], has_previous=q.after is not None, has_next=more)


def count_matching(session: Session, spec: CollectionSpec, principal: Principal, q: Query,
                   cap: int | None = None) -> int:
    """How many records match; with a cap, counting stops at ``cap + 1`` so it stays cheap."""
    keys, _ = matching_keys(session, spec, principal, q)
    if cap is not None:
        keys = keys.limit(cap + 1)
    return int(session.scalar(select(func.count()).select_from(keys.subquery())) or 0)


def one(session: Session, spec: CollectionSpec, principal: Principal, key: Any,
        geometry: str = "geojson", include_retired: bool = True,
        layer: str | None = None) -> Row[Any]:
    """One feature by id, whatever its division (the caller checks access), or NotFound;
    within a layer (``inventory.layers``), only a feature the layer holds."""
    from resilience.accounts import SYSTEM

    rows = page(session, spec, SYSTEM, Query(ids=[key], limit=1, include_retired=include_retired,
                                             layer=layer), geometry)
    if not rows:
        raise NotFound("no such feature", collection=spec.name, id=key)
    return rows[0]


def extent(session: Session, spec: CollectionSpec, principal: Principal,
           q: Query | None = None) -> BBox | None:
    """The lon/lat extent of what the user sees in a collection, or of a selection (None: empty)."""
    table = table_of(spec)
    stmt = select(*extent_columns(geom_of(spec)))
    if q is not None:
        keys, pk = matching_keys(session, spec, principal, q)
        stmt = stmt.where(pk.in_(keys))
    else:
        vis = visibility(spec, principal)
        if vis is not None:
            stmt = stmt.where(vis)
        if "retired_at" in table.c:
            stmt = stmt.where(table.c.retired_at.is_(None))
    row = session.execute(stmt).one()
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))
