"""Where the demo city may be built: Hangzhou's counties in lon/lat and in metres, minus the water.

Every generator measures in EPSG:4549 metres (CGCS2000 3° Gauss-Krüger, CM 120°E; DOMAIN.md §9)
and stores lon/lat. This module holds the two transforms, each county's polygon as stored and,
shrunk by a margin with West Lake and the Qiantang cut out, where streets may go; it is built
once per process because projecting and buffering costs a second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from demo.data import json_data
from demo.districts import hangzhou_divisions
from resilience.model import SRID

WORK_EPSG = 4549  # CGCS2000 3° Gauss-Krüger CM 120°E: metres for Hangzhou (DOMAIN.md §9)
MARGIN_M = 25.0  # streets keep this far inside their district, so offset lanes stay inside


@dataclass(frozen=True)
class District:
    """A county-level division in lon/lat (stored) and metres (generation)."""

    code: str
    name: str
    ll: BaseGeometry
    inner_m: BaseGeometry  # shrunk by MARGIN_M, water removed: where streets may go


@dataclass(frozen=True)
class Space:
    """Transforms and district polygons shared by every generator."""

    to_m: Transformer
    to_ll: Transformer
    districts: dict[str, District]

    def metres(self, geom: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in EPSG:4549 metres."""
        return to_metres(geom)

    def lonlat(self, geom: BaseGeometry) -> BaseGeometry:
        """A metric geometry back in lon/lat."""
        return to_lonlat(geom)

    def lonlat_xy(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Metric coordinates as lon/lat arrays."""
        lon, lat = self.to_ll.transform(x, y)
        return np.asarray(lon), np.asarray(lat)


@lru_cache(maxsize=1)
def transformers() -> tuple[Transformer, Transformer]:
    """Lon/lat to metres and back, made once (pyproj's set-up is the slow part)."""
    return (Transformer.from_crs(SRID, WORK_EPSG, always_xy=True),
            Transformer.from_crs(WORK_EPSG, SRID, always_xy=True))


def to_metres(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat geometry in EPSG:4549 metres."""
    to_m = transformers()[0]
    return shapely.transform(geom, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1])))


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """A metric geometry back in lon/lat."""
    to_ll = transformers()[1]
    return shapely.transform(geom, lambda c: np.column_stack(to_ll.transform(c[:, 0], c[:, 1])))


@lru_cache(maxsize=1)
def space() -> Space:
    """Build the districts once per process: projecting and buffering costs a second."""
    to_m, to_ll = transformers()
    seeds = {d.code: d for d in hangzhou_divisions() if d.level == "county"}
    ll = {code: shapely.from_wkt(d.boundary_wkt) for code, d in seeds.items()}
    made = Space(to_m, to_ll, {})
    landscape = json_data("landscape.json")
    water = shapely.union(to_metres(Polygon(landscape["west_lake"])),
                          to_metres(river(ll)).buffer(float(landscape["qiantang"]["half_width_m"])))
    for code, poly in ll.items():
        inner = shapely.difference(to_metres(poly).buffer(-MARGIN_M), water)
        shapely.prepare(inner)
        shapely.prepare(poly)
        made.districts[code] = District(code, seeds[code].name, poly, inner)
    return made


def river(ll: Mapping[str, BaseGeometry]) -> BaseGeometry:
    """The Qiantang's course, taken as the border between its north- and south-bank districts."""
    banks = json_data("landscape.json")["qiantang"]
    north = shapely.union_all([ll[c] for c in banks["north_bank"]])
    south = shapely.union_all([ll[c] for c in banks["south_bank"]])
    shared = shapely.line_merge(shapely.intersection(north.boundary, south.boundary))
    return max(shapely.get_parts(shared), key=lambda part: part.length)


@cache
def district_name(code: str) -> str:
    """The district's Chinese name, e.g. 西湖区."""
    return space().districts[code].name
