"""Rows of other tables a collection's records point to or hold: nested lists, ids, cabins.

Pages read a tunnel's cabins and nodes and a flood point's events here in one query per
page; writes look up here which referenced records exist and which pipelines a cabin holds;
exports and imports find here the external ids (survey numbers) references travel by.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS, CollectionSpec
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


def referenced_numbers(session: Session, spec: CollectionSpec, ids: list[Any],
                       names: dict[str, str]) -> dict[Any, dict[str, str]]:
    """The external ids of the records a page's records point at, by record and number name.

    ``names`` maps a reference field to the name its number is written under
    (``start_point_id`` → ``start_point_no``); one query per page, retired targets included
    (an export names what a record points at, whatever became of it).
    """
    out: dict[Any, dict[str, str]] = defaultdict(dict)
    refs = [(field, number, table_of(COLLECTIONS[spec.references[field]]).alias())
            for field, number in names.items()]
    if not ids or not refs:
        return out
    t = table_of(spec)
    stmt = select(t.c.id, *(other.c.external_id for _, _, other in refs))
    source: Any = t
    for field, _, other in refs:
        source = source.outerjoin(other, other.c.id == t.c[field])
    wanted = set(ids)
    low, high = min(wanted), max(wanted)
    # A dense page (a city-wide export) is read as a range of keys: thousands of bound
    # values cost PostgreSQL more to plan than the rows cost to read.
    where = t.c.id.between(low, high) if high - low < 2 * len(wanted) else t.c.id.in_(wanted)
    for row in session.execute(stmt.select_from(source).where(where)):
        if row[0] not in wanted:
            continue
        for (_, number, _), value in zip(refs, row[1:], strict=True):
            if value is not None:
                out[row[0]][number] = value
    return out


def external_ids(session: Session, spec: CollectionSpec, ids: set[int]) -> dict[int, str]:
    """The external ids of these records (those that have one), retired ones too."""
    if not ids:
        return {}
    t = table_of(spec)
    stmt = select(t.c.id, t.c.external_id).where(t.c.id.in_(ids), t.c.external_id.is_not(None))
    return {row.id: row.external_id for row in session.execute(stmt)}


def ids_by_external_id(session: Session, spec: CollectionSpec,
                       numbers: set[str]) -> dict[str, list[int]]:
    """The live records with these external ids, lowest id first (ids may repeat across records)."""
    if not numbers:
        return {}
    t = table_of(spec)
    out: dict[str, list[int]] = defaultdict(list)
    stmt = (select(t.c.external_id, t.c.id)
            .where(t.c.external_id.in_(numbers), t.c.retired_at.is_(None)).order_by(t.c.id))
    for number, key in session.execute(stmt):
        out[number].append(key)
    return dict(out)
