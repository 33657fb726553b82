"""Free-text matching on names, ids and addresses: the one place it differs by database.

A record's searchable text is one expression (name, external id and address joined), so a
single index serves it. PostgreSQL matches it with ILIKE, answered from a pg_trgm GIN index
on that same expression (pg_trgm keeps Chinese characters as word characters, so 文三路 is
three characters of one trigram); queries of one or two characters have no trigram and scan.
SQLite has no trigram index: its LIKE folds ASCII case by itself and scans, about 45 ms per
100k rows on the benchmark machine (benchmarks/README.md, "Issue 4").
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, func, literal, literal_column

from resilience.dialects.expressions import TextContains

# Columns joined into the searchable text, in this order (those a table has).
SEARCHED = ("name", "external_id", "address", "name_en", "code")
# Tables that grow with the city get the trigram index; divisions are a few hundred rows.
# Each migration indexes its own list (0003 the assets, 0007 the risk data).
INDEXED = ("pipelines", "network_points", "tunnels", "shelters", "flood_points")
RISK_INDEXED = ("hazard_zones", "risk_points")
ESCAPE = "\\"


def searchable(table: Table) -> ColumnElement[str]:
    """The record's text as one expression, spelled exactly as the index is (constants inline)."""
    parts: list[Any] = []
    for name in SEARCHED:
        if name in table.c:
            if parts:
                parts.append(literal_column("' '"))
            parts.append(func.coalesce(table.c[name], literal_column("''")))
    expr = parts[0]
    for part in parts[1:]:
        expr = expr.op("||")(part)
    return expr  # type: ignore[no-any-return]


def pattern(text: str) -> str:
    """A LIKE pattern matching the text anywhere, its own % and _ taken literally."""
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def contains(expr: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive "contains" that PostgreSQL answers from the trigram index."""
    return TextContains(expr, literal(pattern(text)))


def index_name(table: Table) -> str:
    """The name of a table's trigram index (migrations create and drop it by name)."""
    return f"ix_{table.name}_search_trgm"
