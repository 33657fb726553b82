"""``resilience users`` and ``resilience tokens``: who may sign in, and the API tokens they hold.

The administrator's side of ``resilience.accounts``: the web app signs users in but does not
create them, so the first admin, every later user and every token start here.
"""

from __future__ import annotations

from types import ModuleType

import click

from console.context import Context, clean_errors, pass_ctx
from resilience.db import unit_of_work

CLI = "cli"  # the audit trail's actor for changes made at the command line


def _admin() -> ModuleType:
    """The account use cases, imported when a command runs (``--help`` stays quick)."""
    from resilience import user_admin

    return user_admin


ROLE_NAMES = ["admin", "engineer", "emergency_manager", "inspector", "viewer"]


@click.group()
def users() -> None:
    """Manage users."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True,
              type=click.Choice(ROLE_NAMES))
@click.option("--division", "divisions", multiple=True,
              help="GB/T 2260 code granted (with everything below it); repeatable. "
                   "An admin given none is granted the root (the whole registry).")
@click.option("--password", default=None, help="Password (prompted when omitted).")
@click.option("--no-password", is_flag=True, help="Token-only user (no password login).")
@pass_ctx
@clean_errors
def users_add(ctx: Context, name: str, role: str, divisions: tuple[str, ...],
              password: str | None, no_password: bool) -> None:
    """Add a user with a role and granted divisions."""
    ctx.require_schema()
    if password is None and not no_password:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(ctx.sessions()) as session:
        granted = list(divisions)
        if role == "admin" and not granted:  # the first admin manages the whole registry
            granted = _admin().root_divisions(session)
        user = _admin().add(session, name, role=role, password=password,
                              divisions=granted, by=CLI)
        click.echo(f"user {user.username} ({user.role}) added with id {user.id}"
                   + (f", granted {', '.join(granted)}" if granted else
                      ", granted no division: they see nothing until one is granted"))


@users.command("list")
@pass_ctx
@clean_errors
def users_list(ctx: Context) -> None:
    """List users: role, granted divisions, whether they may sign in."""
    ctx.require_schema()
    with ctx.sessions()() as session:
        rows = _admin().list_users(session)
        for user in rows:
            grants = ",".join(sorted(d.division_code for d in user.divisions)) or "-"
            state = "active" if user.active else "disabled"
            login = "password" if user.password_hash else "token only"
            click.echo(f"{user.username}  {user.role}  {grants}  {state}  {login}"
                       + (f"  {user.display_name}" if user.display_name else ""))
    if not rows:
        click.echo("no users yet: `resilience users add NAME --role admin --division CODE`")


@users.command("passwd")
@click.argument("name")
@click.option("--password", default=None, help="New password (prompted when omitted).")
@pass_ctx
@clean_errors
def users_passwd(ctx: Context, name: str, password: str | None) -> None:
    """Set a new password for a user."""
    ctx.require_schema()
    if password is None:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    with unit_of_work(ctx.sessions()) as session:
        _admin().set_password(session, name, password, by=CLI)
    click.echo(f"password of {name} changed")


@users.command("disable")
@click.argument("name")
@pass_ctx
@clean_errors
def users_disable(ctx: Context, name: str) -> None:
    """Stop a user signing in; their API tokens are revoked too."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        _admin().set_active(session, name, False, by=CLI)
    click.echo(f"{name} disabled (sign-in and tokens stopped)")


@users.command("enable")
@click.argument("name")
@pass_ctx
@clean_errors
def users_enable(ctx: Context, name: str) -> None:
    """Let a disabled user sign in again (tokens stay revoked: issue new ones)."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        _admin().set_active(session, name, True, by=CLI)
    click.echo(f"{name} enabled")


@users.command("unlock")
@click.argument("name")
@pass_ctx
@clean_errors
def users_unlock(ctx: Context, name: str) -> None:
    """Let a user locked out by failed sign-ins try again at once."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        forgotten = _admin().unlock(session, name, by=CLI)
    click.echo(f"{name} unlocked ({forgotten} failed sign-ins forgotten)")


@users.command("grant")
@click.argument("name")
@click.option("--division", "divisions", multiple=True, required=True,
              help="GB/T 2260 code granted (with everything below it); repeatable. "
                   "An admin given none is granted the root (the whole registry).")
@click.option("--only", is_flag=True, help="Grant exactly these (revoke the others).")
@pass_ctx
@clean_errors
def users_grant(ctx: Context, name: str, divisions: tuple[str, ...], only: bool) -> None:
    """Grant a user divisions."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        user = _admin().grant(session, name, list(divisions), by=CLI, replace=only)
        now_granted = ",".join(sorted(d.division_code for d in user.divisions))
    click.echo(f"{name} now sees {now_granted}")


@users.command("revoke")
@click.argument("name")
@click.option("--division", "divisions", multiple=True, required=True,
              help="GB/T 2260 code to take away; repeatable.")
@pass_ctx
@clean_errors
def users_revoke(ctx: Context, name: str, divisions: tuple[str, ...]) -> None:
    """Take divisions away from a user."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        user = _admin().revoke(session, name, list(divisions), by=CLI)
        left = ",".join(sorted(d.division_code for d in user.divisions)) or "nothing"
    click.echo(f"{name} now sees {left}")


@users.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLE_NAMES))
@pass_ctx
@clean_errors
def users_role(ctx: Context, name: str, role: str) -> None:
    """Change a user's role."""
    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        _admin().set_role(session, name, role, by=CLI)
    click.echo(f"{name} is now {role}")


@users.command("email")
@click.argument("name")
@click.argument("address")
@pass_ctx
@clean_errors
def users_email(ctx: Context, name: str, address: str) -> None:
    """Where a user's notifications are e-mailed (overdue inspections and hidden hazards)."""
    from inventory.inspections import notifications
    from resilience import accounts

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        accounts.get_user(session, name)  # a clear error for an unknown user
        notifications.set_contact(session, name, address)
    click.echo(f"notifications for {name} go to {address}")


@click.group()
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

    ctx.require_schema()
    with unit_of_work(ctx.sessions()) as session:
        accounts.revoke_token(session, token_id)
    click.echo(f"token {token_id} revoked")
