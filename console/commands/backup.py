"""``resilience backup FILE`` and ``resilience restore FILE``: the registry in one file, and back.

The kernel (``resilience.backup``) does the work; this module says where attachments live (the
instance folder, or a bucket that is not copied) and prints one summary line, or one error line.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import click

from console.context import Context, clean_errors, pass_ctx
from resilience.settings import Settings

if TYPE_CHECKING:
    from resilience.backup import Attachments


def _kernel() -> ModuleType:
    """The backup use cases, imported when a command runs (``--help`` stays quick)."""
    from resilience import backup as kernel

    return kernel


def _attachments(settings: Settings) -> Attachments:
    """The instance folder inventory keeps attachments in, or the bucket that keeps them."""
    from inventory.attachments import FOLDER

    kernel = _kernel()
    if settings.attachments_url.startswith("s3://"):
        return kernel.Attachments(folder=None, bucket=settings.attachments_url)
    return kernel.Attachments(folder=settings.instance_path / FOLDER)


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
@clean_errors
def backup(ctx: Context, file: Path) -> None:
    """Write the database and its attachments to FILE, a tar (name it .tar.gz to compress).

    Safe while the web app and the scheduler run: the copy is one moment of the database.
    """
    ctx.require_schema()
    started = time.monotonic()
    report = _kernel().backup(ctx.engine, file, _attachments(ctx.settings))
    click.echo(f"backup of the {report.dialect} registry (schema {report.revision}) written to "
               f"{report.file}: {_megabytes(report.size)}, {report.tables} tables, {report.rows} "
               f"rows, {report.files} attachments ({_megabytes(report.file_bytes)}) in "
               f"{time.monotonic() - started:.1f} s")
    if report.bucket:
        click.echo(f"attachments stay in {report.bucket} and are not in the file: back the bucket "
                   "up on its own")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the registry the database already holds (its tables are dropped).")
@pass_ctx
@clean_errors
def restore(ctx: Context, file: Path, force: bool) -> None:
    """Restore a backup FILE into an empty database, and migrate it to this code's schema."""
    started = time.monotonic()
    report = _kernel().restore(ctx.engine, file, _attachments(ctx.settings), force=force)
    migrated = f", migrated to {report.migrated_to}" if report.migrated_to else ""
    click.echo(f"restored {report.file} into the {report.dialect} database (schema "
               f"{report.revision}{migrated}): {report.tables} tables, {report.rows} rows, "
               f"{report.files} attachments ({_megabytes(report.file_bytes)}) in "
               f"{time.monotonic() - started:.1f} s")
    if report.bucket:
        click.echo(f"attachments were not in the file: they stay in {report.bucket}")
    if report.left_out:
        click.echo(f"{report.left_out} attachment files in the backup were not restored: this "
                   f"registry keeps attachments in {ctx.settings.attachments_url}; copy them there "
                   "from the file's attachments/ folder")
