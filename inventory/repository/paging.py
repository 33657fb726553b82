"""Feature pages by keyset in any sort order, table windows, counts and extents.

A page is found as keys first (``filters.matching_keys``), ordered and cut to the page;
the JSON is built only for those rows. Never OFFSET: a cursor is the key of a row, so the
thousandth page costs what the first does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, and_, case, func, or_, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.repository.filters import Query, matching_keys, visibility
from inventory.repository.tables import feature_columns, geom_of, pk_of, table_of
from inventory.tunnels import CabinLine
from resilience.accounts import Principal
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.spatial import BBox, extent_columns


def sortable(spec: CollectionSpec) -> tuple[str, ...]:
    """The fields a collection's records can be ordered by: the key and plain stored values."""
    names = [f.name for f in spec.fields
             if f.name in table_of(spec).c and f.kind not in ("text", "str_list", "int_list")]
    pk = pk_of(spec).name
    return (pk, *(n for n in names if n != pk))


def _sort_key(spec: CollectionSpec, name: str | None) -> ColumnElement[Any] | None:
    """What rows are ordered by before the key (None: the key alone).

    Codes sort in their list's order (CJJ 61's order of categories, 良好 before 差), not by
    their English words, so the order reads the same in both languages.
    """
    pk = pk_of(spec)
    if name is None or name == pk.name:
        return None
    if name not in sortable(spec):
        raise InvalidInput("not sortable", [Problem("sort", "not_sortable", {"value": name})])
    column = table_of(spec).c[name]
    spec_field = spec.field(name)
    if spec_field is not None and spec_field.kind == "code" and spec_field.codes is not None:
        return case({c.value: i for i, c in enumerate(spec_field.codes)}, value=column)
    return column


@dataclass(frozen=True)
class _Order:
    """A sort key (None: the primary key alone), its direction, and the key as tiebreak.

    Empty values come last whatever the direction, on both databases (``NULLS LAST``).
    """

    key: ColumnElement[Any] | None
    pk: Column[Any]
    descending: bool

    def clauses(self, backwards: bool) -> list[Any]:
        """ORDER BY for reading forwards, or backwards from a cursor (then reversed)."""
        desc = self.descending != backwards
        out: list[Any] = []
        if self.key is not None:
            k = self.key.desc() if desc else self.key.asc()
            out.append(k.nulls_first() if backwards else k.nulls_last())
        out.append(self.pk.desc() if desc else self.pk.asc())
        return out

    def past(self, value: Any, key: Any, backwards: bool) -> ColumnElement[bool]:
        """Rows beyond the cursor row (sort value, key) in the reading direction."""
        desc = self.descending != backwards

        def beyond(a: Any, b: Any) -> ColumnElement[bool]:
            return a < b if desc else a > b  # type: ignore[no-any-return]

        if self.key is None:
            return beyond(self.pk, key)
        k = self.key
        if not backwards:  # empty values last
            if value is None:
                return and_(k.is_(None), beyond(self.pk, key))
            return or_(beyond(k, value), and_(k == value, beyond(self.pk, key)), k.is_(None))
        if value is None:  # reading backwards, the empty values come first
            return or_(k.is_not(None), beyond(self.pk, key))
        return or_(beyond(k, value), and_(k == value, beyond(self.pk, key)))


def page(session: Session, spec: CollectionSpec, principal: Principal, q: Query,
         geometry: str = "geojson") -> list[Row[Any]]:
    """One page of features in the query's order by keyset (``after``/``before``), never OFFSET.

    The keys are found and cut to the page first; the JSON is built only for those rows.
    A cursor under another sort than the key is the key of a row: its sort value is read
    first (one lookup by key), so links stay short and text values need no encoding.
    """
    keys, pk = matching_keys(session, spec, principal, q)
    order = _Order(_sort_key(spec, q.sort), pk, q.descending)
    backwards = q.before is not None
    cursor = q.before if backwards else q.after
    if cursor is not None:
        value = None
        if order.key is not None:
            found = session.execute(select(order.key).where(pk == cursor)).first()
            if found is None:
                raise InvalidInput("unknown cursor", [Problem("before" if backwards else "after",
                                                              "not_found", {"value": cursor})])
            value = found[0]
        keys = keys.where(order.past(value, cursor, backwards))
    chosen = keys.order_by(*order.clauses(backwards)).limit(q.limit).subquery("page")
    stmt = select(*feature_columns(spec.name, geometry)).join(chosen, chosen.c[pk.name] == pk)
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
        geometry: str = "geojson", include_retired: bool = True) -> Row[Any]:
    """One feature by id, whatever its division (the caller checks access), or NotFound."""
    from resilience.accounts import SYSTEM

    rows = page(session, spec, SYSTEM, Query(ids=[key], limit=1, include_retired=include_retired),
                geometry)
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
