"""The city profile: an admin's figures per division and year, checked, audited, and read back.

Built-up area (建成区面积, km²), resident population (常住人口) and the resident population of
the built-up area (建成区常住人口) are the denominators of densities, per-person figures and
coverage in the health check and the risk maps. They come from the statistical yearbook and
the land survey, so they are entered, not computed; a year without figures falls back to the
nearest earlier year that has them, and a division with none has none (never a guess).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import audit
from resilience.accounts import Principal
from resilience.divisions import Division, DivisionProfile
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.model import now

FIELDS = ("built_up_area_km2", "population", "built_up_population")
YEARS = (1949, 2100)  # a sane range: the People's Republic to the plans' horizon


@dataclass(frozen=True)
class Figures:
    """One division's figures for a year, and the year they were entered for."""

    division_code: str
    year: int
    built_up_area_km2: float | None
    population: int | None
    built_up_population: int | None
    example: bool
    source: str | None

    @property
    def built_up_density(self) -> float | None:
        """Residents per km² of built-up area, when both are known."""
        people = self.built_up_population or None
        if people is None or not self.built_up_area_km2:
            return None
        return people / self.built_up_area_km2


def _number(raw: Any, field: str, *, integer: bool, row: int | None) -> tuple[Any, Problem | None]:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    try:
        value = float(str(raw).replace(",", "").strip())
    except ValueError:
        return None, Problem(field, "not_a_number", {"value": raw}, row)
    if value < 0 or value != value:
        return None, Problem(field, "too_small", {"value": raw, "min": 0}, row)
    if integer:
        if value != int(value):
            return None, Problem(field, "not_an_integer", {"value": raw}, row)
        return int(value), None
    return value, None


def check(values: dict[str, Any], year: Any, *, row: int | None = None
          ) -> tuple[dict[str, Any], int | None, list[Problem]]:
    """Coerce and check one row of figures; every problem named by field (and row)."""
    problems: list[Problem] = []
    out: dict[str, Any] = {}
    for field in FIELDS:
        value, problem = _number(values.get(field), field, integer=field != "built_up_area_km2",
                                 row=row)
        out[field] = value
        if problem:
            problems.append(problem)
    number, problem = _number(year, "year", integer=True, row=row)
    if problem:
        problems.append(problem)
    elif number is None:
        problems.append(Problem("year", "required", {}, row))
    elif not YEARS[0] <= number <= YEARS[1]:
        problems.append(Problem("year", "out_of_range", {"value": number, "min": YEARS[0],
                                                         "max": YEARS[1]}, row))
    people, inside = out["population"], out["built_up_population"]
    if people is not None and inside is not None and inside > people:
        problems.append(Problem("built_up_population", "exceeds",
                                {"value": inside, "other": "population", "max": people}, row))
    return out, number, problems


def save(session: Session, code: str, year: Any, values: dict[str, Any], *, by: str,
         source: str | None = None, example: bool = False, row: int | None = None,
         actor: Principal | None = None) -> DivisionProfile:
    """Set a division's figures for a year (fields not given keep their value); audited.

    ``actor``: the user saving, whose divisions bound what they may set (None: the console).
    """
    if session.get(Division, code) is None:
        raise InvalidInput("unknown division", [Problem("division_code", "unknown_division",
                                                        {"value": code}, row)])
    if actor is not None and not actor.sees(code):
        raise InvalidInput("division not granted", [Problem(
            "division_code", "division_not_granted", {"value": code}, row)])
    given = {k: v for k, v in values.items() if k in FIELDS}
    checked, number, problems = check(given, year, row=row)
    if problems:
        raise InvalidInput("invalid figures", problems)
    assert number is not None
    profile = session.scalar(select(DivisionProfile).where(
        DivisionProfile.division_code == code, DivisionProfile.year == number))
    if profile is not None:  # the figures as they will stand must agree with each other
        merged = {f: getattr(profile, f) for f in FIELDS} | {f: checked[f] for f in given}
        problems = check(merged, number, row=row)[2]
        if problems:
            raise InvalidInput("invalid figures", problems)
    before = _snapshot(profile) if profile is not None else None
    if profile is None:
        profile = DivisionProfile(division_code=code, year=number)
        session.add(profile)
    for field in given:
        setattr(profile, field, checked[field])
    if source is not None:
        profile.source = source or None
    profile.example = example
    profile.updated_at, profile.updated_by = now(), by
    session.flush()
    after = _snapshot(profile)
    if before != after:
        audit.record(session, actor=by, action="update" if before else "create",
                     collection="division-profiles", record_id=profile.id, division_code=code,
                     before=before, after=after)
    return profile


def _snapshot(profile: DivisionProfile) -> dict[str, Any]:
    return {"division_code": profile.division_code, "year": profile.year,
            **{f: getattr(profile, f) for f in FIELDS}, "source": profile.source,
            "example": profile.example}


def listing(session: Session, year: int | None = None) -> list[DivisionProfile]:
    """Every entered row (of one year, if given), by division then year."""
    stmt = select(DivisionProfile).order_by(DivisionProfile.division_code, DivisionProfile.year)
    if year is not None:
        stmt = stmt.where(DivisionProfile.year == year)
    return list(session.scalars(stmt))


def figures(session: Session, code: str, year: int) -> Figures | None:
    """The figures in force for a division in a year: that year's, else the latest earlier
    year's; None when nothing was ever entered up to then."""
    profile = session.scalars(select(DivisionProfile).where(
        DivisionProfile.division_code == code, DivisionProfile.year <= year)
        .order_by(DivisionProfile.year.desc()).limit(1)).first()
    if profile is None:
        return None
    return Figures(profile.division_code, profile.year, profile.built_up_area_km2,
                   profile.population, profile.built_up_population, profile.example,
                   profile.source)


def all_figures(session: Session, year: int) -> dict[str, Figures]:
    """:func:`figures` for every division that has any, in one query."""
    rows = session.scalars(select(DivisionProfile).where(DivisionProfile.year <= year)
                           .order_by(DivisionProfile.division_code, DivisionProfile.year))
    out: dict[str, Figures] = {}
    for p in rows:  # later years overwrite earlier ones
        out[p.division_code] = Figures(p.division_code, p.year, p.built_up_area_km2,
                                       p.population, p.built_up_population, p.example, p.source)
    return out


def delete(session: Session, code: str, year: int, *, by: str,
           actor: Principal | None = None) -> None:
    """Remove a wrongly entered year (audited); figures fall back to the year before."""
    if actor is not None:
        actor.require_read(code)
    profile = session.scalar(select(DivisionProfile).where(
        DivisionProfile.division_code == code, DivisionProfile.year == year))
    if profile is None:
        raise NotFound("no figures for that division and year")
    audit.record(session, actor=by, action="retire", collection="division-profiles",
                 record_id=profile.id, division_code=code, before=_snapshot(profile), after=None)
    session.delete(profile)
    session.flush()
