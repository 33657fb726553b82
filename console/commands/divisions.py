"""``resilience divisions``: the administrative divisions every record belongs to.

``init`` loads the city's divisions from offline GB/T 2260 data; these commands find a city's
code, list what is loaded, and replace the offline boundaries with a city's official ones.
"""

from __future__ import annotations

import click

from console.context import Context, clean_errors, pass_ctx


@click.group()
def divisions() -> None:
    """Administrative divisions (GB/T 2260): codes, list, official boundaries."""


@divisions.command("codes")
@click.argument("query")
@clean_errors
def divisions_codes(query: str) -> None:
    """Find a province, city or county code by name or code prefix (no database needed)."""
    from resilience import gb2260

    found = gb2260.search(query)
    if not found:
        raise click.ClickException(f"no province, city or county matches {query!r}")
    for code, name, level in found:
        click.echo(f"{code}  {name}  ({level})")


@divisions.command("list")
@click.option("--level", type=click.Choice(["province", "city", "county", "township"]),
              default=None, help="Only this level.")
@pass_ctx
@clean_errors
def divisions_list(ctx: Context, level: str | None) -> None:
    """List the registry's divisions with their parent and where their boundary came from."""
    from sqlalchemy import select

    from resilience.divisions import Division

    ctx.require_schema()
    with ctx.sessions()() as session:
        stmt = select(Division).order_by(Division.code)
        if level is not None:
            stmt = stmt.where(Division.level == level)
        rows = list(session.scalars(stmt))
    if not rows:
        click.echo("no divisions: run `resilience init` (RESILIENCE_CITY_CODE names the city)")
        return
    for d in rows:
        source = d.boundary_source or "-"
        click.echo(f"{d.code}  {d.name}  {d.level}  parent={d.parent_code or '-'}  {source}")


@divisions.command("import")
@click.argument("path", type=click.Path(exists=True))
@click.option("--crs", default=None, help="CRS of the file (EPSG:4549, GCJ-02…) if it does not say.")
@click.option("--code-column", default=None, help="The column holding the GB/T 2260 code.")
@click.option("--name-column", default=None, help="The column holding the division's name.")
@click.option("--layer", default=None, help="Layer of a GeoPackage.")
@click.option("--encoding", default=None, help="Text encoding of a Shapefile's table.")
@click.option("--dry-run", is_flag=True, help="Check the file and report; store nothing.")
@pass_ctx
@clean_errors
def divisions_import(ctx: Context, path: str, crs: str | None, code_column: str | None,
                     name_column: str | None, layer: str | None, encoding: str | None,
                     dry_run: bool) -> None:
    """Replace offline boundaries with official ones (Shapefile, GeoPackage, GeoJSON), all or
    nothing; streets and townships are added under their county."""
    from pathlib import Path

    from inventory import division_import
    from resilience.db import unit_of_work
    from resilience.errors import InvalidInput

    ctx.require_schema()
    options = {"crs": crs, "code_column": code_column, "name_column": name_column,
               "layer": layer, "encoding": encoding}
    with unit_of_work(ctx.sessions()) as session:
        if dry_run:
            checked = division_import.plan(session, Path(path), city_code=ctx.settings.city_code,
                                           **options)
            if checked.problems:
                raise InvalidInput("boundaries would not be stored", checked.problems)
            click.echo(f"{len(checked.rows)} division(s) checked; nothing stored (--dry-run)")
            return
        report = division_import.load(session, Path(path), city_code=ctx.settings.city_code,
                                      by="cli", **options)
    click.echo(f"{len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged (official boundaries from {Path(path).name})")
