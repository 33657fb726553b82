"""Finding assets across collections by id, external id, name or address (the search box).

Each collection is asked twice: first for exact keys (the id, the external id as typed or in
capitals) through their indexes, then for records whose name, external id or address holds
the text, in key order and cut at a few more than are shown, so a common word stops early.
Only what the user may see is searched, retired records never.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS, searchable_collections
from inventory.repository import pk_of, table_of, text_match, visibility
from resilience.accounts import Principal
from resilience.errors import InvalidInput, Problem

TYPE_FIELDS = ("kind", "category", "tunnel_type", "cause")  # the first a collection has is shown
MAX_LENGTH = 100


@dataclass(frozen=True)
class Hit:
    """One record found: enough to list it and link to it."""

    collection: str
    key: int
    name: str | None
    external_id: str | None
    address: str | None
    division_code: str
    type_field: str | None
    type_code: str | None
    exact: bool


@dataclass(frozen=True)
class Found:
    """Hits by collection (in the registry's order, exact ones first) and which have more."""

    text: str
    groups: dict[str, list[Hit]] = field(default_factory=dict)
    more: frozenset[str] = frozenset()

    @property
    def total(self) -> int:
        """Hits listed (not counting those cut off)."""
        return sum(len(hits) for hits in self.groups.values())

    def only(self) -> Hit | None:
        """The one record found, when exactly one was: the page goes straight to it."""
        if self.total == 1 and not self.more:
            return next(iter(self.groups.values()))[0]
        return None


def search(session: Session, principal: Principal, text: str, *, per_collection: int = 10,
           collections: tuple[str, ...] | None = None) -> Found:
    """Records whose id or external id is the text, or whose name/ids/address hold it.

    By default it looks in every searchable collection: the assets and the risk data people
    enter (the published maps are computed cells and units, found on the risk map instead).
    """
    if collections is None:
        collections = searchable_collections()
    text = " ".join(text.split())
    if len(text) > MAX_LENGTH:
        raise InvalidInput("query too long", [Problem("q", "too_long", {"max": MAX_LENGTH})])
    if not text:
        return Found(text)
    groups: dict[str, list[Hit]] = {}
    more: set[str] = set()
    for name in collections:
        hits, cut = _search_one(session, principal, name, text, per_collection)
        if hits:
            groups[name] = hits
        if cut:
            more.add(name)
    return Found(text, groups, frozenset(more))


def _exact(spec_name: str, text: str) -> ColumnElement[bool]:
    table = table_of(COLLECTIONS[spec_name])
    pk = pk_of(COLLECTIONS[spec_name])
    tests: list[ColumnElement[bool]] = [table.c.external_id.in_(sorted({text, text.upper()}))]
    if text.isdigit() and int(text) < 2**31:
        tests.append(pk == int(text))
    return or_(*tests)


def _search_one(session: Session, principal: Principal, name: str, text: str,
                limit: int) -> tuple[list[Hit], bool]:
    """Up to ``limit`` hits in one collection, exact first; and whether there were more."""
    spec = COLLECTIONS[name]
    table = table_of(spec)
    pk = pk_of(spec)
    type_field = next((f for f in TYPE_FIELDS if f in table.c), None)
    columns: list[Any] = [pk, table.c.name, table.c.external_id, table.c.address,
                          table.c.division_code]
    if type_field is not None:
        columns.append(table.c[type_field])
    seen: list[ColumnElement[bool]] = [table.c.retired_at.is_(None)]
    vis = visibility(spec, principal)
    if vis is not None:
        seen.append(vis)
    exact_rows = session.execute(
        select(*columns).where(and_(*seen, _exact(name, text))).order_by(pk).limit(limit + 1)
    ).all()
    exact_keys = [row[0] for row in exact_rows]
    rest_rows: list[Any] = []
    if len(exact_rows) <= limit:
        stmt = select(*columns).where(and_(*seen, text_match(spec, text)))
        if exact_keys:
            stmt = stmt.where(pk.not_in(exact_keys))
        rest_rows = list(session.execute(
            stmt.order_by(pk).limit(limit + 1 - len(exact_rows))).all())
    hits = [_hit(name, row, type_field, True) for row in exact_rows]
    hits += [_hit(name, row, type_field, False) for row in rest_rows]
    return hits[:limit], len(hits) > limit


def _hit(collection: str, row: Any, type_field: str | None, exact: bool) -> Hit:
    return Hit(collection=collection, key=row[0], name=row[1], external_id=row[2], address=row[3],
               division_code=row[4], type_field=type_field,
               type_code=row[5] if type_field is not None else None, exact=exact)
