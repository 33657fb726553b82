"""The ``resilience`` command: one Click group; each command is one unit of work.

Errors print one clear line and exit non-zero (sysexits codes), never a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from resilience.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ResilienceError,
    ServiceUnavailable,
)
from resilience.messages import describe
from resilience.settings import Settings

EXIT: dict[type[ResilienceError], int] = {
    InvalidInput: 65,  # EX_DATAERR
    NotFound: 66,  # EX_NOINPUT
    ServiceUnavailable: 69,  # EX_UNAVAILABLE
    Conflict: 75,  # EX_TEMPFAIL
    Forbidden: 77,  # EX_NOPERM
}

F = TypeVar("F", bound=Callable[..., Any])


def _exit_code(error: ResilienceError) -> int:
    for cls in type(error).__mro__:
        if cls in EXIT:
            return EXIT[cls]  # type: ignore[index]
    return 1


def clean_errors(fn: F) -> F:
    """Turn domain and database errors into one line on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ResilienceError as error:
            click.echo(f"error: {error.message}", err=True)
            for p in error.problems:
                where = f"row {p.row}, " if p.row is not None else ""
                click.echo(f"  {where}{p.field}: {describe(p)}", err=True)
            sys.exit(_exit_code(error))
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
            click.echo(f"error: database: {reason}", err=True)
            sys.exit(69)

    return wrapper  # type: ignore[return-value]


class Context:
    """Settings and a lazily made engine, shared by the commands of one invocation."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The engine, checked to be reachable."""
        if self._engine is None:
            from resilience.db import check_connection, make_engine

            self._engine = make_engine(self.settings.database_url)
            check_connection(self._engine)
        return self._engine

    def sessions(self) -> Any:
        """A session factory on the engine."""
        from resilience.db import make_sessions

        return make_sessions(self.engine)

    def require_schema(self) -> None:
        """Refuse to work on a database that ``resilience init`` has not prepared."""
        from resilience.migrate import current

        if current(self.engine) is None:
            raise ServiceUnavailable("the database has no schema yet: run `resilience init`")


pass_ctx = click.make_pass_decorator(Context)


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


@main.command()
@pass_ctx
@clean_errors
def init(ctx: Context) -> None:
    """Create or migrate the schema (Alembic upgrade head)."""
    from resilience.migrate import current, upgrade

    upgrade(ctx.engine)
    click.echo(f"schema at revision {current(ctx.engine)} ({ctx.engine.url.render_as_string()})")


@main.command()
@click.option("--segments", type=click.IntRange(min=100, max=5_000_000), default=6000,
              show_default=True, help="Number of pipeline segments to generate.")
@click.option("--seed", type=int, default=2026, show_default=True)
@pass_ctx
@clean_errors
def demo(ctx: Context, segments: int, seed: int) -> None:
    """Load the demo city (idempotent) on Hangzhou's real districts."""
    from demo import city as demo_city
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        summary = demo_city.load(session, segments=segments, seed=seed,
                                 progress=_progress_printer())
    if summary.created:
        from resilience.spatial import analyze

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
    import risk  # noqa: F401  (the demo's risk maps)
    from risk import runs

    with ctx.sessions()() as session:
        have_maps = runs.published(session) is not None
    if summary.created or not have_maps:
        run = runs.run_now(ctx.sessions(), by="demo")
        click.echo(_run_line(run))
        from demo import changes as demo_changes
        from resilience.db import unit_of_work

        with unit_of_work(ctx.sessions()) as session:  # a week later: edits, and a diff
            for line in demo_changes.apply(session, ctx.settings.city_extent):
                click.echo(f"  demo edit: {line}")
        click.echo(_run_line(runs.run_now(ctx.sessions(), mode="incremental", by="demo")))
    click.echo("demo logins:")
    for user in demo_city.DEMO_USERS:
        click.echo(f"  {user.username:<12} {user.password:<22} {user.role} "
                   f"({', '.join(user.divisions)})")


