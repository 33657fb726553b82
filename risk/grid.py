"""The analysis grid: square cells in a Gauss-Krüger plane, keyed by integer indices.

Cells are ``size`` metres square in EPSG:4549 (CGCS2000, 3° zone at 120°E, DOMAIN.md §9),
so lengths and areas are metres, and a cell's key ``c{size}:{i}:{j}`` is stable across runs
of the same size: the diff can compare a cell with itself. Geometry for storage goes back
to lon/lat (EPSG:4490).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import cast

import numpy as np
import shapely
from pyproj import Transformer

PLANE_EPSG = 4549


@lru_cache(maxsize=2)
def _transformer(forward: bool) -> Transformer:
    src, dst = (4490, PLANE_EPSG) if forward else (PLANE_EPSG, 4490)
    return Transformer.from_crs(src, dst, always_xy=True)


def to_plane(geoms: np.ndarray) -> np.ndarray:
    """Lon/lat geometries to metres (vectorised over a shapely array)."""
    t = _transformer(True)
    return cast(np.ndarray, shapely.transform(
        geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))))


def to_lonlat(geoms: np.ndarray) -> np.ndarray:
    """Plane geometries back to lon/lat for storage."""
    t = _transformer(False)
    return cast(np.ndarray, shapely.transform(
        geoms, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))))


@dataclass(frozen=True)
class Grid:
    """A grid of square cells of ``size`` metres."""

    size: float

    def key(self, i: int, j: int) -> str:
        """The cell's stable reference."""
        return f"c{int(self.size)}:{i}:{j}"

    @staticmethod
    def parse(ref: str) -> tuple[int, int]:
        """The indices of a cell reference."""
        _, i, j = ref.split(":")
        return int(i), int(j)

    def boxes(self, ij: np.ndarray) -> np.ndarray:
        """The cells' squares in the plane."""
        x0 = ij[:, 0] * self.size
        y0 = ij[:, 1] * self.size
        return cast(np.ndarray, shapely.box(x0, y0, x0 + self.size, y0 + self.size))

    def covering(self, bounds: np.ndarray) -> np.ndarray:
        """Every cell touched by any of the plane bounding boxes (rows minx, miny, maxx, maxy)."""
        if len(bounds) == 0:
            return np.empty((0, 2), dtype=np.int64)
        lo = np.floor(bounds[:, :2] / self.size).astype(np.int64)
        hi = np.floor(bounds[:, 2:] / self.size).astype(np.int64)
        span = (hi - lo + 1)
        small = (span[:, 0] == 1) & (span[:, 1] == 1)
        parts = [lo[small]]
        for k in np.nonzero(~small)[0]:
            ii, jj = np.meshgrid(np.arange(lo[k, 0], hi[k, 0] + 1),
                                 np.arange(lo[k, 1], hi[k, 1] + 1), indexing="ij")
            parts.append(np.column_stack([ii.ravel(), jj.ravel()]))
        return np.unique(np.concatenate(parts), axis=0)
