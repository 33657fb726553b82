"""Long work as job rows: claimed once, progress recorded, failures kept, scheduler store."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs
from resilience.errors import InvalidInput, NotFound, Problem


@pytest.fixture(autouse=True)
def handlers() -> Any:
    @jobs.handler("test_ok")
    def ok(session: Session, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
        progress(0.5, "half")
        return {"double": job.params["n"] * 2}

    @jobs.handler("test_bad")
    def bad(session: Session, job: jobs.Job, progress: jobs.Progress) -> dict[str, Any]:
        raise InvalidInput("nope", [Problem("n", "too_large", {"max": 1}, row=3)])

    yield
    jobs.HANDLERS.pop("test_ok")
    jobs.HANDLERS.pop("test_bad")


def test_jobs_run_once_in_order(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        a = jobs.submit(s, "test_ok", {"n": 2}, by="admin")
        b = jobs.submit(s, "test_bad", {}, by="admin")
        s.commit()
        ids = (a.id, b.id)
    assert jobs.run_one(sessions) == ids[0]
    assert jobs.run_one(sessions) == ids[1]
    assert jobs.run_one(sessions) is None
    with sessions() as s:
        done, failed = jobs.get(s, ids[0]), jobs.get(s, ids[1])
        assert (done.status, done.result, done.progress) == ("done", {"double": 4}, 1.0)
        assert failed.status == "failed"
        assert failed.error["problems"] == [
            {"row": 3, "field": "n", "code": "too_large", "params": {"max": 1}}]


def test_a_claimed_job_is_not_claimed_again(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        job = jobs.submit(s, "test_ok", {"n": 1}, by=None)
        s.commit()
        first = jobs.claim_next(s)
        second = jobs.claim_next(s)
        assert first == job.id and second is None


def test_unknown_kind_is_refused(session: Session) -> None:
    with pytest.raises(NotFound):
        jobs.submit(session, "nonsense", {}, by=None)


def test_scheduler_keeps_its_store_in_the_registry_database(settings: Any) -> None:
    from resilience.scheduler import build_scheduler

    scheduler = build_scheduler(settings)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("run_queued_jobs")
        assert job is not None and job.func_ref == "resilience.scheduler:run_queued_jobs"
        from sqlalchemy import inspect

        assert "apscheduler_jobs" in inspect(scheduler._jobstores["default"].engine).get_table_names()
    finally:
        scheduler.shutdown(wait=False)
