"""Geometry checks: type, emptiness, finite coordinates, validity and the city's extent.

Pure: a geometry in lon/lat in, problems named ``geometry`` out. An import checks a whole
batch with one call per GEOS function (``check_geometries``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from inventory.assets import CollectionSpec
from resilience import geo
from resilience.errors import Problem

Extent = tuple[float, float, float, float]
MAX_VERTICES = 100_000


def parse_geometry(raw: Any) -> tuple[BaseGeometry | None, Problem | None]:
    """A shapely geometry from a GeoJSON geometry object, or the problem with it."""
    if not isinstance(raw, dict) or "type" not in raw:
        return None, Problem("geometry", "not_a_geometry", {})
    try:
        geom = shape(raw)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError,
            shapely.errors.ShapelyError):
        return None, Problem("geometry", "malformed_geometry", {"type": str(raw.get("type"))})
    return geom, None


def check_geometry(
    spec: CollectionSpec, geom: BaseGeometry, extent: Extent | None
) -> list[Problem]:
    """Type, emptiness, finiteness, validity and city extent of a geometry in lon/lat."""
    return check_geometries(spec, np.array([geom], dtype=object), extent)[0]


def check_geometries(
    spec: CollectionSpec, geoms: np.ndarray, extent: Extent | None
) -> list[list[Problem]]:
    """:func:`check_geometry` for a whole batch at once (GEOS works on the array).

    An import checks tens of thousands of geometries; asking GEOS once per batch instead of
    once per row is what keeps a 100k-row file within seconds.
    """
    n = len(geoms)
    out: list[list[Problem]] = [[] for _ in range(n)]
    if n == 0:
        return out
    types = shapely.get_type_id(geoms)
    allowed = [_TYPE_IDS[t] for t in spec.geometry_types]
    typed = np.isin(types, allowed)
    empty = shapely.is_empty(geoms)
    counts = shapely.get_num_coordinates(geoms)
    todo = typed & ~empty & (counts <= MAX_VERTICES)
    finite = np.ones(n, dtype=bool)
    sub = geoms[todo]
    if len(sub):
        coords, index = shapely.get_coordinates(sub, return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        if bad.any():
            finite[np.flatnonzero(todo)[np.unique(index[bad])]] = False
    ok = todo & finite
    lines = ok & (types == 1)
    zero = np.zeros(n, dtype=bool)
    zero[lines] = shapely.length(geoms[lines]) == 0
    others = ok & ~lines
    valid = np.ones(n, dtype=bool)
    valid[others] = shapely.is_valid(geoms[others])
    bounds = np.full((n, 4), np.nan)
    bounds[ok] = shapely.bounds(geoms[ok])
    for i in range(n):
        if not typed[i]:
            out[i].append(Problem("geometry", "wrong_geometry_type",
                                  {"value": geoms[i].geom_type, "allowed": list(spec.geometry_types)}))
        elif empty[i]:
            out[i].append(Problem("geometry", "empty_geometry", {}))
        elif counts[i] > MAX_VERTICES:
            out[i].append(Problem("geometry", "too_many_vertices", {"max": MAX_VERTICES}))
        elif not finite[i]:
            out[i].append(Problem("geometry", "non_finite_coordinates", {}))
        else:
            if zero[i]:
                out[i].append(Problem("geometry", "zero_length", {}))
            elif not valid[i]:
                out[i].append(Problem("geometry", "invalid_geometry",
                                      {"reason": shapely.is_valid_reason(geoms[i])}))
            if extent is not None:
                problem = _outside(bounds[i], extent)
                if problem is not None:
                    out[i].append(problem)
    return out


_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5,
             "MultiPolygon": 6}


def _outside(bounds: np.ndarray, ex: Extent) -> Problem | None:
    """Outside the city's extent, with a hint when the numbers look swapped or projected."""
    minx, miny, maxx, maxy = bounds
    if minx >= ex[0] and miny >= ex[1] and maxx <= ex[2] and maxy <= ex[3]:
        return None
    params: dict[str, Any] = {"extent": list(ex)}
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if ex[0] <= cy <= ex[2] and ex[1] <= cx <= ex[3]:
        params["hint"] = "swapped"
    elif abs(cx) > 360 or abs(cy) > 360:
        params["hint"] = "projected"
        params["zone"] = f"EPSG:{geo.gauss_kruger_zone((ex[0] + ex[2]) / 2)}"
    return Problem("geometry", "outside_city", params)
