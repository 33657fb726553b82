"""Values the registry computes from a record, never typed in: a line's length, a shelter's capacity.

One function per value, rounded to the precision it is stored at, and used by every path that
writes one (forms and API through the service, imports, the demo), so that a record saved
again with its geometry untouched computes the very same value and its history records no
change (issue 13, item 9).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from inventory.assets import CollectionSpec
from inventory.shelters import capacity_from_area

LENGTH_DECIMALS = 3  # length_m is kept to the millimetre
# Coordinates that differ by less than this (about 1 mm) are the same place: the API and the
# forms hand back a record's geometry rounded to 8 decimals (``service.snapshot``), and
# saving it again must not move the record nor change its length.
SAME_PLACE_DEG = 1e-8

_geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by 0.1 mm in b


def geodesic_lengths(geoms: np.ndarray) -> np.ndarray:
    """Lengths in metres on the ellipsoid of lon/lat lines, rounded to ``LENGTH_DECIMALS``.

    Computed for a whole batch at once (an import or the demo measures tens of thousands of
    lines); a multi-part line is the sum of its parts, never bridging the gap between them.
    """
    n = len(geoms)
    if n == 0:
        return np.zeros(0)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, index = shapely.get_coordinates(parts, return_index=True)
    same = index[1:] == index[:-1]
    _, _, dist = _geod.inv(coords[:-1, 0][same], coords[:-1, 1][same],
                           coords[1:, 0][same], coords[1:, 1][same])
    per_part = np.bincount(index[1:][same], weights=dist, minlength=len(parts))
    per_geom = np.bincount(owner, weights=per_part, minlength=n)
    return np.round(np.abs(per_geom), LENGTH_DECIMALS)


def geodesic_length(geom: BaseGeometry) -> float:
    """:func:`geodesic_lengths` of one geometry (the same arithmetic, so the same value)."""
    return float(geodesic_lengths(np.array([geom], dtype=object))[0])


def same_place(stored: Any, given: Any) -> np.ndarray:
    """True where a given geometry is the stored one to ``SAME_PLACE_DEG`` (pairwise on arrays)."""
    return np.asarray(shapely.equals_exact(stored, given, tolerance=SAME_PLACE_DEG), dtype=bool)


def derived_values(spec: CollectionSpec, values: dict[str, Any], geom: BaseGeometry,
                   session: Any = None) -> dict[str, Any]:
    """Values the registry computes on every write: length, a shelter's default capacity."""
    out: dict[str, Any] = {}
    if "length_m" in spec.model.__table__.c:
        out["length_m"] = geodesic_length(geom)
    if spec.name == "shelters" and values.get("capacity_persons") is None:
        out["capacity_persons"] = capacity_from_area(values.get("shelter_class"),
                                                     values.get("effective_area_m2"))
    if spec.derive is not None:
        out.update(spec.derive(values, session))
    return out
