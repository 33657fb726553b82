"""All asset SQL: feature pages by keyset with bbox, division, range and text filters, any sort."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Select, and_, case, func, null, or_, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.flood_points import WaterloggingEvent
from inventory.pipelines import Pipeline
from inventory.tunnels import CabinLine, TunnelCabin, TunnelNode
from inventory.validation import coerce
from resilience.accounts import Principal
from resilience.divisions import within
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.spatial import (
    BBox,
    as_geojson,
    as_wkb,
    bbox_filter,
    extent_columns,
    json_array_agg,
    json_object,
)
from resilience.text_search import contains, searchable


@dataclass(frozen=True)
class Query:
    """What a client asked of a collection: the filters, the order and the page.

    ``after``/``before`` are the keys of the rows a page starts after or ends before, in the
    query's order; ``ranges`` hold inclusive bounds (None: open); ``search`` matches the
    id exactly or the name, external id and address anywhere, ignoring case; ``sort`` is a
    field of :func:`sortable` (None: the key), ties broken by the key in the same direction.
    """

    bbox: BBox | None = None
    division: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)
    limit: int = 100
    after: Any = None
    before: Any = None
    include_retired: bool = False
    ids: Sequence[Any] | None = None
    ranges: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    search: str | None = None
    sort: str | None = None
    descending: bool = False


def table_of(spec: CollectionSpec) -> Any:
    """The Core table behind a collection."""
    return spec.model.__table__


def pk_of(spec: CollectionSpec) -> Column[Any]:
    """The primary-key column (``id``, or ``code`` for divisions)."""
    return next(iter(table_of(spec).primary_key.columns))


def geom_of(spec: CollectionSpec) -> Column[Any]:
    """The geometry column."""
    table = table_of(spec)
    return table.c.geom if "geom" in table.c else table.c.boundary


def stored_fields(spec: CollectionSpec) -> list[str]:
    """The spec's fields that are columns of its table (the rest are derived)."""
    table = table_of(spec)
    return [f.name for f in spec.fields if f.name in table.c]


def visibility(spec: CollectionSpec, principal: Principal,
               indexed: bool = True) -> ColumnElement[bool] | None:
    """The division filter for a user; None when they see everything."""
    table = table_of(spec)
    if principal.is_admin or "division_code" not in table.c:
        return None
    return within(table.c.division_code, principal.prefixes, indexed=indexed)


def _kind(column: Column[Any]) -> str:
    """How a column's values go into JSON (see ``resilience.spatial.json_object``)."""
    type_name = type(column.type).__name__
    if type_name == "Boolean":
        return "bool"
    if type_name == "UTCDateTime":
        return "datetime"
    if type_name in ("JSON", "Variant") or "JSON" in repr(column.type):
        return "json"
    return "plain"


def _derived_columns(spec: CollectionSpec) -> list[tuple[str, Any, str]]:
    """Properties computed from other tables, as joins or subqueries (no extra round trip)."""
    table = table_of(spec)
    if spec.name == "pipelines":
        return [("cabin_id", CabinLine.__table__.c.cabin_id, "plain")]  # outer-joined in page()
    if spec.name == "network-points":
        p = Pipeline.__table__.alias("seg")
        agg = select(json_array_agg(p.c.id)).where(
            or_(p.c.start_point_id == table.c.id, p.c.end_point_id == table.c.id),
            p.c.retired_at.is_(None),
        ).correlate(table).scalar_subquery()
        return [("segment_ids", agg, "json")]
    return []


def _columns(session: Session, spec: CollectionSpec, geometry: str) -> list[Any]:
    """Key, geometry (GeoJSON text or WKB) and the properties as JSON text built by the DB."""
    return _column_set(spec.name, geometry)


