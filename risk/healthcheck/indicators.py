"""The health-check indicators the registry computes from what it holds (DOMAIN.md §5).

Each function takes a ``Scope`` (session, division, year, entered inputs) and returns
``{code: Value}``; its docstring gives the formula the catalogue row repeats. Working
definitions are **[I]** (the official 统计口径 is [?]). Cost: one grouped query per table
(pipelines with their cabin lines, flood points, shelters, tunnels, hazards, tasks), so a
city of 100k segments is computed in seconds; areas and radii in the EPSG:4549 plane.
Densities and per-person values divide by the city profile's built-up area and population
(``resilience.profiles``, one query per check): without them the value is no data and is not
judged, and one computed from example figures says so in its note.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import and_, case, func, inspect, select, text
from sqlalchemy.orm import Session

from inventory import CabinLine, FloodPoint, Pipeline, Shelter, Tunnel, WaterloggingEvent
from resilience import profiles
from resilience.codes import SHELTER_AREA_PER_PERSON
from resilience.divisions import Division, division_prefix, within
from resilience.profiles import Figures
from resilience.spatial import as_wkb
from risk.grid import to_plane
from risk.healthcheck.catalogue import CATEGORIES, DESIGN_AGE_YEARS, SERVICE_RADIUS_M


@dataclass(frozen=True)
class Value:
    """A computed value, the note it stands on (a NOTES code) and the records behind it."""

    value: float | None
    note: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """What one division's computation reads: where, when, and the entered inputs."""

    session: Session
    division: Division
    year: int
    inputs: dict[str, float] = field(default_factory=dict)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    # Tables other parts of the registry keep (their names, so a test can point elsewhere).
    tables: dict[str, str] = field(default_factory=lambda: {
        "hazards": "hazards", "inspection_tasks": "inspection_tasks"})

    @property
    def prefix(self) -> str:
        """The division's code prefix (this division and everything below it)."""
        return division_prefix(self.division.code)

    @cached_property
    def plane_area(self) -> shapely.Geometry | None:
        """The division's boundary in the EPSG:4549 plane (None without a boundary)."""
        if self.division.boundary is None:
            return None
        geom = to_shape(self.division.boundary)
        return to_plane(np.array([geom]))[0]

    @cached_property
    def profile(self) -> Figures | None:
        """The city profile's figures of the division in force in the year (one query)."""
        return profiles.figures(self.session, self.division.code, self.year)

    def area_km2(self) -> tuple[float | None, str | None, dict[str, Any]]:
        """Built-up area from the city profile; none there is no data (never the whole area)."""
        return self._figure("built_up_area_km2", "no_built_up_area")

    def population(self) -> tuple[float | None, str | None, dict[str, Any]]:
        """Resident population from the city profile; none there is no data."""
        return self._figure("population", "no_population")

    def _figure(self, name: str, missing: str) -> tuple[float | None, str | None, dict[str, Any]]:
        """A profile figure, with the note a value computed from it carries and its params.

        Example figures (the demo's) are noted as such; figures of an earlier year than the
        check's are noted with their year.
        """
        fig = self.profile
        value = getattr(fig, name) if fig is not None else None
        if fig is None or not value:
            return None, missing, {}
        params: dict[str, Any] = {"profile_year": fig.year, "profile_source": fig.source or ""}
        if fig.example:
            return float(value), "example_figures", {**params, "example": True}
        return float(value), None if fig.year == self.year else "earlier_figures", params

    @cached_property
    def pipelines(self) -> dict[str, dict[str, float]]:
        """Per category: in-service length, length past design age (and segments), in tunnels."""
        p = Pipeline.__table__.c
        cl = CabinLine.__table__.c
        length = func.coalesce(p.length_m, 0.0)
        limit = case(*[(p.category == cat, self.year - age)
                       for cat, age in DESIGN_AGE_YEARS.items()], else_=self.year - 50)
        over = and_(p.build_year.is_not(None), p.build_year < limit)
        stmt = (
            select(p.category, func.sum(length), func.count(),
                   func.sum(case((over, length), else_=0.0)),
                   func.sum(case((over, 1), else_=0)),
                   func.sum(case((cl.pipeline_id.is_not(None), length), else_=0.0)))
            .select_from(Pipeline.__table__.outerjoin(
                CabinLine.__table__, cl.pipeline_id == p.id))
            .where(within(p.division_code, (self.prefix,)), p.retired_at.is_(None),
                   p.status == "in_service")
            .group_by(p.category)
        )
        return {cat: {"length": float(total or 0), "segments": int(n or 0),
                      "over": float(o or 0), "over_segments": int(on or 0),
                      "tunnel": float(t or 0)}
                for cat, total, n, o, on, t in self.session.execute(stmt)}


