"""The demo's hand-entered risk points (风险点), placed beside its gas network and tunnels.

The kind people enter by hand (``data/risk_points.json``): filling stations and gas valves by
the demo's gas mains, deep excavations beside its utility tunnels; LEC and LS, each with its
unit and measures. Each sits a few metres beside an anchor found in the loaded city (the n-th
gas valve, gas main or tunnel), so this needs the database; its score and level come from
:func:`risk.points.derive`, as on every write.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import shapely
from geoalchemy2 import WKTElement
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from demo.columns import CREATED_BY, DATA_SOURCE
from demo.data import json_data
from demo.inserts import table_of
from demo.space import to_lonlat, to_metres
from inventory import NetworkPoint, Pipeline, Tunnel
from resilience.model import SRID
from risk.points import RiskPoint, derive


@dataclass(frozen=True)
class HandEntered:
    """A row of the data file: what the point is, and beside which anchor it sits."""

    anchor: str  # valves, mains or tunnels
    index: int  # which of them (-1: the last)
    metres: float  # to the side of the anchor
    along: float  # share of a line's length
    name: str  # may name the anchor: {label}
    category: str
    method: str
    factors: dict[str, float]
    responsible_unit: str
    control_measures: str
    next_review_at: date
    preset: str | None = None
    asset_collection: str | None = None  # linked to the anchor as an asset of that collection
    on_tunnel: bool = False  # linked to the anchor as its tunnel


@dataclass(frozen=True)
class DemoPoint:
    """One hand-entered risk point: where, what, its factors, who controls it and how."""

    name: str
    category: str
    method: str
    factors: dict[str, float]
    responsible_unit: str
    control_measures: str
    division_code: str
    geom: Point
    assessed_at: date
    next_review_at: date
    preset: str | None = None
    asset: tuple[str, int] | None = None  # collection, id
    tunnel_id: int | None = None
    address: str | None = None


def _entries() -> tuple[date, list[HandEntered]]:
    """The assessment date and the points of ``data/risk_points.json``."""
    data = json_data("risk_points.json")
    points = [HandEntered(**{**p, "next_review_at": date.fromisoformat(p["next_review_at"])})
              for p in data["points"]]
    return date.fromisoformat(data["assessed_at"]), points


def _anchors(session: Session) -> dict[str, list[Any]]:
    """Demo records the points sit beside: gas valves and mains, the utility tunnels."""
    n, p, t = NetworkPoint.__table__.c, Pipeline.__table__.c, Tunnel.__table__.c
    from resilience.spatial import as_wkb

    valves = session.execute(
        select(n.id, n.division_code, n.address, as_wkb(n.geom))
        .where(n.data_source == DATA_SOURCE, n.category == "gas",
               n.kind.in_(("valve", "pressure_regulator", "valve_chamber")),
               n.retired_at.is_(None))
        .order_by(n.id).limit(6)).all()
    if len(valves) < 4:  # a small demo: any gas point will do
        valves = session.execute(
            select(n.id, n.division_code, n.address, as_wkb(n.geom))
            .where(n.data_source == DATA_SOURCE, n.category == "gas", n.retired_at.is_(None))
            .order_by(n.id).limit(6)).all()
    mains = session.execute(
        select(p.id, p.division_code, p.address, as_wkb(p.geom))
        .where(p.data_source == DATA_SOURCE, p.category == "gas", p.retired_at.is_(None))
        .order_by(p.pressure_class.desc(), p.build_year, p.id).limit(3)).all()
    tunnels = session.execute(
        select(t.id, t.division_code, t.name, as_wkb(t.geom))
        .where(t.data_source == DATA_SOURCE, t.retired_at.is_(None)).order_by(t.id)).all()
    return {"valves": list(valves), "mains": list(mains), "tunnels": list(tunnels)}


def _beside(geom_wkb: bytes, metres: float, along: float = 0.5) -> Point:
    """A point a few metres to the side of a record (a line: at a share of its length)."""
    geom = to_metres(shapely.from_wkb(bytes(geom_wkb)))
    if isinstance(geom, Point):
        base, dx, dy = geom, 0.7071, 0.7071
    else:
        line = geom if isinstance(geom, LineString) else shapely.get_parts(geom)[0]
        base = line.interpolate(along, normalized=True)
        ahead = line.interpolate(min(1.0, along + 0.01), normalized=True)
        vx, vy = ahead.x - base.x, ahead.y - base.y
        norm = math.hypot(vx, vy) or 1.0
        dx, dy = -vy / norm, vx / norm
    out = to_lonlat(Point(base.x + dx * metres, base.y + dy * metres))
    return Point(round(out.x, 7), round(out.y, 7))


def risk_points(session: Session, counties: Mapping[str, BaseGeometry]) -> list[DemoPoint]:
    """The hand-entered points, placed beside the demo's gas network and tunnels."""
    anchors = _anchors(session)
    assessed, entries = _entries()
    out: list[DemoPoint] = []
    for e in entries:
        found = anchors[e.anchor]
        if not -len(found) <= e.index < len(found):
            continue  # a small demo without that many valves, mains or tunnels
        key, code, label, raw = found[e.index]
        geom = _beside(raw, e.metres, e.along)
        if not (code in counties and counties[code].contains(geom)):
            geom = _beside(raw, 0.0, e.along)
        out.append(DemoPoint(
            name=e.name.format(label=label), category=e.category, method=e.method,
            factors=e.factors, responsible_unit=e.responsible_unit,
            control_measures=e.control_measures, division_code=code, geom=geom,
            assessed_at=assessed, next_review_at=e.next_review_at, preset=e.preset,
            asset=(e.asset_collection, key) if e.asset_collection else None,
            tunnel_id=key if e.on_tunnel else None, address=label))
    return out


def insert_points(session: Session, counties: Mapping[str, BaseGeometry], stamp: datetime
                  ) -> int:
    """Insert the hand-entered points with their derived score and level; returns how many."""
    prows = []
    for i, p in enumerate(risk_points(session, counties), 1):
        values: dict[str, Any] = {
            "method": p.method, "preset": p.preset,
            **{f"factor_{k.lower()}": v for k, v in p.factors.items()}}
        values.update(derive(values))
        prows.append({
            **values, "name": p.name, "external_id": f"FXD-{p.division_code}-{i:03d}",
            "category": p.category, "responsible_unit": p.responsible_unit,
            "control_measures": p.control_measures, "assessed_at": p.assessed_at,
            "next_review_at": p.next_review_at, "source": "manual",
            "asset_collection": p.asset[0] if p.asset else None,
            "asset_id": p.asset[1] if p.asset else None, "tunnel_id": p.tunnel_id,
            "address": p.address, "division_code": p.division_code,
            "data_source": DATA_SOURCE, "survey_date": p.assessed_at,
            "geom": WKTElement(p.geom.wkt, srid=SRID), "created_at": stamp, "updated_at": stamp,
            "created_by": CREATED_BY, "updated_by": CREATED_BY})
    if prows:
        # Every row names the same columns (None where a method has no such factor).
        keys = sorted({k for r in prows for k in r})
        session.execute(insert(table_of(RiskPoint)), [{k: r.get(k) for k in keys} for r in prows])
    return len(prows)