@lru_cache(maxsize=64)
def _column_set(name: str, geometry: str) -> list[Any]:
    """Built once per collection (the same on both databases): constructing ~40 expressions costs milliseconds."""
    from inventory.assets import COLLECTIONS

    spec = COLLECTIONS[name]
    table = table_of(spec)
    pk = pk_of(spec)
    geom = geom_of(spec)
    if geometry == "none":  # tables show attributes only
        geom_expr: Any = null()
    else:
        geom_expr = as_geojson(geom) if geometry == "geojson" else as_wkb(geom)
    items = [(name, table.c[name], _kind(table.c[name]))
             for name in stored_fields(spec) if name != pk.name]
    items += _derived_columns(spec)
    meta = [table.c[name] for name in ("division_code", "version") if name in table.c]
    return [pk, geom_expr.label("geometry"), json_object(items).label("properties"),
            *meta]


def _base(session: Session, spec: CollectionSpec, principal: Principal,
          q: Query) -> tuple[Select[Any], Column[Any]]:
    """The keys matching a query (filters, bbox, divisions), before ordering and paging."""
    table = table_of(spec)
    pk = pk_of(spec)
    conditions: list[ColumnElement[bool]] = []
    # With a bbox the spatial index is the selective one: division tests become filters.
    indexed = q.bbox is None
    vis = visibility(spec, principal, indexed)
    if vis is not None:
        conditions.append(vis)
    if "retired_at" in table.c and not q.include_retired:
        conditions.append(table.c.retired_at.is_(None))
    if q.division:
        conditions.append(within(table.c.division_code if "division_code" in table.c
                                 else table.c.code, (_prefix(q.division),), indexed=indexed))
    for name, value in q.filters.items():
        column = table.c[name]
        if isinstance(value, list):
            conditions.append(column.in_(value))
        else:
            conditions.append(column == value)
    for name, (low, high) in q.ranges.items():
        if low is not None:
            conditions.append(table.c[name] >= low)
        if high is not None:
            conditions.append(table.c[name] <= high)
    if q.search:
        conditions.append(text_match(spec, q.search))
    if q.bbox is not None:
        conditions.append(bbox_filter(geom_of(spec), q.bbox))
    if q.ids is not None:
        conditions.append(pk.in_(list(q.ids)))
    stmt = select(pk)
    if conditions:
        stmt = stmt.where(and_(*conditions))
    return stmt, pk


def _prefix(code: str) -> str:
    from resilience.divisions import division_prefix

    return division_prefix(code)


def text_match(spec: CollectionSpec, text: str) -> ColumnElement[bool]:
    """The key equal to the text, or the name, external id or address containing it."""
    table = table_of(spec)
    pk = pk_of(spec)
    found = contains(searchable(table), text.strip())
    key = text.strip()
    if pk.name == "code":
        return or_(pk == key, found)
    if key.isdigit() and int(key) < 2**31:  # an integer key column holds no more
        return or_(pk == int(key), found)
    return found


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
    keys, pk = _base(session, spec, principal, q)
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
    stmt = select(*_columns(session, spec, geometry)).join(chosen, chosen.c[pk.name] == pk)
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
    keys, _ = _base(session, spec, principal, q)
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


