"""What the tile metadata says, as plain dicts: the WebMercatorQuad tile matrix set (OGC 2D TMS
2.0), tileset metadata and tilesets lists (OGC API – Tiles), and TileJSON 3.0.0.

Built from the tile layers (``inventory.tiles``) and the extent the caller sees, with no
request in sight, so the views in ``web/api/tilesets`` only gather what a document states.
One grid is served: the tiles are cut on Web Mercator's (``resilience.tilegrid``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from inventory.tiles import MAX_ZOOM, TileLayer, property_types
from resilience.geo import CRS84, EPSG_URI
from web.api.openapi_schemas import field_schema
from web.api.protocol import JSON, link

BBox = tuple[float, float, float, float]

TMS_ID = "WebMercatorQuad"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
TMS_TITLE = "Google Maps Compatible for the World"
MERCATOR = EPSG_URI.format(3857)
MVT = "application/vnd.mapbox-vector-tile"
REL = "http://www.opengis.net/def/rel/ogc/1.0/"
REL_TILING_SCHEME = REL + "tiling-scheme"
REL_TILING_SCHEMES = REL + "tiling-schemes"
REL_TILESETS_VECTOR = REL + "tilesets-vector"
REL_GEODATA = REL + "geodata"
TILE_TEMPLATE = "/{tileMatrix}/{tileRow}/{tileCol}"  # OGC order: row (y) before column (x)
TILEJSON = "tilejson.json"

# The registered definition's constants (17-083r4 Annex D.1): a 256-pixel tile, the sphere of
# EPSG:3857, and the standard 0.28 mm rendering pixel behind the scale denominators.
HALF_WORLD = math.pi * 6378137.0
TILE_SIZE = 256
PIXEL_M = 0.00028
TMS_LEVELS = 25  # the registry lists tile matrices 0 to 24; our tiles stop at MAX_ZOOM
VIEW_TILES = 4  # a TileJSON center's zoom shows the extent across about four tiles


def tile_matrix_set() -> dict[str, Any]:
    """The OGC 2D TMS 2.0 definition of WebMercatorQuad, level by level from its constants."""
    matrices = []
    for z in range(TMS_LEVELS):
        cell = 2 * HALF_WORLD / TILE_SIZE / 2 ** z
        matrices.append({
            "id": str(z), "scaleDenominator": cell / PIXEL_M, "cellSize": cell,
            "cornerOfOrigin": "topLeft", "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
            "tileWidth": TILE_SIZE, "tileHeight": TILE_SIZE,
            "matrixWidth": 2 ** z, "matrixHeight": 2 ** z,
        })
    return {
        "id": TMS_ID, "title": TMS_TITLE, "uri": TMS_URI, "crs": MERCATOR,
        "orderedAxes": ["X", "Y"],
        "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
        "boundingBox": {"lowerLeft": [-HALF_WORLD, -HALF_WORLD],
                        "upperRight": [HALF_WORLD, HALF_WORLD], "crs": MERCATOR},
        "tileMatrices": matrices,
    }


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """The list of tile matrix sets (one) with a link to each definition."""
    href = f"{base}/api/tileMatrixSets"
    return {
        "tileMatrixSets": [{"id": TMS_ID, "title": TMS_TITLE, "uri": TMS_URI, "crs": MERCATOR,
                            "links": [link(f"{href}/{TMS_ID}", "self", JSON, TMS_TITLE)]}],
        "links": [link(href, "self")],
    }


@dataclass(frozen=True)
class LayerView:
    """A tile layer as the caller sees it: its title in their language and its data's extent."""

    tile_layer: TileLayer
    title: str
    extent: BBox | None  # lon/lat of what the caller sees in it (None: nothing)


@dataclass(frozen=True)
class Tileset:
    """One tileset as a document states it: its address, title and layers as seen."""

    href: str  # the tileset's URL, ``…/tiles/WebMercatorQuad``
    title: str
    layers: tuple[LayerView, ...]
    fallback: BBox  # the city's box, where the caller sees no data at all

    def extent(self, view: LayerView | None = None) -> BBox:
        """What the caller sees of one layer, or of all of them together."""
        boxes = [v.extent for v in ((view,) if view else self.layers) if v.extent is not None]
        if not boxes:
            return self.fallback
        return (min(b[0] for b in boxes), min(b[1] for b in boxes),
                max(b[2] for b in boxes), max(b[3] for b in boxes))


def limits() -> list[dict[str, Any]]:
    """Every tile of every served level: what lies outside is a 400, what is empty a 204.

    The layers' own starting zooms are stated per layer (``minTileMatrix``), not here: below
    one the tile exists and is empty, and OGC API – Tiles wants a 404 outside these limits.
    """
    return [{"tileMatrix": str(z), "minTileRow": 0, "maxTileRow": 2 ** z - 1,
             "minTileCol": 0, "maxTileCol": 2 ** z - 1} for z in range(MAX_ZOOM + 1)]


