"""A failed scheduled run is retried soon (growing delays), then left to its next period."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from console import job_retry

RUNS: list[str] = []
FAILURES = {"left": 0}
DONE = threading.Event()


def flaky(label: str) -> None:
    """Fails while failures are left, then succeeds."""
    RUNS.append(label)
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("database is down")
    DONE.set()


def _scheduler(delays: tuple[float, ...]) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(1)}, timezone=UTC)
    job_retry.install(scheduler, delays)
    # the periodic job itself, far in the future: only its first run and the retries happen
    scheduler.add_job("tests.unit.test_job_retry:flaky", "interval", hours=1, args=["x"],
                      id="nightly", next_run_time=datetime.now(UTC) + timedelta(seconds=0.1))
    return scheduler


def test_a_failed_run_is_retried_soon_until_it_succeeds() -> None:
    RUNS.clear()
    DONE.clear()
    FAILURES["left"] = 2
    scheduler = _scheduler((0.2, 0.2, 0.2))
    scheduler.start()
    try:
        assert DONE.wait(10), RUNS
    finally:
        scheduler.shutdown(wait=True)
    assert RUNS == ["x", "x", "x"]  # failed, failed, succeeded — not an hour later


def test_retries_give_up_after_the_last_delay() -> None:
    RUNS.clear()
    DONE.clear()
    FAILURES["left"] = 10
    scheduler = _scheduler((0.1,))
    scheduler.start()
    try:
        time.sleep(1.5)
        assert [j.id for j in scheduler.get_jobs()] == ["nightly"]  # no retry left queued
    finally:
        scheduler.shutdown(wait=True)
    assert RUNS == ["x", "x"]  # the run and one retry


def test_retry_ids_name_the_job_and_the_attempt() -> None:
    assert job_retry.parse(job_retry.retry_id("risk_nightly", 2)) == ("risk_nightly", 2)
    assert job_retry.parse("risk_nightly") == ("risk_nightly", 0)
    assert job_retry.parse("retry:odd") == ("retry:odd", 0)
