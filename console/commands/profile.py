"""``resilience profile``: the city profile (built-up area and population by division and year).

The health check's densities and per-person figures and the risk maps' exposure divide by
these; an administrator enters them here, on the admin page, through the API or as a sheet.
"""

from __future__ import annotations

from pathlib import Path

import click

from console.context import Context, clean_errors, pass_ctx
from resilience.db import unit_of_work

CLI = "cli"


@click.group()
def profile() -> None:
    """City profile: built-up area and population per division and year."""


@profile.command("set")
@click.argument("division")
@click.argument("year", type=int)
@click.option("--built-up-area", "built_up_area_km2", type=float, default=None,
              help="建成区面积, km².")
@click.option("--population", type=int, default=None, help="常住人口.")
@click.option("--built-up-population", type=int, default=None, help="建成区常住人口.")
@click.option("--source", default=None, help="Where the figures come from (统计年鉴 2025…).")
@pass_ctx
@clean_errors
def profile_set(ctx: Context, division: str, year: int, built_up_area_km2: float | None,
                population: int | None, built_up_population: int | None,
                source: str | None) -> None:
    """Set a division's figures for a year (options not given keep their value)."""
    from resilience import profiles

    given = {k: v for k, v in (("built_up_area_km2", built_up_area_km2),
                               ("population", population),
                               ("built_up_population", built_up_population)) if v is not None}
    if not given and source is None:
        raise click.UsageError("give at least one of --built-up-area, --population, "
                               "--built-up-population, --source")
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        row = profiles.save(session, division, year, given, by=CLI, source=source)
        click.echo(f"{row.division_code} {row.year}: built-up area {row.built_up_area_km2} km², "
                   f"population {row.population}, built-up population {row.built_up_population}")


@profile.command("list")
@click.option("--year", type=int, default=None, help="Only this year.")
@pass_ctx
@clean_errors
def profile_list(ctx: Context, year: int | None) -> None:
    """Every entered row."""
    from resilience import profiles

    ctx.require_schema()
    with ctx.sessions()() as session:
        rows = profiles.listing(session, year)
        for p in rows:
            mark = "  (example)" if p.example else ""
            click.echo(f"{p.division_code}  {p.year}  area={p.built_up_area_km2}  "
                       f"population={p.population}  built-up population={p.built_up_population}"
                       f"{mark}")
    if not rows:
        click.echo("no figures yet: `resilience profile set CODE YEAR --built-up-area …` or "
                   "`resilience profile import FILE.xlsx`")


@profile.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
@clean_errors
def profile_import(ctx: Context, path: Path) -> None:
    """Load a sheet of figures (XLSX or CSV; Chinese or English headers), all or nothing."""
    from resilience import profile_sheets

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        stored = profile_sheets.read(session, path, by=CLI)
    click.echo(f"{stored} row(s) stored")


@profile.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help="Only this year.")
@click.option("--lang", type=click.Choice(["zh", "en", "machine"]), default="zh",
              show_default=True, help="Headers: Chinese, English, or field names.")
@pass_ctx
@clean_errors
def profile_export(ctx: Context, path: Path, year: int | None, lang: str) -> None:
    """Write the figures to XLSX or CSV (by the file's extension)."""
    from resilience import profile_sheets

    ctx.require_schema()
    with ctx.sessions()() as session:
        count = profile_sheets.write(session, path, lang=lang, year=year)
    click.echo(f"{count} row(s) written to {path}")
