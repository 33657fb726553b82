"""``resilience health-check``: the yearly city health check (城市体检) computed and exported.

Its own group because it runs once a year per division and writes a workbook the city files,
unlike the risk maps, which the scheduler keeps current.
"""

from __future__ import annotations

import click

from console.context import Context, clean_errors, pass_ctx
from resilience.errors import NotFound


@click.group("health-check")
def health_check() -> None:
    """The yearly city health check (城市体检)."""


@health_check.command("run")
@click.option("--year", type=click.IntRange(1990, 2100), default=None,
              help="The check's year (default: this year).")
@click.option("--division", "division_code", default=None,
              help="One division (default: the city and every county or district).")
@pass_ctx
@clean_errors
def health_check_run(ctx: Context, year: int | None, division_code: str | None) -> None:
    """Compute the registry's indicators of the year's checks and print their problems."""
    from datetime import date

    from sqlalchemy import func, select

    from resilience.db import unit_of_work
    from resilience.divisions import Division
    from risk.healthcheck import checks

    ctx.require_schema()
    year = year or date.today().year
    with unit_of_work(ctx.sessions()) as session:
        if division_code:
            codes = [division_code]
        else:
            codes = list(session.scalars(
                select(Division.code).where(Division.level.in_(("city", "county")),
                                            func.length(Division.code) == 6)
                .order_by(Division.code)))
        for code in codes:
            check = checks.compute(session, code, year, by="cli")
            report = checks.report(session, check, "zh")
            met = sum(1 for line in report.lines if line.met)
            missed = sum(1 for line in report.lines if line.met is False)
            click.echo(f"{code} {report.division_name} {year}: check {check.id}, "
                       f"{len(report.lines)} indicators, {met} met, {missed} missed, "
                       f"{len(report.problems)} problems")
            for p in report.problems:
                click.echo(f"  - {p.text}")


@health_check.command("export")
@click.option("--year", type=click.IntRange(1990, 2100), required=True)
@click.option("--division", "division_code", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@pass_ctx
@clean_errors
def health_check_export(ctx: Context, year: int, division_code: str, output: str,
                        lang: str) -> None:
    """Write a division's check of the year as XLSX (indicators and problem list)."""
    from pathlib import Path

    from risk.healthcheck import checks, export

    ctx.require_schema()
    with ctx.sessions()() as session:
        check = checks.find(session, division_code, year)
        if check is None:
            raise NotFound(f"no health check for {division_code} in {year}: run "
                           f"`resilience health-check run --year {year} --division "
                           f"{division_code}` first")
        data = export.workbook(checks.report(session, check, lang), lang)
    Path(output).write_bytes(data)
    click.echo(f"health check {division_code} {year} written to {output} ({len(data)} bytes)")
