"""The city chooses its four-colour tables for points that name none (issue 14 item 8).

Before: a generated point (from a hidden hazard, a gas cabin, an old main) and a point typed
without a table always took the shipped default (``DEFAULT_PRESET`` in code): a city that had
added or chosen its own LS or LEC table could not have its generated points assessed by it.
Now the choice is a versioned row an admin sets; generated points follow at the next run,
points already entered keep the table they were assessed with.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory import service
from inventory.inspections import hazard_steps
from risk import presets, runs
from risk.points import RiskPoint
from tests import factories as f
from tests.inspections.test_hazard_risk import ctx
from tests.risk.test_runs import W, build_city, spot

JSON = "application/json"
STRICT = {"bands": [{"low": None, "high": 20, "level": "low", "name": "稍有危险"},
                    {"low": 20, "high": 70, "level": "general", "name": "一般危险"},
                    {"low": 70, "high": 120, "level": "considerable", "name": "显著危险"},
                    {"low": 120, "high": None, "level": "major", "name": "高度危险"}]}


def put(client: Any, auth: Any, user: str, body: Any) -> Any:
    return client.put("/api/risk/presets/defaults", data=json.dumps(body),
                      headers=auth.headers(user), content_type=JSON)


def test_an_admin_chooses_and_a_bad_choice_says_where(client: Any, auth: Any) -> None:
    assert put(client, auth, "engineer", {"ls": "ls_r15_considerable"}).status_code == 403
    for body, field in (({"ls": "nope"}, "presets.ls"), ({"lec": "ls_r9_general"}, "presets.lec"),
                        ({"xyz": "lec_default"}, "presets.xyz"), ({}, "presets")):
        bad = put(client, auth, "admin", body)
        assert bad.status_code == 400, body
        assert [e["field"] for e in bad.get_json()["errors"]] == [field]
    shown = client.get("/api/risk/presets", headers=auth.headers("viewer")).get_json()
    assert shown["defaults"] == {"lec": "lec_default", "ls": "ls_r9_considerable"}
    ok = put(client, auth, "admin", {"ls": "ls_r15_considerable"})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["defaults"] == {"lec": "lec_default", "ls": "ls_r15_considerable"}
    again = put(client, auth, "admin", {"lec": "lec_default"})
    assert again.get_json()["version"] == ok.get_json()["version"] + 1
    assert again.get_json()["defaults"]["ls"] == "ls_r15_considerable"  # kept
    shown = client.get("/api/risk/presets", headers=auth.headers("viewer")).get_json()
    assert shown["defaults"] == {"lec": "lec_default", "ls": "ls_r15_considerable"}
    page = client.get("/risk/schemes", headers=auth.headers("viewer")).get_data(as_text=True)
    assert 'id="choice-now"' in page and "ls_r15_considerable" in page


def test_points_without_a_table_and_generated_points_take_the_city_choice(
        sessions: sessionmaker[Session]) -> None:
    build_city(sessions)
    with sessions() as s:
        presets.save_preset(s, "lec_city", "lec", STRICT, by="admin")
        hazard = hazard_steps.report(s, {"category": "leakage", "description": "渗漏",
                                         "geometry": spot(W, dx=20)}, ctx(s, "inspector"))
        hazard_steps.transition(s, hazard.id, "register", ctx(s, "engineer"))
        hazard_steps.transition(s, hazard.id, "grade", ctx(s, "engineer"), grade="general")
        kept = service.create(s, "risk-points", f.feature(
            f.point(), name="已评定", category="gas_pipeline", method="lec", preset="lec_default",
            factor_l=3, factor_e=6, factor_c=7), ctx(s)).id
        s.commit()
        hazard_id = hazard.id
    assert runs.run_now(sessions, by="test").status == "succeeded"

    def generated() -> RiskPoint:
        with sessions() as s:
            return s.scalars(select(RiskPoint).where(
                RiskPoint.external_id == f"hazards/{hazard_id}")).one()

    before = generated()
    assert (before.preset, before.level, before.score) == ("lec_default", "general", 126.0)
    with sessions() as s:
        presets.choose(s, {"lec": "lec_city"}, by="admin")
        typed = service.create(s, "risk-points", f.feature(
            f.point(), name="新录入", category="gas_pipeline", method="lec",
            factor_l=3, factor_e=6, factor_c=7), ctx(s)).id
        s.commit()
    assert runs.run_now(sessions, by="test").status == "succeeded"
    after = generated()
    assert (after.preset, after.level, after.score) == ("lec_city", "major", 126.0)
    with sessions() as s:
        new, old = s.get(RiskPoint, typed), s.get(RiskPoint, kept)
        assert new is not None and old is not None
        assert (new.preset, new.level) == ("lec_city", "major")
        assert (old.preset, old.level) == ("lec_default", "general")  # keeps its table
