"""``resilience users`` and ``resilience tokens``: who may sign in, and the API tokens they hold.

The administrator's side of ``resilience.accounts``: the web app signs users in but does not
create them, so the first admin, every later user and every token start here.
"""

from __future__ import annotations

import click

from console.context import Context, clean_errors, pass_ctx


@click.group()
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
