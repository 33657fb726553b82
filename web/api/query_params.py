"""The items operation's parameters past bbox and limit, read from the request: ``datetime``
(Part 1), ``filter``/``filter-lang``/``filter-crs`` (Part 3), ``sortby`` and ``properties``.

Each answers 400 naming the parameter (and, for a filter, the place in it) when it cannot
be used; the repository does the meaning (``temporal``, ``cql``, ``ordering``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from inventory import CollectionSpec
from inventory import repository as repo
from resilience.errors import InvalidInput, Problem
from web.api.protocol import crs_param
from web.errors import BadRequest

NAMES = frozenset({"datetime", "filter", "filter-lang", "filter-crs", "sortby", "properties"})
FILTER_LANGS = ("cql2-text", "cql2-json", "cql-text")  # cql-text: GDAL's name (cql_syntax)
T = TypeVar("T")


def _as_400(read: Callable[[], T]) -> T:
    """A query parameter the domain refuses is the request's fault: 400, not 422."""
    try:
        return read()
    except BadRequest:
        raise
    except InvalidInput as error:
        raise BadRequest(error.message, error.problems) from error


def datetime_range() -> repo.TimeRange | None:
    """The ``datetime`` instant or interval, if given."""
    raw = request.args.get("datetime")
    return None if raw is None else _as_400(lambda: repo.parse_datetime(raw))


def cql_filter(spec: CollectionSpec) -> repo.Filter | None:
    """The ``filter`` with its language and CRS, checked against the collection now so a
    wrong one is a 400 before anything is read."""
    raw = request.args.get("filter")
    lang = request.args.get("filter-lang", "cql2-text")
    if lang not in FILTER_LANGS:
        raise BadRequest("unknown filter language", [Problem(
            "filter-lang", "invalid_filter_lang", {"value": lang[:60], "allowed": list(FILTER_LANGS)})])
    crs = _as_400(lambda: crs_param("filter-crs"))
    if raw is None:
        return None
    found = repo.Filter(raw, lang, crs)
    _as_400(lambda: repo.filter_condition(spec, found))
    return found


def sort_keys(spec: CollectionSpec) -> tuple[repo.SortKey, ...]:
    """The ``sortby`` keys (none: the record's key)."""
    raw = request.args.get("sortby")
    return () if raw is None else _as_400(lambda: repo.parse_sortby(spec, raw))


def properties(spec: CollectionSpec) -> frozenset[str] | None:
    """The property names ``properties`` asks for (None: all of them; empty: none)."""
    raw = request.args.get("properties")
    if raw is None:
        return None
    known = {f.name for f in spec.fields} | {c.name for c in spec.children}
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BadRequest("unknown property", [Problem("properties", "unknown_property",
                                                      {"value": n[:60]}) for n in unknown])
    return frozenset(names)


def selected(properties_text: str, extra: dict[str, Any] | None,
             wanted: frozenset[str] | None) -> tuple[str, dict[str, Any] | None]:
    """A feature's property object (as the database wrote it) and nested lists, cut to the
    names asked for; untouched when all are wanted."""
    if wanted is None:
        return properties_text, extra
    props = json.loads(properties_text) if properties_text else {}
    kept = {k: v for k, v in props.items() if k in wanted}
    return (json.dumps(kept, ensure_ascii=False, separators=(",", ":")),
            {k: v for k, v in (extra or {}).items() if k in wanted})
