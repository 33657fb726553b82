"""The scheduler computes the year's health checks on the configured day, once per division and
year, leaving final checks alone — on a committed database of each dialect."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from console import scheduler
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.migrate import upgrade
from resilience.settings import Settings
from risk.healthcheck import checks
from tests.conftest import fresh_database, seed_base


@pytest.fixture(scope="module")
def url(engine: Engine, request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database whose commits are real (the job opens its own sessions)."""
    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = fresh_database(request.config, dialect, f"resilience_hcsched_{worker}",
                              tmp_path_factory.mktemp("hcsched"))
    eng = make_engine(database)
    upgrade(eng)
    seed_base(eng)
    eng.dispose()
    yield database
    scheduler._sessions.cache_clear()


def test_the_yearly_job_computes_each_division_once_and_keeps_final_checks(url: str) -> None:
    sessions = make_sessions(make_engine(url))
    with sessions() as s:
        divisions = checks.divisions_checked(s)
    assert "330100" in divisions and "330106" in divisions
    first = scheduler.compute_health_checks(url, "Asia/Shanghai", today=date(2026, 10, 31))
    assert first == {"year": 2026, "computed": len(divisions), "final": 0, "failed": 0}
    with unit_of_work(sessions) as s:
        checks.finalize(s, checks.find(s, "330106", 2026), by="admin")
        frozen_at = checks.find(s, "330106", 2026).computed_at
    again = scheduler.compute_health_checks(url, "Asia/Shanghai", today=date(2026, 10, 31))
    assert again == {"year": 2026, "computed": len(divisions) - 1, "final": 1, "failed": 0}
    with sessions() as s:
        count = s.scalar(select(func.count()).select_from(checks.HealthCheck)
                         .where(checks.HealthCheck.year == 2026))
        assert count == len(divisions)  # recomputed, never doubled
        kept = checks.find(s, "330106", 2026)
        assert kept.status == "final" and kept.computed_at == frozen_at
        city = checks.find(s, "330100", 2026)
        assert city.value_of("waterlogging_points").value is None  # no flood survey: no data


def test_the_day_and_time_come_from_the_setting(tmp_path: Path) -> None:
    settings = Settings.from_env({"RESILIENCE_HEALTH_CHECK_AT": "11-15 04:30"},
                                 instance_path=tmp_path,
                                 database_url=f"sqlite:///{tmp_path / 'r.db'}")
    assert settings.health_check_schedule == (11, 15, 4, 30)
    job = scheduler.build_scheduler(settings).get_job("health_check_yearly")
    trigger = str(job.trigger)
    assert "month='11'" in trigger and "day='15'" in trigger and "hour='4'" in trigger
    assert "minute='30'" in trigger
    assert job.args == (settings.database_url, settings.timezone)
    default = Settings(instance_path=tmp_path, secret_key="k").resolved()
    assert default.health_check_schedule == (10, 31, 3, 0)
    for bad in ("02-29 03:00", "31-10 03:00", "10-31", "10-31 25:00"):
        with pytest.raises(ValueError, match="RESILIENCE_HEALTH_CHECK_AT"):
            Settings.from_env({"RESILIENCE_HEALTH_CHECK_AT": bad}, instance_path=tmp_path)
