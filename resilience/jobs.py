"""Long work recorded as job rows and carried out by the scheduler process (DESIGN.md §2).

The web answers 202 with the job's status URL; the scheduler claims queued jobs one at a
time with a conditional UPDATE, so two schedulers never run the same job, and a job whose
worker died is re-queued when its heartbeat goes stale.

The queue knows the kinds of work by name only (:data:`KINDS`). What carries each kind out
is handed to the runner by the composition root (``console.handlers``), so the kernel never
imports the packages above it. The runner owns the job's transaction: a handler writes in
the session it is given and never commits.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, Integer, String, Text, exc, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from resilience.errors import NotFound, ResilienceError
from resilience.intent import writing
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STALE_AFTER = timedelta(minutes=10)


class Job(Base):
    """A unit of long work (import, export, risk run…) and its progress and outcome."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=QUEUED, index=True)
    params: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False, default=dict)
    progress: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)
    created_by: Mapped[str | None] = mapped_column(String(64))
    division_code: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


Progress = Callable[[float, str | None], None]
# The writing step of a handler that reads for long first (see :class:`JobKind`).
Then = Callable[[Session], dict[str, Any]]
Handler = Callable[[Session, Job, Progress], "dict[str, Any] | Then"]
Failed = Callable[[Session, Job, dict[str, Any]], None]

# Every kind of long work the queue accepts; console.handlers maps each to its handler.
KINDS: frozenset[str] = frozenset({"noop", "import", "risk_run"})


@dataclass(frozen=True)
class JobKind:
    """How the runner carries out one kind of job.

    ``run`` does the work in the session it is given; the runner commits it with the job's
    outcome. A handler that reads for long before it writes returns its writing step
    instead of a result: the runner ends the reading transaction (on SQLite a snapshot
    older than the progress writes of another connection could never become a writer) and
    runs the step in a new one. ``failed`` records a failure in the kind's own rows (a risk
    run marked failed with its reason); it is committed with the job's failed status.
    """

    run: Handler
    failed: Failed | None = None


Handlers = Mapping[str, JobKind]


def submit(
    session: Session, kind: str, params: dict[str, Any], *, by: str | None,
    division_code: str | None = None,
) -> Job:
    """Record a job for the scheduler to run; the caller commits."""
    if kind not in KINDS:
        raise NotFound(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, params=params, created_by=by, division_code=division_code)
    session.add(job)
    session.flush()
    return job


def get(session: Session, job_id: int) -> Job:
    """A job by id, or NotFound."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound("no such job")
    return job


def claim_next(session: Session) -> int | None:
    """Atomically take the oldest queued job (or one whose worker died); None if idle."""
    stale = now() - STALE_AFTER
    candidates = select(Job.id).where(
        (Job.status == QUEUED) | ((Job.status == RUNNING) & (Job.heartbeat_at < stale))
    ).order_by(Job.id).limit(5)
    for job_id in session.scalars(candidates).all():
        taken = session.execute(
            update(Job)
            .where(Job.id == job_id)
            .where((Job.status == QUEUED) | ((Job.status == RUNNING) & (Job.heartbeat_at < stale)))
            .values(status=RUNNING, started_at=now(), heartbeat_at=now())
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return job_id
    return None


def run_one(sessions: sessionmaker[Session], handlers: Handlers) -> int | None:
    """Claim and carry out one job; its work commits or rolls back as one unit."""
    with writing(), sessions() as session:  # the claim reads then writes: take the lock first
        job_id = claim_next(session)
        session.commit()
    if job_id is None:
        return None
    _carry_out(sessions, job_id, handlers)
    return job_id


def run_job(sessions: sessionmaker[Session], job_id: int, handlers: Handlers) -> bool:
    """Claim one given job and carry it out here (the CLI's synchronous runs); False if taken."""
    with writing(), sessions() as session:
        taken = session.execute(update(Job).where(Job.id == job_id, Job.status == QUEUED)
                                .values(status=RUNNING, started_at=now(), heartbeat_at=now()))
        session.commit()
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _carry_out(sessions, job_id, handlers)
    return True


def _carry_out(sessions: sessionmaker[Session], job_id: int, handlers: Handlers) -> None:
    def progress(fraction: float, message: str | None = None) -> None:
        with writing(), sessions() as s:
            s.execute(
                update(Job).where(Job.id == job_id).values(
                    progress=max(0.0, min(1.0, fraction)), message=message, heartbeat_at=now()
                )
            )
            s.commit()

    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        kind = handlers.get(job.kind)
        try:
            if kind is None:
                raise NotFound(f"no handler for job kind {job.kind!r}")
            outcome = kind.run(session, job, progress)
            if callable(outcome):  # a reading phase done: its writes go in a fresh transaction
                session.commit()
                with writing():  # that one takes SQLite's write lock at its start
                    outcome = outcome(session)
                    job = session.get(Job, job_id)
                    assert job is not None
                    job.status, job.result, job.progress = DONE, outcome, 1.0
                    job.finished_at = now()
                    session.commit()
                return
            job.status, job.result, job.progress = DONE, outcome, 1.0
            job.finished_at = now()
            session.commit()
        except Exception as error:  # the job fails, the scheduler stays up
            session.rollback()
            if _locked(error) and _requeue(sessions, job_id):
                return  # another writer held SQLite's lock: tried again at once, not next period
            log.exception("job %s failed", job_id)
            described = _describe(error)
            with writing(), sessions() as s:
                failed = s.get(Job, job_id)
                assert failed is not None
                failed.status, failed.finished_at = FAILED, now()
                failed.error = described
                if kind is not None and kind.failed is not None:
                    kind.failed(s, failed, described)
                s.commit()


LOCK_RETRIES = 5


def _locked(error: BaseException) -> bool:
    """Whether the error (or what it wraps) is SQLite's "database is locked"/busy."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, exc.OperationalError) and any(
                word in str(seen.orig).lower() for word in ("locked", "busy")):
            return True
        seen = seen.__cause__
    return False


def _requeue(sessions: sessionmaker[Session], job_id: int) -> bool:
    """Queue a job that lost a race for the write lock again, up to :data:`LOCK_RETRIES`
    times (counted in its ``error``); False when it has had them all."""
    with writing(), sessions() as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        tries = int((job.error or {}).get("lock_retries", 0))
        if tries >= LOCK_RETRIES:
            return False
        job.status, job.started_at, job.heartbeat_at = QUEUED, None, None
        job.error = {"code": "locked", "lock_retries": tries + 1}
        job.message = "database busy: queued again"
        s.commit()
    log.warning("job %s met a locked database; queued again (%s of %s)", job_id, tries + 1,
                LOCK_RETRIES)
    return True


def _describe(error: Exception) -> dict[str, Any]:
    if isinstance(error, ResilienceError):
        return {
            "code": error.code,
            "message": error.message,
            "problems": [
                {"row": p.row, "field": p.field, "code": p.code, "params": p.params}
                for p in error.problems
            ],
        }
    return {"code": "internal", "message": "".join(traceback.format_exception_only(error)).strip()}
