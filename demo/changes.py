"""A week in the demo city after its first risk run, so the second run has a diff to show.

An emergency manager opening the demo should see "what changed since the last run" with
reasons: a post-flood survey adds a waterlogging zone over an ordinary part of town, an
inspection finds two water mains in bad condition, and a hand-entered risk point is
re-assessed. Each edit goes through the services as a demo user, so it is audited like any
other, and the incremental run that follows picks it up.
"""

from __future__ import annotations

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import Pipeline, service
from inventory.service import WriteContext
from inventory.validation import Extent
from resilience import accounts
from risk.grid import Grid, to_lonlat
from risk.levels import LEC_VALUES
from risk.points import RiskPoint
from risk.results import FiveColourResult


def apply(session: Session, extent: Extent) -> list[str]:
    """Make the week's edits; returns what was done, for the terminal."""
    done: list[str] = []
    manager = WriteContext(by=accounts.principal_of(accounts.get_user(session, "manager")),
                           extent=extent)
    engineer = WriteContext(by=accounts.principal_of(accounts.get_user(session, "engineer")),
                            extent=extent)
    cell = session.scalars(select(FiveColourResult).where(
        FiveColourResult.unit == "cell", FiveColourResult.level.in_(("low", "fairly_low")),
        FiveColourResult.division_code.like("330106%"))
        .order_by(FiveColourResult.score.desc(), FiveColourResult.ref).limit(1)).first()
    if cell is not None:
        grid = Grid(500)
        i, j = Grid.parse(cell.ref)
        centre = shapely.centroid(grid.boxes(np.array([[i, j]])))
        zone = to_lonlat(shapely.buffer(centre, 260.0, quad_segs=8))[0]
        created = service.create(session, "hazard-zones", {
            "type": "Feature", "geometry": shapely.geometry.mapping(zone),
            "properties": {"name": "汛后复核新增内涝风险区", "kind": "waterlogging",
                           "hazard_class": 5, "return_period_years": 20,
                           "issuing_unit": "杭州市城市管理局", "data_source": "demo"}}, manager)
        done.append(f"hazard zone {created.id} added over {cell.ref}")
    mains = session.scalars(select(Pipeline).where(
        Pipeline.division_code.like("330106%"), Pipeline.category == "water_supply",
        Pipeline.condition_grade == 1, Pipeline.retired_at.is_(None))
        .order_by(Pipeline.id).limit(2)).all()
    for main in mains:
        service.patch(session, "pipelines", main.id,
                      {"properties": {"condition_grade": 4, "remarks": "巡检发现严重腐蚀"}},
                      engineer, expected_version=None)
        done.append(f"pipeline {main.id} condition 1 → 4")
    point = session.scalars(select(RiskPoint).where(
        RiskPoint.source == "manual", RiskPoint.method == "lec",
        RiskPoint.retired_at.is_(None)).order_by(RiskPoint.id).limit(1)).first()
    if point is not None:
        table = sorted(LEC_VALUES["L"])
        was = point.factor_l
        higher = next((v for v in table if v > was), was)
        service.patch(session, "risk-points", point.id,
                      {"properties": {"factor_l": higher,
                                      "control_measures": "周边施工，提高巡查频次"}},
                      manager, expected_version=None)
        done.append(f"risk point {point.id} likelihood {was:g} → {higher:g}")
    return done
