"""Tallies per kind: the pipelines, points, tunnels, shelters and flood points in numbers.

Each table is read once: one grouped query yields category, material, age and condition of
the pipelines together, with the completeness flags summed alongside (handed to ``fold``).
The rows are the visible, unretired ones inside the division, through the repository's
``visibility``, so a user's divisions restrict these figures exactly as every other read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Cast, ColumnElement, Integer, Select, Table, case, func, select
from sqlalchemy.orm import Session

from inventory.assets import COLLECTIONS
from inventory.overview.completeness import flags, gap_sums
from inventory.overview.figures import AGE_BUCKETS, DECADES, GRADES, UNKNOWN, Overview, ShelterTally, Tally
from inventory.repository import visibility
from resilience import codes
from resilience.accounts import Principal
from resilience.divisions import division_prefix, within

TOP_OWNERS = 15

Fold = Callable[[str, Any, int], None]  # (collection, grouped row, index of its first gap sum)


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
    inner = select(*keys, *values, *flags(name, t)).where(*_where(name, principal, division)) \
        .subquery("rows")
    key_cols = [inner.c[k.name] for k in keys]
    return select(*key_cols, func.count().label("n"), *(s(inner) for s in (sums or [])),
                  *gap_sums(name, inner)).group_by(*key_cols)


def _age_bucket(year: Any) -> ColumnElement[str]:
    whens = [(year.is_(None), UNKNOWN.value)]
    whens += [(year < limit, bucket) for limit, bucket in DECADES]
    return case(*whens, else_="2020s")


def _capacity(t: Table) -> ColumnElement[int]:
    """Recorded capacity, else floor(effective area ÷ per-capita minimum) (DOMAIN.md §7)."""
    per_person = case(codes.SHELTER_AREA_PER_PERSON, value=t.c.shelter_class)
    by_area = Cast(t.c.effective_area_m2 / per_person, Integer)  # truncation = floor for area > 0
    return func.coalesce(t.c.capacity_persons, by_area)


def pipelines(session: Session, principal: Principal, code: str | None, out: Overview,
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


def network_points(session: Session, principal: Principal, code: str | None, out: Overview,
                   fold: Fold) -> None:
    """Network points by condition grade."""
    t = COLLECTIONS["network-points"].model.__table__
    stmt = _grouped("network-points", principal, code,
                    keys=[func.coalesce(t.c.condition_grade, 0).label("grade")], values=[])
    for row in session.execute(stmt):
        out.network_points += int(row.n)
        out.condition[_grade(row.grade)].setdefault("network-points", Tally()).add(row.n, None)
        fold("network-points", row, 2)


def tunnels(session: Session, principal: Principal, code: str | None, out: Overview,
            fold: Fold) -> None:
    """Tunnels and their length by condition grade."""
    t = COLLECTIONS["tunnels"].model.__table__
    stmt = _grouped("tunnels", principal, code,
                    keys=[func.coalesce(t.c.condition_grade, 0).label("grade")],
                    values=[t.c.length_m], sums=[lambda r: func.sum(r.c.length_m)])
    for row in session.execute(stmt):
        out.tunnels.add(row.n, row[2])
        out.condition[_grade(row.grade)].setdefault("tunnels", Tally()).add(row.n, row[2])
        fold("tunnels", row, 3)


def shelters(session: Session, principal: Principal, code: str | None, out: Overview,
             fold: Fold) -> None:
    """Shelters by class, with their capacity and effective area."""
    t = COLLECTIONS["shelters"].model.__table__
    stmt = _grouped("shelters", principal, code, keys=[t.c.shelter_class],
                    values=[_capacity(t).label("capacity"), t.c.effective_area_m2],
                    sums=[lambda r: func.sum(r.c.capacity), lambda r: func.sum(r.c.effective_area_m2)])
    order = {c.value: i for i, c in enumerate(codes.SHELTER_CLASSES)}
    rows = sorted(session.execute(stmt), key=lambda r: (order.get(r.shelter_class, 99), r.shelter_class))
    for row in rows:
        out.shelters[row.shelter_class] = ShelterTally(int(row.n), int(row[2] or 0), float(row[3] or 0.0))
        fold("shelters", row, 4)


def flood_points(session: Session, principal: Principal, code: str | None, out: Overview,
                 fold: Fold) -> None:
    """Flood points by status."""
    t = COLLECTIONS["flood-points"].model.__table__
    stmt = _grouped("flood-points", principal, code, keys=[t.c.status], values=[])
    out.flood_points = {s.value: 0 for s in codes.FLOOD_POINT_STATUSES}
    for row in session.execute(stmt):
        out.flood_points[row.status] = out.flood_points.get(row.status, 0) + int(row.n)
        fold("flood-points", row, 2)


def counted(session: Session, name: str, column: str, principal: Principal,
            code: str | None) -> dict[str, int]:
    """Records of a collection by one of its codes."""
    t = COLLECTIONS[name].model.__table__
    stmt = select(t.c[column], func.count()).where(*_where(name, principal, code)) \
        .group_by(t.c[column])
    return {key: int(n) for key, n in session.execute(stmt)}


def owners(session: Session, principal: Principal, code: str | None, out: Overview) -> None:
    """The owners (权属单位) holding the most length; blank owners are a completeness gap."""
    t = COLLECTIONS["pipelines"].model.__table__
    length = func.sum(t.c.length_m)
    stmt = (select(t.c.owner, func.count(), length)
            .where(*_where("pipelines", principal, code), t.c.owner.is_not(None), t.c.owner != "")
            .group_by(t.c.owner)
            .order_by(func.coalesce(length, 0).desc(), t.c.owner)
            .limit(TOP_OWNERS))
    out.owners = [(owner, Tally(int(n), float(m or 0.0))) for owner, n, m in session.execute(stmt)]
