"""What a query matches as a whole — how many, and where — worked out once per data version.

Every page of a result says ``numberMatched`` (GDAL's ``ogrinfo -so`` and QGIS read the total
from the first page instead of downloading everything). Counting costs more than the page
itself: a 2 km box of the city centre holds 1,562 segments to test against the box where
the page reads 100. So a count is kept, per process, under the query (without its page
cursor) as the caller sees it, and the collection's data version: the largest
``updated_at``, one index lookup, which every write, retirement, restore and import moves
(the same stamp the tiles' ETags use). A short lifetime bounds what a write stamped before
the newest one and committed after it could leave stale. A collection's extent (its
metadata's ``extent.spatial``, what QGIS zooms to) is kept the same way.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.repository.filters import Query, matching_keys
from inventory.repository.paging import count_matching, extent
from inventory.repository.tables import table_of
from resilience.accounts import Principal

TTL = 60.0  # seconds an answer is trusted while the stamp holds still
SIZE = 2048  # answers kept per process

_lock = threading.Lock()
_kept: OrderedDict[tuple[object, ...], tuple[float, object]] = OrderedDict()
T = TypeVar("T")


def stamp(session: Session, spec: CollectionSpec) -> str | None:
    """The collection's data version (None: not tracked, so never cached)."""
    table = table_of(spec)
    if "updated_at" not in table.c:
        return None
    newest = session.execute(select(func.max(table.c.updated_at))).scalar()
    return newest.isoformat() if newest is not None else "empty"


def _key(session: Session, spec: CollectionSpec, principal: Principal, what: str,
         version: str) -> tuple[object, ...]:
    scope = ("*",) if principal.everywhere else principal.prefixes
    bind = session.get_bind()
    url = bind.engine.url  # a Connection (the tests' outer transaction) has its engine
    return (str(url), spec.name, scope, version, what)


def _kept_or(session: Session, spec: CollectionSpec, principal: Principal, what: str,
             work: Callable[[], T], *, untracked_for_ttl: bool = False) -> T:
    """``work()``'s answer, kept under the data version. A collection without one (the
    published risk maps) is worked out each time, or, with ``untracked_for_ttl``, kept for
    the lifetime alone (an extent moves little between two risk runs; a count must not lag)."""
    version = stamp(session, spec)
    if version is None and not untracked_for_ttl:
        return work()
    version = version or "untracked"
    key = _key(session, spec, principal, what, version)
    now = time.monotonic()
    with _lock:
        found = _kept.get(key)
        if found is not None and found[0] > now:
            _kept.move_to_end(key)
            return found[1]  # type: ignore[return-value]
    answer = work()
    with _lock:
        _kept[key] = (now + TTL, answer)
        _kept.move_to_end(key)
        while len(_kept) > SIZE:
            _kept.popitem(last=False)
    return answer


def number_matched(session: Session, spec: CollectionSpec, principal: Principal,
                   q: Query) -> int:
    """The exact count of what the query (any page of it) matches for this caller."""
    whole = replace(q, after=None, before=None)
    return _kept_or(session, spec, principal, "count " + repr(replace(whole, limit=0)),
                    lambda: count_matching(session, spec, principal, whole))


def extent_of(session: Session, spec: CollectionSpec, principal: Principal,
              layer: str | None = None) -> tuple[float, float, float, float] | None:
    """The lon/lat extent of what the caller sees in the collection, or in one of its layers
    (``inventory.layers``), None when that is nothing."""
    q = None if layer is None else Query(layer=layer)
    return _kept_or(session, spec, principal, f"extent {layer}",
                    lambda: extent(session, spec, principal, q), untracked_for_ttl=True)


def interval_of(session: Session, spec: CollectionSpec, principal: Principal,
                layer: str | None = None) -> tuple[str, str] | None:
    """The first and last value of the collection's temporal property (``spec.temporal``)
    among what the caller sees, as ISO text (a date, or a UTC instant), None when there is no
    such property or no value: the metadata's ``extent.temporal``."""
    name = spec.temporal
    if name is None or name not in table_of(spec).c:
        return None

    def work() -> tuple[str, str] | None:
        keys, pk = matching_keys(session, spec, principal, Query(layer=layer))
        column = table_of(spec).c[name]
        low, high = session.execute(select(func.min(column), func.max(column))
                                    .where(pk.in_(keys))).one()
        if low is None:
            return None
        return _iso(low), _iso(high)

    return _kept_or(session, spec, principal, f"interval {layer}", work, untracked_for_ttl=True)


def _iso(value: object) -> str:
    """A date as ``YYYY-MM-DD``; an instant (stored in UTC) as RFC 3339 with ``Z``."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo is None else value.astimezone(UTC).replace(tzinfo=None)
        return stamp.replace(microsecond=0).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
