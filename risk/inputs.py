"""What a run reads from the registry, as arrays: one query per table, geometry as WKB.

Everything the scorer needs is loaded into numpy and shapely arrays in the plane (metres),
so the computation is the same Python on SpatiaLite and PostGIS (the two maps agree) and
a run over 100k segments is a handful of queries, not one per cell. A bbox (lon/lat)
limits the load for incremental runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from inventory import FloodPoint, Pipeline, Shelter, Tunnel, TunnelCabin, WaterloggingEvent
from inventory.inspections.hazards import Hazard
from inventory.tunnels import CabinLine
from resilience import clock, profiles
from resilience.divisions import Division
from resilience.profiles import Figures
from resilience.spatial import BBox, as_wkb, bbox_filter
from risk.grid import to_plane
from risk.hazard_zones import HazardZone
from risk.points import RiskPoint

GONE_STATUSES = ("abandoned", "removed", "planned")


@dataclass
class Layer:
    """Rows of one table: ids, plane geometries and named attribute columns."""

    ids: np.ndarray
    geoms: np.ndarray  # in the plane (metres)
    attrs: dict[str, np.ndarray] = field(default_factory=dict)
    lonlat: np.ndarray | None = None  # as stored, for results that copy the geometry

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, mask: np.ndarray) -> Layer:
        """The rows where mask holds."""
        return Layer(self.ids[mask], self.geoms[mask], {k: v[mask] for k, v in self.attrs.items()},
                     None if self.lonlat is None else self.lonlat[mask])


@dataclass
class Inputs:
    """Everything a run scores, in the plane."""

    pipelines: Layer
    tunnels: Layer
    shelters: Layer
    flood_points: Layer
    zones: Layer
    points: Layer
    tunnel_pipeline_ids: set[int]
    gas_cabin_tunnels: dict[int, list[tuple[int, str]]]
    divisions: Layer
    today: date
    # Open hidden hazards (not 销号): where they are (generated points), and every asset
    # they touch, city-wide (an asset's vulnerability must not depend on the bbox loaded).
    hazards: Layer = field(default_factory=lambda: _empty(["grade", "category",
                                                             "asset_collection", "asset_id",
                                                             "division_code", "name"]))
    hazard_assets: set[tuple[str, int]] = field(default_factory=set)


def _empty(columns: list[str]) -> Layer:
    return Layer(np.empty(0, dtype=np.int64), np.empty(0, dtype=object),
                 {c: np.empty(0, dtype=object) for c in columns}, np.empty(0, dtype=object))


def layer(session: Session, table: Any, columns: list[str], bbox: BBox | None,
          where: list[Any] | None = None) -> Layer:
    """One table's live rows (within a lon/lat bbox, matching ``where``) as a plane layer."""
    stmt: Select[Any] = select(table.c.id, as_wkb(table.c.geom),
                               *[table.c[c] for c in columns])
    if "retired_at" in table.c:
        stmt = stmt.where(table.c.retired_at.is_(None))
    for clause in where or []:
        stmt = stmt.where(clause)
    if bbox is not None:
        stmt = stmt.where(bbox_filter(table.c.geom, bbox))
    rows = session.execute(stmt).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    lonlat = shapely.from_wkb([bytes(r[1]) for r in rows]) if rows else np.empty(0, dtype=object)
    geoms = to_plane(lonlat) if rows else lonlat
    attrs = {c: np.array([r[2 + k] for r in rows], dtype=object) for k, c in enumerate(columns)}
    return Layer(ids, geoms, attrs, lonlat)


