"""Administrative divisions (GB/T 2260) and the code ranges that make "this and below" cheap.

A GB/T 2260 code nests: 33 (province) ⊃ 3301 (city) ⊃ 330106 (district) ⊃ 330106001
(township). Dropping the trailing "00" pairs gives a prefix, and "every record in this
division or below" becomes a range scan on an indexed text column on both databases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import shapely
from geoalchemy2 import WKBElement
from shapely import STRtree, wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.errors import Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import as_wkb, contains, from_wkb, geometry, point_on_surface

LEVELS = ("province", "city", "county", "township")


class Division(Base):
    """A province, city (设区市), county/district or township/street with its boundary."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    parent_code: Mapped[str | None] = mapped_column(
        String(12), ForeignKey("divisions.code"), index=True
    )
    population: Mapped[int | None] = mapped_column(Integer)
    boundary: Mapped[WKBElement | None] = mapped_column(geometry("MULTIPOLYGON"))
    # Where the boundary came from: the offline GB/T 2260 data (``resilience init``) or an
    # official file (``resilience divisions import``), which a later init never overwrites.
    boundary_source: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DivisionProfile(Base):
    """One division's figures for one year: 建成区面积, 常住人口, 建成区常住人口.

    Densities, per-person figures and coverage in the health check (城市体检) and the risk maps
    divide by these, so they are data an administrator enters per year (statistical yearbook,
    国土变更调查), not constants in code. The demo fills example figures, marked ``example``.
    """

    __tablename__ = "division_profiles"
    __table_args__ = (UniqueConstraint("division_code", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"),
                                               nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    built_up_area_km2: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)
    built_up_population: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    example: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    updated_by: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}


def division_prefix(code: str) -> str:
    """The code prefix shared by a division and everything below it."""
    code = code.strip()
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def level_of(code: str) -> str:
    """The administrative level a GB/T 2260 code denotes."""
    if len(code) > 6:
        return "township"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def within(column: Any, prefixes: tuple[str, ...], *, indexed: bool = True) -> ColumnElement[bool]:
    """Rows whose division code falls under any of the prefixes.

    ``indexed`` gives index range scans; without it the test is a plain filter, for queries
    where another index (the spatial one) is far more selective and the planner should not
    combine the two.
    """
    if not prefixes:
        return false()
    if not indexed:
        return or_(*(func.substr(column, 1, len(p)) == p for p in prefixes))
    # ':' sorts right after '9', so [p, p:) holds exactly the codes starting with p.
    return or_(*(and_(column >= p, column < p + ":") for p in prefixes))


def covers(prefixes: tuple[str, ...], code: str | None) -> bool:
    """True when a division code falls under one of the prefixes."""
    return code is not None and any(code.startswith(p) for p in prefixes)


def get(session: Session, code: str) -> Division | None:
    """One division by code."""
    return session.get(Division, code)


def locate(session: Session, geom_wkb: bytes) -> str | None:
    """The most detailed division whose boundary holds the geometry's representative point."""
    d = Division.__table__.c
    point = point_on_surface(from_wkb(geom_wkb))
    stmt = (
        select(d.code)
        .where(d.boundary.is_not(None), contains(d.boundary, point))
        .order_by(func.length(d.code).desc(), d.code.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def choose(given: str | None, given_exists: bool, found: str | None
           ) -> tuple[str | None, Problem | None]:
    """A record's division from the code it gives and the one its geometry lies in.

    A given code must exist and agree with the geometry (one may contain the other); the
    more detailed of the two is kept. Without a given code the geometry decides.
    """
    if given is not None and not given_exists:
        return None, Problem("division_code", "unknown_division", {"value": given})
    if given is None:
        if found is None:
            return None, Problem("geometry", "outside_divisions", {})
        return found, None
    if found is None:
        return given, None
    if not (covers((division_prefix(given),), found) or covers((division_prefix(found),), given)):
        return None, Problem("division_code", "division_mismatch", {"value": given, "found": found})
    more_detailed = len(division_prefix(found)) > len(division_prefix(given))
    return (found if more_detailed else given), None


class DivisionIndex:
    """Division boundaries held in memory, to place many rows without a query each."""

    def __init__(self, boundaries: dict[str, BaseGeometry], known: set[str] | None = None):
        self.known = set(boundaries) if known is None else known
        self.codes = list(boundaries)
        self._geoms = [boundaries[c] for c in self.codes]
        self._tree = STRtree(self._geoms)
        for geom in self._geoms:
            shapely.prepare(geom)

    @classmethod
    def load(cls, session: Session) -> DivisionIndex:
        """Every division with a boundary."""
        d = Division.__table__.c
        rows = session.execute(select(d.code, as_wkb(d.boundary))
                               .where(d.boundary.is_not(None))).all()
        return cls({code: wkb.loads(bytes(raw)) for code, raw in rows},
                   set(session.scalars(select(d.code))))

    def exists(self, code: str) -> bool:
        """True when the code is a registered division."""
        return code in self.known

    def locate(self, geom: BaseGeometry) -> str | None:
        """The most detailed division holding the geometry's point on surface (as the DB does)."""
        point = geom.point_on_surface()
        hits = [self.codes[i] for i in self._tree.query(point)
                if self._geoms[i].contains(point)]
        return max(hits, key=lambda c: (len(c), c)) if hits else None

    def locate_many(self, geoms: np.ndarray) -> list[str | None]:
        """:meth:`locate` for a batch: one tree query for all the points on surface."""
        found: list[str | None] = [None] * len(geoms)
        if len(geoms) == 0:
            return found
        points = shapely.point_on_surface(geoms)
        rows, hits = self._tree.query(points, predicate="within")
        for row, hit in zip(rows.tolist(), hits.tolist(), strict=True):
            code, best = self.codes[hit], found[row]
            if best is None or (len(code), code) > (len(best), best):
                found[row] = code
        return found
