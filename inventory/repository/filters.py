"""What a query matches: the filters of a request, a user's divisions, the keys that pass.

Shared by pages, counts, extents, exports and the search, so a filter means the same
everywhere and a user's divisions restrict every read exactly alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ColumnElement, Row, Select, and_, or_, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.repository import cql, temporal
from inventory.repository.cql import Filter
from inventory.repository.ordering import SortKey
from inventory.repository.tables import geom_of, pk_of, table_of
from inventory.repository.temporal import TimeRange
from inventory.validation import coerce
from resilience.accounts import Principal
from resilience.divisions import within
from resilience.errors import InvalidInput, Problem
from resilience.spatial import BBox, bbox_filter
from resilience.text_search import contains, searchable


@dataclass(frozen=True)
class Query:
    """What a client asked of a collection: the filters, the order and the page.

    ``after``/``before`` are the keys of the rows a page starts after or ends before, in the
    query's order; ``ranges`` hold inclusive bounds (None: open); ``search`` matches the
    id exactly or the name, external id and address anywhere, ignoring case; ``sort`` is a
    field of :func:`sortable` (None: the key), ties broken by the key in the same direction;
    ``sortby`` (the API's several keys) overrides it. ``datetime`` and ``cql`` (OGC API –
    Features' ``datetime`` and Part 3's ``filter``) only narrow what the divisions let through.
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
    layer: str | None = None  # a part of the collection GIS clients read as one (layers.py)
    sortby: tuple[SortKey, ...] = ()
    datetime: TimeRange | None = None
    cql: Filter | None = None


def visibility(spec: CollectionSpec, principal: Principal,
               indexed: bool = True) -> ColumnElement[bool] | None:
    """The division filter for a user; None when they see everything."""
    table = table_of(spec)
    if principal.everywhere or "division_code" not in table.c:
        return None
    return within(table.c.division_code, principal.prefixes, indexed=indexed)


def matching_keys(session: Session, spec: CollectionSpec, principal: Principal,
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
    if q.datetime is not None:
        span = temporal.condition(spec, q.datetime)
        if span is not None:  # none: the collection has no temporal property (temporal.py)
            conditions.append(span)
    if q.cql is not None:
        conditions.append(cql.condition(spec, q.cql))
    if q.layer is not None:
        from inventory.layers import layer_condition

        part = layer_condition(q.layer, table, geom_of(spec))
        if part is not None:
            conditions.append(part)
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


def visible_divisions(session: Session, principal: Principal) -> list[Row[Any]]:
    """The divisions a user's records can lie in (code, names, level), in code order."""
    from resilience.divisions import Division

    d = Division.__table__.c
    stmt = select(d.code, d.name, d.name_en, d.level, d.parent_code).order_by(d.code)
    if not principal.everywhere:
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
