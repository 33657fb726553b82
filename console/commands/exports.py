"""``resilience export``: a collection written to a GIS or office file, with a progress bar.

Kept apart from imports: an export only reads, and writes its file whole or not at all.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any

import click

from console.context import Context, clean_errors, pass_ctx


@click.command("export")
@click.argument("collection")
@click.option("--format", "fmt", default=None,
              help="geojson, csv, gpkg, xlsx or shp (a zip); default from the file's extension.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="File to write (replaced only when the export succeeds).")
@click.option("--crs", default="EPSG:4490", show_default=True,
              help="Coordinates: EPSG:4490, EPSG:4326, a CGCS2000 zone (EPSG:4549…) or GCJ-02.")
@click.option("--division", default=None, help="Only this division and what lies below it.")
@click.option("--bbox", default=None, help="Only records meeting minx,miny,maxx,maxy (lon/lat).")
@click.option("--where", "where", multiple=True, metavar="FIELD=VALUE",
              help="Property filter (a,b for any of several codes); repeatable.")
@click.option("--lang", default="zh", show_default=True,
              type=click.Choice(["zh", "en", "machine"], case_sensitive=False),
              help="CSV and XLSX headings and coded values: Chinese or English labels, or "
                   "machine (field names and codes); the GIS formats always use the latter.")
@click.option("--as", "username", default=None, help="Export as this user (their divisions).")
@pass_ctx
@clean_errors
def export_(ctx: Context, collection: str, fmt: str | None, output: str, crs: str,
            division: str | None, bbox: str | None, where: tuple[str, ...], lang: str,
            username: str | None) -> None:
    """Export COLLECTION to a GeoJSON, CSV, GeoPackage, XLSX or zipped Shapefile file."""
    from inventory import exporting
    from resilience import accounts
    from resilience.db import unit_of_work

    filters: dict[str, list[str]] = {}
    for item in where:
        field, sep, value = item.partition("=")
        if not sep or not field.strip():
            raise click.UsageError(f"--where takes FIELD=VALUE, not {item!r}")
        filters.setdefault(field.strip(), []).append(value)
    fmt = fmt or exporting.format_for(output)
    if fmt is None:
        raise click.UsageError("give --format (geojson, csv, gpkg, xlsx, shp) or an -o file "
                               "ending in one of .geojson .csv .gpkg .xlsx .zip")
    ctx.require_schema()
    ctx.compose()  # risk's collections are exportable too
    with unit_of_work(ctx.sessions()) as session, contextlib.ExitStack() as bars:
        principal = (accounts.principal_of(accounts.get_user(session, username)) if username
                     else accounts.CONSOLE)
        plan = exporting.plan(collection, fmt, crs=crs, division=division, bbox=bbox,
                              filters=filters, by=principal, lang=lang.lower(),
                              zone=ctx.settings.zone)
        progress = _export_progress(bars, plan.spec.name) if sys.stderr.isatty() else None
        report = exporting.write(session, plan, output, progress=progress)
    inside = f" ({', '.join(report.files)})" if report.files else ""
    spoken = {"zh": ", Chinese headings", "en": ", English headings"}.get(report.lang, "")
    click.echo(f"exported {report.records} {report.collection} record(s) to {report.path}"
               f"{inside}: {plan.format.title}{spoken}, coordinates {report.crs}, "
               f"{report.seconds:.1f} s")


def _export_progress(bars: contextlib.ExitStack, label: str) -> Callable[[int, int], None]:
    """A progress bar on the terminal, made when the first page tells the total."""
    bar: Any = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = bars.enter_context(click.progressbar(length=max(total, 1), label=label,
                                                       file=sys.stderr, show_pos=True))
        bar.update(done - bar.pos)

    return show