def base_figures(scope: Scope) -> dict[str, Value]:
    """建成区面积 and 常住人口: the city profile's figures the densities and per-person values
    divide by (the year's, else the latest earlier year's; none is no data)."""
    area, note, params = scope.area_km2()
    people, p_note, p_params = scope.population()
    return {"built_up_area": Value(area, note, params), "population": Value(people, p_note, p_params)}


def _pct(part: float, whole: float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 4)


def waterlogging(scope: Scope) -> dict[str, Value]:
    """内涝积水点数量 = active flood points (not retired); 内涝积水点密度 = that ÷ built-up km²;
    积水点消除比例 = points eliminated in the year ÷ points open on 1 January × 100.

    A point existed on 1 January when the earliest of its first waterlogging event, its survey
    date and its record date lies before it [I]; it was open then unless eliminated before.
    """
    f = FloodPoint.__table__.c
    first_event = (select(func.min(WaterloggingEvent.occurred_on))
                   .where(WaterloggingEvent.flood_point_id == f.id)
                   .scalar_subquery())
    rows = scope.session.execute(
        select(f.status, f.eliminated_on, f.survey_date, f.created_at, first_event)
        .where(within(f.division_code, (scope.prefix,)), f.retired_at.is_(None))).all()
    start = date(scope.year, 1, 1)
    end = date(scope.year, 12, 31)
    open_now = start_open = eliminated_in_year = 0
    for status, eliminated_on, survey, created, first in rows:
        eliminated_on = _as_date(eliminated_on)
        known = [d for d in (_as_date(first), _as_date(survey), _as_date(created)) if d]
        existed = bool(known) and min(known) < start
        if existed and (eliminated_on is None or eliminated_on >= start):
            start_open += 1
            if eliminated_on is not None and eliminated_on <= end:
                eliminated_in_year += 1
        if status == "active":
            open_now += 1
    out = {"waterlogging_points": Value(float(open_now), detail={"open": open_now})}
    area, note, params = scope.area_km2()
    out["waterlogging_density"] = Value(
        round(open_now / area, 6) if area else None, note,
        {**params, "open": open_now})
    out["waterlogging_elimination"] = Value(
        _pct(eliminated_in_year, start_open), None if start_open else "none_open",
        {"start_open": start_open, "eliminated": eliminated_in_year,
         "still_open": start_open - eliminated_in_year})
    return out


def drainage_density(scope: Scope) -> dict[str, Value]:
    """排水管网密度 = in-service drainage length (km) ÷ built-up area (km²).

    Built-up area is entered per division; without it the division's area stands in, noted.
    A division with no in-service drainage in the registry has no value (not yet surveyed).
    """
    km = scope.pipelines.get("drainage", {}).get("length", 0.0) / 1000
    if not km:  # no drainage surveyed here: no data rather than a density of zero [I]
        return {"drainage_density": Value(None, "no_lines", {"drainage_km": 0})}
    area, note, params = scope.area_km2()
    return {"drainage_density": Value(round(km / area, 6) if area else None, note,
                                      {**params, "drainage_km": round(km, 1)})}


def pipeline_age(scope: Scope) -> dict[str, Value]:
    """管线超设计年限比例 per category = in-service length with (year − build year) > design
    life (``DESIGN_AGE_YEARS``) ÷ in-service length × 100; ``.all`` sums every category.

    Segments of unknown build year count in the denominator only. These are 管线焕新 candidates.
    """
    out = {}
    stats = scope.pipelines
    for cat in [*CATEGORIES, "all"]:
        parts = list(stats.values()) if cat == "all" else [stats.get(cat, {})]
        total = sum(s.get("length", 0.0) for s in parts)
        over = sum(s.get("over", 0.0) for s in parts)
        segs = sum(s.get("over_segments", 0) for s in parts)
        out[f"pipeline_over_age.{cat}"] = Value(
            _pct(over, total), None if total else "no_lines",
            {"segments": segs, "over_km": round(over / 1000, 2), "total_km": round(total / 1000, 2)})
    return out


