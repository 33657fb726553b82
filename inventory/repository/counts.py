"""How many features a query matches, counted once per query and data version.

Every page of a result says ``numberMatched`` (GDAL's ``ogrinfo -so`` and QGIS read the total
from the first page instead of downloading everything). Counting costs more than the page
itself: a 2 km box of the city centre holds 1,562 segments to test against the box where
the page reads 100. So a count is kept, per process, under the query (without its page
cursor) as the caller sees it, and the collection's data version: the largest
``updated_at``, one index lookup, which every write, retirement, restore and import moves
(the same stamp the tiles' ETags use). A short lifetime bounds what a write stamped before
the newest one and committed after it could leave stale.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.repository.filters import Query
from inventory.repository.paging import count_matching
from inventory.repository.tables import table_of
from resilience.accounts import Principal

TTL = 60.0  # seconds a count is trusted while the stamp holds still
SIZE = 2048  # counts kept per process

_lock = threading.Lock()
_kept: OrderedDict[tuple[object, ...], tuple[float, int]] = OrderedDict()


def stamp(session: Session, spec: CollectionSpec) -> str | None:
    """The collection's data version (None: not tracked, so never cached)."""
    table = table_of(spec)
    if "updated_at" not in table.c:
        return None
    newest = session.execute(select(func.max(table.c.updated_at))).scalar()
    return newest.isoformat() if newest is not None else "empty"


def _key(session: Session, spec: CollectionSpec, principal: Principal, q: Query,
         version: str) -> tuple[object, ...]:
    scope = ("*",) if principal.everywhere else principal.prefixes
    whole = replace(q, after=None, before=None, limit=0)
    bind = session.get_bind()
    url = bind.engine.url  # a Connection (the tests' outer transaction) has its engine
    return (str(url), spec.name, scope, version, repr(whole))


def number_matched(session: Session, spec: CollectionSpec, principal: Principal,
                   q: Query) -> int:
    """The exact count of what the query (any page of it) matches for this caller."""
    version = stamp(session, spec)
    if version is None:
        return count_matching(session, spec, principal, replace(q, after=None, before=None))
    key = _key(session, spec, principal, q, version)
    now = time.monotonic()
    with _lock:
        found = _kept.get(key)
        if found is not None and found[0] > now:
            _kept.move_to_end(key)
            return found[1]
    total = count_matching(session, spec, principal, replace(q, after=None, before=None))
    with _lock:
        _kept[key] = (now + TTL, total)
        _kept.move_to_end(key)
        while len(_kept) > SIZE:
            _kept.popitem(last=False)
    return total
