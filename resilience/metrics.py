"""Prometheus collectors over the kernel's tables and the engine: read when scraped.

The job queue is a table both processes share, so its depth, the age of its oldest queued
job and the time jobs took are read from it at each scrape (queries on the ``status`` index
and the primary key, a few rows each) rather than counted in one process: every web worker
and the scheduler agree, and a restart loses nothing. Durations are of the last
:data:`RECENT` finished jobs, a window that also forgets, hence a *gauge* histogram
(``gaugehistogram``): compare its buckets, do not ``rate()`` them.

The pool gauges are the engine's of the process that answers the scrape (one gunicorn worker
out of several): a sample of the pressure, not a sum.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime

from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from resilience.jobs import DONE, KINDS, QUEUED, RUNNING, Job
from resilience.model import now

log = logging.getLogger(__name__)

RECENT = 200  # finished jobs (or runs) whose durations a scrape reads
# From a small import (seconds) to a city's full risk run (an hour and more).
DURATION_BUCKETS: tuple[float, ...] = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200)

SessionFactory = Callable[[], Session]


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """``end - start`` in seconds, None when either is missing or the clock went back."""
    if start is None or end is None:
        return None
    spent = (end - start).total_seconds()
    return spent if spent >= 0 else None


def duration_family(name: str, doc: str, label: str,
                    rows: Iterable[tuple[str, float | None]],
                    known: Iterable[str] = ()) -> GaugeHistogramMetricFamily:
    """A gauge histogram of ``(label value, seconds)`` rows, one series per label value
    (``known`` ones shown even when empty, so dashboards find them)."""
    by_label: dict[str, list[float]] = {value: [] for value in known}
    for value, seconds in rows:
        if seconds is not None:
            by_label.setdefault(value, []).append(seconds)
    family = GaugeHistogramMetricFamily(name, doc, labels=[label])
    for value, spent in sorted(by_label.items()):
        buckets = [(_le(bound), float(sum(1 for s in spent if s <= bound)))
                   for bound in DURATION_BUCKETS]
        buckets.append(("+Inf", float(len(spent))))
        family.add_metric([value], buckets, gsum_value=sum(spent))
    return family


def _le(bound: float) -> str:
    return str(float(bound))


class JobQueueCollector(Collector):
    """The job queue as the scheduler sees it: depth by kind and state, oldest wait, durations."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def _read(self) -> tuple[dict[tuple[str, str], int], dict[str, datetime],
                             Sequence[tuple[str, datetime | None, datetime | None]]]:
        with self.sessions() as session:
            counts = {(kind, state): int(n) for kind, state, n in session.execute(
                select(Job.kind, Job.status, func.count()).where(Job.status.in_((QUEUED, RUNNING)))
                .group_by(Job.kind, Job.status)).tuples()}
            waiting = {kind: since for kind, since in session.execute(
                select(Job.kind, func.min(Job.created_at)).where(Job.status == QUEUED)
                .group_by(Job.kind)).tuples()}
            finished = session.execute(
                select(Job.kind, Job.started_at, Job.finished_at).where(Job.status == DONE)
                .order_by(Job.id.desc()).limit(RECENT)).tuples().all()
        return counts, waiting, finished

    def collect(self) -> Iterator[Metric]:
        """Read the jobs table (three small queries) into metric families."""
        try:
            counts, waiting, finished = self._read()
        except SQLAlchemyError as error:  # the database away: the rest of the scrape still answers
            log.warning("metrics: the job queue could not be read: %s", error)
            return
        depth = GaugeMetricFamily("resilience_jobs", "Jobs waiting or running, by kind and state",
                                  labels=["kind", "state"])
        for kind in sorted(KINDS | {k for k, _ in counts}):
            for state in (QUEUED, RUNNING):
                depth.add_metric([kind, state], counts.get((kind, state), 0))
        oldest = GaugeMetricFamily("resilience_job_oldest_queued_age_seconds",
                                   "How long the oldest queued job of each kind has waited",
                                   labels=["kind"])
        moment = now()
        for kind in sorted(KINDS | set(waiting)):
            oldest.add_metric([kind], seconds_between(waiting.get(kind), moment) or 0.0)
        yield depth
        yield oldest
        yield duration_family(
            "resilience_job_duration_seconds",
            f"Run time of the last {RECENT} finished jobs, by kind (import, risk_run…)", "kind",
            ((kind, seconds_between(start, end)) for kind, start, end in finished), KINDS)


class PoolCollector(Collector):
    """The SQLAlchemy connection pool of this process: size, checked out, overflow."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The pool's counters; pools without them (SQLite's in-memory ones) report what they
        have. QueuePool counts overflow from minus its size: below zero reads as none."""
        pool = self.engine.pool
        for name, doc, attr in _POOL_GAUGES:
            reading = getattr(pool, attr, None)
            if callable(reading):
                yield GaugeMetricFamily(name, doc, value=max(0.0, float(reading())))


_POOL_GAUGES: Sequence[tuple[str, str, str]] = (
    ("resilience_db_pool_size", "Connections the pool keeps open", "size"),
    ("resilience_db_pool_checked_out", "Connections in use by requests now", "checkedout"),
    ("resilience_db_pool_overflow", "Connections opened beyond the pool size", "overflow"),
)
