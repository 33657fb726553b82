"""The demo city's health check computes and exports, from the command line, on both databases.

The numbers in the workbook are held to hand counts of the demo's own flood points and
shelters (plain ORM queries here, not the indicator code).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from demo import city as demo
from inventory import FloodPoint, Shelter
from resilience import profiles
from resilience.codes import SHELTER_AREA_PER_PERSON
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.migrate import upgrade
from tests.conftest import fresh_database

BIN = str(Path(sys.executable).parent / "resilience")
YEAR = date.today().year


@pytest.fixture
def demo_url(request: pytest.FixtureRequest, tmp_path: Path, engine: Engine) -> Any:
    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, dialect, f"resilience_hcdemo_{worker}", tmp_path)
    eng = make_engine(url)
    upgrade(eng)
    with unit_of_work(make_sessions(eng)) as s:
        demo.load(s, segments=600, seed=2026)
    yield url, eng
    eng.dispose()


def cli(args: list[str], url: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RESILIENCE_DATABASE_URL": url, "RESILIENCE_INSTANCE_PATH": str(tmp)}
    return subprocess.run([BIN, *args], capture_output=True, text=True, env=env, timeout=300)


def hand_counts(eng: Engine, prefix: str) -> dict[str, Any]:
    with make_sessions(eng)() as s:
        floods = s.scalars(select(FloodPoint).where(
            FloodPoint.division_code.startswith(prefix), FloodPoint.retired_at.is_(None))).all()
        shelters = s.scalars(select(Shelter).where(
            Shelter.division_code.startswith(prefix), Shelter.retired_at.is_(None),
            Shelter.is_open.is_(True))).all()
    return {
        "active": sum(1 for f in floods if f.status == "active"),
        "shelters": len(shelters),
        "area": sum(x.effective_area_m2 or 0 for x in shelters),
        "capacity": sum(int((x.effective_area_m2 or 0) // SHELTER_AREA_PER_PERSON[x.shelter_class])
                        for x in shelters),
    }


def test_the_demo_city_health_check_runs_and_exports(demo_url: Any, tmp_path: Path) -> None:
    url, eng = demo_url
    for code, prefix in (("330100", "3301"), ("330106", "330106")):
        with make_sessions(eng)() as s:  # the demo's example city profile, not the division table
            figures = profiles.figures(s, code, YEAR)
        assert figures is not None and figures.example and figures.population
        population = figures.population
        out = cli(["health-check", "run", "--year", str(YEAR), "--division", code], url, tmp_path)
        assert out.returncode == 0, out.stderr
        assert f"{code} " in out.stdout and "34 indicators" in out.stdout
        path = tmp_path / f"hc-{code}.xlsx"
        out = cli(["health-check", "export", "--year", str(YEAR), "--division", code, "-o",
                   str(path)], url, tmp_path)
        assert out.returncode == 0, out.stderr
        wb = load_workbook(io.BytesIO(path.read_bytes()))
        assert wb.sheetnames == ["指标", "问题清单"]
        rows = {r[2]: r for r in wb["指标"].iter_rows(min_row=4, values_only=True)}
        hand = hand_counts(eng, prefix)
        assert hand["active"] > 0 and hand["shelters"] > 0  # the demo has both here
        assert rows["waterlogging_points"][4] == hand["active"]
        assert rows["shelter_capacity"][4] == hand["capacity"]
        assert rows["shelter_area_per_capita"][4] == pytest.approx(hand["area"] / population,
                                                                   rel=1e-4)
        assert "示例数据" in rows["shelter_area_per_capita"][11]  # said on the line
        assert rows["population"][4] == population
        assert rows["tunnel_length"][4] is not None and rows["pipeline_over_age.all"][4] > 0
        problems = [r[4] for r in wb["问题清单"].iter_rows(min_row=2, values_only=True)]
        assert f"{hand['active']} 个易涝点未消除（参考值 ≤ 0）" in problems
    again = cli(["health-check", "run", "--year", str(YEAR), "--division", "330106"], url,
                tmp_path)
    assert again.returncode == 0 and "check " in again.stdout  # recomputed, not duplicated
    missing = cli(["health-check", "export", "--year", "2001", "--division", "330106", "-o",
                   str(tmp_path / "x.xlsx")], url, tmp_path)
    assert missing.returncode == 66 and "health-check run" in missing.stderr
    bad = cli(["health-check", "run", "--year", str(YEAR), "--division", "999999"], url, tmp_path)
    assert bad.returncode == 65 and "999999" in bad.stderr
