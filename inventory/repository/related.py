"""Rows of other tables a collection's records point to or hold: nested lists, ids, cabins.

Pages read a tunnel's cabins and nodes and a flood point's events here in one query per
page; writes look up here which referenced records exist and which pipelines a cabin holds.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.assets import CollectionSpec
from inventory.flood_points import WaterloggingEvent
from inventory.repository.tables import table_of
from inventory.tunnels import CabinLine, TunnelCabin, TunnelNode


def derived(session: Session, spec: CollectionSpec, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Nested lists of a page's records (a tunnel's cabins and nodes, a point's events)."""
    out: dict[Any, dict[str, Any]] = defaultdict(dict)
    if not ids:
        return out
    if spec.name == "tunnels":
        cabins: dict[int, list[dict[str, Any]]] = defaultdict(list)
        lines: dict[int, list[int]] = defaultdict(list)
        cabin_rows = session.execute(
            select(TunnelCabin).where(TunnelCabin.tunnel_id.in_(ids))
            .order_by(TunnelCabin.tunnel_id, TunnelCabin.position)
        ).scalars().all()
        for cabin_id, pipeline_id in session.execute(
            select(CabinLine.cabin_id, CabinLine.pipeline_id)
            .where(CabinLine.cabin_id.in_([c.id for c in cabin_rows]))
        ):
            lines[cabin_id].append(pipeline_id)
        for c in cabin_rows:
            cabins[c.tunnel_id].append({
                "id": c.id, "name": c.name, "use": c.use,
                "fire_compartment_m": c.fire_compartment_m,
                "pipeline_ids": sorted(lines.get(c.id, [])),
            })
        nodes: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for n in session.execute(
            select(TunnelNode).where(TunnelNode.tunnel_id.in_(ids))
            .order_by(TunnelNode.tunnel_id, TunnelNode.position)
        ).scalars():
            nodes[n.tunnel_id].append(
                {"id": n.id, "kind": n.kind, "name": n.name, "position": [n.lon, n.lat]}
            )
        for tid in ids:
            out[tid]["cabins"] = cabins.get(tid, [])
            out[tid]["nodes"] = nodes.get(tid, [])
    elif spec.name == "flood-points":
        events: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for e in session.execute(
            select(WaterloggingEvent).where(WaterloggingEvent.flood_point_id.in_(ids))
            .order_by(WaterloggingEvent.flood_point_id, WaterloggingEvent.occurred_on)
        ).scalars():
            events[e.flood_point_id].append({
                "id": e.id, "occurred_on": e.occurred_on, "max_depth_cm": e.max_depth_cm,
                "duration_h": e.duration_h, "rainfall_mm": e.rainfall_mm, "area_m2": e.area_m2,
                "note": e.note,
            })
        for fid in ids:
            out[fid]["events"] = events.get(fid, [])
    return out


def existing_ids(session: Session, spec: CollectionSpec, ids: set[int]) -> dict[int, str]:
    """Which of these ids exist and are not retired, with their division codes."""
    if not ids:
        return {}
    t = table_of(spec)
    stmt = select(t.c.id, t.c.division_code).where(t.c.id.in_(ids), t.c.retired_at.is_(None))
    return {row.id: row.division_code for row in session.execute(stmt)}


def cabins_holding(session: Session, pipeline_ids: set[int],
                   tunnel_id: int | None) -> dict[int, int]:
    """Pipelines already carried in a cabin of another tunnel: {pipeline_id: cabin_id}."""
    if not pipeline_ids:
        return {}
    stmt = (
        select(CabinLine.pipeline_id, CabinLine.cabin_id)
        .join(TunnelCabin, TunnelCabin.id == CabinLine.cabin_id)
        .where(CabinLine.pipeline_id.in_(pipeline_ids))
    )
    if tunnel_id is not None:
        stmt = stmt.where(TunnelCabin.tunnel_id != tunnel_id)
    return {row.pipeline_id: row.cabin_id for row in session.execute(stmt)}
