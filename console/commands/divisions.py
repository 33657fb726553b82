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
