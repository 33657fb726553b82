"""Keeping the divisions table in step with a source: the offline data or official boundaries.

``resilience init`` loads the configured city's divisions from the offline GB/T 2260 data
(:mod:`resilience.gb2260`), so a fresh install can place records at once; ``resilience
divisions import`` replaces boundaries with a city's official ones. Both write in the
caller's transaction, audit every division they add or change (collection ``divisions``,
the code as the record id), and leave what is already right untouched — a second run
changes nothing. An official boundary is never overwritten by the offline data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import shapely
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import audit, gb2260
from resilience.divisions import Division, level_of
from resilience.model import SRID, now

OFFLINE = "offline: " + gb2260.SOURCE
OFFICIAL_PREFIX = "official: "


@dataclass
class SyncReport:
    """What a load or an import did, division by division."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_official: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.added or self.updated)


def is_official(division: Division) -> bool:
    """Whether the division's boundary came from an official file."""
    return (division.boundary_source or "").startswith(OFFICIAL_PREFIX)


def boundary_summary(geom: BaseGeometry | None) -> dict[str, Any] | None:
    """What the audit keeps of a boundary: enough to tell two apart, not megabytes of WKT."""
    if geom is None:
        return None
    wkb = shapely.to_wkb(shapely.normalize(geom), output_dimension=2)
    return {"vertices": int(shapely.get_num_coordinates(geom)),
            "bounds": [round(float(v), 6) for v in geom.bounds],
            "digest": hashlib.sha1(wkb).hexdigest()[:16]}


def snapshot(division: Division) -> dict[str, Any]:
    """A division's audited fields."""
    geom = to_shape(division.boundary) if division.boundary is not None else None
    return {"code": division.code, "name": division.name, "level": division.level,
            "parent_code": division.parent_code, "boundary_source": division.boundary_source,
            "boundary": boundary_summary(geom)}


def _same_boundary(stored: Division, geom: BaseGeometry) -> bool:
    if stored.boundary is None:
        return False
    return bool(shapely.equals_exact(shapely.normalize(to_shape(stored.boundary)),
                                     shapely.normalize(geom), tolerance=1e-7))


def _audit(session: Session, actor: str, action: str, before: dict[str, Any] | None,
           after: dict[str, Any], reason: str) -> None:
    audit.record(session, actor=actor, action=action, collection="divisions",
                 record_id=int(after["code"]), division_code=after["code"], before=before,
                 after=after, reason=reason)


def load_offline(session: Session, city_code: str, *, actor: str = "init") -> SyncReport:
    """Insert the city's (or province's) offline divisions; bring changed offline ones up to
    date; leave official boundaries alone. Raises InvalidInput for an unknown code."""
    seeds = gb2260.offline_divisions(city_code)
    codes = [s.code for s in seeds]
    stored = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(codes)))}
    report = SyncReport()
    for seed in seeds:
        geom = shapely.from_wkt(seed.boundary_wkt)
        division = stored.get(seed.code)
        if division is None:
            division = Division(code=seed.code, name=seed.name, level=seed.level,
                                parent_code=seed.parent_code, boundary_source=OFFLINE,
                                boundary=from_shape(geom, srid=SRID), updated_at=now())
            session.add(division)
            session.flush()
            _audit(session, actor, "create", None, snapshot(division), OFFLINE)
            report.added.append(seed.code)
            continue
        if is_official(division):
            report.kept_official.append(seed.code)
            continue
        same = (division.name == seed.name and division.level == seed.level
                and division.parent_code == seed.parent_code and _same_boundary(division, geom))
        if same:
            if division.boundary_source is None:  # loaded before sources were recorded
                division.boundary_source = OFFLINE
            report.unchanged.append(seed.code)
            continue
        before = snapshot(division)
        division.name, division.level, division.parent_code = seed.name, seed.level, seed.parent_code
        division.boundary = from_shape(geom, srid=SRID)
        division.boundary_source, division.updated_at = OFFLINE, now()
        session.flush()
        _audit(session, actor, "update", before, snapshot(division), OFFLINE)
        report.updated.append(seed.code)
    session.flush()
    return report


@dataclass(frozen=True)
class OfficialBoundary:
    """One division of an official boundary file, checked and ready to store."""

    code: str
    name: str
    geom: BaseGeometry


def replace_boundaries(session: Session, rows: Iterable[OfficialBoundary], *, actor: str,
                       source: str) -> SyncReport:
    """Store official boundaries (adding townships the offline data lacks); the caller has
    checked every row. Records keep their division: only boundaries and names change."""
    report = SyncReport()
    label = OFFICIAL_PREFIX + source
    for row in rows:
        division = session.get(Division, row.code)
        if division is None:
            parent = _parent_of(session, row.code)
            division = Division(code=row.code, name=row.name, level=level_of(row.code),
                                parent_code=parent, boundary_source=label,
                                boundary=from_shape(row.geom, srid=SRID), updated_at=now())
            session.add(division)
            session.flush()
            _audit(session, actor, "create", None, snapshot(division), label)
            report.added.append(row.code)
            continue
        if division.name == row.name and _same_boundary(division, row.geom):
            division.boundary_source = label
            report.unchanged.append(row.code)
            continue
        before = snapshot(division)
        division.name = row.name
        division.boundary = from_shape(row.geom, srid=SRID)
        division.boundary_source, division.updated_at = label, now()
        session.flush()
        _audit(session, actor, "update", before, snapshot(division), label)
        report.updated.append(row.code)
    session.flush()
    return report


def parent_code_of(code: str) -> str | None:
    """The code of the division directly above, by the code's own structure."""
    if len(code) > 6:
        return code[:6]
    level = level_of(code)
    if level == "county":
        return code[:4] + "00"
    if level == "city":
        return code[:2] + "0000"
    return None


def _parent_of(session: Session, code: str) -> str | None:
    """The nearest registered division above (a county directly under a province keeps the
    province)."""
    parent = parent_code_of(code)
    while parent is not None and session.get(Division, parent) is None:
        parent = parent_code_of(parent)
    return parent
