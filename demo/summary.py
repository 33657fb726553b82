"""What the demo holds once loaded, counted from the database (demo rows and their children).

Counted rather than remembered, so a second ``resilience demo`` that adds nothing still
reports the city as it stands, and the CLI and the benchmarks print the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from demo.columns import DATA_SOURCE
from demo.users import DEMO_USERS
from inventory import (
    CabinLine,
    FloodPoint,
    NetworkPoint,
    Pipeline,
    Shelter,
    Tunnel,
    TunnelCabin,
    TunnelNode,
    WaterloggingEvent,
)
from resilience import accounts
from resilience.divisions import Division
from risk.hazard_zones import HazardZone
from risk.points import RiskPoint


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds after `load`, so the CLI and benchmarks can report it."""

    divisions: int
    users: int
    network_points: int
    pipelines: int
    tunnels: int
    tunnel_cabins: int
    tunnel_cabin_lines: int
    tunnel_nodes: int
    shelters: int
    flood_points: int
    waterlogging_events: int
    pipeline_km: float
    seconds: float
    created: bool
    hazard_zones: int = 0
    risk_points: int = 0


def summary(session: Session, *, created: bool, seconds: float) -> DemoSummary:
    """Count what the demo holds (demo rows only, and their children)."""
    demo = DATA_SOURCE

    def count(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    p, t, fp = Pipeline.__table__.c, Tunnel.__table__.c, FloodPoint.__table__.c
    cab, line, node = TunnelCabin.__table__.c, CabinLine.__table__.c, TunnelNode.__table__.c
    demo_tunnels = select(t.id).where(t.data_source == demo)
    demo_cabins = select(cab.id).where(cab.tunnel_id.in_(demo_tunnels))
    pipes, metres = session.execute(
        select(func.count(), func.coalesce(func.sum(p.length_m), 0.0)).where(
            p.data_source == demo)).one()
    return DemoSummary(
        divisions=count(select(func.count()).select_from(Division)),
        users=count(select(func.count()).select_from(accounts.User).where(
            accounts.User.username.in_([u.username for u in DEMO_USERS]))),
        network_points=count(select(func.count()).select_from(NetworkPoint).where(
            NetworkPoint.data_source == demo)),
        pipelines=int(pipes),
        tunnels=count(select(func.count()).select_from(Tunnel).where(t.data_source == demo)),
        tunnel_cabins=count(select(func.count()).where(cab.tunnel_id.in_(demo_tunnels))),
        tunnel_cabin_lines=count(select(func.count()).where(line.cabin_id.in_(demo_cabins))),
        tunnel_nodes=count(select(func.count()).where(node.tunnel_id.in_(demo_tunnels))),
        shelters=count(select(func.count()).select_from(Shelter).where(
            Shelter.data_source == demo)),
        flood_points=count(select(func.count()).select_from(FloodPoint).where(
            fp.data_source == demo)),
        waterlogging_events=count(select(func.count()).select_from(WaterloggingEvent).where(
            WaterloggingEvent.flood_point_id.in_(select(fp.id).where(fp.data_source == demo)))),
        pipeline_km=round(float(metres) / 1000, 3),
        seconds=round(seconds, 2),
        created=created,
        hazard_zones=count(select(func.count()).select_from(HazardZone).where(
            HazardZone.data_source == demo)),
        risk_points=count(select(func.count()).select_from(RiskPoint).where(
            RiskPoint.data_source == demo)),
    )
