"""The registry as it stood at the end of a year, for that year's health check (DOMAIN.md §10).

A record counts in year Y when the world already had it — its build year is Y or earlier, or,
without one, it was first recorded (survey date, first waterlogging event, entry in the
registry: the earliest) by the end of Y — and it had not left: not retired by then, and in the
state it was in then. That state is the record's ``before`` in the first audit entry written
after the end of Y (the trail keeps a full snapshot of every change), else the record as it is
now. So a pipe abandoned in 2025 is in service in 2023's check, a flood point eliminated in
2024 is open in 2023's, and points first recorded in 2019 are not in 2000's at all.

Cost: one query per table (with the pipelines' centre points for the coverage footprint) and
one over the audit entries written after the earliest cut-off the check needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import CabinLine, FloodPoint, Pipeline, Shelter, Tunnel, TunnelCabin, WaterloggingEvent
from resilience.audit import AuditEntry
from resilience.divisions import within
from resilience.spatial import as_wkb, point_on_surface

CITY_ZONE = ZoneInfo("Asia/Shanghai")
CHANGES = ("update", "retire", "restore")  # audit actions whose ``before`` is the earlier state


def end_of(year: int, zone: ZoneInfo = CITY_ZONE) -> datetime:
    """The first instant after year Y in the city's zone, in UTC."""
    return datetime.combine(date(year + 1, 1, 1), time(), zone).astimezone(UTC)


def as_date(value: Any) -> date | None:
    """A date from what either database or the audit snapshot holds (date, datetime, ISO text)."""
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


def as_moment(value: Any) -> datetime | None:
    """An aware UTC moment from a datetime or ISO text (naive taken as UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    moment: datetime = value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Trail:
    """The earliest audit ``before`` after each cut-off, per record of one collection."""

    def __init__(self, entries: Iterable[tuple[int, datetime, dict[str, Any] | None]]):
        self._by: dict[int, list[tuple[datetime, dict[str, Any]]]] = {}
        for record_id, at, before in entries:
            if before is not None:
                self._by.setdefault(record_id, []).append((as_moment(at) or at, before))

    def state(self, record_id: int, cutoff: datetime, now: dict[str, Any]) -> dict[str, Any]:
        """The record's fields as they stood at ``cutoff`` (``now`` when nothing changed since)."""
        for at, before in self._by.get(record_id, ()):
            if at >= cutoff:
                return {**now, **{k: before[k] for k in now if k in before}}
        return now


def trail(session: Session, collection: str, prefix: str, cutoff: datetime) -> Trail:
    """The changes a collection's records of a division had after ``cutoff``, oldest first."""
    a = AuditEntry.__table__.c
    rows = session.execute(
        select(a.record_id, a.at, a.before)
        .where(a.collection == collection, a.action.in_(CHANGES), a.at >= cutoff,
               within(a.division_code, (prefix,)))
        .order_by(a.id))
    return Trail((r[0], r[1], r[2]) for r in rows)


def _first_recorded(*dates: Any) -> date | None:
    known = [d for d in (as_date(v) for v in dates) if d is not None]
    return min(known) if known else None


def existed(state: dict[str, Any], year: int, cutoff: datetime) -> bool:
    """Built (or first recorded) by the end of the year and not yet retired then."""
    built = state.get("build_year")
    if built is not None:
        if int(built) > year:
            return False
    else:
        first = _first_recorded(state.get("survey_date"), state.get("created_at"),
                                state.get("first_event"))
        if first is None or first > date(year, 12, 31):
            return False
    retired = as_moment(state.get("retired_at"))
    return retired is None or retired >= cutoff


@dataclass(frozen=True)
class Pipe:
    """A pipeline segment as it stood at the end of a year."""

    id: int
    category: str
    material: str | None
    build_year: int | None
    condition_grade: int | None
    length_m: float
    in_tunnel: bool
    lonlat: tuple[float, float] | None


PIPE_FIELDS = ("category", "material", "build_year", "condition_grade", "status", "length_m",
               "survey_date", "created_at", "retired_at")


