"""``resilience risk``: the colour maps computed on demand, and the one line that sums up a run.

The summary line is shared with ``resilience demo``, which runs the maps for the demo city.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from console.context import Context, clean_errors, pass_ctx

if TYPE_CHECKING:
    from risk.results import RiskRun


@click.group()
def risk() -> None:
    """The five- and four-colour risk maps."""


@risk.command("run")
@click.option("--incremental", is_flag=True,
              help="Recompute only what changed since the last run.")
@pass_ctx
@clean_errors
def risk_run(ctx: Context, incremental: bool) -> None:
    """Compute both colour maps now and print the run's summary."""
    from console.handlers import HANDLERS
    from resilience import intent, jobs
    from resilience.db import unit_of_work
    from risk import runs

    ctx.require_schema()
    with intent.writing(), unit_of_work(ctx.sessions()) as session:
        jobs.recover(session, HANDLERS)  # a run whose worker was killed no longer blocks this one
    run = runs.run_now(ctx.sessions(), mode="incremental" if incremental else "full",
                       by="cli")
    click.echo(run_line(run))
    if run.status != "succeeded":
        raise click.exceptions.Exit(1)


def run_line(run: RiskRun) -> str:
    """One run's summary on one line, shared by ``risk run`` and ``demo`` so both read alike."""
    if run.status != "succeeded":
        return f"risk run {run.id} {run.status}: {run.error or ''}"
    summary, counts = run.summary or {}, run.counts or {}
    cells = counts.get("five", {}).get("cell", {})
    points = counts.get("four", {}).get("point", {})
    order5 = ("high", "fairly_high", "medium", "fairly_low", "low")
    order4 = ("major", "considerable", "general", "low")
    return (f"risk run {run.id} ({summary.get('mode')}, scheme {run.scheme_name} "
            f"v{run.scheme_version}) in {summary.get('seconds')} s: five-colour cells "
            + " ".join(f"{k}={cells.get(k, 0)}" for k in order5)
            + "; risk points " + " ".join(f"{k}={points.get(k, 0)}" for k in order4)
            + f"; {summary.get('changed', {}).get('five', 0)} five-colour and "
            f"{summary.get('changed', {}).get('four', 0)} four-colour units changed level")

