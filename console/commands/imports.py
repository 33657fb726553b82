"""``resilience import``: a file loaded into a collection (all or nothing unless told), or undone.

The command, its terminal progress bar and its report printer sit together: the report is
the import's answer, and its id is what ``import undo ID`` takes back.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click

from console.context import Context, clean_errors, pass_ctx
from resilience.messages import describe

if TYPE_CHECKING:
    from inventory.import_report import ImportReport


@click.command("import")
@click.argument("args", nargs=-1, required=True)
@click.option("--into", "collection", help="Collection to load into (pipelines, shelters…).")
@click.option("--crs", default=None, help="CRS of the file's coordinates (EPSG:4549, GCJ-02…).")
@click.option("--mapping", "mapping_file", type=click.Path(exists=True, dir_okay=False),
              help="JSON mapping of columns and values to the registry's fields.")
@click.option("--points", "points_file", type=click.Path(exists=True),
              help="Survey point table (管线点表) for a line table (管线段表) PATH.")
@click.option("--encoding", default=None, help="Text encoding (detected when omitted).")
@click.option("--layer", default=None, help="Layer of a GeoPackage or geodatabase.")
@click.option("--sheet", default=None, help="Worksheet of an Excel workbook (default: the first).")
@click.option("--dry-run", is_flag=True, help="Validate and report only.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows, list the rest.")
@click.option("--as", "username", default=None, help="Import as this user (their divisions).")
@pass_ctx
@clean_errors
def import_(ctx: Context, args: tuple[str, ...], collection: str | None, crs: str | None,
            mapping_file: str | None, points_file: str | None, encoding: str | None,
            layer: str | None, sheet: str | None, dry_run: bool, skip_invalid: bool,
            username: str | None) -> None:
    """Import PATH --into COLLECTION (all or nothing), or `import undo ID`."""
    from inventory import importing, survey
    from inventory.formats import open_source
    from inventory.mapping import load_mapping_file
    from inventory.service import WriteContext
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    ctx.compose()  # risk's collections are importable too
    with unit_of_work(ctx.sessions()) as session:
        principal = (accounts.principal_of(accounts.get_user(session, username)) if username
                     else accounts.CONSOLE)
        wctx = WriteContext(by=principal, extent=ctx.settings.extent)
        if args[0] == "undo":
            if len(args) != 2 or not args[1].isdigit():
                raise click.UsageError("usage: resilience import undo ID")
            done = importing.undo(session, int(args[1]), wctx)
            click.echo(f"import {args[1]} undone: {done['retired']} record(s) retired, "
                       f"{done['restored']} restored")
            return
        if len(args) != 1 or not collection:
            raise click.UsageError("usage: resilience import PATH --into COLLECTION")
        options: dict[str, Any] = {
            k: v for k, v in (("encoding", encoding), ("layer", layer), ("sheet", sheet),
                              ("max_size", ctx.settings.max_unpacked_bytes))
            if v}
        overrides = load_mapping_file(mapping_file) if mapping_file else None
        pair = None
        if points_file:
            pair = (open_source(args[0], **options),
                    open_source(points_file, **{**options, "plain": True}))
        elif collection == "pipelines" and not (layer or sheet):
            pair = survey.find_pair(args[0], **options)
        with _import_progress() as tick:
            if pair is not None:
                if collection != "pipelines":
                    raise click.UsageError("a survey point + line pair loads --into pipelines")
                report = survey.import_pair(session, pair[0], pair[1], wctx, crs=crs,
                                            mapping=overrides, dry_run=dry_run,
                                            skip_invalid=skip_invalid, tick=tick)
            else:
                report = importing.import_source(session, open_source(args[0], **options),
                                                 collection, wctx, crs=crs, mapping=overrides,
                                                 dry_run=dry_run, skip_invalid=skip_invalid,
                                                 tick=tick)
    _print_report(report)
    if report.rejected and not report.stored:
        sys.exit(65)


@contextlib.contextmanager
def _import_progress() -> Iterator[Callable[[int, int | None], None] | None]:
    """A progress bar on a terminal (rows read of about how many); nothing when piped."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=1000, label="importing", file=sys.stderr,
                           show_percent=True, show_pos=False) as bar:
        shown = 0

        def tick(done: int, expected: int | None) -> None:
            nonlocal shown
            target = int(1000 * min(1.0, done / expected)) if expected else 0
            bar.label = f"importing {done} rows"
            if target > shown:
                bar.update(target - shown)
                shown = target
            else:
                bar.render_progress()

        yield tick


def _print_report(report: ImportReport) -> None:
    """The counts on stdout, each rejected row (the first 200) on stderr, for scripts to split."""
    verb = "would be" if report.dry_run or not report.stored else "were"
    click.echo(f"import {report.import_id}: {report.file} → {report.collection}: "
               f"{report.rows} row(s); {report.created} {verb} created, {report.updated} "
               f"{verb} updated; {report.rejected_rows} row(s) rejected; "
               f"{'stored' if report.stored else 'nothing stored'}")
    if report.unmapped:
        click.echo(f"  columns not used: {', '.join(report.unmapped)}")
    for p in report.rejected[:200]:
        table = "points " if p.params.get("table") == "points" else ""
        where = f"{table}row {p.row}, " if p.row is not None else ""
        click.echo(f"  {where}{p.field}: {describe(p)}", err=True)
    if len(report.rejected) > 200:
        click.echo(f"  … and {len(report.rejected) - 200} more problem(s)", err=True)
