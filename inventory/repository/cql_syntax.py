"""A ``filter`` parameter read into pygeofilter's AST: CQL2 text or CQL2 JSON, or why not.

pygeofilter 0.4 parses both, with gaps against CQL2 1.0 that clients meet at once: its text
grammar reads ``a OR b AND c`` as ``(a OR b) AND c`` and takes no ``NOT (a AND b)``, no
``''`` inside a string, no one-letter property, no ``ILIKE`` (GDAL's OAPIF driver sends it);
its JSON walker reads BETWEEN and ``bbox`` in a draft's shapes. The text grammar is
pygeofilter's own with those rules corrected (each correction must apply, so a changed
grammar fails loudly at the first filter); JSON is brought to the walker's shapes first.
Nothing here knows a collection: ``cql`` checks properties and values.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from resilience.errors import InvalidInput, Problem

LANGS = ("cql2-text", "cql2-json")
# GDAL's OAPIF driver (3.x) pushes ``-where`` down only to a server whose OpenAPI lists the
# draft's name ``cql-text`` among filter-lang's values, and sends that name: the same text.
ALIASES = {"cql-text": "cql2-text"}
MAX_LENGTH = 20_000  # characters of filter text

_CORRECTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # AND binds tighter than OR (CQL2: booleanExpression of booleanTerms); pygeofilter reads
    # ``a OR b AND c`` as ``(a OR b) AND c``.
    (re.compile(r'\?condition: condition_1\n\s*\| condition "AND"i condition_1\s+-> and_\n'
                r'\s*\| condition "OR"i condition_1\s+-> or_\n'),
     '?condition: condition_and\n          | condition "OR"i condition_and -> or_\n'
     '?condition_and: condition_1\n          | condition_and "AND"i condition_1 -> and_\n'),
    # NOT before any condition in parentheses (CQL2: booleanFactor), not a predicate alone.
    (re.compile(r'\n\s*\| "NOT"i predicate\s+-> not_\n\s*\| "NOT"i "\(" predicate "\)"\s+-> not_'),
     '\n            | "NOT"i condition_1 -> not_'),
    # ILIKE and NOT ILIKE after NOT LIKE, as GDAL writes an OGR SQL ILIKE.
    (re.compile(r'(?<=-> not_like)\n'),
     '\n          | expression "ILIKE"i expression -> ilike'
     '\n          | expression "NOT"i "ILIKE"i expression -> not_ilike\n'),
    # Quotes inside literals doubled ('O''Brien') or, for a single quote, escaped (\').
    (re.compile(r'DOUBLE_QUOTED: .*\nSINGLE_QUOTED: .*\n'),
     'DOUBLE_QUOTED: /"(?:[^"]|"")*"/\nSINGLE_QUOTED: /\'(?:[^\'\\\\]|\'\'|\\\\.)*\'/s\n'),
    # Property names of one character, or starting with an underscore.
    (re.compile(r'attribute: /\[a-zA-Z\]\[a-zA-Z_:0-9\.\]\+/'),
     'attribute: /[a-zA-Z_][a-zA-Z_:0-9.]*/'),
    # The WKT grammar by the import path below (the file is read from text, not opened).
    (re.compile(r'%import \.wkt\.ewkt_geometry'), '%import wkt.ewkt_geometry'),
)


def bad(reason: str, position: int = 1) -> InvalidInput:
    """The error for a filter that cannot be read, naming where (the first character when the
    whole of it is wrong)."""
    return InvalidInput("invalid filter", [Problem("filter", "invalid_filter",
                                                   {"reason": reason[:200], "position": position})])


@cache
def _text_parser() -> Any:
    """pygeofilter's CQL2 text grammar with the corrections above, built once per process."""
    from lark import Lark
    from pygeofilter.parsers import cql2_text

    parsers = os.path.dirname(os.path.dirname(cql2_text.__file__))
    with open(os.path.join(parsers, "cql2_text", "grammar.lark"), encoding="utf-8") as f:
        grammar = f.read()
    for pattern, replacement in _CORRECTIONS:
        grammar, count = pattern.subn(_as_is(replacement), grammar)
        if count != 1:
            raise RuntimeError(f"pygeofilter's CQL2 grammar changed: {pattern.pattern}")
    return Lark(grammar, parser="lalr", maybe_placeholders=False,
                transformer=_transformer(), import_paths=[parsers])


def _as_is(text: str) -> Callable[[re.Match[str]], str]:
    """A replacement taken literally (a string would have its backslashes read as escapes)."""
    return lambda _match: text


