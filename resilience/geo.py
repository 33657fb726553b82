"""Pure coordinate work: CRS names, transforms to and from storage, GCJ-02 and BD-09.

Storage is lon/lat in EPSG:4490 (CGCS2000). EPSG:4490 and EPSG:4326 list latitude first,
and CGCS2000 Gauss-Krüger CRSs list northing first, so every transform here says which
axis order its coordinates use: "gis" (x = east/lon, what files and CRS84 use) or
"authority" (what the EPSG definition says, what OGC API Part 2 asks for).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from resilience.errors import InvalidInput, Problem

STORAGE_EPSG = 4490
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
GCJ02 = "GCJ-02"
BD09 = "BD-09"
AxisOrder = Literal["gis", "authority"]

_EPSG_PATTERNS = (
    re.compile(r"^(?:EPSG:)?(\d{4,6})$", re.I),
    re.compile(r"^https?://www\.opengis\.net/def/crs/EPSG/0/(\d{4,6})$", re.I),
    re.compile(r"^urn:ogc:def:crs:EPSG:[\d.]*:(\d{4,6})$", re.I),
    re.compile(r"^\[EPSG:(\d{4,6})\]$", re.I),
)
_CRS84_NAMES = {
    CRS84.lower(), "crs84", "ogc:crs84", "urn:ogc:def:crs:ogc:1.3:crs84", "[ogc:crs84]",
    "https://www.opengis.net/def/crs/ogc/1.3/crs84",
}
_OFFSET_NAMES = {"gcj-02": GCJ02, "gcj02": GCJ02, "bd-09": BD09, "bd09": BD09}


@dataclass(frozen=True)
class CrsRef:
    """A parsed CRS: an EPSG code, CRS84, or one of the Chinese offset pseudo-CRSs."""

    epsg: int | None = None
    offset: str | None = None  # GCJ02 or BD09, both over WGS84 lon/lat
    wkt: str | None = None  # a file's own CRS that no EPSG code describes (a local city grid)

    @property
    def uri(self) -> str:
        """The OGC URI clients send and expect in ``Content-Crs``."""
        if self.offset:
            return self.offset
        if self.wkt:
            return self.wkt
        return CRS84 if self.epsg is None else EPSG_URI.format(self.epsg)

    @property
    def is_crs84(self) -> bool:
        """True for plain lon/lat (CRS84), the API's default."""
        return self.epsg is None and self.offset is None


CRS84_REF = CrsRef()


def parse_crs(value: str | int | None, field: str = "crs") -> CrsRef:
    """Parse a CRS given as EPSG code, URI, URN, CRS84 or GCJ-02/BD-09; errors name the field."""
    if value is None or value == "":
        return CRS84_REF
    raw = str(value).strip()
    lowered = raw.lower()
    if lowered in _CRS84_NAMES:
        return CRS84_REF
    if lowered in _OFFSET_NAMES:
        return CrsRef(offset=_OFFSET_NAMES[lowered])
    for pattern in _EPSG_PATTERNS:
        match = pattern.match(raw)
        if match:
            code = int(match.group(1))
            try:
                _crs(code)
            except CRSError as error:
                raise InvalidInput(
                    "unknown CRS", [Problem(field, "unknown_crs", {"value": raw})]
                ) from error
            return CrsRef(epsg=code)
    if _WKT_START.match(raw):
        return _from_definition(raw, field)
    raise InvalidInput("unknown CRS", [Problem(field, "unknown_crs", {"value": raw})])


_WKT_START = re.compile(r"^\s*(PROJCS|GEOGCS|PROJCRS|GEOGCRS|PROJECTEDCRS|GEODCRS|COMPD_?CRS|ESRI:|\+proj)",
                        re.I)


def _from_definition(raw: str, field: str) -> CrsRef:
    """A CRS written out (a .prj's WKT): its EPSG code when it is one, else the WKT itself.

    Only a confident match counts: a local city grid resembles a Gauss-Krüger zone, and
    mistaking one for the other moves every point by kilometres.
    """
    try:
        crs = CRS.from_user_input(raw)
    except CRSError as error:
        raise InvalidInput("unknown CRS", [Problem(field, "unknown_crs", {"value": raw[:80]})]) from error
    code = crs.to_epsg(min_confidence=90)
    if code is not None:
        return CrsRef(epsg=code)
    if crs.is_geographic:
        return CRS84_REF if crs.ellipsoid and abs(crs.ellipsoid.semi_major_metre - 6378137) < 1 else \
            CrsRef(wkt=crs.to_wkt())
    return CrsRef(wkt=crs.to_wkt())


@lru_cache(maxsize=64)
def _crs(code: int) -> CRS:
    return CRS.from_epsg(code)


