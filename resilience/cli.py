"""The ``resilience`` command: one Click group; each command is one unit of work.

Errors print one clear line and exit non-zero (sysexits codes), never a traceback.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
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
    from resilience import demo as demo_city
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
    click.echo("demo logins:")
    for user in demo_city.DEMO_USERS:
        click.echo(f"  {user.username:<12} {user.password:<22} {user.role} "
                   f"({', '.join(user.divisions)})")


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
    from resilience import scheduler as sched

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
@click.option("--encoding", default=None, help="Text encoding (detected when omitted).")
@click.option("--dry-run", is_flag=True, help="Validate and report only.")
@click.option("--skip-invalid", is_flag=True, help="Store the valid rows, list the rest.")
@click.option("--as", "username", default=None, help="Import as this user (their divisions).")
@pass_ctx
@clean_errors
def import_(ctx: Context, args: tuple[str, ...], collection: str | None, crs: str | None,
            mapping_file: str | None, encoding: str | None, dry_run: bool, skip_invalid: bool,
            username: str | None) -> None:
    """Import PATH --into COLLECTION (all or nothing), or `import undo ID`."""
    from inventory import importing
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
        options = {"encoding": encoding} if encoding else {}
        source = open_source(args[0], **options)
        overrides = load_mapping_file(mapping_file) if mapping_file else None
        report = importing.import_source(session, source, collection, wctx, crs=crs,
                                         mapping=overrides, dry_run=dry_run,
                                         skip_invalid=skip_invalid)
    _print_report(report)
    if report.rejected and not report.stored:
        sys.exit(65)


def _print_report(report: Any) -> None:
    verb = "would be" if report.dry_run or not report.stored else "were"
    click.echo(f"import {report.import_id}: {report.file} → {report.collection}: "
               f"{report.rows} row(s); {report.created} {verb} created, {report.updated} "
               f"{verb} updated; {report.rejected_rows} row(s) rejected; "
               f"{'stored' if report.stored else 'nothing stored'}")
    if report.unmapped:
        click.echo(f"  columns not used: {', '.join(report.unmapped)}")
    for p in report.rejected[:200]:
        where = f"row {p.row}" if p.row is not None else "file"
        click.echo(f"  {where}, {p.field}: {describe(p)}", err=True)
    if len(report.rejected) > 200:
        click.echo(f"  … and {len(report.rejected) - 200} more problem(s)", err=True)


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
