"""A scheduled job that fails is tried again soon, not at its next period.

The nightly risk run failing at 02:00 on a lost connection would otherwise leave the maps a
day old, and the hourly task generation an hour behind. APScheduler reports the failure as
an event; this listener adds a one-off run of the same job after a short, growing delay
(30 s, 2 min, 10 min), under an id naming the job and the attempt, so a rerun that fails
again is retried from where the last one left off and a scheduler restart does not lose it
(retries live in the same database job store). Every job is idempotent, so a retry that
overlaps the next period does no harm.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.schedulers.base import BaseScheduler

from resilience import intent

log = logging.getLogger(__name__)

RETRY_AFTER: tuple[float, ...] = (30.0, 120.0, 600.0)  # seconds, one per attempt
PREFIX = "retry:"


def retry_id(base: str, attempt: int) -> str:
    """The job id of the ``attempt``-th retry of job ``base``."""
    return f"{PREFIX}{base}:{attempt}"


def parse(job_id: str) -> tuple[str, int]:
    """The scheduled job a run belongs to and how many retries came before it."""
    if job_id.startswith(PREFIX):
        base, _, attempt = job_id[len(PREFIX):].rpartition(":")
        if base and attempt.isdigit():
            return base, int(attempt)
    return job_id, 0


def install(scheduler: BaseScheduler, delays: Sequence[float] = RETRY_AFTER) -> None:
    """Retry every failed run of the scheduler's jobs after ``delays``, then give up loudly."""

    def on_error(event: JobExecutionEvent) -> None:
        base, attempt = parse(event.job_id)
        if attempt >= len(delays):
            log.error("job %s failed %d times in a row; next try at its next period",
                      base, attempt + 1)
            return
        job = scheduler.get_job(base)
        if job is None:  # removed meanwhile: nothing to retry
            return
        when = datetime.now(UTC) + timedelta(seconds=delays[attempt])
        log.warning("job %s failed (%s); retry %d at %s", base, event.exception, attempt + 1,
                    when.isoformat(timespec="seconds"))
        with intent.writing():  # the job store's row: SQLite's write lock taken up front
            scheduler.add_job(job.func_ref, "date", run_date=when, args=job.args,
                              kwargs=job.kwargs, id=retry_id(base, attempt + 1),
                              replace_existing=True, misfire_grace_time=3600)

    scheduler.add_listener(on_error, EVENT_JOB_ERROR)