class Registry:
    """One division's records, read once and given as they stood at the end of any year."""

    def __init__(self, session: Session, prefix: str, since_year: int,
                 zone: ZoneInfo = CITY_ZONE):
        self.session, self.prefix, self.zone = session, prefix, zone
        self.since = end_of(since_year, zone)
        self._pipes: list[dict[str, Any]] | None = None
        self._trails: dict[str, Trail] = {}

    def _trail(self, collection: str) -> Trail:
        if collection not in self._trails:
            self._trails[collection] = trail(self.session, collection, self.prefix, self.since)
        return self._trails[collection]

    def _pipe_rows(self) -> list[dict[str, Any]]:
        if self._pipes is None:
            p = Pipeline.__table__.c
            cols = [p.id, *(p[f] for f in PIPE_FIELDS), as_wkb(point_on_surface(p.geom))]
            rows = self.session.execute(select(*cols).where(
                within(p.division_code, (self.prefix,)))).all()
            spots = shapely.from_wkb([bytes(r[-1]) if r[-1] is not None else None for r in rows])
            self._pipes = []
            for r, spot in zip(rows, spots, strict=True):
                row = dict(zip(("id", *PIPE_FIELDS), r[:-1], strict=True))
                row["lonlat"] = None if spot is None else (float(spot.x), float(spot.y))
                self._pipes.append(row)
        return self._pipes

    def tunnel_lines(self, year: int) -> set[int]:
        """Pipelines carried in a cabin of a tunnel in service at the end of the year."""
        tunnels = {t["id"] for t in self.tunnels(year)}
        cl, tc = CabinLine.__table__.c, TunnelCabin.__table__.c
        rows = self.session.execute(select(cl.pipeline_id, tc.tunnel_id)
                                    .join(TunnelCabin.__table__, tc.id == cl.cabin_id))
        return {pid for pid, tid in rows if tid in tunnels}

    def pipes(self, year: int) -> list[Pipe]:
        """In-service segments at the end of the year, in their state then."""
        cutoff, history = end_of(year, self.zone), self._trail("pipelines")
        inside = self.tunnel_lines(year)
        out = []
        for row in self._pipe_rows():
            state = history.state(row["id"], cutoff, row)
            if state.get("status") != "in_service" or not existed(state, year, cutoff):
                continue
            out.append(Pipe(row["id"], str(state["category"]), state.get("material"),
                            _int(state.get("build_year")), _int(state.get("condition_grade")),
                            float(state.get("length_m") or 0.0), row["id"] in inside,
                            row["lonlat"]))
        return out

    def tunnels(self, year: int) -> list[dict[str, Any]]:
        """In-service utility tunnels at the end of the year (id, length)."""
        t = Tunnel.__table__.c
        fields = ("id", "status", "length_m", "build_year", "survey_date", "created_at",
                  "retired_at")
        rows = self.session.execute(select(*(t[f] for f in fields))
                                    .where(within(t.division_code, (self.prefix,)))).all()
        cutoff, history = end_of(year, self.zone), self._trail("tunnels")
        out = []
        for r in rows:
            state = history.state(r[0], cutoff, dict(zip(fields, r, strict=True)))
            if state.get("status") == "in_service" and existed(state, year, cutoff):
                out.append(state)
        return out

    def shelters(self, year: int) -> list[dict[str, Any]]:
        """Shelters open at the end of the year, anywhere in the city (neighbours' reach counts);
        each with its class, effective area, division and WKB."""
        s = Shelter.__table__.c
        fields = ("id", "division_code", "shelter_class", "effective_area_m2", "is_open",
                  "build_year", "survey_date", "created_at", "retired_at")
        rows = self.session.execute(select(*(s[f] for f in fields), as_wkb(s.geom))).all()
        cutoff, history = end_of(year, self.zone), self._trail("shelters")
        out = []
        for r in rows:
            state = history.state(r[0], cutoff, dict(zip(fields, r[:-1], strict=True)))
            if state.get("is_open") and existed(state, year, cutoff):
                out.append({**state, "wkb": r[-1]})
        return out

    def flood_points(self, year: int) -> list[dict[str, Any]]:
        """Flood points first recorded by the end of the year and not retired then, each with
        ``open`` (not eliminated by then) and ``eliminated_on``."""
        f = FloodPoint.__table__.c
        first = (select(func.min(WaterloggingEvent.occurred_on))
                 .where(WaterloggingEvent.flood_point_id == f.id).scalar_subquery())
        fields = ("id", "status", "eliminated_on", "survey_date", "created_at", "retired_at",
                  "first_event")
        rows = self.session.execute(
            select(f.id, f.status, f.eliminated_on, f.survey_date, f.created_at, f.retired_at,
                   first).where(within(f.division_code, (self.prefix,)))).all()
        cutoff, history = end_of(year, self.zone), self._trail("flood-points")
        last = date(year, 12, 31)
        out = []
        for r in rows:
            state = history.state(r[0], cutoff, dict(zip(fields, r, strict=True)))
            state["build_year"] = None  # a flood point has no build year: first recorded counts
            if not existed(state, year, cutoff):
                continue
            gone = as_date(state.get("eliminated_on"))
            closed = state.get("status") == "eliminated" and (gone is None or gone <= last)
            out.append({**state, "open": not closed, "eliminated_on": gone})
        return out


def _int(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None
