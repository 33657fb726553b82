"""What one division's health-check computation reads: where, which year, the entered inputs,
the city profile's figures, and the registry as it stood at the end of the year (``asof``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from geoalchemy2.shape import to_shape
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from resilience import profiles
from resilience.divisions import Division, division_prefix
from resilience.profiles import Figures
from risk.grid import to_plane
from risk.healthcheck.asof import CITY_ZONE, Pipe, Registry


@dataclass(frozen=True)
class Value:
    """A computed value, the note it stands on (a NOTES code) and the records behind it."""

    value: float | None
    note: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Scope:
    """What one division's computation reads: where, when, and the entered inputs."""

    session: Session
    division: Division
    year: int
    inputs: dict[str, float] = field(default_factory=dict)
    today: date | None = None  # the city's today in ``zone`` when not given
    # Tables other parts of the registry keep (their names, so a test can point elsewhere).
    tables: dict[str, str] = field(default_factory=lambda: {
        "hazards": "hazards", "hazard_events": "hazard_events",
        "inspection_tasks": "inspection_tasks"})
    zone: ZoneInfo = CITY_ZONE  # where a year ends

    @property
    def day(self) -> date:
        """Today as given, else the city's day in ``zone`` — not the server's (UTC is still
        yesterday until 08:00 in China)."""
        return self.today if self.today is not None else datetime.now(self.zone).date()

    @property
    def prefix(self) -> str:
        """The division's code prefix (this division and everything below it)."""
        return division_prefix(self.division.code)

    @cached_property
    def registry(self) -> Registry:
        """The division's records, read once, as they stood at the end of this or last year."""
        return Registry(self.session, self.prefix, self.year - 1, self.zone)

    @cached_property
    def pipes(self) -> list[Pipe]:
        """Segments in service at the end of the year, in their state then."""
        return self.registry.pipes(self.year)

    @cached_property
    def plane_area(self) -> shapely.Geometry | None:
        """The division's boundary in the EPSG:4549 plane (None without a boundary)."""
        if self.division.boundary is None:
            return None
        geom = to_shape(self.division.boundary)
        return to_plane(np.array([geom]))[0]

    @cached_property
    def profile(self) -> Figures | None:
        """The city profile's figures of the division in force in the year (one query)."""
        return profiles.figures(self.session, self.division.code, self.year)

    def area_km2(self) -> tuple[float | None, str | None, dict[str, Any]]:
        """Built-up area from the city profile; none there is no data (never the whole area)."""
        return self._figure("built_up_area_km2", "no_built_up_area")

    def population(self) -> tuple[float | None, str | None, dict[str, Any]]:
        """Resident population from the city profile; none there is no data."""
        return self._figure("population", "no_population")

    def _figure(self, name: str, missing: str) -> tuple[float | None, str | None, dict[str, Any]]:
        """A profile figure, with the note a value computed from it carries and its params.

        Example figures (the demo's) are noted as such; figures of an earlier year than the
        check's are noted with their year.
        """
        fig = self.profile
        value = getattr(fig, name) if fig is not None else None
        if fig is None or not value:
            return None, missing, {}
        params: dict[str, Any] = {"profile_year": fig.year, "profile_source": fig.source or ""}
        if fig.example:
            return float(value), "example_figures", {**params, "example": True}
        return float(value), None if fig.year == self.year else "earlier_figures", params


def pct(part: float, whole: float) -> float | None:
    """part ÷ whole × 100, None for an empty whole."""
    return None if not whole else round(100.0 * part / whole, 4)


def table_columns(session: Session, table: str) -> set[str] | None:
    """The columns of a table another part of the registry may not have created yet."""
    insp = inspect(session.connection())
    if not insp.has_table(table):
        return None
    return {c["name"] for c in insp.get_columns(table)}
