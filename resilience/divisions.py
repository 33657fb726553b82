"""Administrative divisions (GB/T 2260) and the code ranges that make "this and below" cheap.

A GB/T 2260 code nests: 33 (province) ⊃ 3301 (city) ⊃ 330106 (district) ⊃ 330106001
(township). Dropping the trailing "00" pairs gives a prefix, and "every record in this
division or below" becomes a range scan on an indexed text column on both databases.
"""

from __future__ import annotations

from typing import Any

from geoalchemy2 import WKBElement
from shapely import wkb
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, ForeignKey, Integer, String, and_, false, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.model import Base
from resilience.spatial import as_wkb, contains, dialect_of, from_wkb, geometry, point_on_surface

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
    dialect = dialect_of(session)
    point = point_on_surface(from_wkb(dialect, geom_wkb))
    stmt = (
        select(d.code)
        .where(d.boundary.is_not(None), contains(dialect, d.boundary, point))
        .order_by(func.length(d.code).desc(), d.code.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def city_boundary(session: Session, city_code: str) -> BaseGeometry | None:
    """The city's own boundary polygon, if its division is loaded."""
    d = Division.__table__.c
    raw = session.scalar(select(as_wkb(dialect_of(session), d.boundary)).where(d.code == city_code))
    return wkb.loads(bytes(raw)) if raw else None
