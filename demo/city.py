"""The demo city: a deterministic, plausible registry laid on Hangzhou's real districts.

Streets are jittered grids around urban cores (most in 上城, 拱墅, 西湖, 滨江); pipelines of
each category run along them a few metres apart and are split into 30–120 m segments
between network points; two utility tunnels, shelters and flood points complete the picture,
then hazard zones, risk points, hidden hazards and inspection plans. `generate` is pure (same
seed, same city); `load` writes it in the caller's transaction with batched Core inserts,
identically on SpatiaLite and PostGIS.

This module puts the pieces together; each piece lives in a module named after what it
makes, and the tables they draw on in ``demo/data/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from demo import hazard_zones, hidden_hazards, inspection_plans, profile
from demo.columns import DATA_SOURCE, Columns, cjj, common, numbered, wkt
from demo.districts import hangzhou_divisions
from demo.flood_points import flood_points
from demo.inserts import (
    add_flood_points,
    add_tunnels,
    already_loaded,
    ensure_divisions,
    insert_assets,
    table_of,
)
from demo.lanes import select_blocks
from demo.segments import street_lines
from demo.shelters import shelters
from demo.space import river, space
from demo.street_assets import street_tables
from demo.summary import DemoSummary, summary
from demo.tunnels import DemoTunnel, tunnels
from demo.users import ensure_users
from demo.zone_parts import FloodSite, flood_site
from inventory import FloodPoint, NetworkPoint, Pipeline, Shelter

Progress = Callable[[float, str], None]


@dataclass
class DemoCity:
    """Everything the demo inserts, as plain columns and rows (no database ids yet)."""

    points: Columns
    pipelines: Columns  # start_point/end_point are row indices into points
    tunnels: list[DemoTunnel]
    shelters: Columns
    flood_points: list[dict[str, Any]]  # with events


def generate(segments: int = 6000, seed: int = 2026) -> DemoCity:
    """The whole demo city as plain data: deterministic for a seed, no database needed."""
    if segments < 1:
        raise ValueError("the demo needs at least one pipeline segment")
    tunnel_budget = max(0, segments // 4)
    plans, t_points, t_pipes = tunnels(tunnel_budget)
    street_segments = max(0, segments - len(t_pipes.get("geom", [])))
    sel = select_blocks(street_segments, seed)
    lines = street_lines(sel, street_segments)
    sel.blocks = sel.blocks[np.isin(sel.blocks, lines.block)]  # shelters go where pipes are
    points, pipes = street_tables(sel, lines, seed)
    _append_tunnel_rows(points, pipes, plans, t_points, t_pipes)
    return DemoCity(points, pipes, plans, shelters(sel, segments, seed),
                    flood_points(sel, segments, seed))


def _append_tunnel_rows(points: Columns, pipes: Columns, plans: list[DemoTunnel],
                        t_points: Columns, t_pipes: Columns) -> None:
    """Put the tunnel pipelines after the street ones, renumbering their references."""
    if not t_pipes:
        return
    p0, s0 = len(points["geom"]), len(pipes["geom"])
    t_points = dict(t_points, geom=wkt(np.array(t_points["geom"], dtype=object)))
    t_pipes = dict(t_pipes, geom=wkt(np.array(t_pipes["geom"], dtype=object)),
                   start_point=[p0 + i for i in t_pipes["start_point"]],
                   end_point=[p0 + i for i in t_pipes["end_point"]])
    for table in (t_points, t_pipes):
        table.update(common(len(table["geom"]), numbered(
            cjj(table["category"]), table["division_code"], "G", 5), table["division_code"],
            table["survey_date"], table["address"]))
    for key in points:
        points[key].extend(t_points[key])
    for key in pipes:
        pipes[key].extend(t_pipes[key])
    for plan in plans:
        for cabin in plan.cabins:
            cabin["lines"] = [s0 + i for i in cabin["lines"]]


def load(session: Session, *, segments: int = 6000, seed: int = 2026,
         progress: Progress | None = None) -> DemoSummary:
    """Load the demo city once (idempotent); never commits, the caller owns the transaction."""
    started = time.perf_counter()
    report = _Steady(progress or _quiet)
    if already_loaded(session):
        if not hazard_zones.loaded(session):  # a demo loaded before it had hazards
            _add_hazards(session, _flood_sites_stored(session), seed)
        hidden_hazards.load(session)  # hidden hazards at several steps of their loop
        inspection_plans.load(session)  # plans and a few days of the inspector's tasks
        profile.load(session)  # example built-up areas and populations
        return summary(session, created=False, seconds=time.perf_counter() - started)
    report(0.0, "divisions and users")
    ensure_divisions(session)
    ensure_users(session)
    report(0.03, "generating the city")
    city = generate(segments, seed)
    report(0.2, "network points")
    point_ids = insert_assets(session, table_of(NetworkPoint), city.points,
                              lambda f: report(0.2 + 0.35 * f, "network points"))
    pipes = dict(city.pipelines)
    pipes["start_point_id"] = [point_ids[i] for i in pipes.pop("start_point")]
    pipes["end_point_id"] = [point_ids[i] for i in pipes.pop("end_point")]
    report(0.55, "pipelines")
    tunnel_rows = sorted({i for t in city.tunnels for c in t.cabins for i in c["lines"]})
    pipe_ids = insert_assets(session, table_of(Pipeline), pipes,
                             lambda f: report(0.55 + 0.4 * f, "pipelines"),
                             want_ids=set(tunnel_rows))
    report(0.95, "tunnels, shelters and flood points")
    add_tunnels(session, city.tunnels, pipe_ids)
    if city.shelters:
        insert_assets(session, table_of(Shelter), city.shelters, lambda f: None)
    add_flood_points(session, city.flood_points)
    report(0.98, "hazard zones and risk points")
    _add_hazards(session, [flood_site(r["geom"], r["division_code"], r["name"], r["events"])
                           for r in city.flood_points], seed)
    hidden_hazards.load(session)
    inspection_plans.load(session)
    profile.load(session)
    session.flush()
    report(1.0, "done")
    return summary(session, created=True, seconds=time.perf_counter() - started)


def _quiet(fraction: float, message: str) -> None:
    """The default progress callback: say nothing."""


class _Steady:
    """Pass progress on rounded and never going backwards, whatever the stages compute."""

    def __init__(self, callback: Progress):
        self.callback = callback
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        self.last = max(self.last, round(min(fraction, 1.0), 3))
        self.callback(self.last, message)


def _flood_sites_stored(session: Session) -> list[FloodSite]:
    """The demo's flood points as stored (for hazards added to an older demo)."""
    fp = FloodPoint.__table__.c
    rows = session.scalars(select(FloodPoint).where(fp.data_source == DATA_SOURCE)
                           .order_by(fp.id)).all()
    return [flood_site(to_shape(r.geom), r.division_code, r.name or "", list(r.events))
            for r in rows]


def _add_hazards(session: Session, sites: list[FloodSite], seed: int) -> None:
    """Hazard zones around the flood points and in the hills, and the hand-entered risk points."""
    counties = {code: d.ll for code, d in space().districts.items()}
    city = next(shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()
                if d.level == "city")
    hazard_zones.load(session, counties, city, river(counties), sites, seed=seed)
