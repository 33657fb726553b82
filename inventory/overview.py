"""A division's registry in numbers: lengths, ages, materials, condition, gaps, this week's changes.

Every figure is an aggregate the database computes (GROUP BY over the visible, unretired
rows); Python only receives the groups, a few hundred rows at most, so the cost follows the
size of the city inside the database, not in the web worker. Each table is read once: one
grouped query yields category, material, age and condition of the pipelines together, with
the counts of missing values summed alongside.

The queries live here rather than in ``repository.py`` because they are the overview's own
and share nothing with feature pages; they use the repository's ``visibility`` so a user's
divisions restrict them exactly as they restrict every other read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Cast, ColumnElement, Integer, Select, Table, and_, case, func, or_, select
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.repository import visibility
from resilience import codes
from resilience.accounts import Principal
from resilience.audit import AuditEntry
from resilience.codes import Code, CodeList
from resilience.divisions import Division, division_prefix, within
from resilience.errors import Forbidden, NotFound, Problem
from resilience.model import now

WEEK = timedelta(days=7)
LATEST = 20  # changes listed one by one
TOP_OWNERS = 15

UNKNOWN = Code("unknown", "未填写", "Not recorded")

# Build-year buckets (decades since 1980); the last one is open-ended.
AGE_BUCKETS = CodeList("age", [
    Code("before_1980", "1980年以前", "Before 1980"),
    Code("1980s", "1980年代", "1980s"),
    Code("1990s", "1990年代", "1990s"),
    Code("2000s", "2000年代", "2000s"),
    Code("2010s", "2010年代", "2010s"),
    Code("2020s", "2020年以来", "2020 onwards"),
    UNKNOWN,
])
_DECADES = ((1980, "before_1980"), (1990, "1980s"), (2000, "1990s"), (2010, "2000s"),
            (2020, "2010s"))

GRADES = CodeList("condition_grade", [*codes.CONDITION_GRADES, UNKNOWN])


@dataclass
class Tally:
    """A count of records and their summed length in metres."""

    count: int = 0
    length_m: float = 0.0

    def add(self, count: int, length_m: float | None) -> None:
        """Fold one group into the tally."""
        self.count += int(count or 0)
        self.length_m += float(length_m or 0.0)

    @property
    def km(self) -> float:
        """The length in kilometres."""
        return self.length_m / 1000.0


@dataclass
class ShelterTally:
    """Shelters of one class: how many, how many people they hold, their effective area."""

    count: int = 0
    capacity: int = 0
    area_m2: float = 0.0


@dataclass(frozen=True)
class Gap:
    """How many records of a collection lack one key value (data completeness)."""

    collection: str
    key: str
    zh: str
    en: str
    missing: int
    total: int

    def label(self, locale: str) -> str:
        """The checked value's label for a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en

    @property
    def missing_share(self) -> float | None:
        """Missing records ÷ records (None when the collection is empty here)."""
        return self.missing / self.total if self.total else None


@dataclass(frozen=True)
class Change:
    """One audit entry of the week, as listed (no before/after values: they can be large)."""

    id: int
    at: datetime
    actor: str
    action: str
    collection: str
    record_id: int
    division_code: str | None


@dataclass
class Overview:
    """Everything the dashboard shows for one division (or all the user sees)."""

    division: str | None
    since: datetime
    by_category: dict[str, Tally] = field(default_factory=dict)
    by_age: dict[str, dict[str, Tally]] = field(default_factory=dict)  # bucket → category
    by_material: dict[str, dict[str, Tally]] = field(default_factory=dict)  # material → category
    condition: dict[str, dict[str, Tally]] = field(default_factory=dict)  # grade → collection
    network_points: int = 0
    tunnels: Tally = field(default_factory=Tally)
    shelters: dict[str, ShelterTally] = field(default_factory=dict)  # by class
    flood_points: dict[str, int] = field(default_factory=dict)  # by status
    # Other registered collections counted by their ``counted_by`` code (risk points by
    # level, hazard zones by kind): collection → code → records.
    counted: dict[str, dict[str, int]] = field(default_factory=dict)
    owners: list[tuple[str, Tally]] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)  # collection → action
    latest: list[Change] = field(default_factory=list)

    @property
    def pipelines(self) -> Tally:
        """All visible segments together."""
        total = Tally()
        for tally in self.by_category.values():
            total.add(tally.count, tally.length_m)
        return total

    @property
    def shelter_total(self) -> ShelterTally:
        """All shelters together."""
        total = ShelterTally()
        for s in self.shelters.values():
            total.count += s.count
            total.capacity += s.capacity
            total.area_m2 += s.area_m2
        return total

    @property
    def changes_total(self) -> int:
        """Audit entries of the week."""
        return sum(sum(by_action.values()) for by_action in self.changes.values())


