"""Registers the handlers for long work; each later capability adds its own here."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from resilience.jobs import Job, Progress, handler


@handler("noop")
def noop(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """A job that does nothing: lets operators and tests check the scheduler end to end."""
    progress(0.5, "halfway")
    return {"echo": job.params}


@handler("import")
def import_file(session: Session, job: Job, progress: Progress) -> dict[str, Any]:
    """An uploaded file loaded into the registry (see ``inventory.import_jobs``)."""
    from inventory import import_jobs

    return import_jobs.run(session, job)


def _register_others() -> None:
    """Capabilities that register their own handlers (``risk_run`` in ``risk.runs``)."""
    import risk.runs  # noqa: F401


_register_others()
