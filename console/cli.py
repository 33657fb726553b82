"""The ``resilience`` command: one Click group; each command is one unit of work.

Each command group lives in its own module under ``console/commands/``; what they share (the
``Context``, ``clean_errors``, exit codes) is ``console/context.py``.
"""

from __future__ import annotations

import click

from console.commands.accounts import tokens, users
from console.commands.backup import backup, restore
from console.commands.database import demo, init
from console.commands.divisions import divisions
from console.commands.exports import export_
from console.commands.hazards import hazards
from console.commands.health_check import health_check
from console.commands.imports import import_
from console.commands.profile import profile
from console.commands.risk_runs import risk
from console.commands.serving import scheduler, serve
from console.context import Context
from resilience.settings import Settings


@click.group()
@click.option("--database", "database_url", envvar="RESILIENCE_DATABASE_URL", default="",
              help="Database URL (default: SpatiaLite file instance/resilience.db).")
@click.pass_context
def main(ctx: click.Context, database_url: str) -> None:
    """resilience — registry of a city's underground infrastructure and its risks."""
    try:
        settings = Settings.from_env(database_url=database_url)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    ctx.obj = Context(settings)


for command in (init, demo, serve, scheduler, import_, export_, risk, users, tokens, health_check,
                hazards, divisions, profile, backup, restore):
    main.add_command(command)
