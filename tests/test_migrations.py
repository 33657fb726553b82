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


def test_existing_admins_are_granted_the_root(request: Any, dialect: str, tmp_path: Path) -> None:
    """0018: an admin saw everything whatever it was granted; after it, its grant decides,
    so each admin is granted the root and nothing changes for them (other roles untouched)."""
    from alembic import command
    from sqlalchemy import text

    from resilience.db import make_engine
    from resilience.migrate import alembic_config, upgrade

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, dialect, f"resilience_migrate_{worker}", tmp_path)
    engine = make_engine(url)
    try:
        config = alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0017")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO divisions (code, name, level, parent_code) VALUES "
                              "('330000', '浙江省', 'province', NULL), "
                              "('330100', '杭州市', 'city', '330000')"))
            conn.execute(text("INSERT INTO users (id, username, role, active, created_at) VALUES "
                              "(1, 'old_admin', 'admin', true, CURRENT_TIMESTAMP), "
                              "(2, 'city_admin', 'admin', true, CURRENT_TIMESTAMP), "
                              "(3, 'engineer', 'engineer', true, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO user_divisions VALUES (2, '330100'), (2, '330000'), "
                              "(3, '330100')"))
        upgrade(engine)
        with engine.connect() as conn:
            grants = conn.execute(text("SELECT user_id, division_code FROM user_divisions "
                                       "ORDER BY user_id, division_code")).all()
        assert [tuple(g) for g in grants] == [(1, "330000"), (2, "330000"), (2, "330100"),
                                              (3, "330100")]
    finally:
        engine.dispose()