def tunnels(scope: Scope) -> dict[str, Value]:
    """综合管廊长度 = Σ length of in-service tunnels (km); 管线入廊率 per category = length
    carried in tunnel cabins ÷ in-service length × 100 (``.all`` over every category)."""
    t = Tunnel.__table__.c
    metres = scope.session.scalar(
        select(func.coalesce(func.sum(t.length_m), 0.0))
        .where(within(t.division_code, (scope.prefix,)), t.retired_at.is_(None),
               t.status == "in_service")) or 0.0
    count = scope.session.scalar(
        select(func.count()).select_from(Tunnel.__table__)
        .where(within(t.division_code, (scope.prefix,)), t.retired_at.is_(None),
               t.status == "in_service")) or 0
    out = {"tunnel_length": Value(round(float(metres) / 1000, 3), detail={"tunnels": count})}
    stats = scope.pipelines
    for cat in [*CATEGORIES, "all"]:
        parts = list(stats.values()) if cat == "all" else [stats.get(cat, {})]
        total = sum(s.get("length", 0.0) for s in parts)
        inside = sum(s.get("tunnel", 0.0) for s in parts)
        out[f"tunnel_share.{cat}"] = Value(
            _pct(inside, total), None if total else "no_lines",
            {"tunnel_km": round(inside / 1000, 2), "total_km": round(total / 1000, 2)})
    return out


