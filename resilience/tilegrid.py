"""The Web Mercator tile grid of the registry's vector tiles (Mapbox Vector Tile 2.1).

4096 units a side, so a 256-pixel tile has 16 units a pixel, and a 64-unit (4 px) buffer so
strokes meet at tile seams.
"""

from __future__ import annotations

import math

MVT_EXTENT = 4096
MVT_BUFFER = 64
MERCATOR = 3857

BBox = tuple[float, float, float, float]


def tile_bbox(z: int, x: int, y: int, buffer: int = 0) -> BBox:
    """A tile's lon/lat rectangle, widened by ``buffer`` tile units on each side.

    Computed once per tile in Python (the inverse Web Mercator), so the row filter compares
    stored EPSG:4490 geometries with a constant rectangle and keeps to the spatial index.
    """
    n = 2.0 ** z
    pad = buffer / MVT_EXTENT

    def lon(px: float) -> float:
        return px / n * 360.0 - 180.0

    def lat(py: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * py / n))))

    return lon(x - pad), lat(y + 1 + pad), lon(x + 1 + pad), lat(y - pad)
