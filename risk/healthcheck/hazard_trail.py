"""The hidden hazards of a division as they stood at the end of a year (DOMAIN.md §10).

The hazard indicators of year Y (按期整改销号率, 道路塌陷隐患点数量) must not read today's
deadline: a 延期 approved in Y+1 would take a hazard that was overdue at the end of Y out of
Y's figures, a 督办 deadline set later would put one in, and an entry withdrawn (作废) in
Y+1 would vanish from a year in which it was live. Every change to a hazard — by a step of
the loop or by an edit — is in its own trail (``hazard_events.changes``: field → [before,
after]), so the fields are today's with every change after the end of Y undone, newest first.
The 重大 report replays the same trail (``inventory.inspections.hazard_report.as_of``).

Read with plain SQL over configurable table names, like the rest of the health check, so a
registry without the hazard tables (or a test's stand-ins) reads as no data, not an error.
A table of events that is missing means no replay (today's fields), said in the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from risk.healthcheck.asof import as_date, as_moment, end_of
from risk.healthcheck.scope import table_columns

# The fields a year's figures read that a later change may have moved.
REPLAYED = ("found_at", "closed_at", "deadline", "supervision_deadline", "category",
            "retired_at")


@dataclass(frozen=True)
class HazardThen:
    """One hazard at the end of the year, in the city's days."""

    found: date | None
    closed: date | None
    due: date | None  # the earlier of the rectification and the 督办 deadline
    category: str | None
    retired: bool


def day(value: Any, zone: ZoneInfo) -> date | None:
    """The city's day of a stored moment (UTC) or a plain date."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10):
        moment = as_moment(value)
        return moment.astimezone(zone).date() if moment is not None else None
    return as_date(value)


def hazards_then(session: Session, tables: dict[str, str], prefix: str, year: int,
                 zone: ZoneInfo) -> tuple[list[HazardThen], bool] | None:
    """The division's hazards (by code prefix) at the end of ``year`` and whether their trail
    was replayed; None when the registry has no hazards table with the needed columns."""
    table = tables["hazards"]
    cols = table_columns(session, table)
    need = {"id", "found_at", "closed_at", "deadline", "division_code", "category"}
    if cols is None or not need <= cols:
        return None
    present = [c for c in REPLAYED if c in cols]
    rows = session.execute(
        text(f"SELECT id, {', '.join(present)} FROM {table} "  # noqa: S608 - names are ours
             "WHERE division_code >= :lo AND division_code < :hi"),
        {"lo": prefix, "hi": prefix + ":"}).mappings().all()
    now = {int(r["id"]): {c: r[c] for c in present} for r in rows}
    events_table = tables.get("hazard_events", "hazard_events")
    ev_cols = table_columns(session, events_table)
    replayed = ev_cols is not None and {"hazard_id", "at", "changes"} <= ev_cols
    if replayed and now:
        cutoff = end_of(year, zone)
        later = session.execute(
            text(f"SELECT hazard_id, at, changes FROM {events_table} "  # noqa: S608
                 f"WHERE hazard_id IN (SELECT id FROM {table} WHERE division_code >= :lo "
                 "AND division_code < :hi) ORDER BY id DESC"),
            {"lo": prefix, "hi": prefix + ":"}).all()
        for hazard_id, at, changes in later:  # newest first: undo what came after the year
            moment = as_moment(at)
            if moment is None or moment < cutoff or int(hazard_id) not in now:
                continue
            if isinstance(changes, str):
                changes = json.loads(changes)
            for name, change in (changes or {}).items():
                if name in present and isinstance(change, list) and len(change) == 2:
                    now[int(hazard_id)][name] = change[0]
    out = []
    for fields in now.values():
        days = [d for d in (day(fields.get("deadline"), zone),
                            day(fields.get("supervision_deadline"), zone)) if d is not None]
        out.append(HazardThen(day(fields.get("found_at"), zone),
                              day(fields.get("closed_at"), zone),
                              min(days) if days else None, fields.get("category"),
                              fields.get("retired_at") is not None))
    return out, replayed
