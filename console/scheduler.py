"""The scheduler process: APScheduler with its job store in the registry's database.

It runs outside the web workers (one scheduler per job store), polls the job table for
long work the web queued, runs the nightly and incremental risk runs, and keeps inspections
going: tasks created ahead for a horizon (hourly), re-planned when a risk run changed
levels, overdue ones marked and escalated (every 15 minutes); once a year, on the day
``RESILIENCE_HEALTH_CHECK_AT`` names, it computes the year's 城市体检 drafts. Every job is
idempotent, and one that fails is retried soon (console.job_retry).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache, wraps
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from console import job_retry
from console.handlers import HANDLERS
from resilience import jobs, logs
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.errors import ResilienceError
from resilience.settings import Settings

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


def _logged(func: Callable[P, R]) -> Callable[P, R]:
    """Records the job makes carry its name as ``job_id`` (JSON log lines, resilience.logs)."""
    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with logs.job_context(func.__name__):
            return func(*args, **kwargs)
    return run


@lru_cache(maxsize=4)
def _sessions(url: str) -> sessionmaker[Session]:
    return make_sessions(make_engine(url))


@_logged
def run_queued_jobs(database_url: str, limit: int = 20) -> int:
    """Carry out queued long work (imports, exports, risk runs); module-level for the store."""
    sessions = _sessions(database_url)
    ran = 0
    while ran < limit and jobs.run_one(sessions, HANDLERS) is not None:
        ran += 1
    return ran


@_logged
def request_risk_run(database_url: str, mode: str = "full") -> int | None:
    """Queue a risk run (nightly full; incremental only when something changed since the last).

    The run itself is a job the poller carries out; a run already under way wins (no pile-up).
    """
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


def _today(zone: str = "Asia/Shanghai") -> date:
    """Today in the city's time zone (tasks are due on local dates)."""
    return datetime.now(ZoneInfo(zone)).date()


def published_asset_levels(session: Session) -> tuple[int | None, dict[tuple[str, int], str]]:
    """The newest succeeded risk run's id and every asset's four-colour level in the published map.

    Read here, in a composition root, and handed to inventory (which never imports risk).
    """
    from risk import runs
    from risk.results import FourColourResult

    run = runs.published(session)
    levels: dict[tuple[str, int], str] = {}
    for ref, level in session.execute(select(FourColourResult.ref, FourColourResult.level)
                                      .where(FourColourResult.unit == "asset")):
        collection, _, ident = ref.rpartition("/")
        if ident.isdigit():
            levels[(collection, int(ident))] = level
    return (run.id if run is not None else None), levels


@_logged
def generate_inspection_tasks(database_url: str, horizon_days: int = 14,
                              timezone: str = "Asia/Shanghai",
                              today: date | None = None) -> dict[str, int]:
    """Create every active plan's tasks for the horizon; re-plan those following risk levels
    when a newer risk run has been published since they last planned.

    Each plan is its own transaction, so a scheduler killed mid-run leaves every plan either
    done or untouched; rerunning (or a second scheduler) adds nothing (the tasks' unique key).
    """
    from inventory.inspections import plans, task_generation

    today = today or _today(timezone)
    with _sessions(database_url)() as session:
        run_id, levels = published_asset_levels(session)
        plan_ids = [p.id for p in plans.listing(session, active_only=True)]
    totals = {"plans": 0, "created": 0, "cancelled": 0, "replanned": 0, "failed": 0}
    for plan_id in plan_ids:
        try:
            with unit_of_work(_sessions(database_url)) as session:
                plan = plans.get(session, plan_id)
                follows_risk = plan.risk_based or bool(plan.selection.get("risk_levels"))
                if follows_risk and run_id is not None and plan.planned_run_id != run_id:
                    done = task_generation.replan(session, plan, today, horizon_days, levels, run_id=run_id)
                    totals["replanned"] += 1
                    totals["cancelled"] += done["cancelled"]
                    totals["created"] += done["created"]
                else:
                    totals["created"] += task_generation.generate(session, plan, today, horizon_days,
                                                                  levels)
        except (ResilienceError, SQLAlchemyError) as error:
            # Rolled back whole: a second scheduler holding the lock, a lost database. The
            # next round (or the other scheduler) does this plan; the others go on.
            log.warning("inspection plan %s not generated: %s", plan_id, error)
            totals["failed"] += 1
            continue
        totals["plans"] += 1
    return totals


