"""Many rows at once: geometries parsed and written per batch, not per row.

An import handles tens of thousands of rows; asking GEOS, PROJ and the database once per
batch instead of once per row is what keeps a 100k-row file within seconds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from sqlalchemy import Table
from sqlalchemy.orm import Session

from resilience.dialects import insert_many, reserve_ids


def parse_geometries(raws: Sequence[Any]) -> tuple[np.ndarray, list[str | None]]:
    """Shapely geometries from a batch of file geometries, and a problem code per row.

    A file's geometry is WKB bytes (GDAL formats), WKT text (CSV, Excel) or a GeoJSON-like
    mapping (GeoJSON); the code is ``required`` when there is none and
    ``malformed_geometry`` when it cannot be read.
    """
    n = len(raws)
    geoms = np.empty(n, dtype=object)
    codes: list[str | None] = [None] * n
    wkb_rows = [i for i, r in enumerate(raws) if isinstance(r, bytes | bytearray | memoryview)]
    wkt_rows = [i for i, r in enumerate(raws) if isinstance(r, str) and r.strip()]
    if wkb_rows:
        geoms[wkb_rows] = shapely.from_wkb([bytes(raws[i]) for i in wkb_rows], on_invalid="ignore")
    if wkt_rows:
        geoms[wkt_rows] = shapely.from_wkt([raws[i] for i in wkt_rows], on_invalid="ignore")
    for i, raw in enumerate(raws):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            codes[i] = "required"
        elif isinstance(raw, dict):
            geoms[i] = _from_mapping(raw)
        elif not isinstance(raw, bytes | bytearray | memoryview | str):
            geoms[i] = None
        if codes[i] is None and geoms[i] is None:
            codes[i] = "malformed_geometry"
    return geoms, codes


def _from_mapping(raw: dict[str, Any]) -> Any:
    try:
        coords = raw.get("coordinates")
        if raw.get("type") == "Point" and isinstance(coords, list):
            raw = {"type": "Point", "coordinates": [float(c) for c in coords]}
        return shape(raw)
    except (shapely.errors.ShapelyError, ValueError, TypeError, AttributeError, KeyError,
            IndexError):
        return None


def force_2d(geoms: np.ndarray) -> np.ndarray:
    """The registry stores plan positions; a survey's Z values live in depth fields."""
    has_z = shapely.has_z(geoms)
    if has_z.any():
        geoms = geoms.copy()
        geoms[has_z] = shapely.force_2d(geoms[has_z])
    return geoms


def geojson_dicts(geoms: np.ndarray) -> list[dict[str, Any]]:
    """GeoJSON geometry objects for a batch (points and lines from one coordinate array)."""
    out: list[dict[str, Any]] = [{}] * len(geoms)
    types = shapely.get_type_id(geoms)
    simple = np.flatnonzero((types == 0) | (types == 1))
    if len(simple):
        coords, index = shapely.get_coordinates(geoms[simple], return_index=True)
        cuts = np.flatnonzero(np.diff(index)) + 1
        for i, part in zip(simple.tolist(), np.split(coords, cuts), strict=True):
            if types[i] == 0:
                out[i] = {"type": "Point", "coordinates": part[0].tolist()}
            else:
                out[i] = {"type": "LineString", "coordinates": part.tolist()}
    for i in np.flatnonzero(~((types == 0) | (types == 1))).tolist():
        out[i] = json.loads(shapely.to_geojson(geoms[i]))
    return out


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows (``geom`` as shapely geometries in lon/lat) at once; their new ids in order.

    Ids are reserved first, so no RETURNING is needed: SQLite then runs the batch in one C
    loop and PostgreSQL takes it as one COPY.
    """
    ids = reserve_ids(session, table, len(rows))
    for row, rid in zip(rows, ids, strict=True):
        row["id"] = rid
    insert_many(session, table, rows, geom_column="geom")
    return ids
