"""Backups that restore, on both databases: a changed registry (history, an attachment) goes
into one file and comes back whole into an empty database; the refusals are one line each."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from resilience import backup as kernel
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.dialects.dumps import count_rows, dumper
from resilience.migrate import current, upgrade
from tests import factories as f
from tests.conftest import fresh_database, seed_base

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
BIN = str(Path(sys.executable).parent / "resilience")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def run(args: list[str], url: str, instance: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_INSTANCE_PATH": str(instance)}
    env.pop("RESILIENCE_ATTACHMENTS_URL", None)
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=300)


@dataclass
class Registry:
    url: str
    engine: Engine
    instance: Path
    ids: dict[str, int]
    sha256: str


def _empty(request: pytest.FixtureRequest, dialect: str, name: str, tmp: Path) -> str:
    return fresh_database(request.config, dialect, f"resilience_{name}_{WORKER}", tmp)


@pytest.fixture(scope="module")
def registry(request: pytest.FixtureRequest, engine: Engine,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A committed registry changed through the services: created, edited, retired, attached
    (one per dialect and module: the tests leave it as they found it)."""
    from inventory import attachments, service
    from resilience import accounts

    tmp_path = tmp_path_factory.mktemp("registry")
    dialect = dumper(engine).dialect
    url = _empty(request, dialect, "backup_source", tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    seed_base(engine)
    instance = tmp_path / "source"
    with unit_of_work(make_sessions(engine)) as s:
        engineer = accounts.principal_of(accounts.get_user(s, "engineer"))
        ctx = service.WriteContext(by=engineer)
        pipe = service.create(s, "pipelines", f.pipeline(), ctx)
        shelter = service.create(s, "shelters", f.shelter(), ctx)
        flood = service.create(s, "flood-points", f.flood_point(), ctx)
        service.patch(s, "pipelines", pipe.id, {"properties": {"diameter_mm": 400}}, ctx,
                      expected_version=None)
        service.retire(s, "shelters", shelter.id, ctx, reason="拆除")
        item = attachments.add(s, attachments.store_for("", instance), "pipelines", pipe.id,
                               "现场照片.png", io.BytesIO(PNG), engineer)
        ids = {"pipelines": pipe.id, "shelters": shelter.id, "flood-points": flood.id}
        sha256 = item.sha256
    yield Registry(url, engine, instance, ids, sha256)
    engine.dispose()


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return count_rows(conn, dumper(engine).tables(conn))


def _records(engine: Engine, ids: dict[str, int]) -> dict[str, Any]:
    """The sampled records as the API shows them, their history and their attachments."""
    from inventory import attachments, service
    from resilience.audit import AuditEntry

    with Session(engine) as s:
        features = {name: service.as_feature(service.collection(name),
                                             service.get_record(s, service.collection(name), i))
                    for name, i in ids.items()}
        history = [(a.id, a.at, a.actor, a.action, a.collection, a.record_id, a.before, a.after,
                    a.reason) for a in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        files = [(a.filename, a.size, a.sha256)
                 for a in attachments.of_record(s, "pipelines", ids["pipelines"])]
    return {"features": features, "history": history, "files": files}


def test_a_backup_restores_into_an_empty_database(registry: Registry, request: pytest.FixtureRequest,
                                                  dialect: str, tmp_path: Path) -> None:
    file = tmp_path / "backups" / "resilience.tar"
    out = run(["backup", str(file)], registry.url, registry.instance)
    assert out.returncode == 0, out.stderr
    assert "1 attachments" in out.stdout and not list(file.parent.glob(".*"))  # no leftovers
    with tarfile.open(file) as tar:
        manifest = kernel.read_manifest(tar, file.name)
    assert manifest["dialect"] == dialect
    assert manifest["revision"] == current(registry.engine)
    assert manifest["tables"] == _counts(registry.engine)
    assert manifest["attachments"]["files"] == 1

    target = make_engine(_empty(request, dialect, "backup_target", tmp_path))
    instance = tmp_path / "target"
    out = run(["restore", str(file)], target.url.render_as_string(hide_password=False), instance)
    assert out.returncode == 0, out.stderr
    assert "1 attachments" in out.stdout
    try:
        assert _counts(target) == _counts(registry.engine)
        assert set(inspect(target).get_table_names()) == set(inspect(registry.engine).get_table_names())
        before, after = _records(registry.engine, registry.ids), _records(target, registry.ids)
        assert after == before
        assert [h[3] for h in after["history"]][-2:] == ["retire", "attach"]
        assert len(after["history"]) >= 5
        kept = instance / "attachments" / registry.sha256[:2] / registry.sha256
        assert kept.read_bytes() == PNG
        assert current(target) == current(registry.engine)
        from inventory import service
        from resilience import accounts

        with unit_of_work(make_sessions(target)) as s:  # sequences carry on past the restored ids
            by = accounts.principal_of(accounts.get_user(s, "engineer"))
            assert service.create(s, "pipelines", f.pipeline(), service.WriteContext(by=by)).id > \
                registry.ids["pipelines"]
    finally:
        target.dispose()


def test_a_backup_while_a_writer_is_busy_holds_what_was_committed(registry: Registry,
                                                                  tmp_path: Path) -> None:
    """The web app keeps writing during the nightly backup: the file is one committed moment."""
    committed = _counts(registry.engine)
    with registry.engine.connect() as writer:
        busy = writer.begin()
        writer.exec_driver_sql("UPDATE users SET display_name = 'half done'")
        writer.exec_driver_sql("DELETE FROM audit_log")
        report = kernel.backup(registry.engine, tmp_path / "busy.tar",
                               kernel.Attachments(registry.instance / "attachments"))
        busy.rollback()
    with tarfile.open(report.file) as tar:
        assert kernel.read_manifest(tar, "busy.tar")["tables"] == committed


def _with_manifest(source: Path, target: Path, **changes: Any) -> None:
    """A copy of a backup whose manifest says something else."""
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old:
            data = old.extractfile(member)
            if member.name == kernel.MANIFEST and data is not None:
                body = json.dumps({**json.load(data), **changes}).encode()
                member.size = len(body)
                data = io.BytesIO(body)
            new.addfile(member, data)


def test_restore_refuses_a_newer_schema_a_full_database_and_other_files(
        registry: Registry, request: pytest.FixtureRequest, dialect: str, tmp_path: Path) -> None:
    file = tmp_path / "resilience.tar"
    assert run(["backup", str(file)], registry.url, registry.instance).returncode == 0
    empty = _empty(request, dialect, "backup_target", tmp_path)

    newer = tmp_path / "newer.tar"
    _with_manifest(file, newer, revision="9999_from_the_future")
    out = run(["restore", str(newer)], empty, tmp_path / "target")
    assert out.returncode == 65 and out.stderr.count("\n") == 1, out.stderr
    assert "9999_from_the_future" in out.stderr and "newer than this code knows" in out.stderr
    other = tmp_path / "other.tar"
    _with_manifest(file, other, dialect="oracle")
    out = run(["restore", str(other)], empty, tmp_path / "target")
    assert out.returncode == 65 and "holds a oracle database" in out.stderr
    (tmp_path / "notes.tar").write_text("not a backup")
    out = run(["restore", str(tmp_path / "notes.tar")], empty, tmp_path / "target")
    assert out.returncode == 65 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    half = tmp_path / "half.tar"
    half.write_bytes(file.read_bytes()[:file.stat().st_size // 2])
    out = run(["restore", str(half)], empty, tmp_path / "target")
    assert out.returncode == 65 and out.stderr.count("\n") == 1 and "damaged" in out.stderr, out.stderr
    assert current(target := make_engine(empty)) is None  # nothing was written
    target.dispose()

    out = run(["restore", str(file)], registry.url, registry.instance)  # the source is full
    assert out.returncode == 75 and out.stderr.count("\n") == 1, out.stderr
    assert "already holds a registry" in out.stderr and "--force" in out.stderr

    expected = _counts(registry.engine)
    with registry.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_log")  # a mistake the backup puts right
    registry.engine.dispose()
    out = run(["restore", "--force", str(file)], registry.url, registry.instance)
    assert out.returncode == 0, out.stderr
    assert _counts(registry.engine) == expected


def test_an_older_schema_is_restored_then_migrated(request: pytest.FixtureRequest, dialect: str,
                                                   tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory

    from resilience.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    older = script.get_revision(head).down_revision
    assert isinstance(older, str)
    source = make_engine(_empty(request, dialect, "backup_older", tmp_path))
    upgrade(source, older)
    report = kernel.backup(source, tmp_path / "old.tar", kernel.Attachments(None))
    source.dispose()
    assert report.revision == older and report.files == 0
    target = make_engine(_empty(request, dialect, "backup_target", tmp_path))
    restored = kernel.restore(target, report.file, kernel.Attachments(tmp_path / "attachments"))
    assert restored.migrated_to == head and current(target) == head
    target.dispose()


def test_an_interrupted_backup_leaves_no_file(registry: Registry, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted after the database went into the archive, before the attachments did."""
    real_add = tarfile.TarFile.add

    def add(self: tarfile.TarFile, name: Any, arcname: str | None = None, **kw: Any) -> None:
        if arcname and arcname.startswith("attachments/"):
            raise KeyboardInterrupt
        real_add(self, name, arcname, **kw)

    monkeypatch.setattr(tarfile.TarFile, "add", add)
    folder = tmp_path / "backups"
    folder.mkdir()
    where = kernel.Attachments(registry.instance / "attachments")
    with pytest.raises(KeyboardInterrupt):
        kernel.backup(registry.engine, folder / "tonight.tar", where)
    assert list(folder.iterdir()) == []  # neither the file nor its temporary name nor the dump

    (folder / "yesterday.tar").write_bytes(b"yesterday's good backup")
    with pytest.raises(KeyboardInterrupt):
        kernel.backup(registry.engine, folder / "yesterday.tar", where)
    assert [p.name for p in folder.iterdir()] == ["yesterday.tar"]
    assert (folder / "yesterday.tar").read_bytes() == b"yesterday's good backup"
