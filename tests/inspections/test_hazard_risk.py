"""Open hidden hazards raise the risk of what they touch until 销号 (the next run shows it).

An unverified report (发现/登记) typed as major is a candidate: on the four-colour map it
weighs at most 一般 (D = 126) until 评估定级 makes it 重大 (DOMAIN.md §10).

The city of tests/risk/test_runs.py: W's water main (condition 1, V = 0.6 · 0.15 + 0.4 =
0.49, scheme v2: R = 0.8 · (0.290857 · 0.49)^¼ = 0.49154, under the cell's hazard level
0.56569, 较高, its floor). A major hazard on it counts as a condition step worse (0.15 + 0.15):
V = 0.6 · 0.30 + 0.4 = 0.58, R = 0.8 · (0.290857 · 0.58)^¼ = 0.51270, still under the floor;
and it is a generated LEC
point 6 × 6 × 15 = 540 (重大) at the hazard, so the main's four-colour zone is 重大.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory.attachments import FolderStore
from inventory.inspections import hazard_steps
from inventory.service import WriteContext
from resilience import accounts
from risk import runs
from risk.points import RiskPoint
from tests.risk.test_runs import EXTENT, W, build_city, five, ref, snapshot, spot

FIXED = {"responsibility_person": "王工", "measures": "更换阀门并补漏", "funding": "水务集团 5 万元",
         "deadline": "2099-12-31", "contingency_plan": "停水预案、围挡"}


def png() -> io.BytesIO:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    out.seek(0)
    return out


def ctx(session: Session, username: str = "admin") -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, username)),
                        extent=EXTENT)


def scores(sessions: sessionmaker[Session]) -> dict[tuple[str, str], tuple[str, float]]:
    snap = snapshot(sessions)
    return {(m, u, r): (lv, sc) for m in snap for u, r, lv, sc in snap[m]}  # type: ignore[misc]


def grade(sessions: sessionmaker[Session], hazard_id: int, grade: str = "major") -> None:
    with sessions() as s:
        hazard_steps.transition(s, hazard_id, "register", ctx(s, "engineer"))
        hazard_steps.transition(s, hazard_id, "grade", ctx(s, "engineer"), grade=grade)
        s.commit()


def close_loop(sessions: sessionmaker[Session], hazard_id: int, store: FolderStore) -> None:
    with sessions() as s:
        c = ctx(s)
        hazard_steps.transition(s, hazard_id, "rectify", c, **FIXED)
        hazard_steps.attach_photo(s, store, hazard_id, "after.png", png(), c.by, side="after")
        hazard_steps.transition(s, hazard_id, "submit_review", c)
        hazard_steps.transition(s, hazard_id, "close", c, note="复查合格")
        s.commit()


@pytest.fixture
def city(sessions: sessionmaker[Session]) -> dict[str, int]:
    ids = build_city(sessions)
    assert runs.run_now(sessions, by="test").status == "succeeded"
    return ids


def test_a_hazard_raises_its_asset_until_closed_and_incremental_equals_full(
        city: dict[str, int], sessions: sessionmaker[Session], tmp_path: Path) -> None:
    main = f"pipelines/{city['water_w']}"
    before = scores(sessions)
    # W's hazard level (0.56569, 较高) is its floor; the main alone gives 0.49154
    assert before[("five", "cell", ref(W))] == ("fairly_high", pytest.approx(0.56569, abs=2e-4))
    assert ("four", "asset", main) not in before

    with sessions() as s:
        hazard = hazard_steps.report(s, {"category": "leakage", "grade": "major",
                                         "description": "阀门井内给水管渗漏", "asset_collection": "pipelines",
                                         "asset_id": city["water_w"], "geometry": spot(W, dx=20)},
                                     ctx(s, "inspector"))
        hazard_id = hazard.id
        s.commit()
    grade(sessions, hazard_id)  # 重大 only once graded (an unverified report: see below)
    run = runs.run_now(sessions, mode="incremental", by="test")
    assert run.status == "succeeded" and run.mode == "incremental", run.error
    raised = scores(sessions)
    # The hazard makes the main more vulnerable (V 0.49 → 0.58, its own R 0.49154 → 0.51270),
    # still under the cell's hazard level, which keeps the cell at 较高.
    assert raised[("five", "cell", ref(W))] == ("fairly_high", pytest.approx(0.56569, abs=2e-4))
    with sessions() as s:
        w = five(s)[("cell", ref(W))]
        assert w.vulnerability == pytest.approx(0.58, abs=1e-4)
        assert w.explanation["floor"]["registered"]["score"] == pytest.approx(0.5127, abs=2e-4)
    assert raised[("four", "asset", main)] == ("major", 540.0)
    assert raised[("four", "cell", ref(W))] == ("major", 540.0)
    with sessions() as s:
        point = s.scalars(select(RiskPoint).where(RiskPoint.external_id == f"hazards/{hazard_id}")
                          ).one()
        assert (point.rule, point.category, point.asset_id) == ("hidden_hazard", "hidden_hazard",
                                                                city["water_w"])
    assert runs.run_now(sessions, mode="full", by="test").status == "succeeded"
    assert scores(sessions) == raised

    close_loop(sessions, hazard_id, FolderStore(tmp_path))
    run = runs.run_now(sessions, mode="incremental", by="test")
    assert run.status == "succeeded" and run.mode == "incremental", run.error
    lowered = scores(sessions)
    assert lowered == before
    assert runs.run_now(sessions, mode="full", by="test").status == "succeeded"
    assert scores(sessions) == lowered
    with sessions() as s:
        point = s.scalars(select(RiskPoint).where(RiskPoint.external_id == f"hazards/{hazard_id}")
                          ).one()
        assert point.retired_at is not None


def test_a_general_hazard_is_a_general_point(city: dict[str, int],
                                             sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        hazard_steps.report(s, {"category": "cover_damaged", "description": "井盖破损",
                                "asset_collection": "pipelines", "asset_id": city["water_w"]},
                            ctx(s, "inspector"))
        s.commit()
    assert runs.run_now(sessions, mode="incremental", by="test").status == "succeeded"
    got: dict[Any, Any] = scores(sessions)
    assert got[("four", "asset", f"pipelines/{city['water_w']}")] == ("general", 126.0)


def test_an_unverified_major_report_is_no_major_point_until_graded(
        city: dict[str, int], sessions: sessionmaker[Session]) -> None:
    main = f"pipelines/{city['water_w']}"
    with sessions() as s:
        hazard = hazard_steps.report(s, {"category": "leakage", "grade": "major",
                                         "description": "疑似燃气泄漏（未核实）",
                                         "asset_collection": "pipelines",
                                         "asset_id": city["water_w"], "geometry": spot(W, dx=20)},
                                     ctx(s, "inspector"))
        hazard_id = hazard.id
        s.commit()
    assert runs.run_now(sessions, mode="incremental", by="test").status == "succeeded"
    reported = scores(sessions)
    assert reported[("four", "asset", main)] == ("general", 126.0)
    assert reported[("four", "cell", ref(W))] == ("general", 126.0)
    with sessions() as s:
        point = s.scalars(select(RiskPoint).where(RiskPoint.external_id == f"hazards/{hazard_id}")
                          ).one()
        assert (point.level, point.score) == ("general", 126.0)

    grade(sessions, hazard_id)
    assert runs.run_now(sessions, mode="incremental", by="test").status == "succeeded"
    graded = scores(sessions)
    assert graded[("four", "asset", main)] == ("major", 540.0)
    assert runs.run_now(sessions, mode="full", by="test").status == "succeeded"
    assert scores(sessions)[("four", "asset", main)] == ("major", 540.0)