# --- completeness: which values each collection should carry ------------------------------

Missing = Callable[[Table], ColumnElement[bool]]


def _blank(name: str) -> Missing:
    """Null, or text that is empty once trimmed."""
    return lambda t: or_(t.c[name].is_(None), func.trim(t.c[name]) == "")


def _null(name: str) -> Missing:
    return lambda t: t.c[name].is_(None)


@dataclass(frozen=True)
class Check:
    """One value whose absence makes a record incomplete; labels default to the field's."""

    key: str
    missing: Missing
    zh: str | None = None
    en: str | None = None


def _pipe_size_missing(t: Table) -> ColumnElement[bool]:
    return and_(t.c.diameter_mm.is_(None), or_(t.c.width_mm.is_(None), t.c.height_mm.is_(None)))


def _section_missing(t: Table) -> ColumnElement[bool]:
    return or_(t.c.width_m.is_(None), t.c.height_m.is_(None))


# What an engineer needs before a record is useful for risk work (CJJ 61 §3.0.2 for lines).
CHECKS: dict[str, tuple[Check, ...]] = {
    "pipelines": (
        Check("start_depth_m", _null("start_depth_m")),
        Check("end_depth_m", _null("end_depth_m")),
        Check("material", _blank("material")),
        Check("size", _pipe_size_missing, "管径或断面", "Diameter or section"),
        Check("build_year", _null("build_year")),
        Check("burial_method", _blank("burial_method")),
        Check("owner", _blank("owner")),
        Check("condition_grade", _null("condition_grade")),
    ),
    "network-points": (
        Check("depth_m", _null("depth_m")),
        Check("ground_elevation_m", _null("ground_elevation_m")),
        Check("category", _blank("category")),
        Check("build_year", _null("build_year")),
        Check("owner", _blank("owner")),
        Check("condition_grade", _null("condition_grade")),
    ),
    "tunnels": (
        Check("section", _section_missing, "断面尺寸", "Section size"),
        Check("build_year", _null("build_year")),
        Check("owner", _blank("owner")),
        Check("operator", _blank("operator")),
        Check("condition_grade", _null("condition_grade")),
    ),
    "shelters": (
        Check("effective_area_m2", _null("effective_area_m2")),
        Check("capacity_persons", _null("capacity_persons")),
        Check("tier", _blank("tier")),
        Check("managing_unit", _blank("managing_unit")),
        Check("contact_phone", _blank("contact_phone")),
        Check("build_year", _null("build_year")),
    ),
    "flood-points": (
        Check("cause", _blank("cause")),
        Check("trigger_rainfall_mm_h", _null("trigger_rainfall_mm_h")),
        Check("responsible_unit", _blank("responsible_unit")),
        Check("contact_person", _blank("contact_person")),
        Check("plan", _blank("plan")),
    ),
}


def _flags(name: str, t: Table) -> list[ColumnElement[int]]:
    """1/0 per check, for the inner query; summed by the outer one."""
    return [case((c.missing(t), 1), else_=0).label(f"gap_{i}") for i, c in enumerate(CHECKS[name])]


def _gap_sums(name: str, inner: Any) -> list[ColumnElement[Any]]:
    return [func.sum(inner.c[f"gap_{i}"]) for i in range(len(CHECKS[name]))]


# --- scope ----------------------------------------------------------------------------------

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
    if not principal.is_admin:
        stmt = stmt.where(within(Division.__table__.c.code, principal.prefixes))
    return list(session.scalars(stmt))


def _where(name: str, principal: Principal, division: str | None) -> list[ColumnElement[bool]]:
    """Visible, unretired rows of a collection inside the division."""
    t = COLLECTIONS[name].model.__table__
    conditions: list[ColumnElement[bool]] = [t.c.retired_at.is_(None)]
    vis = visibility(COLLECTIONS[name], principal)
    if vis is not None:
        conditions.append(vis)
    if division is not None:
        conditions.append(within(t.c.division_code, (division_prefix(division),)))
    return conditions