def northing_first(code: int) -> bool:
    """True when the CRS's official axis order starts with latitude or northing."""
    axis = _crs(code).axis_info
    return bool(axis) and axis[0].direction.lower() in {"north", "south"}


@lru_cache(maxsize=64)
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(_crs(src), _crs(dst), always_xy=True)


def _swap(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: xy[:, ::-1])


@lru_cache(maxsize=16)
def _custom_transformer(wkt: str, to_storage: bool) -> Transformer:
    own, storage = CRS.from_wkt(wkt), _crs(STORAGE_EPSG)
    return Transformer.from_crs(own if to_storage else storage, storage if to_storage else own,
                                always_xy=True)


def _apply(geom: BaseGeometry, src: int, dst: int) -> BaseGeometry:
    if src == dst:
        return geom
    return _apply_with(geom, _transformer(src, dst))


def _apply_with(geom: BaseGeometry, tr: Transformer) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def to_storage(geom: BaseGeometry, crs: CrsRef, axis_order: AxisOrder = "gis") -> BaseGeometry:
    """Transform a geometry given in ``crs`` into lon/lat EPSG:4490."""
    if crs.offset:
        return shapely.transform(geom, _unoffset_fn(crs.offset))
    if crs.wkt:
        return _apply_with(geom, _custom_transformer(crs.wkt, True))
    if crs.epsg is None:
        return geom
    if axis_order == "authority" and northing_first(crs.epsg):
        geom = _swap(geom)
    return _apply(geom, crs.epsg, STORAGE_EPSG)


def from_storage(geom: BaseGeometry, crs: CrsRef, axis_order: AxisOrder = "gis") -> BaseGeometry:
    """Transform a stored lon/lat EPSG:4490 geometry into ``crs``."""
    if crs.offset:
        return shapely.transform(geom, _offset_fn(crs.offset))
    if crs.wkt:
        return _apply_with(geom, _custom_transformer(crs.wkt, False))
    if crs.epsg is None:
        return geom
    out = _apply(geom, STORAGE_EPSG, crs.epsg)
    if axis_order == "authority" and northing_first(crs.epsg):
        out = _swap(out)
    return out


def bbox_to_storage(
    bbox: tuple[float, float, float, float], crs: CrsRef
) -> tuple[float, float, float, float]:
    """A bbox given in ``crs`` (its axis order, as OGC API Part 2 says) as lon/lat 4490."""
    box = shapely.box(*bbox)
    if crs.epsg is not None and northing_first(crs.epsg):
        box = shapely.box(bbox[1], bbox[0], bbox[3], bbox[2])
        box = shapely.segmentize(box, (bbox[3] - bbox[1]) / 8 or 1)
        out = _apply(box, crs.epsg, STORAGE_EPSG)
    else:
        out = to_storage(shapely.segmentize(box, (bbox[2] - bbox[0]) / 8 or 1), crs)
    minx, miny, maxx, maxy = out.bounds
    return (minx, miny, maxx, maxy)


# --- GCJ-02 (AMap, Tencent) and BD-09 (Baidu), DOMAIN.md §9 -------------------------------
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0


def _out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
            + 0.2 * np.sqrt(np.abs(x)))
    dlat += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlon += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published WGS84 → GCJ-02 offset (identity outside China)."""
    dlon, dlat = _delta(np.asarray(lon, float), np.asarray(lat, float))
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of the offset by fixed-point iteration (~1e-9° after a few rounds)."""
    glon, glat = np.asarray(lon, float), np.asarray(lat, float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(6):
        tlon, tlat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (tlon - glon), wlat - (tlat - glat)
    return wlon, wlat


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09, closed form."""
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, closed form."""
    x, y = lon - 0.0065, lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _offset_fn(kind: str):  # type: ignore[no-untyped-def]
    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        if kind == BD09:
            lon, lat = gcj02_to_bd09(lon, lat)
        return np.column_stack([lon, lat])

    return fn


def _unoffset_fn(kind: str):  # type: ignore[no-untyped-def]
    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = xy[:, 0], xy[:, 1]
        if kind == BD09:
            lon, lat = bd09_to_gcj02(lon, lat)
        lon, lat = gcj02_to_wgs84(lon, lat)
        return np.column_stack([lon, lat])

    return fn


def gauss_kruger_zone(lon: float) -> int:
    """The EPSG code of the CGCS2000 3° Gauss-Krüger zone without prefix around a longitude
    (EPSG:4534 is CM 75°E … 4554 CM 135°E; DOMAIN.md §9): a city's local survey plane."""
    meridian = 3 * round(lon / 3)
    return 4534 + (min(max(meridian, 75), 135) - 75) // 3
