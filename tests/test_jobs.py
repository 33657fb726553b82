"""Long work as job rows: claimed once, progress recorded, failures kept, scheduler store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs
from resilience.errors import InvalidInput, NotFound, Problem


def _ok(session: Session, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
    progress(0.5, "half")
    return {"double": job.params["n"] * 2}


def _bad(session: Session, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
    raise InvalidInput("nope", [Problem("n", "too_large", {"max": 1}, row=3)])


# The queue accepts kinds by name; the runner is handed what carries each out.
OK = {"noop": jobs.JobKind(_ok)}
BAD = {"noop": jobs.JobKind(_bad)}


def test_jobs_run_once_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        a = jobs.submit(s, "noop", {"n": 2}, by="admin")
        s.commit()
        b = jobs.submit(s, "noop", {}, by="admin")
        s.commit()
        ids = (a.id, b.id)
    assert jobs.run_one(sessions, OK) == ids[0]
    assert jobs.run_one(sessions, BAD) == ids[1]
    assert jobs.run_one(sessions, OK) is None
    with sessions() as s:
        done, failed = jobs.get(s, ids[0]), jobs.get(s, ids[1])
        assert (done.status, done.result, done.progress) == ("done", {"double": 4}, 1.0)
        assert failed.status == "failed"
        assert failed.error["problems"] == [
            {"row": 3, "field": "n", "code": "too_large", "params": {"max": 1}}]


def test_a_claimed_job_is_not_claimed_again(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        job = jobs.submit(s, "noop", {"n": 1}, by=None)
        s.commit()
        first = jobs.claim_next(s)
        second = jobs.claim_next(s)
        assert first == job.id and second is None


def test_unknown_kind_is_refused(session: Session) -> None:
    with pytest.raises(NotFound):
        jobs.submit(session, "nonsense", {}, by=None)


def test_scheduler_keeps_its_store_in_the_registry_database(settings: Any) -> None:
    from console.scheduler import build_scheduler

    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("run_queued_jobs")
        assert job is not None and job.func_ref == "console.scheduler:run_queued_jobs"
        nightly, incremental = scheduler.get_job("risk_nightly"), scheduler.get_job("risk_incremental")
        assert nightly.func_ref == incremental.func_ref == "console.scheduler:request_risk_run"
        assert nightly.args[1] == "full" and incremental.args[1] == "incremental"
        assert "hour='2'" in str(nightly.trigger) and "minute='30'" in str(nightly.trigger)
        from sqlalchemy import inspect

        assert "apscheduler_jobs" in inspect(scheduler._jobstores["default"].engine).get_table_names()
    finally:
        scheduler.shutdown(wait=False)



def test_the_scheduler_queues_risk_runs_only_when_needed(request: Any, dialect: str,
                                                        tmp_path: Any) -> None:
    """Nightly: always (unless one is under way); incremental: only after an edit."""
    import os

    from console.scheduler import request_risk_run
    from resilience.db import make_engine, make_sessions
    from resilience.migrate import upgrade
    from risk import runs
    from risk.results import RiskRun
    from tests.conftest import fresh_database, seed_base

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, dialect, f"resilience_sched_{worker}", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    seed_base(engine)
    sessions = make_sessions(engine)
    try:
        first = request_risk_run(url, "full")
        assert first is not None
        assert request_risk_run(url, "full") is None  # one at a time
        with sessions() as s:
            job_id = s.get(RiskRun, first).job_id
        assert jobs.run_job(sessions, job_id, runs_handlers())
        assert not jobs.run_job(sessions, job_id, runs_handlers())  # claimed once
        with sessions() as s:
            assert s.get(RiskRun, first).status == "succeeded"
            assert not runs.pending_changes(s)
        assert request_risk_run(url, "incremental") is None  # nothing changed
        assert request_risk_run(url, "full") is not None
    finally:
        engine.dispose()


def runs_handlers() -> Any:
    from console.handlers import HANDLERS

    return HANDLERS