def _transformer() -> Any:
    from lark import v_args
    from pygeofilter.parsers.cql2_text.parser import CQLTransformer

    @v_args(meta=False, inline=True)
    class Transformer(CQLTransformer):  # type: ignore[misc]
        """Literals with their inner quotes undone."""

        def SINGLE_QUOTED(self, token: str) -> str:  # noqa: N802 - lark's terminal name
            return token[1:-1].replace("''", "'").replace("\\'", "'")

        def DOUBLE_QUOTED(self, token: str) -> str:  # noqa: N802
            return token[1:-1].replace('""', '"')

    return Transformer()


def parse(raw: str, lang: str) -> Any:
    """The AST of a filter in the language named (``cql2-text`` or ``cql2-json``)."""
    if len(raw) > MAX_LENGTH:
        raise InvalidInput("filter too long", [Problem("filter", "too_long", {"max": MAX_LENGTH})])
    if lang == "cql2-json":
        return _parse_json(raw)
    return _parse_text(raw)


def _parse_text(raw: str) -> Any:
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

    if not raw.strip():
        raise bad("empty", 1)
    try:
        return _text_parser().parse(raw)
    except UnexpectedEOF as error:
        raise bad("unexpected end", len(raw) + 1) from error
    except UnexpectedToken as error:
        found = "end" if error.token.type == "$END" else repr(str(error.token))[:40]
        raise bad(f"unexpected {found}", _column(raw, error)) from error
    except UnexpectedCharacters as error:
        where = _column(raw, error)
        raise bad(f"unexpected {raw[where - 1:where]!r}", where) from error
    except UnexpectedInput as error:
        raise bad("cannot be read", _column(raw, error)) from error
    except RecursionError as error:
        raise bad("nested too deeply") from error
    except Exception as error:  # noqa: BLE001 - a literal pygeofilter cannot read (DATE('2024-13-01'))
        raise bad(_reason(error)) from error


def _column(raw: str, error: Any) -> int:
    """The 1-based character position of a parser error in the whole text."""
    pos = getattr(error, "pos_in_stream", None)
    return int(pos) + 1 if isinstance(pos, int) else int(getattr(error, "column", 1) or 1)


def _reason(error: Exception) -> str:
    inner = getattr(error, "orig_exc", None) or error  # lark wraps what a transformer raised
    return str(inner).splitlines()[0] if str(inner) else type(inner).__name__


def _parse_json(raw: str) -> Any:
    from pygeofilter.parsers.cql2_json.parser import walk_cql_json

    try:
        tree = json.loads(raw)
    except RecursionError as error:
        raise bad("nested too deeply") from error
    except ValueError as error:
        raise bad(f"not JSON: {error}", getattr(error, "pos", 0) + 1) from error
    if not isinstance(tree, dict):
        raise bad("a CQL2 JSON filter is an object")
    try:
        return walk_cql_json(_json_shapes(tree))
    except RecursionError as error:
        raise bad("nested too deeply") from error
    except Exception as error:  # noqa: BLE001 - pygeofilter's walker fails on any odd shape
        raise bad(_reason(error)) from error


def _json_shapes(node: Any, depth: int = 0) -> Any:
    """CQL2 1.0 JSON in the shapes pygeofilter's walker reads: BETWEEN's bounds as a pair,
    a ``bbox`` as a polygon (the walker would read its numbers as x, x, y, y)."""
    if depth > 100:
        raise bad("nested too deeply")
    if isinstance(node, list):
        return [_json_shapes(n, depth + 1) for n in node]
    if not isinstance(node, dict):
        return node
    if "bbox" in node and "op" not in node:
        return _bbox_polygon(node["bbox"])
    out = {k: _json_shapes(v, depth + 1) for k, v in node.items()}
    args = out.get("args")
    if out.get("op") == "between" and isinstance(args, list) and len(args) == 3:
        out["args"] = [args[0], [args[1], args[2]]]
    return out


def _bbox_polygon(box: Any) -> dict[str, Any]:
    numbers = box if isinstance(box, list) else []
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    if len(numbers) != 4 or not all(isinstance(n, int | float) and not isinstance(n, bool)
                                    for n in numbers):
        raise bad("a bbox is four or six numbers")
    minx, miny, maxx, maxy = (float(n) for n in numbers)
    return {"type": "Polygon", "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy],
                                                [minx, maxy], [minx, miny]]]}
