"""What carries out each kind of long work: the job queue's handlers, composed here.

The kernel's queue knows the kinds by name (``resilience.jobs.KINDS``); this composition
root maps each to the domain function that does it, and hands the map to the runner.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from inventory import import_jobs
from resilience.jobs import KINDS, Job, JobKind, Progress
from risk import runs


def noop(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """A job that does nothing: lets operators and tests check the scheduler end to end."""
    progress(0.5, "halfway")
    return {"echo": job.params}


def import_file(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """An uploaded file loaded into the registry (see ``inventory.import_jobs``)."""
    return import_jobs.run(session, job)


HANDLERS: dict[str, JobKind] = {
    "noop": JobKind(noop),
    "import": JobKind(import_file, writes=True),  # its job row is written at once
    "risk_run": runs.JOB,
}
assert set(HANDLERS) == KINDS, "every kind the queue accepts has a handler, and no other"
