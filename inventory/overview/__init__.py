"""A division's registry in numbers: lengths, ages, materials, condition, gaps, this week's changes.

Every figure is an aggregate the database computes (GROUP BY over the visible, unretired
rows); Python only receives the groups, a few hundred rows at most, so the cost follows the
size of the city inside the database, not in the web worker. Each table is read once: one
grouped query yields category, material, age and condition of the pipelines together, with
the counts of missing values summed alongside.

The queries live here rather than in the repository because they are the overview's own
and share nothing with feature pages; they use the repository's ``visibility`` so a user's
divisions restrict them exactly as they restrict every other read. This module assembles
the overview; ``figures`` holds what it is made of, ``tallies`` the figures per kind,
``completeness`` the gaps and ``changes`` the week's audit entries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.overview import tallies
from inventory.overview.changes import changes
from inventory.overview.completeness import CHECKS, Check
from inventory.overview.figures import (
    AGE_BUCKETS,
    GRADES,
    UNKNOWN,
    Change,
    Gap,
    Overview,
    ShelterTally,
    Tally,
)
from resilience.accounts import Principal
from resilience.divisions import Division, within
from resilience.errors import Forbidden, NotFound, Problem
from resilience.model import now

__all__ = [
    "AGE_BUCKETS", "CHECKS", "GRADES", "UNKNOWN", "WEEK", "Change", "Check", "Gap", "Overview",
    "ShelterTally", "Tally", "overview", "readable_divisions", "scope",
]

WEEK = timedelta(days=7)


def scope(session: Session, principal: Principal, division: str | None) -> str | None:
    """The division prefix to report on, after checking the user may read it.

    None means everything the user may read (the whole city for an administrator). A
    division outside the user's grants is refused even if it does not exist, so the answer
    says nothing about other divisions.
    """
    if division is None or not division.strip():
        return None
    code = division.strip()
    if not (code.isdigit() and 2 <= len(code) <= 12) or not principal.sees(code):
        raise Forbidden("division not granted",
                        [Problem("division", "division_not_granted", {"value": code[:12]})])
    if session.get(Division, code) is None:
        raise NotFound("no such division", [Problem("division", "unknown_division", {"value": code})])
    return code


def readable_divisions(session: Session, principal: Principal) -> list[Division]:
    """The divisions a user may choose from (granted ones and everything below), by code."""
    stmt = select(Division).order_by(Division.code)
    if not principal.everywhere:
        stmt = stmt.where(within(Division.__table__.c.code, principal.prefixes))
    return list(session.scalars(stmt))


def overview(session: Session, principal: Principal, division: str | None = None, *,
             at: datetime | None = None) -> Overview:
    """The numbers for a division (or all the user reads), checked against their grants."""
    code = scope(session, principal, division)
    since = (at or now()) - WEEK
    out = Overview(division=code, since=since)
    gaps: dict[str, list[int]] = {name: [0] * len(CHECKS[name]) for name in CHECKS}
    totals: dict[str, int] = dict.fromkeys(CHECKS, 0)

    def fold_gaps(name: str, row: Any, first: int) -> None:
        totals[name] += int(row.n)
        for i in range(len(CHECKS[name])):
            gaps[name][i] += int(row[first + i] or 0)

    tallies.pipelines(session, principal, code, out, fold_gaps)
    tallies.network_points(session, principal, code, out, fold_gaps)
    tallies.tunnels(session, principal, code, out, fold_gaps)
    tallies.shelters(session, principal, code, out, fold_gaps)
    tallies.flood_points(session, principal, code, out, fold_gaps)
    out.counted = {spec.name: tallies.counted(session, spec.name, spec.counted_by, principal, code)
                   for spec in COLLECTIONS.values() if spec.counted_by is not None}
    tallies.owners(session, principal, code, out)
    changes(session, principal, code, out)
    for name, checks in CHECKS.items():
        spec = COLLECTIONS[name]
        for check, missing in zip(checks, gaps[name], strict=True):
            f = spec.field(check.key)
            zh = check.zh or (f.zh if f else check.key)
            en = check.en or (f.en if f else check.key)
            out.gaps.append(Gap(name, check.key, zh, en, missing, totals[name]))
    return out