def shelters(scope: Scope) -> dict[str, Value]:
    """人均避难场所面积 = Σ effective area of the division's open shelters ÷ population;
    避难场所容量 = Σ floor(area ÷ the class's per-capita minimum);
    避难场所服务半径覆盖率 = area of the division within the service radius of any open
    shelter (``SERVICE_RADIUS_M`` by class, neighbours' shelters too) ÷ its area × 100.
    """
    s = Shelter.__table__.c
    wkb = as_wkb(s.geom)
    rows = scope.session.execute(
        select(s.division_code, s.shelter_class, s.effective_area_m2, wkb)
        .where(s.retired_at.is_(None), s.is_open.is_(True))).all()
    mine = [r for r in rows if r[0] and r[0].startswith(scope.prefix)]
    area_m2 = sum(float(r[2] or 0) for r in mine)
    capacity = sum(int(float(r[2]) // SHELTER_AREA_PER_PERSON[r[1]]) for r in mine
                   if r[2] and r[1] in SHELTER_AREA_PER_PERSON)
    pop, note, params = scope.population()
    out = {
        "shelter_area_per_capita": Value(
            round(area_m2 / pop, 6) if pop else None, note,
            {**params, "shelters": len(mine), "area_m2": round(area_m2)}),
        "shelter_capacity": Value(float(capacity), detail={"shelters": len(mine)}),
    }
    region = scope.plane_area
    if region is None or region.area == 0:
        out["shelter_coverage"] = Value(None, "no_area")
        return out
    covered_area = 0.0
    if rows:
        geoms = to_plane(shapely.from_wkb([bytes(r[3]) for r in rows]))
        radii = np.array([SERVICE_RADIUS_M.get(r[1], 0.0) for r in rows])
        near = shapely.intersects(shapely.buffer(shapely.envelope(geoms), radii), region)
        if near.any():
            reach = shapely.union_all(shapely.buffer(geoms[near], radii[near], quad_segs=16))
            covered_area = float(shapely.intersection(reach, region).area)
    total = float(region.area)
    out["shelter_coverage"] = Value(
        round(100.0 * covered_area / total, 4), None,
        {"uncovered_km2": round((total - covered_area) / 1e6, 1),
         "area_km2": round(total / 1e6, 1), "shelters": int(len(rows))})
    return out


def _table_columns(session: Session, table: str) -> set[str] | None:
    """The columns of a table another part of the registry may not have created yet."""
    insp = inspect(session.connection())
    if not insp.has_table(table):
        return None
    return {c["name"] for c in insp.get_columns(table)}


ROAD_COLLAPSE = "road_collapse"  # the hazards' category code of 道路塌陷


def hazards(scope: Scope) -> dict[str, Value]:
    """隐患发现数 = hazards found in the year; 按期整改销号率 = of the hazards whose deadline
    fell in the year and has passed, those closed on or before it ÷ all of them × 100;
    道路塌陷隐患点数量 = road-collapse hazards found by and still open at the end of the year
    (or today, whichever is earlier).

    Reads table ``hazards`` (state, found_at, closed_at, deadline, division_code; retired
    entries left out) only when it exists; otherwise both are "no data", noted.
    """
    need = {"found_at", "closed_at", "deadline", "division_code", "category"}
    table = scope.tables["hazards"]
    cols = _table_columns(scope.session, table)
    if cols is None or not need <= cols:
        missing = Value(None, "no_table", {"table": table})
        return {"hazards_found": missing, "hazards_closed_on_time": missing,
                "road_collapse_hazards": missing}
    start, end = date(scope.year, 1, 1), date(scope.year, 12, 31)
    live = " AND retired_at IS NULL" if "retired_at" in cols else ""  # withdrawn entries
    rows = scope.session.execute(
        text(f"SELECT found_at, closed_at, deadline, category FROM {table} "  # noqa: S608
             f"WHERE division_code >= :lo AND division_code < :hi{live}"),
        {"lo": scope.prefix, "hi": scope.prefix + ":"}).all()
    found = due = on_time = collapses = 0
    as_of = min(end, scope.today)
    for found_at, closed_at, deadline, category in rows:
        f, c, d = _as_date(found_at), _as_date(closed_at), _as_date(deadline)
        if f is not None and start <= f <= end:
            found += 1
        if category == ROAD_COLLAPSE and f is not None and f <= as_of and (c is None or c > as_of):
            collapses += 1
        if d is not None and start <= d <= end and d < scope.today:
            due += 1
            on_time += int(c is not None and c <= d)
    return {
        "hazards_found": Value(float(found), detail={"found": found}),
        "hazards_closed_on_time": Value(_pct(on_time, due), None if due else "none_due",
                                        {"due": due, "on_time": on_time, "late": due - on_time}),
        "road_collapse_hazards": Value(float(collapses), detail={"open": collapses}),
    }


def inspections(scope: Scope) -> dict[str, Value]:
    """巡检按期完成率 = of the tasks due in the year whose window has closed (closes_on, or
    due_on without it, before today), those done on or before that day ÷ all × 100;
    cancelled tasks are left out.

    Reads table ``inspection_tasks`` (due_on, closes_on, done_at, division_code) when it
    exists; otherwise "no data", noted.
    """
    need = {"due_on", "done_at", "division_code"}
    table = scope.tables["inspection_tasks"]
    cols = _table_columns(scope.session, table)
    if cols is None or not need <= cols:
        return {"inspections_on_time": Value(None, "no_table", {"table": table})}
    closes = "closes_on" if "closes_on" in cols else "due_on"
    # Cancelled tasks (a plan re-planned away from the asset) were never owed.
    live = " AND status <> 'cancelled'" if "status" in cols else ""
    start, end = date(scope.year, 1, 1), date(scope.year, 12, 31)
    rows = scope.session.execute(
        text(f"SELECT due_on, {closes}, done_at FROM {table} "  # noqa: S608
             "WHERE division_code >= :lo AND division_code < :hi "
             f"AND due_on >= :start AND due_on <= :end{live}"),
        {"lo": scope.prefix, "hi": scope.prefix + ":", "start": start, "end": end}).all()
    due = on_time = 0
    for due_on, closes_on, done_at in rows:
        last = _as_date(closes_on) or _as_date(due_on)
        if last is None or last >= scope.today:
            continue
        due += 1
        done = _as_date(done_at)
        on_time += int(done is not None and done <= last)
    return {"inspections_on_time": Value(_pct(on_time, due), None if due else "none_due",
                                         {"due": due, "on_time": on_time, "late": due - on_time})}


def _as_date(value: Any) -> date | None:
    """A date from what either database returns (date, aware/naive datetime or ISO text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


COMPUTERS: tuple[Callable[[Scope], dict[str, Value]], ...] = (
    base_figures, waterlogging, drainage_density, pipeline_age, tunnels, shelters, hazards, inspections,
)


def compute_all(scope: Scope) -> dict[str, Value]:
    """Every registry-computed indicator of one division and year."""
    out: dict[str, Value] = {}
    for fn in COMPUTERS:
        out.update(fn(scope))
    return out