def _grouped(name: str, principal: Principal, division: str | None, keys: list[Any],
             values: list[Any], sums: list[Any] | None = None) -> Select[Any]:
    """SELECT keys, count, sums, gap sums FROM (the per-row keys and flags) GROUP BY keys.

    The keys are computed in a subquery and grouped by its columns: grouping by a CASE with
    bound parameters would repeat the parameters, which PostgreSQL refuses to match.
    """
    t = COLLECTIONS[name].model.__table__
    inner = select(*keys, *values, *_flags(name, t)).where(*_where(name, principal, division)) \
        .subquery("rows")
    key_cols = [inner.c[k.name] for k in keys]
    return select(*key_cols, func.count().label("n"), *(s(inner) for s in (sums or [])),
                  *_gap_sums(name, inner)).group_by(*key_cols)


def _age_bucket(year: Any) -> ColumnElement[str]:
    whens = [(year.is_(None), UNKNOWN.value)]
    whens += [(year < limit, bucket) for limit, bucket in _DECADES]
    return case(*whens, else_="2020s")


def _capacity(t: Table) -> ColumnElement[int]:
    """Recorded capacity, else floor(effective area ÷ per-capita minimum) (DOMAIN.md §7)."""
    per_person = case(codes.SHELTER_AREA_PER_PERSON, value=t.c.shelter_class)
    by_area = Cast(t.c.effective_area_m2 / per_person, Integer)  # truncation = floor for area > 0
    return func.coalesce(t.c.capacity_persons, by_area)


# --- the overview ---------------------------------------------------------------------------

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

    _pipelines(session, principal, code, out, fold_gaps)
    _points(session, principal, code, out, fold_gaps)
    _tunnels(session, principal, code, out, fold_gaps)
    _shelters(session, principal, code, out, fold_gaps)
    _flood_points(session, principal, code, out, fold_gaps)
    out.counted = {spec.name: _counted(session, spec.name, spec.counted_by, principal, code)
                   for spec in COLLECTIONS.values() if spec.counted_by is not None}
    _owners(session, principal, code, out)
    _changes(session, principal, code, out)
    for name, checks in CHECKS.items():
        spec = COLLECTIONS[name]
        for check, missing in zip(checks, gaps[name], strict=True):
            f = spec.field(check.key)
            zh = check.zh or (f.zh if f else check.key)
            en = check.en or (f.en if f else check.key)
            out.gaps.append(Gap(name, check.key, zh, en, missing, totals[name]))
    return out


Fold = Callable[[str, Any, int], None]


