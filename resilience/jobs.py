"""Long work recorded as job rows and carried out by the scheduler process (DESIGN.md §2).

The web answers 202 with the job's status URL; the scheduler claims queued jobs one at a
time with a conditional UPDATE, so two schedulers never run the same job.

A worker can die at any point (``kill -9``, a crash, a lost machine). A job's work is one
transaction, so the database drops it with the worker and nothing is half-written; only the
job row is left ``running``. While a worker lives it beats (``heartbeat_at``, every
:data:`HEARTBEAT_EVERY`, from a thread of its own); a running job not heard of for
:data:`STALE_AFTER` is settled by the next claim (:func:`recover`): queued again to start
over, or failed with ``worker_stopped`` once its worker stopped more than :data:`RESUMES`
times, so a file that kills every worker cannot loop for ever. A worker declared stopped that
was only paused cannot commit afterwards: its claim time (``started_at``) is its lease, and
the runner commits only while the row still carries it.

The queue knows the kinds of work by name only (:data:`KINDS`). What carries each kind out
is handed to the runner by the composition root (``console.handlers``), so the kernel never
imports the packages above it. The runner owns the job's transaction: a handler writes in
the session it is given and never commits.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Float, Integer, String, Text, exc, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from resilience.errors import NotFound, ResilienceError
from resilience.intent import writing
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
# A live worker beats every HEARTBEAT_EVERY; six missed beats and it is taken for dead. On
# SQLite a beat waits while the job itself holds the write lock, and so does any claim: a job
# is never settled while it writes. On PostgreSQL a job whose transaction holds its row is
# skipped (FOR UPDATE SKIP LOCKED): that lock is proof of life.
HEARTBEAT_EVERY = timedelta(seconds=10)
STALE_AFTER = timedelta(seconds=60)
RESUMES = 2  # times a job whose worker stopped starts over before it is failed
WORKER_STOPPED = "worker_stopped"


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
    ``writes`` says the handler writes from its first moments (an import): its transaction
    then takes SQLite's write lock as it begins, so the commits of other writers (the job
    store, the heartbeat, the web) cannot leave it a reader that may never write.
    """

    run: Handler
    failed: Failed | None = None
    writes: bool = False


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
    """Atomically take the oldest queued job; None if idle."""
    candidates = (select(Job.id).where(Job.status == QUEUED).order_by(Job.id).limit(5)
                  .with_for_update(skip_locked=True))
    for job_id in session.scalars(candidates).all():
        taken = session.execute(
            update(Job).where(Job.id == job_id, Job.status == QUEUED)
            .values(status=RUNNING, started_at=now(), heartbeat_at=now())
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return job_id
    return None


def recover(session: Session, handlers: Handlers) -> list[int]:
    """Settle the running jobs whose worker stopped; their ids. The caller commits.

    Each is queued again to start over (its work died with its transaction), or, once its
    worker stopped more than :data:`RESUMES` times, failed with ``worker_stopped`` and the
    kind's own rows marked so (a risk run failed, the way open for the next one).
    """
    last_seen = func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)
    orphans = session.scalars(
        select(Job).where(Job.status == RUNNING, last_seen < now() - STALE_AFTER)
        .order_by(Job.id).with_for_update(skip_locked=True)
    ).all()
    for job in orphans:
        seen = job.heartbeat_at or job.started_at or job.created_at
        stops = int((job.error or {}).get("restarts", 0)) + 1
        note = {**_counts(job.error), "code": WORKER_STOPPED, "restarts": stops,
                "last_seen": seen.isoformat()}
        # started_at is the dead worker's lease: cleared, so it can commit nothing later.
        job.started_at, job.heartbeat_at = None, None
        if stops <= RESUMES:
            job.status, job.error = QUEUED, note
            job.message = f"worker stopped; queued again ({stops} of {RESUMES})"
            log.warning("job %s: its worker stopped (last heard of %s); queued again",
                        job.id, seen.isoformat())
            continue
        message = (f"the worker carrying out this job stopped (killed or crashed) {stops} "
                   f"times, last heard of at {seen.isoformat()}; nothing of it was kept")
        job.status, job.finished_at = FAILED, now()
        job.error = {**note, "message": message, "problems": []}
        job.message = "worker stopped"
        log.error("job %s failed: %s", job.id, message)
        kind = handlers.get(job.kind)
        if kind is not None and kind.failed is not None:
            try:
                with session.begin_nested():
                    kind.failed(session, job, job.error)
            except (ResilienceError, exc.SQLAlchemyError):
                log.exception("job %s: its kind could not record the failure", job.id)
    session.flush()
    return [job.id for job in orphans]


def run_one(sessions: sessionmaker[Session], handlers: Handlers) -> int | None:
    """Settle jobs whose worker stopped, then claim and carry out one job; its work commits
    or rolls back as one unit."""
    with writing(), sessions() as session:  # the claim reads then writes: take the lock first
        recover(session, handlers)
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


class _Superseded(Exception):
    """The job was settled as stopped while this worker still ran it: its work is dropped."""


def _still_ours(session: Session, job_id: int, lease: datetime) -> None:
    """Check, in the job's own transaction just before it commits, that the row still carries
    this worker's claim; on PostgreSQL the UPDATE also holds the row until that commit."""
    held = session.execute(update(Job).where(Job.id == job_id, Job.started_at == lease)
                           .values(heartbeat_at=now())
                           .execution_options(synchronize_session=False))
    if held.rowcount != 1:  # type: ignore[attr-defined]
        raise _Superseded


