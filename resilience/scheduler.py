"""The scheduler process: APScheduler with its job store in the registry's database.

It runs outside the web workers (one scheduler per job store), polls the job table for
long work the web queued, and hosts the periodic jobs later issues add.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs
from resilience.db import make_engine, make_sessions
from resilience.settings import Settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return make_sessions(make_engine(url))


def run_queued_jobs(database_url: str, limit: int = 20) -> int:
    """Carry out queued long work (imports, exports, risk runs); module-level for the store."""
    _load_handlers()
    sessions = _sessions(database_url)
    ran = 0
    while ran < limit and jobs.run_one(sessions) is not None:
        ran += 1
    return ran


def _load_handlers() -> None:
    """Import the modules that register job handlers (the scheduler is a composition root)."""
    from resilience import job_handlers  # noqa: F401


def request_risk_run(database_url: str, mode: str = "full") -> int | None:
    """Queue a risk run (nightly full; incremental only when something changed since the last).

    The run itself is a job the poller carries out; a run already under way wins (no pile-up).
    """
    import risk  # noqa: F401  (registers the risk tables)
    from resilience.errors import Conflict
    from risk import runs

    with _sessions(database_url)() as session:
        if mode == "incremental" and not runs.pending_changes(session):
            return None
        try:
            run = runs.request(session, mode=mode, by="scheduler")
        except Conflict:
            return None
        session.commit()
        return run.id


def drain(settings: Settings) -> int:
    """Run every queued job now and return how many ran."""
    total = 0
    while True:
        ran = run_queued_jobs(settings.database_url)
        total += ran
        if ran == 0:
            return total


def build_scheduler(settings: Settings, *, blocking: bool = False) -> BaseScheduler:
    """A scheduler whose job store lives in the registry's database."""
    engine = make_engine(settings.database_url)
    cls: Any = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone="Asia/Shanghai",
    )
    scheduler.add_job(
        "resilience.scheduler:run_queued_jobs", "interval",
        seconds=settings.job_poll_seconds, args=[settings.database_url],
        id="run_queued_jobs", replace_existing=True,
    )
    hour, minute = (int(x) for x in settings.risk_nightly_at.split(":"))
    scheduler.add_job(
        "resilience.scheduler:request_risk_run", "cron", hour=hour, minute=minute,
        args=[settings.database_url, "full"], id="risk_nightly", replace_existing=True,
    )
    scheduler.add_job(
        "resilience.scheduler:request_risk_run", "interval",
        seconds=settings.risk_incremental_seconds, args=[settings.database_url, "incremental"],
        id="risk_incremental", replace_existing=True,
    )
    return scheduler
