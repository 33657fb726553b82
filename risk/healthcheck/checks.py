"""A division's yearly health check: computed and entered values, targets, trends, problems.

A check is one row per (division, year). ``compute`` (re)computes the registry's indicators
from the entered inputs; ``enter`` validates and stores entered values (all problems named by
indicator code, nothing written on any); ``finalize`` freezes it. The report (values, targets
met, trends against earlier years' checks of the same division, the 问题清单) is built on
read (``reports``), so a page, the XLSX and the print view say the same thing;
``compute_year`` is the scheduler's yearly run over the city and its counties.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from resilience import audit
from resilience.db import unit_of_work
from resilience.divisions import Division
from resilience.errors import Conflict, InvalidInput, NotFound, Problem, ResilienceError
from resilience.model import now
from risk.healthcheck.asof import CITY_ZONE
from risk.healthcheck.catalogue import HealthIndicator, ensure_catalogue
from risk.healthcheck.indicators import Scope, compute_all
from risk.healthcheck.models import STATUSES, HealthCheck, HealthValue
from risk.healthcheck.reports import (
    Line,
    ProblemItem,
    Report,
    checks_of,
    fmt,
    report,
    trend,
)

__all__ = ["EDITING_ROLES", "STATUSES", "HealthCheck", "HealthValue", "Line", "ProblemItem",
           "Report", "checks_of", "compute", "compute_year", "enter", "finalize", "find",
           "fmt", "get", "get_or_create", "parse_entry", "report", "trend"]
log = logging.getLogger(__name__)
EDITING_ROLES = frozenset({"admin", "engineer", "emergency_manager"})


# --- writing ---------------------------------------------------------------------------------


def get_or_create(session: Session, division_code: str, year: int, *, by: str) -> HealthCheck:
    """The division's check for the year, made as a draft when absent."""
    if session.get(Division, division_code) is None:
        raise InvalidInput("unknown division",
                           [Problem("division", "unknown_division", {"value": division_code})])
    if not 1990 <= year <= 2100:
        raise InvalidInput("bad year", [Problem("year", "too_small" if year < 1990 else
                                                "too_large", {"value": year, "min": 1990,
                                                              "max": 2100})])
    check = find(session, division_code, year)
    if check is None:
        check = HealthCheck(division_code=division_code, year=year, created_by=by,
                            updated_by=by)
        session.add(check)
        session.flush()
    return check


def find(session: Session, division_code: str, year: int) -> HealthCheck | None:
    """The stored check of a division and year, if any."""
    return session.scalar(select(HealthCheck).where(HealthCheck.division_code == division_code,
                                                    HealthCheck.year == year))


def get(session: Session, check_id: int) -> HealthCheck:
    """A check by id (NotFound if absent)."""
    check = session.get(HealthCheck, check_id)
    if check is None:
        raise NotFound("no such health check", id=check_id)
    return check


def _require_draft(check: HealthCheck) -> None:
    if check.status == "final":
        raise Conflict("the health check is final", id=check.id, year=check.year)


def _entered_inputs(check: HealthCheck) -> dict[str, float]:
    return {v.code: v.value for v in check.values if v.source == "entered" and v.value is not None}


def compute(session: Session, division_code: str, year: int, *, by: str,
            zone: ZoneInfo = CITY_ZONE) -> HealthCheck:
    """(Re)compute the registry's indicators of a draft check; entered values are kept.

    The registry is read as it stood at the end of the year in the city's ``zone``.
    """
    check = get_or_create(session, division_code, year, by=by)
    _require_draft(check)
    catalogue = {r.code: r for r in ensure_catalogue(session, year)}
    division = session.get(Division, division_code)
    assert division is not None
    results = compute_all(Scope(session, division, year, _entered_inputs(check), zone=zone))
    for code, row in catalogue.items():
        if row.source != "computed":
            continue
        result = results.get(code)
        stored = check.value_of(code)
        if stored is None:
            stored = HealthValue(code=code, version_year=year, source="computed")
            check.values.append(stored)
        stored.source, stored.entered_by = "computed", None  # a row once entered (the base data)
        stored.value = None if result is None else result.value
        stored.note = None if result is None else result.note
        stored.detail = {} if result is None else dict(result.detail)
        stored.target_met = row.meets(stored.value)
    check.computed_at = now()
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="compute", collection="health-checks",
                 record_id=check.id, division_code=division_code, before=None,
                 after={"year": year, "values": len(check.values)})
    return check