def derived(session: Session, spec: CollectionSpec, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Nested lists of a page's records (a tunnel's cabins and nodes, a point's events)."""
    out: dict[Any, dict[str, Any]] = defaultdict(dict)
    if not ids:
        return out
    if spec.name == "tunnels":
        cabins: dict[int, list[dict[str, Any]]] = defaultdict(list)
        lines: dict[int, list[int]] = defaultdict(list)
        cabin_rows = session.execute(
            select(TunnelCabin).where(TunnelCabin.tunnel_id.in_(ids))
            .order_by(TunnelCabin.tunnel_id, TunnelCabin.position)
        ).scalars().all()
        for cabin_id, pipeline_id in session.execute(
            select(CabinLine.cabin_id, CabinLine.pipeline_id)
            .where(CabinLine.cabin_id.in_([c.id for c in cabin_rows]))
        ):
            lines[cabin_id].append(pipeline_id)
        for c in cabin_rows:
            cabins[c.tunnel_id].append({
                "id": c.id, "name": c.name, "use": c.use,
                "fire_compartment_m": c.fire_compartment_m,
                "pipeline_ids": sorted(lines.get(c.id, [])),
            })
        nodes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for n in session.execute(
            select(TunnelNode).where(TunnelNode.tunnel_id.in_(ids))
            .order_by(TunnelNode.tunnel_id, TunnelNode.position)
        ).scalars():
            nodes[n.tunnel_id].append(
                {"id": n.id, "kind": n.kind, "name": n.name, "position": [n.lon, n.lat]}
            )
        for tid in ids:
            out[tid]["cabins"] = cabins.get(tid, [])
            out[tid]["nodes"] = nodes.get(tid, [])
    elif spec.name == "flood-points":
        events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for e in session.execute(
            select(WaterloggingEvent).where(WaterloggingEvent.flood_point_id.in_(ids))
            .order_by(WaterloggingEvent.flood_point_id, WaterloggingEvent.occurred_on)
        ).scalars():
            events[e.flood_point_id].append({
                "id": e.id, "occurred_on": e.occurred_on, "max_depth_cm": e.max_depth_cm,
                "duration_h": e.duration_h, "rainfall_mm": e.rainfall_mm, "area_m2": e.area_m2,
                "note": e.note,
            })
        for fid in ids:
            out[fid]["events"] = events.get(fid, [])
    return out


def existing_ids(session: Session, spec: CollectionSpec, ids: set[int]) -> dict[int, str]:
    """Which of these ids exist and are not retired, with their division codes."""
    if not ids:
        return {}
    t = table_of(spec)
    stmt = select(t.c.id, t.c.division_code).where(t.c.id.in_(ids), t.c.retired_at.is_(None))
    return {row.id: row.division_code for row in session.execute(stmt)}


def cabins_holding(session: Session, pipeline_ids: set[int],
                   tunnel_id: int | None) -> dict[int, int]:
    """Pipelines already carried in a cabin of another tunnel: {pipeline_id: cabin_id}."""
    if not pipeline_ids:
        return {}
    stmt = (
        select(CabinLine.pipeline_id, CabinLine.cabin_id)
        .join(TunnelCabin, TunnelCabin.id == CabinLine.cabin_id)
        .where(CabinLine.pipeline_id.in_(pipeline_ids))
    )
    if tunnel_id is not None:
        stmt = stmt.where(TunnelCabin.tunnel_id != tunnel_id)
    return {row.pipeline_id: row.cabin_id for row in session.execute(stmt)}


def extent(session: Session, spec: CollectionSpec, principal: Principal,
           q: Query | None = None) -> BBox | None:
    """The lon/lat extent of what the user sees in a collection, or of a selection (None: empty)."""
    table = table_of(spec)
    stmt = select(*extent_columns(geom_of(spec)))
    if q is not None:
        keys, pk = _base(session, spec, principal, q)
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


def visible_divisions(session: Session, principal: Principal) -> list[Row[Any]]:
    """The divisions a user's records can lie in (code, names, level), in code order."""
    from resilience.divisions import Division

    d = Division.__table__.c
    stmt = select(d.code, d.name, d.name_en, d.level, d.parent_code).order_by(d.code)
    if not principal.is_admin:
        stmt = stmt.where(within(d.code, principal.prefixes))
    return list(session.execute(stmt).all())


def parse_filters(spec: CollectionSpec, items: Mapping[str, Any] | None) -> dict[str, Any]:
    """Property filters as the items API takes them: raw text coerced, ``a,b`` for codes and ints.

    Shared by the API, the exports and the pages, so a filter means the same everywhere.
    """
    filters: dict[str, Any] = {}
    problems: list[Problem] = []
    columns = table_of(spec).c
    for key, raw in (items or {}).items():
        field = spec.field(key)
        if field is None or not field.filterable or field.name not in columns:
            problems.append(Problem(key, "unknown_parameter", {}))
            continue
        values = []
        for one in raw if isinstance(raw, list | tuple) else [raw]:
            parts = one.split(",") if isinstance(one, str) and field.kind in ("code", "int") \
                else [one]
            for part in parts:
                value, problem = coerce(field, part)
                if problem is not None:
                    problems.append(problem)
                elif value is not None:
                    values.append(value)
        if values:
            filters[key] = values if len(values) > 1 else values[0]
    if problems:
        raise InvalidInput("invalid filters", problems)
    return filters
