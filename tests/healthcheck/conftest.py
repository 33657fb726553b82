"""A small hand-built city in 西湖区 (330106) with one segment in 上城区, for the formulas."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from inventory import service
from inventory.service import WriteContext
from resilience import accounts
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)
YEAR = 2026


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")),
                        extent=EXTENT)


def near(at: tuple[float, float], i: int) -> tuple[float, float]:
    return (at[0] + 0.003 * i, at[1] + 0.001 * i)


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """Pipelines of known ages, a tunnel carrying the gas main, flood points, shelters."""
    return build_city(session)


def build_city(session: Session) -> dict[str, Any]:
    """The hand-built city's records, by name."""
    c = ctx(session)

    def pipe(i: int, **props: Any) -> Any:
        return service.create(session, "pipelines", f.pipeline(near(f.XIHU, i), **props), c)

    made: dict[str, Any] = {
        "water": pipe(0, build_year=2005),  # 21 a, condition 2: not old (30 a with defects)
        "gas": pipe(1, category="gas", subcategory="natural_gas", material="pe",
                    build_year=1975, condition_grade=4),  # PE ≥ 20 a, assessed unsafe: old
        "drain_old": pipe(2, category="drainage", subcategory="sewage", build_year=1960,
                          condition_grade=3),  # ≥ 50 a with defects: old
        "drain_unknown": pipe(3, category="drainage", subcategory="stormwater", build_year=None),
        "drain_abandoned": pipe(4, category="drainage", subcategory="sewage", build_year=1950,
                                status="abandoned"),  # not in service: counts nowhere
        "shangcheng": service.create(session, "pipelines", f.pipeline(
            f.SHANGCHENG, build_year=1950), c),
    }
    made["tunnel"] = service.create(session, "tunnels", f.tunnel(
        near(f.XIHU, 5), cabins=[{"name": "燃气舱", "use": "gas",
                                  "pipeline_ids": [made["gas"].id]}]), c)
    made["flood_open"] = service.create(session, "flood-points", f.flood_point(
        near(f.XIHU, 6)), c)  # first event 2024: open on 1 January, still open
    made["flood_fixed"] = service.create(session, "flood-points", f.flood_point(
        near(f.XIHU, 7), status="eliminated", eliminated_on=f"{YEAR}-05-01",
        events=[{"occurred_on": "2023-07-01"}]), c)  # open on 1 January, eliminated in the year
    made["flood_before"] = service.create(session, "flood-points", f.flood_point(
        near(f.XIHU, 8), status="eliminated", eliminated_on=f"{YEAR - 1}-03-01"), c)
    made["flood_shangcheng"] = service.create(session, "flood-points", f.flood_point(
        f.SHANGCHENG), c)
    made["fixed"] = service.create(session, "shelters", f.shelter(
        f.XIHU, shelter_class="fixed_short", effective_area_m2=20000), c)
    made["emergency"] = service.create(session, "shelters", f.shelter(
        (f.XIHU[0] + 0.004, f.XIHU[1]), shelter_class="emergency", kind="emergency_shelter",
        effective_area_m2=1000), c)
    made["closed"] = service.create(session, "shelters", f.shelter(
        (f.XIHU[0] - 0.004, f.XIHU[1]), effective_area_m2=50000, is_open=False), c)
    session.flush()
    return made
