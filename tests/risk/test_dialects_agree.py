"""SpatiaLite and PostGIS publish the same maps for the same city (the engine reads arrays).

Builds both databases itself (the session-scoped ``engine`` fixture holds one at a time), so
this one test always runs on both; an unreachable database fails it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from demo import city as demo
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.migrate import upgrade
from risk import runs
from risk.results import FiveColourResult, FourColourResult
from tests.conftest import DIALECTS, fresh_database

SEGMENTS = 1500


def _maps(dialect: str, config: pytest.Config, tmp: Path) -> dict[tuple[str, str, str], str]:
    """The demo city's published levels on one database, keyed by (map, unit, ref)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(config, dialect, f"resilience_agree_{worker}", tmp)
    engine = make_engine(url)
    try:
        upgrade(engine)
        sessions = make_sessions(engine)
        with unit_of_work(sessions) as s:
            demo.load(s, segments=SEGMENTS, seed=2026)
        run = runs.run_now(sessions, by="test")
        assert run.status == "succeeded", run.error
        with sessions() as s:
            out = {("five", r.unit, r.ref): r.level for r in s.scalars(select(FiveColourResult))}
            out.update({("four", r.unit, r.ref): r.level
                        for r in s.scalars(select(FourColourResult))})
        return out
    finally:
        engine.dispose()


def test_both_databases_publish_the_same_levels(request: pytest.FixtureRequest,
                                                tmp_path: Path) -> None:
    spatialite, postgis = (_maps(d, request.config, tmp_path) for d in DIALECTS)
    assert len(spatialite) > 100 and {k[0] for k in spatialite} == {"five", "four"}
    differ = sorted((k, spatialite.get(k), postgis.get(k))
                    for k in set(spatialite) | set(postgis) if spatialite.get(k) != postgis.get(k))
    assert not differ, f"{len(differ)} units differ (unit, spatialite, postgis): {differ[:20]}"
