"""Completeness: the values each collection should carry, checked in the database.

Each check is a SQL condition; the tallies add one 1/0 flag per check to their grouped
query, so the gaps are counted in the same scan as the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, or_

Missing = Callable[[Table], ColumnElement[bool]]


def _blank(name: str) -> Missing:
    """Null, or text that is empty once trimmed."""
    return lambda t: or_(t.c[name].is_(None), func.trim(t.c[name]) == "")


def _null(name: str) -> Missing:
    """Null."""
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


def flags(name: str, t: Table) -> list[ColumnElement[int]]:
    """1/0 per check, for the inner query; summed by the outer one."""
    return [case((c.missing(t), 1), else_=0).label(f"gap_{i}") for i, c in enumerate(CHECKS[name])]


def gap_sums(name: str, inner: Any) -> list[ColumnElement[Any]]:
    """The per-check sums over the inner query's flags."""
    return [func.sum(inner.c[f"gap_{i}"]) for i in range(len(CHECKS[name]))]
