"""What one import run reports, and how the run is recorded: its job row and its savepoint.

Shared by the file import (``inventory.importing``) and the survey pair import
(``inventory.survey``): both record their runs as jobs of one kind, so ``undo`` and the
import pages find either, and both keep or roll back their rows by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, SessionTransaction

from inventory.formats import Record
from resilience.errors import Problem
from resilience.jobs import DONE, Job
from resilience.model import now

IMPORT_KIND = "import"

Tick = Callable[[int, int | None], None]  # rows done, rows expected (None when unknown)
Rows = Iterator[tuple[Record, dict[str, Any]]]  # each record with its registry-named properties


@dataclass
class ImportReport:
    """What an import did, or would do: counts, and every rejected row with its field."""

    import_id: int | None
    collection: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # of ``updated``: rows that matched the registry already
    rejected: list[Problem] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    dry_run: bool = False
    stored: bool = False

    @property
    def rejected_rows(self) -> int:
        """How many rows had at least one problem."""
        return len({p.row for p in self.rejected})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the job's result)."""
        return {
            "import_id": self.import_id, "collection": self.collection, "file": self.file,
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_rows": self.rejected_rows, "dry_run": self.dry_run, "stored": self.stored,
            "unmapped_columns": self.unmapped,
            "rejected": [{"row": p.row, "field": p.field, "code": p.code, "params": p.params}
                         for p in self.rejected],
        }


def start_job(session: Session, job: Job | None, params: dict[str, Any], by: str) -> Job:
    """The run's job row: the queued one the scheduler runs, else a new one; flushed for its id.

    Its id names the run's audit entries, so ``undo`` can find what the import changed.
    """
    if job is None:
        job = Job(kind=IMPORT_KIND, status="running", created_by=by, params=params,
                  started_at=now())
        session.add(job)
    else:
        job.params = {**(job.params or {}), **params}
    session.flush()
    return job


def finish_job(session: Session, job: Job, result: dict[str, Any]) -> None:
    """Mark the run's job done, with its report as the result."""
    job.status, job.finished_at, job.progress = DONE, now(), 1.0
    job.result = result
    session.flush()


def settle(savepoint: SessionTransaction, report: ImportReport, *, dry_run: bool,
           skip_invalid: bool) -> None:
    """Keep the run's rows, or roll them back: a dry run, a rejected row (unless skipped) or an
    empty file leaves the database as it was; ``report.stored`` says which."""
    report.stored = not dry_run and (skip_invalid or not report.rejected) and report.rows > 0
    if report.stored:
        savepoint.commit()
    else:
        savepoint.rollback()


def ticking(rows: Rows, expected: int | None, tick: Tick | None, every: int = 1000) -> Rows:
    """Pass rows through, telling ``tick`` how far along the file is every ``every`` rows."""
    done = 0
    for item in rows:
        yield item
        done += 1
        if tick is not None and done % every == 0:
            tick(done, expected)
    if tick is not None:
        tick(done, expected)
