"""Alembic environment: one set of revisions for SpatiaLite and PostGIS."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

import inventory  # noqa: F401  (registers the asset tables)
import inventory.inspections.hazards  # noqa: F401  (registers the hidden-hazard tables)
import risk  # noqa: F401  (registers the risk tables)
import risk.healthcheck  # noqa: F401  (registers the health-check tables)
from inventory.inspections import checklists, notifications, plans, tasks  # noqa: F401
from resilience import accounts, audit, divisions, jobs  # noqa: F401
from resilience.db import make_engine
from resilience.dialects import prepare_database
from resilience.model import Base

config = context.config
IGNORED_TABLES = {"apscheduler_jobs"}


def include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    """Leave SpatiaLite's own tables and the scheduler's job store alone."""
    if type_ == "table" and (name in IGNORED_TABLES or name.startswith(("idx_", "sqlite_"))):
        return False
    return alembic_helpers.include_object(obj, name, type_, reflected, compare_to)


def run_migrations_online() -> None:
    """Run against the connection the CLI passes in, or the URL in the config."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    prepare_database(connection)
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