@main.group()
def risk() -> None:
    """The five- and four-colour risk maps."""


@risk.command("run")
@click.option("--incremental", is_flag=True,
              help="Recompute only what changed since the last run.")
@pass_ctx
@clean_errors
def risk_run(ctx: Context, incremental: bool) -> None:
    """Compute both colour maps now and print the run's summary."""
    import risk as _risk  # noqa: F401  (registers the risk tables)
    from risk import runs

    ctx.require_schema()
    run = runs.run_now(ctx.sessions(), mode="incremental" if incremental else "full",
                       by="cli")
    click.echo(_run_line(run))
    if run.status != "succeeded":
        raise click.exceptions.Exit(1)


def _run_line(run: Any) -> str:
    """One run's summary for the terminal."""
    if run.status != "succeeded":
        return f"risk run {run.id} {run.status}: {run.error or ''}"
    summary, counts = run.summary or {}, run.counts or {}
    cells = counts.get("five", {}).get("cell", {})
    points = counts.get("four", {}).get("point", {})
    order5 = ("high", "fairly_high", "medium", "fairly_low", "low")
    order4 = ("major", "considerable", "general", "low")
    return (f"risk run {run.id} ({summary.get('mode')}, scheme {run.scheme_name} "
            f"v{run.scheme_version}) in {summary.get('seconds')} s: five-colour cells "
            + " ".join(f"{k}={cells.get(k, 0)}" for k in order5)
            + "; risk points " + " ".join(f"{k}={points.get(k, 0)}" for k in order4)
            + f"; {summary.get('changed', {}).get('five', 0)} five-colour and "
            f"{summary.get('changed', {}).get('four', 0)} four-colour units changed level")


def _progress_printer() -> Callable[[float, str], None]:
    interactive = sys.stderr.isatty()

    def show(fraction: float, message: str) -> None:
        if interactive:
            click.echo(f"\r{fraction:6.1%} {message:<60}", err=True, nl=fraction >= 1)

    return show


@main.command()
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


@main.command()
@click.option("--once", is_flag=True, help="Run queued jobs once and exit (for tests and cron).")
@pass_ctx
@clean_errors
def scheduler(ctx: Context, once: bool) -> None:
    """Run the scheduler process: periodic jobs and the queued long work."""
    from console import scheduler as sched

    ctx.require_schema()
    if once:
        ran = sched.drain(ctx.settings)
        click.echo(f"ran {ran} job(s)")
        return
    click.echo("scheduler running; Ctrl-C stops it")
    sched.build_scheduler(ctx.settings, blocking=True).start()


