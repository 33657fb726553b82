"""Filter predicates the two databases spell differently: CQL2's LIKE and exact intersection.

CQL2's LIKE is case-sensitive, with ``%`` and ``_`` as wildcards and ``\\`` as the escape.
PostgreSQL's LIKE is exactly that. SQLite's LIKE folds ASCII case whatever the collation, so
there the same pattern runs as GLOB (case-sensitive, ``*`` and ``?``), translated from the
pattern's parts when the filter is read: each database gets its own bound parameter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from resilience.dialects.expressions import POSTGRESQL, SQLITE

ANY, ONE = object(), object()  # the wildcards among a pattern's literal characters
_GLOB_SPECIAL = {"*": "[*]", "?": "[?]", "[": "[[]"}


def pattern_parts(pattern: str) -> list[object]:
    """A CQL2 LIKE pattern as its wildcards and literal characters (``\\`` escapes the next)."""
    parts: list[object] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(ANY)
        elif char == "_":
            parts.append(ONE)
        else:
            parts.append(char)
    if escaped:  # a trailing backslash stands for itself
        parts.append("\\")
    return parts


def _spelled(parts: list[object], any_: str, one: str,
             literal_text: Callable[[str], str]) -> str:
    """A pattern in one dialect's wildcards, the literal characters escaped its way."""
    return "".join(any_ if part is ANY else one if part is ONE else literal_text(str(part))
                   for part in parts)


def _like(parts: list[object]) -> str:
    return _spelled(parts, "%", "_", lambda text: "\\" + text if text in "%_\\" else text)


def _glob(parts: list[object]) -> str:
    return _spelled(parts, "*", "?", lambda text: _GLOB_SPECIAL.get(text, text))


class CaseSensitiveLike(FunctionElement[bool]):
    """(value, LIKE pattern escaped by ``\\``, the same pattern as GLOB)."""

    inherit_cache = True


class Intersects(FunctionElement[bool]):
    """ST_Intersects as a condition (SpatiaLite answers 1, 0 or -1 for an error)."""

    inherit_cache = True


def like(value: Any, pattern: str) -> ColumnElement[bool]:
    """``value`` matches the CQL2 pattern, case and all, on both databases."""
    parts = pattern_parts(pattern)
    return CaseSensitiveLike(value, literal(_like(parts)), literal(_glob(parts)))


def intersects(geom: Any, other: Any) -> ColumnElement[bool]:
    """The two geometries share a point (exact test; pair it with an index lookup)."""
    return Intersects(geom, other)


def _args(element: FunctionElement[Any], compiler: SQLCompiler, *which: int,
          **kw: Any) -> list[str]:
    """The arguments compiled, only those asked for (an unrendered bound parameter would still
    take a place among SQLite's positional ones)."""
    clauses = list(element.clauses)
    return [compiler.process(clauses[i], **kw) for i in which or range(len(clauses))]


@compiles(CaseSensitiveLike, SQLITE)
def _like_sqlite(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    value, glob = _args(element, compiler, 0, 2, **kw)
    return f"({value} GLOB {glob})"


@compiles(CaseSensitiveLike, POSTGRESQL)
def _like_postgresql(element: CaseSensitiveLike, compiler: SQLCompiler, **kw: Any) -> str:
    value, pattern = _args(element, compiler, 0, 1, **kw)
    return f"({value} LIKE {pattern} ESCAPE '\\')"


@compiles(Intersects, SQLITE)
def _intersects_sqlite(element: Intersects, compiler: SQLCompiler, **kw: Any) -> str:
    return f"(ST_Intersects({', '.join(_args(element, compiler, **kw))}) = 1)"


@compiles(Intersects, POSTGRESQL)
def _intersects_postgresql(element: Intersects, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ST_Intersects({', '.join(_args(element, compiler, **kw))})"
