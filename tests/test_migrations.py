"""Every revision runs down and up again on both databases, on a database of its own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import inspect

from tests.conftest import fresh_database


def test_down_to_the_first_revision_and_up_again(request: Any, dialect: str, tmp_path: Path) -> None:
    from alembic import command

    from resilience.db import make_engine
    from resilience.migrate import alembic_config, current, upgrade

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, dialect, f"resilience_migrate_{worker}", tmp_path)
    engine = make_engine(url)
    try:
        upgrade(engine)
        head = current(engine)
        assert "ix_pipelines_updated_at" in {ix["name"] for ix in inspect(engine).get_indexes("pipelines")}
        config = alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
        assert current(engine) == "0001"
        assert "ix_pipelines_updated_at" not in {
            ix["name"] for ix in inspect(engine).get_indexes("pipelines")}
        upgrade(engine)
        assert current(engine) == head
        # SQLite kept its spatial index and geometry triggers (no table was rebuilt).
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                assert conn.exec_driver_sql(
                    "SELECT count(*) FROM geometry_columns WHERE f_table_name = 'pipelines' "
                    "AND spatial_index_enabled = 1").scalar() == 1
    finally:
        engine.dispose()
