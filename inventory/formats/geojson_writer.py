"""GeoJSON exports: a FeatureCollection written front to back, so HTTP can stream it.

The reader of these files is ``inventory.formats.geojson``. Features are the API's
representation: ``id`` on the Feature, nested lists as real JSON.
"""

from __future__ import annotations

from collections.abc import Iterator

import shapely

from inventory.formats.pages import Pages, Tally, Target, dumps, geometries, plain
from resilience import geo
from resilience.geo import CrsRef


def _geojson_crs(crs: CrsRef) -> str:
    """The legacy ``crs`` member GDAL and QGIS honour; none for plain WGS84 (RFC 7946)."""
    if crs.offset:
        name = crs.offset  # GDAL falls back to WGS84, which is how GCJ-02 data is drawn
    elif crs.epsg == 4326:
        return ""
    else:
        name = f"urn:ogc:def:crs:EPSG::{crs.epsg}"
    return ',"crs":{"type":"name","properties":{"name":' + dumps(name) + "}}"


def geojson_chunks(target: Target, pages: Pages, tally: Tally) -> Iterator[bytes]:
    """A FeatureCollection, one page of features per chunk."""
    yield ('{"type":"FeatureCollection","name":' + dumps(target.layer) + _geojson_crs(target.crs)
           + ',"features":[\n').encode()
    in_db = target.crs.epsg == geo.STORAGE_EPSG  # the database writes the GeoJSON geometry itself
    first = True
    for b in pages("geojson" if in_db else "wkb"):
        geometry = b.geometry if in_db else shapely.to_geojson(geometries(target, b.geometry))
        parts = []
        for key, geom, props in zip(b.keys, geometry, b.properties, strict=True):
            extra = b.extra.get(key)
            if extra:
                tail = ",".join(dumps(k) + ":" + dumps(plain(v)) for k, v in extra.items())
                props = props[:-1] + ("," if len(props) > 2 else "") + tail + "}"
            parts.append('{"type":"Feature","id":' + dumps(key) + ',"geometry":' + geom
                         + ',"properties":' + props + "}")
        yield (("" if first else ",\n") + ",\n".join(parts)).encode()
        first = False
        tally.add(len(b.keys))
    yield b"\n]}\n"