_NUMBER = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def parse_entry(row: HealthIndicator, raw: Any) -> tuple[float | None, Problem | None]:
    """An entered value as a number in the indicator's unit, or the problem with it.

    Accepts numbers and text such as "12.5" or "12.5 km²" (the unit must be the indicator's);
    an empty value clears the entry.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if isinstance(raw, bool):
        return None, Problem(row.code, "not_a_number", {"value": raw})
    if isinstance(raw, int | float):
        number, unit = float(raw), ""
    else:
        match = _NUMBER.match(str(raw).replace(",", ""))
        if not match:
            return None, Problem(row.code, "not_a_number", {"value": raw})
        number, unit = float(match.group(1)), match.group(2)
    if unit and unit != row.unit:
        return None, Problem(row.code, "wrong_unit", {"value": unit, "unit": row.unit})
    if row.min_value is not None and number < row.min_value:
        return None, Problem(row.code, "too_small", {"value": number, "min": row.min_value})
    if row.max_value is not None and number > row.max_value:
        return None, Problem(row.code, "too_large", {"value": number, "max": row.max_value})
    return number, None


def enter(session: Session, division_code: str, year: int, values: dict[str, Any], *,
          by: str) -> HealthCheck:
    """Store entered values (code → number or "number unit"); all problems or nothing."""
    check = get_or_create(session, division_code, year, by=by)
    _require_draft(check)
    catalogue = {r.code: r for r in ensure_catalogue(session, year)}
    problems: list[Problem] = []
    parsed: dict[str, float | None] = {}
    for code, raw in values.items():
        row = catalogue.get(code)
        if row is None:
            problems.append(Problem(code, "unknown_indicator", {"value": code}))
            continue
        if row.source != "entered":
            problems.append(Problem(code, "indicator_computed", {"value": code}))
            continue
        number, problem = parse_entry(row, raw)
        if problem is not None:
            problems.append(problem)
        else:
            parsed[code] = number
    if problems:
        raise InvalidInput("invalid health-check values", problems)
    before = {c: v.value for c, v in ((c, check.value_of(c)) for c in parsed) if v}
    for code, number in parsed.items():
        stored = check.value_of(code)
        if stored is None:
            stored = HealthValue(code=code, version_year=year, source="entered")
            check.values.append(stored)
        stored.value, stored.entered_by, stored.note = number, by, None
        stored.target_met = catalogue[code].meets(number)
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="enter", collection="health-checks",
                 record_id=check.id, division_code=division_code, before=before,
                 after={c: n for c, n in parsed.items()})
    return check


def finalize(session: Session, check: HealthCheck, *, by: str) -> HealthCheck:
    """Freeze a check: later computes and entries are refused (Conflict)."""
    _require_draft(check)
    check.status = "final"
    check.updated_at, check.updated_by = now(), by
    session.flush()
    audit.record(session, actor=by, action="finalize", collection="health-checks",
                 record_id=check.id, division_code=check.division_code,
                 before={"status": "draft"}, after={"status": "final"})
    return check


def divisions_checked(session: Session) -> list[str]:
    """The divisions a yearly check covers: the city and each county or district."""
    return list(session.scalars(
        select(Division.code).where(Division.level.in_(("city", "county")),
                                    func.length(Division.code) == 6)
        .order_by(Division.code)))


def compute_year(sessions: sessionmaker[Session], year: int, *, by: str = "scheduler",
                 zone: ZoneInfo = CITY_ZONE) -> dict[str, int]:
    """Compute the year's draft check of the city and every county, each in its own unit of
    work; final checks are left alone. Rerunning recomputes the drafts (one row per division
    and year: a second scheduler racing this one loses on the unique key and is counted)."""
    with sessions() as session:
        codes = divisions_checked(session)
    totals = {"computed": 0, "final": 0, "failed": 0}
    for code in codes:
        try:
            with unit_of_work(sessions) as session:
                compute(session, code, year, by=by, zone=zone)
            totals["computed"] += 1
        except Conflict:
            totals["final"] += 1
        except (ResilienceError, SQLAlchemyError) as error:
            log.warning("health check %s %s not computed: %s", code, year, error)
            totals["failed"] += 1
    return totals
