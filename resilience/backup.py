"""Backups that restore: the database and the attachments in one file, and back.

One tar archive holds a manifest (format, dialect, schema revision, time, rows per table), the
database's own dump (``resilience.dialects.dumps``) and the attachment files. It is written
under a temporary name beside the target and renamed at the end, so a failed or interrupted
backup never leaves a half file where the good one is expected. A restore checks the manifest
before it touches anything (dialect, a schema this code knows, an empty target), restores, checks
the row counts against the manifest, then migrates an older schema up.

The database is dumped before the attachment folder is read: files are kept by their digest
and never change, so every file the dumped rows name is still there, except one detached while
the backup runs.
"""

from __future__ import annotations

import gzip
import json
import os
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import Engine

from resilience.dialects import analyze
from resilience.dialects.dumps import Dumper, count_rows, dumper
from resilience.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from resilience.migrate import alembic_config, current, upgrade
from resilience.model import now

FORMAT = "resilience-backup"
VERSION = 1
MANIFEST = "manifest.json"
FILES = "attachments"  # the archive's folder of attachment files, as laid out on disk


@dataclass(frozen=True)
class Attachments:
    """Where this registry keeps attachment bytes: a folder (backed up and restored), or a
    bucket, which keeps its own copies and is named in the manifest instead."""

    folder: Path | None
    bucket: str | None = None


@dataclass(frozen=True)
class Report:
    """What a backup wrote or a restore put back, for the command's summary line."""

    file: Path
    dialect: str
    revision: str
    tables: int
    rows: int
    files: int
    file_bytes: int
    size: int
    bucket: str | None = None
    migrated_to: str | None = None
    left_out: int = 0  # attachment files a restore did not put back (this registry uses a bucket)


def _attachment_files(folder: Path | None) -> Iterator[tuple[Path, str, int]]:
    """Kept files with their names in the archive and sizes; dot files are uploads arriving."""
    if folder is None or not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        try:
            if path.is_file():
                yield path, f"{FILES}/{rel.as_posix()}", path.stat().st_size
        except FileNotFoundError:
            continue  # detached while we looked


def _archive(raw: IO[bytes], target: Path) -> tarfile.TarFile:
    """A plain tar, or gzip for ``.tar.gz`` / ``.tgz`` (level 6: a SpatiaLite file shrinks about
    tenfold; the PostgreSQL dump is compressed already, so a plain tar suits it)."""
    if target.name.endswith((".gz", ".tgz")):
        return tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6)
    return tarfile.open(fileobj=raw, mode="w")


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(now().timestamp()), 0o644
    tar.addfile(info, BytesIO(data))


def _reason(error: OSError) -> str:
    """An OS error in a few words, with the file it concerns."""
    where = f" ({error.filename})" if error.filename else ""
    return f"{error.strerror or error}{where}"


def backup(engine: Engine, target: Path, attachments: Attachments) -> Report:
    """Write the whole registry to ``target`` (replacing an older file only once complete)."""
    revision = current(engine)
    if revision is None:
        raise ServiceUnavailable("the database has no schema yet: nothing to back up")
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                       suffix=".part")
        try:
            with open(fd, "wb") as raw:
                report = _write(engine, raw, target, attachments, revision)
                raw.flush()
                os.fsync(raw.fileno())  # on disk before it takes the good name
            os.replace(partial, target)
            report = replace(report, size=target.stat().st_size)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    except OSError as error:  # a full disk, a folder we may not write: one line, not a trace
        raise ServiceUnavailable(f"cannot write the backup {target}: {_reason(error)}") from error
    return report


def _write(engine: Engine, raw: IO[bytes], target: Path, attachments: Attachments,
           revision: str) -> Report:
    """Dump the database beside ``target``, then archive manifest, dump and files into ``raw``."""
    dump = dumper(engine)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".resilience-backup-") as work:
        dumped = dump.dump(engine, Path(work) / dump.member)
        files = list(_attachment_files(attachments.folder))
        manifest: dict[str, Any] = {
            "format": FORMAT, "version": VERSION, "dialect": dump.dialect, "revision": revision,
            "created_at": now().isoformat(timespec="seconds"), "database": dump.member,
            "tables": dumped.counts, "extensions": dumped.extensions,
            "attachments": {"included": attachments.bucket is None, "files": len(files),
                            "bytes": sum(size for *_, size in files),
                            "bucket": attachments.bucket},
        }
        written = written_bytes = 0
        with _archive(raw, target) as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
            tar.add(Path(work) / dump.member, arcname=dump.member)
            for path, name, size in files:
                try:
                    tar.add(path, arcname=name)  # opened before its header is written
                except FileNotFoundError:
                    continue  # detached since the listing (its row is in the dump, though)
                written, written_bytes = written + 1, written_bytes + size
    return Report(target, dump.dialect, revision, len(dumped.counts), sum(dumped.counts.values()),
                  written, written_bytes, 0, attachments.bucket)