def _carry_out(sessions: sessionmaker[Session], job_id: int, handlers: Handlers) -> None:
    lease: datetime | None = None

    def progress(fraction: float, message: str | None = None) -> None:
        with writing(), sessions() as s:
            s.execute(
                update(Job).where(Job.id == job_id, Job.started_at == lease).values(
                    progress=max(0.0, min(1.0, fraction)), message=message, heartbeat_at=now()
                )
            )
            s.commit()

    with sessions() as session:
        claimed = session.get(Job, job_id)
        assert claimed is not None
        lease, kind = claimed.started_at, handlers.get(claimed.kind)
    if claimed.status != RUNNING or lease is None:  # settled as stopped the moment it was taken
        log.warning("job %s is no longer claimed here; left as it is", job_id)
        return
    beat = _Heartbeat.start_for(sessions, job_id, lease)
    with writing(kind is not None and kind.writes), sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        try:
            if kind is None:
                raise NotFound(f"no handler for job kind {job.kind!r}")
            outcome = kind.run(session, job, progress)
            if callable(outcome):  # a reading phase done: its writes go in a fresh transaction
                session.commit()
                with writing():  # that one takes SQLite's write lock at its start
                    outcome = outcome(session)
                    _finish(session, job_id, outcome, lease)
                return
            _finish(session, job_id, outcome, lease)
        except _Superseded:
            session.rollback()
            log.warning("job %s was settled as stopped while it ran here; its work is dropped",
                        job_id)
        except Exception as error:  # the job fails, the scheduler stays up
            session.rollback()
            if _locked(error) and _requeue(sessions, job_id, lease):
                return  # another writer held SQLite's lock: tried again at once, not next period
            log.exception("job %s failed", job_id)
            described = _describe(error)
            with writing(), sessions() as s:
                failed = s.get(Job, job_id, with_for_update=True)
                if failed is None or failed.started_at != lease:
                    return  # settled as stopped meanwhile: no longer this worker's to record
                failed.status, failed.finished_at = FAILED, now()
                failed.error = described
                if kind is not None and kind.failed is not None:
                    kind.failed(s, failed, described)
                s.commit()
        finally:
            if beat is not None:
                beat.stop()


def _finish(session: Session, job_id: int, outcome: dict[str, Any], lease: datetime) -> None:
    """Record a job done and commit it with its work, if the job is still this worker's."""
    job = session.get(Job, job_id)
    assert job is not None
    job.status, job.result, job.progress, job.error = DONE, outcome, 1.0, None
    job.finished_at = now()
    _still_ours(session, job_id, lease)
    session.commit()


class _Heartbeat:
    """A thread that tells the other workers this job's worker is alive.

    Only for a session factory on an engine: one bound to a single connection (a caller's
    transaction, the tests') cannot be used from a second thread, and nothing outside that
    transaction sees its job anyway. A beat that fails (SQLite busy, the database away) is
    simply missed; the next may get through.
    """

    def __init__(self, sessions: sessionmaker[Session], job_id: int, lease: datetime) -> None:
        self._sessions, self._job_id, self._lease = sessions, job_id, lease
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"job-{job_id}-heartbeat",
                                        daemon=True)

    @classmethod
    def start_for(cls, sessions: sessionmaker[Session], job_id: int,
                  lease: datetime) -> _Heartbeat | None:
        """A started heartbeat for the job, or None where one cannot beat (see the class)."""
        if not isinstance(sessions.kw.get("bind"), Engine):
            return None
        beat = cls(sessions, job_id, lease)
        beat._thread.start()
        return beat

    def stop(self) -> None:
        """No more beats (one under way finishes; it touches only a job still running)."""
        self._stopped.set()

    def _run(self) -> None:
        while not self._stopped.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                with writing(), self._sessions() as s:
                    # A row the job's own transaction holds (PostgreSQL) is skipped, not waited
                    # for: that lock already shows the worker alive.
                    mine = s.scalar(select(Job.id).where(
                        Job.id == self._job_id, Job.status == RUNNING,
                        Job.started_at == self._lease).with_for_update(skip_locked=True))
                    if mine is not None:
                        s.execute(update(Job).where(Job.id == mine).values(heartbeat_at=now()))
                    s.commit()
            except exc.SQLAlchemyError as error:
                log.debug("job %s: heartbeat missed: %s", self._job_id, error)


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


def _requeue(sessions: sessionmaker[Session], job_id: int, lease: datetime) -> bool:
    """Queue a job that lost a race for the write lock again, up to :data:`LOCK_RETRIES`
    times (counted in its ``error``); False when it has had them all."""
    with writing(), sessions() as s:
        job = s.get(Job, job_id, with_for_update=True)
        if job is None or job.started_at != lease:
            return job is not None  # settled as stopped meanwhile: nothing left to do here
        tries = int((job.error or {}).get("lock_retries", 0))
        if tries >= LOCK_RETRIES:
            return False
        job.status, job.started_at, job.heartbeat_at = QUEUED, None, None
        job.error = {**_counts(job.error), "code": "locked", "lock_retries": tries + 1}
        job.message = "database busy: queued again"
        s.commit()
    log.warning("job %s met a locked database; queued again (%s of %s)", job_id, tries + 1,
                LOCK_RETRIES)
    return True


def _counts(error: dict[str, Any] | None) -> dict[str, Any]:
    """The retry counts a job's ``error`` carries between tries (restarts, lock retries)."""
    return {k: v for k, v in (error or {}).items() if k in ("restarts", "lock_retries")}


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