def min_zoom(tileset: Tileset) -> int:
    """The first zoom at which any of the tileset's layers draws something."""
    return min(v.tile_layer.min_zoom for v in tileset.layers)


def view_zoom(extent: BBox, lowest: int) -> int:
    """A zoom that shows the whole extent across a few tiles, within the served zooms."""
    span = max(extent[2] - extent[0], extent[3] - extent[1])
    if span <= 0:
        return max(lowest, min(MAX_ZOOM, 16))
    return max(lowest, min(MAX_ZOOM, int(math.log2(360.0 * VIEW_TILES / span))))


def _links(tileset: Tileset, base: str) -> list[dict[str, Any]]:
    template = link(tileset.href + TILE_TEMPLATE, "item", MVT, "Vector tiles (Mapbox)")
    return [link(tileset.href, "self", JSON, tileset.title),
            link(f"{base}/api/tileMatrixSets/{TMS_ID}", REL_TILING_SCHEME, JSON, TMS_TITLE),
            {**template, "templated": True}]


def summary(tileset: Tileset, base: str) -> dict[str, Any]:
    """The tileset as a tilesets list names it: data type, grid, and links to the rest."""
    return {"title": tileset.title, "dataType": "vector", "crs": MERCATOR,
            "tileMatrixSetURI": TMS_URI, "links": _links(tileset, base)}


def _dimension(tile_layer: TileLayer) -> int | None:
    dims = {0 if "Point" in g else 1 if "Line" in g else 2
            for g in tile_layer.spec.geometry_types}
    return dims.pop() if len(dims) == 1 else None


def _properties(tile_layer: TileLayer) -> dict[str, Any]:
    """The layer's feature properties as JSON Schema (types, code lists, labels)."""
    types = {"Number": "number", "Boolean": "boolean", "String": "string"}
    props: dict[str, Any] = {}
    for name, kind in property_types(tile_layer).items():
        spec_field = tile_layer.spec.field(name)
        props[name] = (field_schema(spec_field) if spec_field is not None
                       else {"type": types[kind]})
    return {"type": "object", "properties": props}


def _box(extent: BBox) -> dict[str, Any]:
    return {"lowerLeft": [extent[0], extent[1]], "upperRight": [extent[2], extent[3]],
            "crs": CRS84}


def _center(extent: BBox) -> tuple[float, float]:
    return (extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2


def metadata(tileset: Tileset, base: str) -> dict[str, Any]:
    """The full tileset metadata: grid and limits, extent, centre, and each layer's schema."""
    extent = tileset.extent()
    lon, lat = _center(extent)
    layers = []
    for view in tileset.layers:
        name = view.tile_layer.spec.name
        layer: dict[str, Any] = {
            "id": name, "title": view.title, "dataType": "vector",
            "minTileMatrix": str(view.tile_layer.min_zoom), "maxTileMatrix": str(MAX_ZOOM),
            "boundingBox": _box(tileset.extent(view)),
            "propertiesSchema": _properties(view.tile_layer),
            "links": [link(f"{base}/api/collections/{name}", REL_GEODATA, JSON, view.title)],
        }
        dimension = _dimension(view.tile_layer)
        if dimension is not None:
            layer["geometryDimension"] = dimension
        layers.append(layer)
    return {
        **summary(tileset, base),
        "tileMatrixSetLimits": limits(),
        "boundingBox": _box(extent),
        "centerPoint": {"coordinates": [lon, lat], "crs": CRS84,
                        "tileMatrix": str(view_zoom(extent, min_zoom(tileset)))},
        "mediaTypes": [MVT],
        "layers": layers,
        "links": [*_links(tileset, base),
                  link(f"{tileset.href}/{TILEJSON}", "alternate", JSON, "TileJSON 3.0.0")],
    }


def tilejson(tileset: Tileset) -> dict[str, Any]:
    """TileJSON 3.0.0: the tile URL, zooms, extent and centre, and each MVT layer's fields.

    ``vector_layers[].id`` is the layer name inside the tiles, the collection's name
    (``inventory.tiles.render``); the tile URL names ``{z}``, ``{x}`` and ``{y}``, in the
    OGC path's order, which TileJSON clients substitute by name.
    """
    extent = tileset.extent()
    lon, lat = _center(extent)
    lowest = min_zoom(tileset)
    return {
        "tilejson": "3.0.0",
        "name": tileset.title,
        "scheme": "xyz",
        "tiles": [tileset.href + "/{z}/{y}/{x}"],
        "minzoom": lowest,
        "maxzoom": MAX_ZOOM,
        "bounds": list(extent),
        "center": [lon, lat, view_zoom(extent, lowest)],
        "vector_layers": [
            {"id": v.tile_layer.spec.name, "description": v.title,
             "minzoom": v.tile_layer.min_zoom, "maxzoom": MAX_ZOOM,
             "fields": property_types(v.tile_layer)}
            for v in tileset.layers],
    }