def _pipelines(session: Session, principal: Principal, code: str | None, out: Overview,
               fold: Fold) -> None:
    """Category × material × age × grade in one scan; the four distributions are its margins."""
    t = COLLECTIONS["pipelines"].model.__table__
    stmt = _grouped("pipelines", principal, code,
                    keys=[t.c.category, func.coalesce(t.c.material, UNKNOWN.value).label("material"),
                          _age_bucket(t.c.build_year).label("age"),
                          func.coalesce(t.c.condition_grade, 0).label("grade")],
                    values=[t.c.length_m], sums=[lambda r: func.sum(r.c.length_m)])
    out.by_category = {c.value: Tally() for c in codes.PIPELINE_CATEGORIES}
    out.by_age = {b.value: {} for b in AGE_BUCKETS}
    out.condition = {g.value: {} for g in GRADES}
    for row in session.execute(stmt):
        category, material, age, grade, n, length = row[:6]
        out.by_category.setdefault(category, Tally()).add(n, length)
        out.by_age[age].setdefault(category, Tally()).add(n, length)
        out.by_material.setdefault(material, {}).setdefault(category, Tally()).add(n, length)
        out.condition[_grade(grade)].setdefault("pipelines", Tally()).add(n, length)
        fold("pipelines", row, 6)
    order = {c.value: i for i, c in enumerate([*codes.MATERIALS, UNKNOWN])}
    out.by_material = dict(sorted(out.by_material.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def _grade(value: Any) -> str:
    return str(int(value)) if value and str(int(value)) in codes.CONDITION_GRADES else UNKNOWN.value


def _points(session: Session, principal: Principal, code: str | None, out: Overview,
            fold: Fold) -> None:
    t = COLLECTIONS["network-points"].model.__table__
    stmt = _grouped("network-points", principal, code,
                    keys=[func.coalesce(t.c.condition_grade, 0).label("grade")], values=[])
    for row in session.execute(stmt):
        out.network_points += int(row.n)
        out.condition[_grade(row.grade)].setdefault("network-points", Tally()).add(row.n, None)
        fold("network-points", row, 2)


def _tunnels(session: Session, principal: Principal, code: str | None, out: Overview,
             fold: Fold) -> None:
    t = COLLECTIONS["tunnels"].model.__table__
    stmt = _grouped("tunnels", principal, code,
                    keys=[func.coalesce(t.c.condition_grade, 0).label("grade")],
                    values=[t.c.length_m], sums=[lambda r: func.sum(r.c.length_m)])
    for row in session.execute(stmt):
        out.tunnels.add(row.n, row[2])
        out.condition[_grade(row.grade)].setdefault("tunnels", Tally()).add(row.n, row[2])
        fold("tunnels", row, 3)


def _shelters(session: Session, principal: Principal, code: str | None, out: Overview,
              fold: Fold) -> None:
    t = COLLECTIONS["shelters"].model.__table__
    stmt = _grouped("shelters", principal, code, keys=[t.c.shelter_class],
                    values=[_capacity(t).label("capacity"), t.c.effective_area_m2],
                    sums=[lambda r: func.sum(r.c.capacity), lambda r: func.sum(r.c.effective_area_m2)])
    order = {c.value: i for i, c in enumerate(codes.SHELTER_CLASSES)}
    rows = sorted(session.execute(stmt), key=lambda r: (order.get(r.shelter_class, 99), r.shelter_class))
    for row in rows:
        out.shelters[row.shelter_class] = ShelterTally(int(row.n), int(row[2] or 0), float(row[3] or 0.0))
        fold("shelters", row, 4)


def _flood_points(session: Session, principal: Principal, code: str | None, out: Overview,
                  fold: Fold) -> None:
    t = COLLECTIONS["flood-points"].model.__table__
    stmt = _grouped("flood-points", principal, code, keys=[t.c.status], values=[])
    out.flood_points = {s.value: 0 for s in codes.FLOOD_POINT_STATUSES}
    for row in session.execute(stmt):
        out.flood_points[row.status] = out.flood_points.get(row.status, 0) + int(row.n)
        fold("flood-points", row, 2)


def _counted(session: Session, name: str, column: str, principal: Principal,
             code: str | None) -> dict[str, int]:
    """Records of a collection by one of its codes."""
    t = COLLECTIONS[name].model.__table__
    stmt = select(t.c[column], func.count()).where(*_where(name, principal, code)) \
        .group_by(t.c[column])
    return {key: int(n) for key, n in session.execute(stmt)}


def _owners(session: Session, principal: Principal, code: str | None, out: Overview) -> None:
    """The owners (权属单位) holding the most length; blank owners are a completeness gap."""
    t = COLLECTIONS["pipelines"].model.__table__
    length = func.sum(t.c.length_m)
    stmt = (select(t.c.owner, func.count(), length)
            .where(*_where("pipelines", principal, code), t.c.owner.is_not(None), t.c.owner != "")
            .group_by(t.c.owner)
            .order_by(func.coalesce(length, 0).desc(), t.c.owner)
            .limit(TOP_OWNERS))
    out.owners = [(owner, Tally(int(n), float(m or 0.0))) for owner, n, m in session.execute(stmt)]


def _changes(session: Session, principal: Principal, code: str | None, out: Overview) -> None:
    """The week's audit entries by collection and action, and the newest few one by one."""
    a = AuditEntry.__table__.c
    conditions: list[ColumnElement[bool]] = [a.at >= out.since]
    if not principal.is_admin:
        conditions.append(within(a.division_code, principal.prefixes))
    if code is not None:
        conditions.append(within(a.division_code, (division_prefix(code),)))
    stmt = select(a.collection, a.action, func.count()).where(*conditions) \
        .group_by(a.collection, a.action)
    for collection, action, n in session.execute(stmt):
        out.changes.setdefault(collection, {})[action] = int(n)
    if not out.changes:
        return
    latest = (select(a.id, a.at, a.actor, a.action, a.collection, a.record_id, a.division_code)
              .where(*conditions).order_by(a.at.desc(), a.id.desc()).limit(LATEST))
    out.latest = [Change(*row) for row in session.execute(latest)]
