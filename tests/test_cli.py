"""The CLI as a user runs it: one clear line and a non-zero exit on every error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")  # one database per worker

BIN = str(Path(sys.executable).parent / "resilience")


def run(args: list[str], url: str, tmp: Path, input_: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_INSTANCE_PATH": str(tmp),
           **(env or {})}
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, input=input_,
                          timeout=300)


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path, engine: object) -> str:
    from tests.conftest import fresh_database

    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    return fresh_database(request.config, dialect, f"resilience_cli_{WORKER}", tmp_path)


def test_init_users_tokens(fresh: str, tmp_path: Path) -> None:
    before = run(["users", "add", "ann", "--role", "viewer", "--password", "x" * 10], fresh,
                 tmp_path)
    assert before.returncode == 69 and "resilience init" in before.stderr
    first = run(["init"], fresh, tmp_path)
    assert first.returncode == 0, first.stderr
    assert "schema at revision" in first.stdout
    assert run(["init"], fresh, tmp_path).returncode == 0  # idempotent
    added = run(["users", "add", "ann", "--role", "engineer", "--password", "long-enough-1"],
                fresh, tmp_path)
    assert added.returncode == 0, added.stderr
    assert "granted no division" in added.stdout  # told, not left to find out
    chief = run(["users", "add", "chief", "--role", "admin", "--password", "river-gate-2026"],
                fresh, tmp_path)
    assert chief.returncode == 0 and "granted 330000" in chief.stdout  # the whole registry
    dup = run(["users", "add", "ann", "--role", "engineer", "--password", "long-enough-1"],
              fresh, tmp_path)
    assert dup.returncode == 75 and "Traceback" not in dup.stderr
    bad = run(["users", "add", "bob", "--role", "engineer", "--division", "999999",
               "--password", "long-enough-1"], fresh, tmp_path)
    assert bad.returncode == 65
    assert "division" in bad.stderr and "Traceback" not in bad.stderr
    token = run(["tokens", "issue", "ann", "--days", "5"], fresh, tmp_path)
    assert token.returncode == 0 and token.stdout.startswith("rsl_")
    missing = run(["tokens", "issue", "zed"], fresh, tmp_path)
    assert missing.returncode == 66 and "Traceback" not in missing.stderr


def test_wrong_arguments(tmp_path: Path) -> None:
    out = run(["users", "add", "x", "--role", "pilot"], f"sqlite:///{tmp_path}/x.db", tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "pilot" in out.stderr


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    out = run(["init"], "postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path)
    assert out.returncode == 69
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: cannot reach")


def test_import_and_undo_from_the_command_line(fresh: str, tmp_path: Path) -> None:
    assert run(["init"], fresh, tmp_path).returncode == 0
    assert run(["demo", "--segments", "200"], fresh, tmp_path).returncode == 0
    good = tmp_path / "good.csv"
    good.write_bytes("编号,管线类型,管径,经度,纬度\nCLI-1,RQ,160,120.0801,30.2801\n".encode("gbk"))
    out = run(["import", str(good), "--into", "network-points"], fresh, tmp_path)
    assert out.returncode == 65 and "no column for the required field kind" in out.stderr
    good.write_bytes("编号,特征,管线类型,经度,纬度\nCLI-0,,RQ,120.0801,30.2801\n".encode("gbk"))
    out = run(["import", str(good), "--into", "network-points"], fresh, tmp_path)
    assert out.returncode == 65 and "row 2, kind" in out.stderr  # points need a kind
    good.write_bytes("编号,特征,管线类型,经度,纬度\nCLI-1,阀门,RQ,120.0801,30.2801\n".encode("gbk"))
    ok = run(["import", str(good), "--into", "network-points"], fresh, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "1 were created" in ok.stdout and "stored" in ok.stdout
    import_id = ok.stdout.split()[1].rstrip(":")
    undone = run(["import", "undo", import_id], fresh, tmp_path)
    assert undone.returncode == 0 and "1 record(s) retired" in undone.stdout
    again = run(["import", "undo", import_id], fresh, tmp_path)
    assert again.returncode == 65 and "Traceback" not in again.stderr
    missing = run(["import", str(tmp_path / "none.csv"), "--into", "pipelines"], fresh, tmp_path)
    assert missing.returncode == 65 and "Traceback" not in missing.stderr


def test_risk_data_imports_from_the_command_line(fresh: str, tmp_path: Path) -> None:
    import json

    assert run(["init"], fresh, tmp_path).returncode == 0
    assert run(["demo", "--segments", "200"], fresh, tmp_path).returncode == 0  # the divisions
    ring = [[120.08, 30.28], [120.084, 30.28], [120.084, 30.284], [120.08, 30.284], [120.08, 30.28]]
    zones = tmp_path / "zones.geojson"
    zones.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
         "properties": {"name": "文三路内涝风险区", "kind": "内涝", "hazard_class": 4,
                        "return_period_years": 50}}]}, ensure_ascii=False), encoding="utf-8")
    ok = run(["import", str(zones), "--into", "hazard-zones"], fresh, tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "1 were created" in ok.stdout
    points = tmp_path / "points.csv"
    header = "编号,名称,类别,method,factor_l,factor_e,factor_c,经度,纬度\n"
    points.write_text(header + "RP-1,加油站,危险物品,lec,3,6,10,120.081,30.281\n", encoding="utf-8")
    bad = run(["import", str(points), "--into", "risk-points"], fresh, tmp_path)
    assert bad.returncode == 65 and "row 2, factor_c" in bad.stderr, bad.stderr
    assert "Traceback" not in bad.stderr
    points.write_text(header + "RP-1,加油站,危险物品,lec,3,6,15,120.081,30.281\n", encoding="utf-8")
    good = run(["import", str(points), "--into", "risk-points"], fresh, tmp_path)
    assert good.returncode == 0 and "1 were created" in good.stdout, good.stderr
    read_only = run(["import", str(points), "--into", "risk-four-colour"], fresh, tmp_path)
    assert read_only.returncode != 0 and "Traceback" not in read_only.stderr


def test_the_demo_computes_its_risk_twice_and_risk_run_recomputes(fresh: str,
                                                                  tmp_path: Path) -> None:
    """The demo's first run, a week of edits, an incremental run with a diff to show."""
    assert run(["init"], fresh, tmp_path).returncode == 0
    out = run(["demo", "--segments", "200"], fresh, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "risk run 1 (full, scheme composite_default v2)" in out.stdout
    assert "demo edit: risk point" in out.stdout
    assert "risk run 2 (incremental" in out.stdout
    again = run(["risk", "run"], fresh, tmp_path)
    assert again.returncode == 0 and again.stdout.startswith("risk run 3 (full"), again.stderr
    quiet = run(["risk", "run", "--incremental"], fresh, tmp_path)
    assert quiet.returncode == 0 and "0 five-colour and 0 four-colour units changed" in quiet.stdout
    reloaded = run(["demo", "--segments", "200"], fresh, tmp_path)
    assert "risk run" not in reloaded.stdout  # maps exist: loading again computes nothing


def test_a_users_notifications_go_to_an_email_address(fresh: str, tmp_path: Path) -> None:
    assert run(["init"], fresh, tmp_path).returncode == 0
    assert run(["users", "add", "li", "--role", "engineer", "--password", "li-pass-2026"],
               fresh, tmp_path).returncode == 0
    ok = run(["users", "email", "li", "li@example.org"], fresh, tmp_path)
    assert ok.returncode == 0 and "li@example.org" in ok.stdout
    bad = run(["users", "email", "li", "not-an-address"], fresh, tmp_path)
    assert bad.returncode == 65 and "email" in bad.stderr and "Traceback" not in bad.stderr
    nobody = run(["users", "email", "zhao", "zhao@example.org"], fresh, tmp_path)
    assert nobody.returncode != 0 and "Traceback" not in nobody.stderr


def test_the_major_hazard_report_is_written_whole_or_not_at_all(fresh: str,
                                                                tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert run(["init"], fresh, tmp_path).returncode == 0
    out = tmp_path / "major.xlsx"
    bad = run(["hazards", "report", "--period", "2026-13", "-o", str(out)], fresh, tmp_path)
    assert bad.returncode == 65 and "period" in bad.stderr and "Traceback" not in bad.stderr
    assert not out.exists()  # nothing half-written
    done = run(["hazards", "report", "--period", "2026-Q1", "-o", str(out)], fresh, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "0 重大隐患 from 2026-01-01 to 2026-03-31" in done.stdout
    book = load_workbook(out, read_only=True)
    assert len(book.sheetnames) == 2  # the hazards and their trails
    assert not list(tmp_path.glob("*.part"))
