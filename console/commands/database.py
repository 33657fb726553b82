"""``resilience init`` and ``resilience demo``: a database made ready, then filled with a city.

Together they take a fresh clone from no database to a city worth looking at (``make run``
calls both, in this order), so they sit together, apart from the day-to-day commands.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from console.commands.risk_runs import run_line
from console.context import Context, clean_errors, pass_ctx


@click.command()
@pass_ctx
@clean_errors
def init(ctx: Context) -> None:
    """Create or migrate the schema, and load the city's divisions (RESILIENCE_CITY_CODE)."""
    from resilience import division_sync, gb2260
    from resilience.db import unit_of_work
    from resilience.migrate import current, upgrade

    code = ctx.settings.city_code
    gb2260.offline_divisions(code)  # an unknown city code stops here, before anything is written
    upgrade(ctx.engine)
    click.echo(f"schema at revision {current(ctx.engine)} ({ctx.engine.url.render_as_string()})")
    with unit_of_work(ctx.sessions()) as session:
        report = division_sync.load_offline(session, code)
    total = len(report.added) + len(report.updated) + len(report.unchanged) + len(
        report.kept_official)
    click.echo(f"divisions of {gb2260.name_of(code)} ({code}): {total} — {len(report.added)} added, "
               f"{len(report.updated)} updated, {len(report.kept_official)} official kept "
               "(offline GB/T 2260 data; `resilience divisions import FILE` loads official "
               "boundaries)")


@click.command()
@click.option("--segments", type=click.IntRange(min=100, max=5_000_000), default=6000,
              show_default=True, help="Number of pipeline segments to generate.")
@click.option("--seed", type=int, default=2026, show_default=True)
@pass_ctx
@clean_errors
def demo(ctx: Context, segments: int, seed: int) -> None:
    """Load the demo city (idempotent) on Hangzhou's real districts."""
    from demo import city as demo_city
    from demo.users import DEMO_USERS
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        summary = demo_city.load(session, segments=segments, seed=seed,
                                 progress=_progress_printer())
    if summary.created:
        from resilience.dialects import analyze

        with ctx.engine.begin() as conn:
            analyze(conn)  # fresh statistics, so bbox queries pick the spatial index at once
        click.echo(
            f"demo city loaded in {summary.seconds:.1f} s: {summary.pipelines} pipeline segments "
            f"({summary.pipeline_km:.0f} km), {summary.network_points} network points, "
            f"{summary.tunnels} tunnels ({summary.tunnel_cabins} cabins), {summary.shelters} "
            f"shelters, {summary.flood_points} flood points ({summary.waterlogging_events} events)"
        )
    else:
        click.echo("demo city already loaded; nothing changed")
    from risk import runs

    with ctx.sessions()() as session:
        have_maps = runs.published(session) is not None
    if summary.created or not have_maps:
        run = runs.run_now(ctx.sessions(), by="demo")
        click.echo(run_line(run))
        from demo import changes as demo_changes
        from resilience.db import unit_of_work

        with unit_of_work(ctx.sessions()) as session:  # a week later: edits, and a diff
            for line in demo_changes.apply(session, ctx.settings.extent):
                click.echo(f"  demo edit: {line}")
        click.echo(run_line(runs.run_now(ctx.sessions(), mode="incremental", by="demo")))
    click.echo("demo logins:")
    for user in DEMO_USERS:
        click.echo(f"  {user.username:<12} {user.password:<22} {user.role} "
                   f"({', '.join(user.divisions)})")


def _progress_printer() -> Callable[[float, str], None]:
    """The demo's progress on one rewritten stderr line; silent when piped, so logs stay short."""
    interactive = sys.stderr.isatty()

    def show(fraction: float, message: str) -> None:
        if interactive:
            click.echo(f"\r{fraction:6.1%} {message:<60}", err=True, nl=fraction >= 1)

    return show
