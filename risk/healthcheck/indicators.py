"""The health-check indicators the registry computes from what it holds (DOMAIN.md §5, §10).

Each function takes a ``Scope`` (session, division, year, entered inputs) and returns
``{code: Value}``; its docstring gives the formula the catalogue row repeats. Working
definitions are **[I]** (the official 统计口径 is [?]). Every value reads the registry as it
stood at the end of the year (``asof``: build years, first-recorded and event dates,
retirements and the audit trail), so 2000's check does not count points first recorded in
2019. What the registry cannot tell is no data (无数据) and is never judged: a division with no
flood point recorded by then has not been surveyed, not "0 points". Densities and per-person
values divide by the city profile's built-up area and population (``resilience.profiles``);
coverage is over a built-up stand-in, the cells holding registered pipe (see ``shelters``).
Cost: one query per table and one over the audit entries since the year began; areas and
radii in the EPSG:4549 plane.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import shapely
from shapely import STRtree
from sqlalchemy import text

from resilience.codes import SHELTER_AREA_PER_PERSON
from risk.grid import to_plane
from risk.healthcheck import hazard_trail
from risk.healthcheck.asof import as_date
from risk.healthcheck.defaults import FOOTPRINT_CELL_M, SERVICE_RADIUS_M
from risk.healthcheck.networks import pipeline_age, renewal_completion, tunnels
from risk.healthcheck.scope import Scope, Value, pct, table_columns

__all__ = ["COMPUTERS", "Scope", "Value", "compute_all"]


def base_figures(scope: Scope) -> dict[str, Value]:
    """建成区面积 and 常住人口: the city profile's figures the densities and per-person values
    divide by (the year's, else the latest earlier year's; none is no data)."""
    area, note, params = scope.area_km2()
    people, p_note, p_params = scope.population()
    return {"built_up_area": Value(area, note, params), "population": Value(people, p_note, p_params)}


def waterlogging(scope: Scope) -> dict[str, Value]:
    """内涝积水点数量 = flood points open at the end of the year; 内涝积水点密度 = that ÷
    built-up km²; 积水点消除比例 = points eliminated in the year ÷ points open at the end of the
    previous year × 100.

    A point is there from its first record (the earliest of its first waterlogging event, its
    survey date and its entry); with none recorded by the end of the year the division's
    points are no data (not surveyed), never "0, target met".
    """
    points = scope.registry.flood_points(scope.year)
    if not points:
        missing = Value(None, "no_flood_survey")
        out = {"waterlogging_points": missing, "waterlogging_density": missing}
    else:
        open_now = sum(1 for p in points if p["open"])
        area, note, params = scope.area_km2()
        out = {"waterlogging_points": Value(float(open_now), detail={
                   "open": open_now, "recorded": len(points)}),
               "waterlogging_density": Value(round(open_now / area, 6) if area else None, note,
                                             {**params, "open": open_now})}
    start = {p["id"] for p in scope.registry.flood_points(scope.year - 1) if p["open"]}
    first, last = date(scope.year, 1, 1), date(scope.year, 12, 31)
    eliminated = sum(1 for p in points if p["id"] in start and not p["open"]
                     and p["eliminated_on"] is not None and first <= p["eliminated_on"] <= last)
    out["waterlogging_elimination"] = Value(
        pct(eliminated, len(start)), None if start else "none_open",
        {"start_open": len(start), "eliminated": eliminated,
         "still_open": len(start) - eliminated})
    return out


def drainage_density(scope: Scope) -> dict[str, Value]:
    """排水管网密度 = in-service drainage length (km) ÷ built-up area (km², city profile).

    A division with no in-service drainage in the registry has no value (not yet surveyed).
    """
    km = sum(p.length_m for p in scope.pipes if p.category == "drainage") / 1000
    if not km:  # no drainage surveyed here: no data rather than a density of zero [I]
        return {"drainage_density": Value(None, "no_lines", {"drainage_km": 0})}
    area, note, params = scope.area_km2()
    return {"drainage_density": Value(round(km / area, 6) if area else None, note,
                                      {**params, "drainage_km": round(km, 1)})}


def footprint(scope: Scope) -> np.ndarray:
    """Centres (EPSG:4549) of the cells holding in-service registered pipe at the end of the
    year: the built-up stand-in coverage is measured over [I]."""
    spots = [p.lonlat for p in scope.pipes if p.lonlat is not None]
    if not spots:
        return np.empty(0, dtype=object)
    xy = shapely.get_coordinates(to_plane(shapely.points(np.array(spots))))
    cells = np.unique(np.floor(xy / FOOTPRINT_CELL_M).astype(np.int64), axis=0)
    centres: np.ndarray = shapely.points((cells + 0.5) * FOOTPRINT_CELL_M)
    return centres


def shelters(scope: Scope) -> dict[str, Value]:
    """人均避难场所面积 = Σ effective area of the division's open shelters ÷ population;
    避难场所容量 = Σ floor(area ÷ the class's per-capita minimum);
    避难场所服务半径覆盖率 = of the built-up stand-in's cells (``footprint``), those whose centre
    lies within the service radius (``SERVICE_RADIUS_M`` by class) of any open shelter,
    neighbours' included, ÷ all × 100. Never over the whole county: mountains and lakes
    without registered assets are not what a shelter must reach.
    """
    rows = scope.registry.shelters(scope.year)
    mine = [r for r in rows if (r["division_code"] or "").startswith(scope.prefix)]
    area_m2 = sum(float(r["effective_area_m2"] or 0) for r in mine)
    capacity = sum(int(float(r["effective_area_m2"]) // SHELTER_AREA_PER_PERSON[r["shelter_class"]])
                   for r in mine
                   if r["effective_area_m2"] and r["shelter_class"] in SHELTER_AREA_PER_PERSON)
    pop, note, params = scope.population()
    out = {
        "shelter_area_per_capita": Value(
            round(area_m2 / pop, 6) if pop else None, note,
            {**params, "shelters": len(mine), "area_m2": round(area_m2)}),
        "shelter_capacity": Value(float(capacity), detail={"shelters": len(mine)}),
    }
    centres = footprint(scope)
    if not len(centres):
        out["shelter_coverage"] = Value(None, "no_footprint")
        return out
    covered = np.zeros(len(centres), dtype=bool)
    if rows:
        geoms = to_plane(shapely.from_wkb([bytes(r["wkb"]) for r in rows]))
        radii = np.array([SERVICE_RADIUS_M.get(r["shelter_class"], 0.0) for r in rows])
        cell, hit = STRtree(geoms).query(centres, predicate="dwithin", distance=float(radii.max()))
        near = shapely.distance(centres[cell], geoms[hit]) <= radii[hit]
        covered[cell[near]] = True
    n, m = len(centres), int(covered.sum())
    cell_km2 = FOOTPRINT_CELL_M ** 2 / 1e6
    out["shelter_coverage"] = Value(
        pct(m, n), "asset_footprint",
        {"cells": n, "covered": m, "cell_m": FOOTPRINT_CELL_M,
         "area_km2": round(n * cell_km2, 1), "uncovered_km2": round((n - m) * cell_km2, 1),
         "shelters": len(rows)})
    return out


ROAD_COLLAPSE = "road_collapse"  # the hazards' category code of 道路塌陷


def hazards(scope: Scope) -> dict[str, Value]:
    """隐患发现数 = hazards found in the year; 按期整改销号率 = of the hazards whose due day (the
    earlier of the rectification and the 督办 deadline) fell in the year and has passed, those
    closed on or before it ÷ all of them × 100;
    道路塌陷隐患点数量 = road-collapse hazards found by and still open at the end of the year
    (or today, whichever is earlier).

    Each hazard as it stood at the end of the year (``hazard_trail``: a 延期, a 督办 deadline,
    a re-categorisation or a withdrawal after the year is undone; entries withdrawn by then
    are left out). Reads table ``hazards`` only when it exists; otherwise no data, noted.
    """
    then = hazard_trail.hazards_then(scope.session, scope.tables, scope.prefix, scope.year,
                                     scope.zone)
    if then is None:
        missing = Value(None, "no_table", {"table": scope.tables["hazards"]})
        return {"hazards_found": missing, "hazards_closed_on_time": missing,
                "road_collapse_hazards": missing}
    rows, replayed = then
    start, end = date(scope.year, 1, 1), date(scope.year, 12, 31)
    found = due = on_time = collapses = 0
    as_of = min(end, scope.day)
    for h in rows:
        if h.retired:
            continue
        f, c, d = h.found, h.closed, h.due
        if f is not None and start <= f <= end:
            found += 1
        if h.category == ROAD_COLLAPSE and f is not None and f <= as_of and (c is None or c > as_of):
            collapses += 1
        if d is not None and start <= d <= end and d < scope.day:
            due += 1
            on_time += int(c is not None and c <= d)
    said = {} if replayed else {"replayed": False}
    return {
        "hazards_found": Value(float(found), detail={"found": found, **said}),
        "hazards_closed_on_time": Value(pct(on_time, due), None if due else "none_due",
                                        {"due": due, "on_time": on_time, "late": due - on_time,
                                         **said}),
        "road_collapse_hazards": Value(float(collapses), detail={"open": collapses, **said}),
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
    cols = table_columns(scope.session, table)
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
        last = as_date(closes_on) or as_date(due_on)
        if last is None or last >= scope.day:
            continue
        due += 1
        done = as_date(done_at)
        on_time += int(done is not None and done <= last)
    return {"inspections_on_time": Value(pct(on_time, due), None if due else "none_due",
                                         {"due": due, "on_time": on_time, "late": due - on_time})}


COMPUTERS: tuple[Callable[[Scope], dict[str, Value]], ...] = (
    base_figures, waterlogging, drainage_density, pipeline_age, renewal_completion, tunnels,
    shelters, hazards, inspections,
)


def compute_all(scope: Scope) -> dict[str, Value]:
    """Every registry-computed indicator of one division and year."""
    out: dict[str, Value] = {}
    for fn in COMPUTERS:
        out.update(fn(scope))
    return out

