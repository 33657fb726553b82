"""``resilience hazards``: the hidden-hazard loop's reports, from the command line.

The supervising authority asks for the period's 重大隐患 with each hazard's trail; an office
that files it every quarter runs this from cron or a script instead of the browser. The
workbook is the web download's (``inventory.inspections.hazard_report``), the same rows.
"""

from __future__ import annotations

import os
import tempfile

import click

from console.context import Context, clean_errors, pass_ctx


@click.group("hazards")
def hazards() -> None:
    """Hidden hazards (隐患排查治理): reports for the supervising authority."""


@hazards.command("report")
@click.option("--period", default=None,
              help="2026, 2026-Q1 or 2026-03 (default: this quarter, in the city's time).")
@click.option("--from", "start", default=None, help="First day (YYYY-MM-DD), with --to.")
@click.option("--to", "end", default=None, help="Last day (YYYY-MM-DD), with --from.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="XLSX file to write (replaced only when the report is complete).")
@click.option("--lang", default="zh", show_default=True,
              type=click.Choice(["zh", "en"], case_sensitive=False),
              help="Headings and values in Chinese or English.")
@click.option("--as", "username", default=None,
              help="Report as this user (their divisions; default: the whole city).")
@pass_ctx
@clean_errors
def report(ctx: Context, period: str | None, start: str | None, end: str | None, output: str,
           lang: str, username: str | None) -> None:
    """Write the period's graded 重大 hidden hazards, each with its trail, as XLSX."""
    from inventory.inspections import hazard_report
    from resilience import accounts, clock
    from resilience.db import unit_of_work

    ctx.require_schema()
    ctx.compose()
    settings = ctx.settings
    zone = settings.zone
    today = clock.today(zone)
    chosen = hazard_report.parse_period(period, start, end, today)
    base = settings.public_url or ""
    zh = lang.lower() == "zh"
    with unit_of_work(ctx.sessions()) as session:
        principal = (accounts.principal_of(accounts.get_user(session, username)) if username
                     else accounts.CONSOLE)
        data = hazard_report.report(session, principal, chosen, zone, today,
                                    lambda i: f"{base}/hazards/{i}", zh)
        body = hazard_report.workbook(
            data, hazard_report.city_name(session, settings.city_code, zh), zh)
    folder = os.path.dirname(os.path.abspath(output))
    with tempfile.NamedTemporaryFile(dir=folder, suffix=".xlsx.part", delete=False) as part:
        part.write(body)
    os.replace(part.name, output)
    count = len(data.get("hazards", []))
    click.echo(f"{count} 重大隐患 from {chosen.start} to {chosen.end} → {output}")
