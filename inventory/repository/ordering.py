"""The order records are read in: sort keys, empty values last, the key as the last tiebreak,
and the keyset test that a row lies beyond a cursor row in that order.

One key (the tables' ``sort``/``descending``) or several (the API's ``sortby=-level,name``):
the rows are ordered by each key in turn, empty values last whatever the direction, then by
the record's key in the direction of the last sort key, so the order is total and a cursor
(a row's key) always says where a page starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, case, or_

from inventory.assets import CollectionSpec
from inventory.repository.tables import pk_of, table_of
from resilience.errors import InvalidInput, Problem


@dataclass(frozen=True)
class SortKey:
    """A field rows are ordered by, and which way."""

    name: str
    descending: bool = False


def sortable(spec: CollectionSpec) -> tuple[str, ...]:
    """The fields a collection's records can be ordered by: the key and plain stored values."""
    names = [f.name for f in spec.fields
             if f.name in table_of(spec).c and f.kind not in ("text", "str_list", "int_list")]
    pk = pk_of(spec).name
    return (pk, *(n for n in names if n != pk))


def parse_sortby(spec: CollectionSpec, raw: str, field: str = "sortby") -> tuple[SortKey, ...]:
    """``+name,-survey_date,id`` as sort keys (``+`` optional, and a space as a URL's ``+``).

    A name given twice counts once, where it first appears; a key after the record's own key
    changes nothing and is dropped.
    """
    keys: list[SortKey] = []
    allowed = sortable(spec)
    problems = []
    for part in raw.split(","):
        text = part.strip()
        descending = text.startswith("-")
        name = text.lstrip("+-").strip()
        if name not in allowed:
            problems.append(Problem(field, "not_sortable", {"value": text[:60]}))
        elif all(k.name != name for k in keys):
            keys.append(SortKey(name, descending))
    if problems:
        raise InvalidInput("not sortable", problems)
    pk = pk_of(spec).name
    cut = next((i for i, k in enumerate(keys) if k.name == pk), None)
    return tuple(keys if cut is None else keys[:cut + 1])


def _expression(spec: CollectionSpec, name: str) -> ColumnElement[Any]:
    """What a field is ordered by. Codes sort in their list's order (CJJ 61's order of
    categories, 良好 before 差), not by their English words, so the order reads the same in
    both languages."""
    column = table_of(spec).c[name]
    spec_field = spec.field(name)
    if spec_field is not None and spec_field.kind == "code" and spec_field.codes is not None:
        return case({c.value: i for i, c in enumerate(spec_field.codes)}, value=column)
    return column


@dataclass(frozen=True)
class Order:
    """Sort expressions with their directions, then the record's key as the tiebreak."""

    keys: tuple[tuple[ColumnElement[Any], bool], ...]
    pk: Column[Any]
    pk_descending: bool

    def clauses(self, backwards: bool) -> list[Any]:
        """ORDER BY for reading forwards, or backwards from a cursor (then reversed)."""
        out: list[Any] = []
        for key, descending in self.keys:
            k = key.desc() if descending != backwards else key.asc()
            out.append(k.nulls_first() if backwards else k.nulls_last())
        out.append(self.pk.desc() if self.pk_descending != backwards else self.pk.asc())
        return out

    def past(self, values: Sequence[Any], key: Any, backwards: bool) -> ColumnElement[bool]:
        """Rows beyond the cursor row (its sort values, its key) in the reading direction:
        beyond on the first key, or equal on it and beyond on the next, and so on."""
        alternatives: list[ColumnElement[bool]] = []
        equal_so_far: list[ColumnElement[bool]] = []
        for (expr, descending), value in zip(self.keys, values, strict=True):
            step = _beyond(expr, value, descending != backwards, backwards)
            if step is not None:
                alternatives.append(and_(*equal_so_far, step))
            equal_so_far.append(expr.is_(None) if value is None else expr == value)
        last = _less if self.pk_descending != backwards else _greater
        alternatives.append(and_(*equal_so_far, last(self.pk, key)))
        return or_(*alternatives)


def _less(a: Any, b: Any) -> ColumnElement[bool]:
    return a < b  # type: ignore[no-any-return]


def _greater(a: Any, b: Any) -> ColumnElement[bool]:
    return a > b  # type: ignore[no-any-return]


def _beyond(expr: ColumnElement[Any], value: Any, descending: bool,
            backwards: bool) -> ColumnElement[bool] | None:
    """Rows strictly after ``value`` on one key. Empty values come last reading forwards
    and so first reading backwards; None: nothing can lie beyond (an empty value, forwards)."""
    beyond = _less if descending else _greater
    if not backwards:
        if value is None:
            return None
        return or_(beyond(expr, value), expr.is_(None))
    if value is None:
        return expr.is_not(None)
    return beyond(expr, value)


def order_of(spec: CollectionSpec, sortby: Sequence[SortKey], sort: str | None = None,
             descending: bool = False) -> Order:
    """The order of a query: its ``sortby`` keys, or else the tables' one ``sort`` field (None:
    the record's key) and direction."""
    pk = pk_of(spec)
    wanted = list(sortby) or [SortKey(sort or pk.name, descending)]
    keys = []
    pk_descending = False
    for k in wanted:
        if k.name not in sortable(spec):
            raise InvalidInput("not sortable", [Problem("sort", "not_sortable", {"value": k.name})])
        pk_descending = k.descending
        if k.name == pk.name:
            break
        keys.append((_expression(spec, k.name), k.descending))
    return Order(tuple(keys), pk, pk_descending)
