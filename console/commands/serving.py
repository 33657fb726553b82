"""``resilience serve`` and ``resilience scheduler``: the two long-running processes.

Each starts one process of DESIGN.md §2 (the web app, the scheduler with its job store) and
imports what it serves only when it runs, so no other command loads Flask or APScheduler.
"""

from __future__ import annotations

import logging

import click

from console.context import Context, clean_errors, pass_ctx


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, type=click.IntRange(1, 65535), show_default=True)
@pass_ctx
@clean_errors
def serve(ctx: Context, host: str, port: int) -> None:
    """Serve the web app (development server; use gunicorn in production)."""
    from web.app import create_app  # the CLI is a composition root: it may reach up

    ctx.require_schema()
    app = create_app(ctx.settings)
    app.run(host=host, port=port, threaded=True)


@click.command()
@click.option("--once", is_flag=True, help="Run queued jobs once and exit (for tests and cron).")
@pass_ctx
@clean_errors
def scheduler(ctx: Context, once: bool) -> None:
    """Run the scheduler process: periodic jobs and the queued long work."""
    from console import scheduler as sched
    from resilience import logs

    ctx.require_schema()
    # Plain lines in the city's zone, or JSON lines (RESILIENCE_LOG_FORMAT=json) with job ids.
    logs.install(logs.make_handler(ctx.settings.log_format, ctx.settings.zone))
    # One line per job run every few seconds would bury what matters; failures still show.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    if once:
        ran = sched.drain(ctx.settings)
        click.echo(f"ran {ran} job(s)")
        return
    click.echo("scheduler running; Ctrl-C stops it")
    from resilience import intent

    # The job store's look-ups write next run times: on SQLite this thread takes the write
    # lock at each of its transactions' start, so it never meets "database is locked"
    # (the jobs themselves run in pool threads and say for themselves).
    intent.declare(True)
    sched.build_scheduler(ctx.settings, blocking=True).start()