@_logged
def check_overdue_inspections(database_url: str, smtp_host: str = "", smtp_port: int = 25,
                              smtp_from: str = "resilience@localhost",
                              timezone: str = "Asia/Shanghai", public_url: str = "",
                              today: date | None = None) -> dict[str, int]:
    """Mark tasks past their close date overdue and tell each plan's owner once, and tell the
    emergency managers of each hidden hazard past its deadline once (in the app, and by
    e-mail when an SMTP host is configured)."""
    from inventory.inspections import hazard_escalation, notifications, task_escalation

    today = today or _today(timezone)
    with unit_of_work(_sessions(database_url)) as session:
        overdue = task_escalation.mark_overdue(session, today)
        escalated = task_escalation.escalate(session, today)
    with unit_of_work(_sessions(database_url)) as session:
        hazards_escalated = hazard_escalation.escalate_overdue(session, today)
    smtp = notifications.Smtp(smtp_host, smtp_port, smtp_from) if smtp_host else None
    emailed = notifications.send_emails(_sessions(database_url), smtp,
                                        base_url=f"{public_url}/notifications" if public_url else "")
    return {"overdue": overdue, "escalated": escalated, "hazards_escalated": hazards_escalated,
            "emailed": emailed}


@_logged
def compute_health_checks(database_url: str, timezone: str = "Asia/Shanghai",
                          today: date | None = None) -> dict[str, int]:
    """Compute this year's health-check drafts of the city and every county (final checks are
    left alone; a rerun recomputes the drafts, one row per division and year)."""
    from risk.healthcheck import checks

    year = (today or _today(timezone)).year
    totals = checks.compute_year(_sessions(database_url), year, by="scheduler",
                                 zone=ZoneInfo(timezone))
    log.info("health checks %s: %s", year, totals)
    return {"year": year, **totals}


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
        timezone=settings.timezone,
    )
    scheduler.add_job(
        "console.scheduler:run_queued_jobs", "interval",
        seconds=settings.job_poll_seconds, args=[settings.database_url],
        id="run_queued_jobs", replace_existing=True,
    )
    hour, minute = (int(x) for x in settings.risk_nightly_at.split(":"))
    scheduler.add_job(
        "console.scheduler:request_risk_run", "cron", hour=hour, minute=minute,
        args=[settings.database_url, "full"], id="risk_nightly", replace_existing=True,
    )
    scheduler.add_job(
        "console.scheduler:request_risk_run", "interval",
        seconds=settings.risk_incremental_seconds, args=[settings.database_url, "incremental"],
        id="risk_incremental", replace_existing=True,
    )
    scheduler.add_job(
        "console.scheduler:generate_inspection_tasks", "interval", hours=1,
        args=[settings.database_url, settings.inspection_horizon_days, settings.timezone],
        id="inspection_tasks", replace_existing=True, next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        "console.scheduler:check_overdue_inspections", "interval", minutes=15,
        args=[settings.database_url, settings.smtp_host, settings.smtp_port, settings.smtp_from,
              settings.timezone, settings.public_url],
        id="inspection_overdue", replace_existing=True,
    )
    month, day, hc_hour, hc_minute = settings.health_check_schedule
    scheduler.add_job(
        "console.scheduler:compute_health_checks", "cron", month=month, day=day, hour=hc_hour,
        minute=hc_minute, args=[settings.database_url, settings.timezone],
        id="health_check_yearly", replace_existing=True,
    )
    job_retry.install(scheduler)
    return scheduler