@main.command("import")
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
    import risk  # noqa: F401  (its collections are importable too)
    from inventory import importing, survey
    from inventory.formats import open_source
    from inventory.mapping import load_mapping_file
    from inventory.service import WriteContext
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        principal = (accounts.principal_of(accounts.get_user(session, username)) if username
                     else accounts.Principal(0, "cli", "admin", ()))
        wctx = WriteContext(by=principal, extent=ctx.settings.city_extent)
        if args[0] == "undo":
            if len(args) != 2 or not args[1].isdigit():
                raise click.UsageError("usage: resilience import undo ID")
            done = importing.undo(session, int(args[1]), wctx)
            click.echo(f"import {args[1]} undone: {done['retired']} record(s) retired, "
                       f"{done['restored']} restored")
            return
        if len(args) != 1 or not collection:
            raise click.UsageError("usage: resilience import PATH --into COLLECTION")
        options = {k: v for k, v in (("encoding", encoding), ("layer", layer),
                                     ("sheet", sheet), ("max_size", ctx.settings.max_unpacked_bytes))
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


def _print_report(report: Any) -> None:
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


@main.command("export")
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
@click.option("--as", "username", default=None, help="Export as this user (their divisions).")
@pass_ctx
@clean_errors
def export_(ctx: Context, collection: str, fmt: str | None, output: str, crs: str,
            division: str | None, bbox: str | None, where: tuple[str, ...],
            username: str | None) -> None:
    """Export COLLECTION to a GeoJSON, CSV, GeoPackage, XLSX or zipped Shapefile file."""
    import contextlib

    import risk  # noqa: F401  (its collections are exportable too)
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
    with unit_of_work(ctx.sessions()) as session, contextlib.ExitStack() as bars:
        principal = (accounts.principal_of(accounts.get_user(session, username)) if username
                     else accounts.Principal(0, "cli", "admin", ()))
        plan = exporting.plan(collection, fmt, crs=crs, division=division, bbox=bbox,
                              filters=filters, by=principal)
        progress = _export_progress(bars, plan.spec.name) if sys.stderr.isatty() else None
        report = exporting.write(session, plan, output, progress=progress)
    inside = f" ({', '.join(report.files)})" if report.files else ""
    click.echo(f"exported {report.records} {report.collection} record(s) to {report.path}"
               f"{inside}: {plan.format.title}, coordinates {report.crs}, {report.seconds:.1f} s")


def _export_progress(bars: Any, label: str) -> Callable[[int, int], None]:
    """A progress bar on the terminal, made when the first page tells the total."""
    bar: Any = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = bars.enter_context(click.progressbar(length=max(total, 1), label=label,
                                                       file=sys.stderr, show_pos=True))
        bar.update(done - bar.pos)

    return show


@main.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(["admin", "engineer", "emergency_manager", "inspector", "viewer"]))
@click.option("--division", "divisions", multiple=True,
              help="GB/T 2260 code granted (with everything below it); repeatable.")
@click.option("--password", default=None, help="Password (prompted when omitted).")
@click.option("--no-password", is_flag=True, help="Token-only user (no password login).")
@pass_ctx
@clean_errors
def users_add(ctx: Context, name: str, role: str, divisions: tuple[str, ...],
              password: str | None, no_password: bool) -> None:
    """Add a user with a role and granted divisions."""
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    if password is None and not no_password:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(ctx.sessions()) as session:
        user = accounts.add_user(session, name, role=role, password=password,
                                 divisions=list(divisions))
        click.echo(f"user {user.username} ({user.role}) added with id {user.id}")


@users.command("email")
@click.argument("name")
@click.argument("address")
@pass_ctx
@clean_errors
def users_email(ctx: Context, name: str, address: str) -> None:
    """Where a user's notifications are e-mailed (overdue inspections and hidden hazards)."""
    from inventory.inspections import notifications
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        accounts.get_user(session, name)  # a clear error for an unknown user
        notifications.set_contact(session, name, address)
    click.echo(f"notifications for {name} go to {address}")


@main.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("issue")
@click.argument("name")
@click.option("--days", default=None, type=click.IntRange(0, 3650),
              help="Days until it expires (0: never). Default from settings.")
@click.option("--label", default=None, help="What the token is for.")
@pass_ctx
@clean_errors
def tokens_issue(ctx: Context, name: str, days: int | None, label: str | None) -> None:
    """Print a new API token for a user (shown once)."""
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        token, plain = accounts.issue_token(
            session, name, days=ctx.settings.token_days if days is None else days, name=label
        )
        expires = token.expires_at.isoformat() if token.expires_at else "never"
    click.echo(plain)
    click.echo(f"token {token.id} for {name}, expires {expires}", err=True)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
@clean_errors
def tokens_revoke(ctx: Context, token_id: int) -> None:
    """Revoke a token by its id."""
    from resilience import accounts
    from resilience.db import unit_of_work

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        accounts.revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")


@main.group("health-check")
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

    import risk.healthcheck  # noqa: F401  (registers the health-check tables)
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

    import risk.healthcheck  # noqa: F401  (registers the health-check tables)
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
