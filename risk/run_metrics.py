"""Prometheus collector of risk runs: how long the last full and incremental runs took.

Read from ``risk_runs`` when scraped (the primary key, :data:`RECENT` rows), like the job
queue's collector in the kernel, so the scheduler process that ran them need not be scraped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from resilience.metrics import RECENT, SessionFactory, duration_family, seconds_between
from risk.results import RiskRun

log = logging.getLogger(__name__)

MODES = ("full", "incremental")


class RiskRunCollector(Collector):
    """Durations of the last succeeded risk runs, by mode."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        """One gauge histogram over the newest succeeded runs."""
        try:
            with self.sessions() as session:
                runs = session.execute(
                    select(RiskRun.mode, RiskRun.started_at, RiskRun.finished_at)
                    .where(RiskRun.status == "succeeded").order_by(RiskRun.id.desc())
                    .limit(RECENT)).tuples().all()
        except SQLAlchemyError as error:  # the database away: the rest of the scrape answers
            log.warning("metrics: risk runs could not be read: %s", error)
            return
        yield duration_family(
            "resilience_risk_run_duration_seconds",
            f"Computation time of the last {RECENT} succeeded risk runs, by mode", "mode",
            ((mode, seconds_between(start, end)) for mode, start, end in runs), MODES)
