"""Risk runs: request one (one at a time), carry it out, read runs and their diffs back.

The public use cases the CLI, the API, the pages and the scheduler share:

- :func:`request` records a queued run and the job that will carry it out (409 while
  another run is queued or running: ``risk_runs.active`` is a unique key).
- :func:`execute` computes both maps for a run (full, or incremental over what changed
  since the last run, :mod:`risk.incremental`) and returns the step that replaces the
  published rows (:mod:`risk.publishing`), which the job runner runs in a transaction of
  its own: nothing here commits.
- :func:`run_now` does both in the calling process (``resilience risk run``).
- :func:`history`, :func:`get`, :func:`changes`, :func:`published` read them back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs
from resilience.audit import AuditEntry
from resilience.errors import Conflict, InvalidInput, NotFound, Problem
from resilience.model import now
from risk import factors as five
from risk import incremental, schemes
from risk.grid import Grid
from risk.incremental import INPUT_TABLES
from risk.inputs import Inputs, load
from risk.publishing import Computed, publish
from risk.results import RiskChange, RiskRun

__all__ = ["INPUT_TABLES", "JOB", "as_dict", "changes", "execute", "get", "history",
           "pending_changes", "published", "request", "run_now"]

Progress = Callable[[float, str | None], None]


# -- requesting and reading -------------------------------------------------------------

def request(session: Session, *, mode: str = "full", by: str | None = None,
            scheme: str = schemes.DEFAULT_NAME) -> RiskRun:
    """Queue a run and the job that carries it out; Conflict while another is under way."""
    if mode not in ("full", "incremental"):
        raise InvalidInput("bad run", [Problem("mode", "unknown_code",
                                               {"value": mode, "allowed": ["full", "incremental"]})])
    busy = session.scalar(select(RiskRun.id).where(RiskRun.active.is_not(None)))
    if busy is not None:
        raise Conflict("a risk run is already queued or running", run_id=busy)
    chosen = schemes.latest(session, scheme)
    run = RiskRun(mode=mode, status="queued", active=1, scheme_name=chosen.name,
                  scheme_version=chosen.version, cell_size_m=chosen.cell_size_m,
                  requested_by=by, requested_at=now())
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError as error:  # another request won the race for the key
        raise Conflict("a risk run is already queued or running") from error
    job = jobs.submit(session, "risk_run", {"run_id": run.id}, by=by)
    run.job_id = job.id
    session.flush()
    return run


def run_now(sessions: sessionmaker[Session], *, mode: str = "full", by: str | None = None,
            scheme: str = schemes.DEFAULT_NAME) -> RiskRun:
    """Request a run and carry it out in this process (CLI, demo, tests)."""
    with sessions.begin() as session:  # this process is the edge: the request commits here
        run = request(session, mode=mode, by=by, scheme=scheme)
        run_id, job_id = run.id, run.job_id
    assert job_id is not None
    jobs.run_job(sessions, job_id, {"risk_run": JOB})
    with sessions() as session:
        done = get(session, run_id)
        session.expunge(done)
        return done


def pending_changes(session: Session) -> bool:
    """True when an input changed since the published run read the registry (cheap: one
    indexed ``max(updated_at)`` per table)."""
    base = published(session)
    if base is None or base.inputs_as_of is None:
        return True
    for model in INPUT_TABLES.values():
        newest = session.scalar(select(func.max(model.__table__.c.updated_at)))
        if newest is not None and newest > base.inputs_as_of:
            return True
    return _profile_changed(session, base.inputs_as_of)


def _profile_changed(session: Session, since: datetime) -> bool:
    """True when the city profile (the population density in every cell's E) was entered,
    changed or deleted since a time: its audit trail, one indexed query."""
    last = session.scalar(select(func.max(AuditEntry.at)).where(
        AuditEntry.collection == "division-profiles"))
    return last is not None and last > since


def get(session: Session, run_id: int) -> RiskRun:
    """A run by id, or NotFound."""
    run = session.get(RiskRun, run_id)
    if run is None:
        raise NotFound("no such risk run", run_id=run_id)
    return run


def history(session: Session, limit: int = 50, offset: int = 0) -> list[RiskRun]:
    """Runs, newest first."""
    return list(session.scalars(select(RiskRun).order_by(RiskRun.id.desc())
                                .limit(limit).offset(offset)))


def published(session: Session) -> RiskRun | None:
    """The newest run that succeeded: its maps are the ones shown."""
    return session.scalars(select(RiskRun).where(RiskRun.status == "succeeded")
                           .order_by(RiskRun.id.desc()).limit(1)).first()


def changes(session: Session, run_id: int, *, map: str | None = None, limit: int = 500,
            offset: int = 0) -> list[RiskChange]:
    """A run's diff lines, biggest moves first."""
    stmt = select(RiskChange).where(RiskChange.run_id == run_id)
    if map is not None:
        stmt = stmt.where(RiskChange.map == map)
    return list(session.scalars(stmt.order_by(RiskChange.map, RiskChange.unit, RiskChange.id)
                                .limit(limit).offset(offset)))


def as_dict(session: Session, run: RiskRun) -> dict[str, Any]:
    """A run as the API shows it, with its job's progress while it runs."""
    job = session.get(jobs.Job, run.job_id) if run.job_id else None
    status = run.status
    if status == "queued" and job is not None and job.status == jobs.RUNNING:
        status = "running"
    if status in ("queued", "running") and job is not None and job.status == jobs.FAILED:
        status = "failed"
    return {"id": run.id, "mode": run.mode, "status": status, "scheme_name": run.scheme_name,
            "scheme_version": run.scheme_version, "cell_size_m": run.cell_size_m,
            "requested_by": run.requested_by, "requested_at": _iso(run.requested_at),
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "counts": run.counts, "summary": run.summary, "error": run.error,
            "progress": 1.0 if status == "succeeded" else (job.progress if job else 0.0),
            "message": job.message if job else None}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None

# -- carrying a run out -----------------------------------------------------------------

def _carry_out(session: Session, job: jobs.Job, progress: Progress) -> dict[str, Any] | jobs.Then:
    """The scheduler's side of a run: the job names the run it carries out."""
    return execute(session, int(job.params["run_id"]), progress)


def _mark_failed(session: Session, job: jobs.Job, error: dict[str, Any]) -> None:
    """A failed run says why and frees the key; the published maps stay as they were."""
    run = get(session, int(job.params["run_id"]))
    run.status, run.active, run.finished_at = "failed", None, now()
    run.error = str(error.get("message", ""))[:2000]


JOB = jobs.JobKind(_carry_out, failed=_mark_failed)


def execute(session: Session, run_id: int, progress: Progress) -> dict[str, Any] | jobs.Then:
    """Compute a run, and return the step that publishes it.

    All reading and scoring happens here, before the first write; the returned step writes
    every row in the caller's next transaction, so the new maps appear at its commit or not
    at all. The job runner ends the reading transaction between the two (progress is written
    by another connection, and on SQLite an older snapshot could not become a writer) and
    marks the run failed through :data:`JOB` if either raises.
    """
    run = get(session, run_id)
    if run.status in ("succeeded", "failed"):  # a re-claimed job whose run already ended
        return {"run_id": run.id, "status": run.status}
    computed = _compute(session, run, progress)
    # Nothing is written before the runner ends this reading transaction; what changes from
    # here on is picked up by the next incremental run (inputs_as_of).

    def then(session: Session) -> dict[str, Any]:
        return publish(session, get(session, run_id), computed)

    return then


def _compute(session: Session, run: RiskRun, progress: Progress) -> Computed:
    """Read the registry (all of it, or what changed) and score both maps' inputs."""
    clock = time.perf_counter()
    scheme = schemes.latest(session, run.scheme_name)
    grid = Grid(scheme.cell_size_m)
    as_of = now()
    base = published(session)
    mode = run.mode
    if mode == "incremental" and (base is None or base.inputs_as_of is None
                                  or base.scheme_name != scheme.name
                                  or base.scheme_version != scheme.version
                                  or _profile_changed(session, base.inputs_as_of)):
        mode = "full"
    progress(0.05, "reading the registry")
    if mode == "full":
        inputs = load(session)
        cells, links = five.compute(inputs, scheme)
        region: set[str] | None = None
        asset_refs: set[str] | None = None
        scope = None
    else:
        assert base is not None and base.inputs_as_of is not None
        changed = incremental.changed_since(session, base.inputs_as_of)
        affected = incremental.affected_cells(session, grid, scheme, changed)
        inputs, cells, links, region, asset_refs = incremental.recompute(
            session, grid, scheme, affected, changed)
        scope = incremental.scope(session, changed)
    progress(0.6, "scoring done, publishing")
    return Computed(mode=mode, scheme=scheme, grid=grid, inputs=inputs, cells=cells,
                    links=links, region=region, asset_refs=asset_refs, scope=scope,
                    density=_densities(inputs),
                    since=base.inputs_as_of if base is not None else None,
                    first_run=base is None, as_of=as_of, started=clock)


def _densities(inputs: Inputs) -> dict[str, float]:
    """Residents per km² of each division (population over its plane area)."""
    d = inputs.divisions
    areas = shapely.area(d.geoms) / 1e6 if len(d) else np.empty(0)
    return {str(code): float(pop) / area for code, pop, area in
            zip(d.ids, d.attrs.get("population", []), areas, strict=False) if pop and area > 0}