def load(session: Session, bbox: BBox | None = None, today: date | None = None) -> Inputs:
    """Read the registry (within a bbox when given) for a run."""
    today = today or clock.today()  # the city's day (Asia/Shanghai), not the server's
    p = Pipeline.__table__
    pipelines = layer(session, p, ["category", "condition_grade", "build_year", "pressure_class",
                                    "status", "division_code", "name", "material"], bbox,
                       [p.c.status.not_in(GONE_STATUSES)])
    t = Tunnel.__table__
    tunnels = layer(session, t, ["condition_grade", "build_year", "design_life_years", "status",
                                  "division_code", "name"], bbox,
                     [t.c.status.not_in(GONE_STATUSES)])
    s = Shelter.__table__
    shelters = layer(session, s, ["is_open", "shelter_class", "division_code", "name"], bbox)
    f = FloodPoint.__table__
    flood = layer(session, f, ["status", "pumps", "division_code", "name"], bbox,
                   [f.c.status == "active"])
    events = _events(session, flood.ids.tolist(), today)
    flood.attrs["events"] = np.array([events.get(i, []) for i in flood.ids.tolist()] or [],
                                     dtype=object)
    z = HazardZone.__table__
    zones = layer(session, z, ["kind", "hazard_class", "return_period_years", "name"], bbox)
    r = RiskPoint.__table__
    points = layer(session, r, ["category", "method", "preset", "score", "level", "band_name",
                                 "factor_l", "factor_e", "factor_c", "factor_s", "source",
                                 "rule", "asset_collection", "asset_id", "tunnel_id",
                                 "division_code", "name", "scheme_version"], bbox)
    in_tunnels = set(session.scalars(select(CabinLine.pipeline_id)))
    gas: dict[int, list[tuple[int, str]]] = {}
    for tunnel_id, cabin_id, name in session.execute(
            select(TunnelCabin.tunnel_id, TunnelCabin.id, TunnelCabin.name)
            .where(TunnelCabin.use == "gas")):
        gas.setdefault(tunnel_id, []).append((cabin_id, name))
    d = Division.__table__
    rows = session.execute(select(d.c.code, as_wkb(d.c.boundary),
                                  d.c.population, d.c.name, d.c.level)
                           .where(d.c.boundary.is_not(None))).all()
    divisions = Layer(np.array([r[0] for r in rows], dtype=object),
                      to_plane(shapely.from_wkb([bytes(r[1]) for r in rows])) if rows
                      else np.empty(0, dtype=object),
                      {"population": np.array([r[2] for r in rows], dtype=object),
                       "name": np.array([r[3] for r in rows], dtype=object),
                       "level": np.array([r[4] for r in rows], dtype=object)})
    divisions.attrs["density_basis"] = np.array(  # the profile: one query per load
        population_densities(divisions, profiles.all_figures(session, today.year)), dtype=object)
    h = Hazard.__table__
    open_ = h.c.state != "closed"
    hazards = layer(session, h, ["grade", "category", "asset_collection", "asset_id",
                                  "division_code", "name"], bbox, [open_])
    touched = {(str(c), int(i)) for c, i in session.execute(
        select(h.c.asset_collection, h.c.asset_id).distinct().where(
            open_, h.c.retired_at.is_(None), h.c.asset_id.is_not(None)))}
    return Inputs(pipelines, tunnels, shelters, flood, zones, points, in_tunnels, gas,
                  divisions, today, hazards, touched)


def population_densities(divisions: Layer, figures: dict[str, Figures]) -> list[dict[str, Any]]:
    """Residents per km² of each division, and what the figure stands on (the explanation's).

    From the city profile where it has the division's built-up area: the residents of the
    built-up area (建成区常住人口) over it, or, where only the resident population is
    entered, that over it. Elsewhere, as before the profile: the division table's population
    over the whole administrative area, said so (``from: division``).
    """
    areas = shapely.area(divisions.geoms) / 1e6 if len(divisions) else np.empty(0)
    out: list[dict[str, Any]] = []
    for code, pop, area in zip(divisions.ids.tolist(), divisions.attrs["population"].tolist(),
                               areas.tolist(), strict=True):
        fig = figures.get(str(code))
        people = fig and (fig.built_up_population or fig.population)
        if fig is not None and people and fig.built_up_area_km2:
            out.append({"per_km2": people / fig.built_up_area_km2, "from": "profile",
                        "people": "built_up_population" if fig.built_up_population
                        else "population", "year": fig.year, "example": fig.example})
        else:
            out.append({"per_km2": float(pop) / area if pop and area > 0 else 0.0,
                        "from": "division"})
    return out


def _events(session: Session, ids: list[int], today: date) -> dict[int, list[tuple[date, float]]]:
    """Each flood point's events: (date, max depth cm)."""
    out: dict[int, list[tuple[date, float]]] = {}
    if not ids:
        return out
    e = WaterloggingEvent.__table__
    for chunk in range(0, len(ids), 5000):
        part = ids[chunk:chunk + 5000]
        for fid, on, depth in session.execute(
                select(e.c.flood_point_id, e.c.occurred_on, e.c.max_depth_cm)
                .where(e.c.flood_point_id.in_(part))):
            out.setdefault(fid, []).append((on, depth or 0.0))
    return out
