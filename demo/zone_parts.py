"""What every demo hazard-zone generator shares: the records, and how a shape is drawn and stored.

Zones are drawn in EPSG:4549 metres and stored in lon/lat snapped to 1e-7°, which keeps every
polygon valid; slivers left by clipping to a county are dropped. Shapes are irregular blobs
(a few smooth harmonics on the radius), not drawn circles, and seeded by name, so the same
inputs give the same zones in any process.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from demo.data import json_data
from demo.space import to_lonlat

GRID = 1e-7  # degrees (~1 cm): stored vertices snap to it, which keeps polygons valid
MIN_AREA_M2 = 5_000.0  # slivers left by clipping are dropped

# The Fuchun from 建德 down to where it meets the Qiantang at 之江 (lon/lat, approximate).
FUCHUN: tuple[tuple[float, float], ...] = tuple(
    (lon, lat) for lon, lat in json_data("landscape.json")["fuchun"])


@dataclass(frozen=True)
class FloodSite:
    """A demo flood point as the waterlogging zones need it."""

    geom: Point  # lon/lat
    division_code: str
    name: str
    max_depth_cm: float


@dataclass(frozen=True)
class DemoZone:
    """One hazard zone, ready to insert."""

    name: str
    kind: str
    hazard_class: int
    division_code: str
    geom: BaseGeometry  # lon/lat, valid, polygonal
    return_period_years: int | None = None
    intensity: float | None = None
    intensity_unit: str | None = None
    issuing_unit: str | None = None
    remarks: str | None = None


def flood_site(geom: Point, division: str, name: str, events: list[Any]) -> FloodSite:
    """A flood point (generated rows or stored records) with its deepest event."""
    depths = [e["max_depth_cm"] if isinstance(e, dict) else e.max_depth_cm for e in events]
    return FloodSite(geom, division, name, float(max(depths, default=0) or 0))


def seed_of(text: str) -> int:
    """A stable integer for a name (Python's hash() changes between processes)."""
    return int.from_bytes(text.encode("utf-8")[:16].ljust(16, b"\0"), "big") % (2**32)


def blob(rng: np.random.Generator, x: float, y: float, radius: float,
         stretch: float = 1.0, angle: float = 0.0) -> Polygon:
    """An irregular round area (a few smooth harmonics on the radius), not a drawn circle."""
    t = np.linspace(0, 2 * math.pi, 40, endpoint=False)
    r = np.ones_like(t)
    for k in (2, 3, 5):
        r += rng.uniform(0.03, 0.12) * np.sin(k * t + rng.uniform(0, 2 * math.pi))
    px, py = radius * stretch * r * np.cos(t), radius * r * np.sin(t)
    ca, sa = math.cos(angle), math.sin(angle)
    return Polygon(np.column_stack([x + px * ca - py * sa, y + px * sa + py * ca]))


def _polygonal(geom: BaseGeometry) -> BaseGeometry | None:
    """The polygons of a (clipped) geometry, slivers dropped; None when nothing is left."""
    parts = [p for p in shapely.get_parts(shapely.make_valid(geom))
             if isinstance(p, Polygon) and p.area >= MIN_AREA_M2]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def stored(geom_m: BaseGeometry, within: BaseGeometry | None = None) -> BaseGeometry | None:
    """A metric polygon in lon/lat on the storage grid, checked valid.

    Clipped again in lon/lat to ``within`` (a county as stored): a straight edge in metres
    bows a few centimetres away from the same edge in degrees.
    """
    ll = to_lonlat(geom_m)
    if within is not None:
        ll = shapely.intersection(ll, within)
    ll = shapely.set_precision(ll, GRID)
    parts = [p for p in shapely.get_parts(ll) if isinstance(p, Polygon) and not p.is_empty]
    if not parts:
        return None
    out = parts[0] if len(parts) == 1 else MultiPolygon(parts)
    assert out.is_valid, shapely.is_valid_reason(out)
    return out


def clipped(area_m: BaseGeometry, county_m: BaseGeometry, min_area: float = MIN_AREA_M2
            ) -> BaseGeometry | None:
    """The part of an area inside a county, in lon/lat; None if less than ``min_area`` is left."""
    inside = _polygonal(shapely.intersection(area_m, county_m))
    if inside is not None and inside.area < min_area:
        return None
    # The county back in lon/lat has the stored vertices again (to 1e-12°).
    return stored(inside, to_lonlat(county_m)) if inside is not None else None