def read_manifest(tar: tarfile.TarFile, name: str) -> dict[str, Any]:
    """The manifest, which every backup writes first; InvalidInput for anything else."""
    first = tar.next()
    if first is None or first.name != MANIFEST:
        raise InvalidInput(f"{name} is not a resilience backup (no {MANIFEST} at its start)")
    stream = tar.extractfile(first)
    try:
        manifest = json.load(stream) if stream is not None else None
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidInput(f"{name} is not a resilience backup (its {MANIFEST} is not one)")
    if manifest.get("version") != VERSION:
        raise InvalidInput(f"{name} is a backup of format {manifest.get('version')}; this code "
                           f"reads format {VERSION}")
    return manifest


def _known_revisions(engine: Engine) -> tuple[str | None, set[str]]:
    """The migrations' head, and every revision they know."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    return script.get_current_head(), {r.revision for r in script.walk_revisions()}


def _check(engine: Engine, dump: Dumper, manifest: dict[str, Any], name: str, force: bool) -> None:
    """Refuse, before anything is written: another database, a newer schema, a full target."""
    if manifest.get("dialect") != dump.dialect:
        raise InvalidInput(f"{name} holds a {manifest.get('dialect')} database and this registry "
                           f"runs on {dump.dialect}: restore it into a {manifest.get('dialect')} "
                           "database")
    head, known = _known_revisions(engine)
    if manifest.get("revision") not in known:
        raise InvalidInput(f"{name} holds schema revision {manifest.get('revision')}, newer than "
                           f"this code knows (head {head}): restore it with a newer resilience")
    with engine.connect() as conn:
        tables = dump.tables(conn)
    if tables and not force:
        raise Conflict(f"the database already holds a registry ({len(tables)} tables, schema "
                       f"{current(engine) or 'unknown'}): restore into an empty database, or "
                       "pass --force to replace it")


def _safe_name(name: str) -> PurePosixPath | None:
    """An attachment's path below the folder, or None for one that would leave it."""
    path = PurePosixPath(name)
    parts = path.parts[1:]
    if path.is_absolute() or not parts or any(p in ("", ".", "..") for p in parts):
        return None
    return PurePosixPath(*parts)


def _put_file(stream: IO[bytes], target: Path, size: int) -> None:
    """Write one attachment through a temporary name (kept files are never half written)."""
    if target.is_file() and target.stat().st_size == size:
        return  # the same digest: the same bytes
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, prefix=".restore-")
    try:
        with open(fd, "wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def restore(engine: Engine, source: Path, attachments: Attachments, *,
            force: bool = False) -> Report:
    """Put a backup into an empty database (or, forced, over a registry), then migrate it up."""
    source = Path(source)
    if not source.is_file():
        raise NotFound(f"{source}: no such file")
    try:
        tar = tarfile.open(source, "r:*")
    except (tarfile.TarError, OSError) as error:
        raise InvalidInput(f"{source.name} is not a resilience backup (not a tar archive)") from error
    dump = dumper(engine)
    try:
        with tar:
            manifest = read_manifest(tar, source.name)
            _check(engine, dump, manifest, source.name, force)
            if force:
                dump.clear(engine)
            files, file_bytes, left_out = _unpack(tar, manifest, engine, dump, attachments)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:  # cut short, corrupt
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InvalidInput(f"{source.name} is damaged: {reason}") from error
    except OSError as error:
        raise ServiceUnavailable(f"cannot restore {source.name}: {_reason(error)}") from error
    expected: dict[str, int] = manifest.get("tables", {})
    with engine.connect() as conn:
        found = count_rows(conn, list(expected))
    wrong = sorted(t for t, n in expected.items() if found.get(t) != n)
    if wrong:
        raise InvalidInput(f"restored rows differ from the backup's in {len(wrong)} tables "
                           f"({', '.join(wrong[:3])}): the file may be damaged")
    revision = str(manifest["revision"])
    head, _ = _known_revisions(engine)
    if revision != head:
        upgrade(engine)
    with engine.begin() as conn:
        analyze(conn)  # a restored database has no planner statistics yet
    return Report(source, dump.dialect, revision, len(expected), sum(expected.values()), files,
                  file_bytes, source.stat().st_size, manifest.get("attachments", {}).get("bucket"),
                  head if revision != head else None, left_out)


def _unpack(tar: tarfile.TarFile, manifest: dict[str, Any], engine: Engine, dump: Dumper,
            attachments: Attachments) -> tuple[int, int, int]:
    """Restore the database and put the files in place, in one pass over the archive (a
    compressed one reads forward only); files put back, their bytes, and files left out."""
    files = file_bytes = left_out = 0
    restored = False
    with tempfile.TemporaryDirectory(prefix=".resilience-restore-") as work:
        for member in tar:
            stream = tar.extractfile(member) if member.isfile() else None
            if stream is None or member.name == MANIFEST:
                continue
            if member.name == manifest.get("database"):
                _put_file(stream, Path(work) / dump.member, member.size)
                dump.restore(engine, Path(work) / dump.member, manifest.get("extensions", []))
                restored = True
            elif member.name.startswith(f"{FILES}/"):
                rel = _safe_name(member.name)
                if attachments.folder is None or rel is None:
                    left_out += 1
                    continue
                _put_file(stream, attachments.folder.joinpath(rel), member.size)
                files, file_bytes = files + 1, file_bytes + member.size
    if not restored:
        raise InvalidInput(f"the backup holds no database ({manifest.get('database')})")
    return files, file_bytes, left_out
