"""Shared set-up for the inspection tests: writers, a few pipelines, a plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from inventory import service
from inventory.inspections import plans, presets
from inventory.inspections.plans import InspectionPlan
from inventory.service import WriteContext
from resilience import accounts
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)
MONDAY = date(2026, 11, 30)


def ctx(session: Session, username: str = "admin") -> WriteContext:
    """A write context for a seeded user."""
    user = accounts.get_user(session, username)
    return WriteContext(by=accounts.principal_of(user), extent=EXTENT)


def pipelines(session: Session, n: int = 3, *, category: str = "gas",
              at: tuple[float, float] = f.XIHU) -> list[int]:
    """``n`` gas mains side by side in 西湖区; their ids."""
    ids = []
    for i in range(n):
        feat = f.pipeline((at[0] + 0.002 * i, at[1]), category=category,
                          subcategory="natural_gas" if category == "gas" else "distribution",
                          material="pe" if category == "gas" else "ductile_iron",
                          name=f"测试管{i}")
        ids.append(service.create(session, "pipelines", feat, ctx(session)).id)
    return ids


def plan(session: Session, **values: Any) -> InspectionPlan:
    """A weekly gas patrol of 西湖区 for the demo inspector, starting on a Monday."""
    presets.ensure_presets(session)
    base: dict[str, Any] = {
        "name": "西湖区燃气管线周巡", "template": "gas_pipeline_patrol",
        "selection": {"collection": "pipelines", "division": "330106", "types": ["gas"]},
        "recurrence": "FREQ=WEEKLY", "starts_on": MONDAY.isoformat(), "assignee": "inspector",
        "open_days": 3, "owner": "engineer",
    }
    base.update(values)
    base = {k: v for k, v in base.items() if v is not None}
    return plans.create(session, base, ctx(session, "engineer").by, today=MONDAY)
