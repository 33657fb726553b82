"""The models and the migrations describe the same tables and columns, on both databases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

# What autogenerate may report without the schema being wrong: indexes, types and defaults
# are spelled differently by SpatiaLite, PostGIS and the models (geometry, JSON variants).
STRUCTURAL = {"add_table", "remove_table", "add_column", "remove_column"}


def _ours(diff: Any, tables: set[str]) -> bool:
    op = diff[0] if isinstance(diff, tuple) else diff[0][0]
    if op not in STRUCTURAL:
        return False
    if op in ("add_table", "remove_table"):
        name = diff[1].name
    else:
        name = diff[2]
    return name in tables


def test_autogenerate_finds_no_table_or_column_differences(engine: Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import inventory  # noqa: F401  (registers every table)
    import risk  # noqa: F401
    from resilience.model import Base

    ours = set(Base.metadata.tables)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, Base.metadata)
    flat = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    structural = [d for d in flat if _ours(d, ours)]
    # A table the database has and the models do not is only ours if a migration made it.
    removed = [d for d in flat if isinstance(d, tuple) and d[0] == "remove_table"
               and d[1].name in _migrated_tables()]
    assert structural + removed == []


def _migrated_tables() -> set[str]:
    """Tables our migrations create (SpatiaLite's and PostGIS's own are not among them)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "migrations" / "versions"
    names: set[str] = set()
    for path in root.glob("*.py"):
        names |= set(re.findall(r"create_table\(\s*['\"]([a-z_0-9]+)['\"]", path.read_text()))
    return names
