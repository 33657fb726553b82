"""OGC API – Tiles over the registry's vector tiles: the tile matrix set, each collection's
tileset and the whole registry's, their metadata and TileJSON, and the tiles at OGC addresses.

A tile here is the one ``/tiles/{layer}/{z}/{x}/{y}.pbf`` serves (``web.api.tiles.answer``):
same bytes, ETag, 304s and caching; OGC puts the row before the column. Metadata is per
caller, as the items API is: bounds are what they see. The documents are built in
``tileset_documents``; these views only gather what they state.

The tile matrix sets are public, like the conformance page: standard definitions with no
registry data in them, which an OGC client reads to learn the grid before anything else.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from inventory import repository as repo
from inventory import service, tiles
from inventory.tiles import TILE_LAYERS, TileLayer
from web.api import tileset_documents as docs
from web.api.protocol import JSON, json_response, link
from web.api.tiles import address, answer
from web.auth import caller, signed_in
from web.errors import locale
from web.session import db, settings

bp = Blueprint("tilesets", __name__)

TMS = docs.TMS_ID
OGC_ADDRESS = ("tileMatrix", "tileCol", "tileRow")  # the names ``address`` reports problems by
DATASET_TITLE = ("城市地下基础设施与风险登记（全部图层）",
                 "The registry's underground infrastructure and risks (every layer)")


# OGC API – Tiles conformance classes served (the collection tilesets, the registry's, MVT),
# and the 2D Tile Matrix Set 2.0 definition in JSON.
TILES_CONFORMANCE = [
    *(f"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{c}" for c in (
        "core", "tileset", "tilesets-list", "dataset-tilesets", "geodata-tilesets", "mvt",
        "oas30")),
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
]


def tile_links(name: str, base: str) -> list[dict[str, str]]:
    """The tile links a collection's document carries (none for a collection without tiles)."""
    if name not in TILE_LAYERS:
        return []
    tileset = f"{base}/api/collections/{name}/tiles"
    return [link(tileset, docs.REL_TILESETS_VECTOR, JSON, "Vector tilesets (OGC API – Tiles)"),
            link(f"{tileset}/{TMS}/{docs.TILEJSON}", "describedby", JSON,
                 "TileJSON 3.0.0 of the vector tiles (MapLibre, Mapbox GL)")]


def landing_links(base: str) -> list[dict[str, str]]:
    """The tile links of the landing page: the registry's tilesets, the grid, its TileJSON."""
    return [link(f"{base}/api/tiles", docs.REL_TILESETS_VECTOR, JSON,
                 "Vector tilesets of the whole registry (OGC API – Tiles)"),
            link(f"{base}/api/tileMatrixSets", docs.REL_TILING_SCHEMES, JSON,
                 "Tile matrix sets"),
            link(f"{base}/api/tiles/{TMS}/{docs.TILEJSON}", "describedby", JSON,
                 "TileJSON 3.0.0 of every layer (MapLibre, Mapbox GL)")]


def _base() -> str:
    return request.url_root.rstrip("/")


def _layer(name: str) -> TileLayer:
    service.collection(name)  # 404 naming the collection, as the items API answers
    return tiles.layer(name)


def _view(tile_layer: TileLayer, with_extent: bool) -> docs.LayerView:
    seen = None
    if with_extent:
        seen = repo.extent_of(db(), tile_layer.spec, tiles.viewer(tile_layer, caller()))
    return docs.LayerView(tile_layer, tile_layer.spec.title(locale()), seen)


def _collection_tileset(name: str, with_extent: bool = True) -> docs.Tileset:
    view = _view(_layer(name), with_extent)
    return docs.Tileset(f"{_base()}/api/collections/{name}/tiles/{TMS}", view.title, (view,),
                        settings().extent)


def _dataset_tileset(with_extent: bool = True) -> docs.Tileset:
    title = DATASET_TITLE[0] if locale().lower().startswith("zh") else DATASET_TITLE[1]
    return docs.Tileset(f"{_base()}/api/tiles/{TMS}", title,
                        tuple(_view(t, with_extent) for t in TILE_LAYERS.values()),
                        settings().extent)


@bp.get("/api/tileMatrixSets")
def tile_matrix_sets() -> Response:
    """The tile matrix sets the tiles are cut on (public: a standard definition)."""
    return json_response(docs.tile_matrix_sets(_base()))


@bp.get(f"/api/tileMatrixSets/{TMS}")
def tile_matrix_set() -> Response:
    """The WebMercatorQuad definition (public: a standard definition)."""
    return json_response(docs.tile_matrix_set())


@bp.get("/api/tiles")
@signed_in
def dataset_tilesets() -> Response:
    """The registry's tilesets: every layer in one tile first, then each layer's own."""
    sets = [_dataset_tileset(False), *(_collection_tileset(n, False) for n in TILE_LAYERS)]
    return json_response({"links": [link(f"{_base()}/api/tiles", "self")],
                          "tilesets": [docs.summary(s, _base()) for s in sets]})


@bp.get(f"/api/tiles/{TMS}")
@signed_in
def dataset_tileset() -> Response:
    """Metadata of the tileset holding every layer, as the caller sees them."""
    return json_response(docs.metadata(_dataset_tileset(), _base()))


@bp.get(f"/api/tiles/{TMS}/{docs.TILEJSON}")
@signed_in
def dataset_tilejson() -> Response:
    """TileJSON of the tileset holding every layer."""
    return json_response(docs.tilejson(_dataset_tileset()))


@bp.get(f"/api/tiles/{TMS}/<tile_matrix>/<tile_row>/<tile_col>")
@signed_in
def dataset_tile(tile_matrix: str, tile_row: str, tile_col: str) -> Response:
    """One tile with every layer the caller may see, one MVT layer per collection."""
    return answer(list(TILE_LAYERS.values()),
                  *address(tile_matrix, tile_col, tile_row, OGC_ADDRESS))


@bp.get("/api/collections/<name>/tiles")
@signed_in
def collection_tilesets(name: str) -> Response:
    """A collection's tilesets: one of vector tiles on WebMercatorQuad."""
    tileset = _collection_tileset(name, False)
    return json_response({"links": [link(f"{_base()}/api/collections/{name}/tiles", "self")],
                          "tilesets": [docs.summary(tileset, _base())]})


@bp.get(f"/api/collections/<name>/tiles/{TMS}")
@signed_in
def collection_tileset(name: str) -> Response:
    """Metadata of a collection's tileset, its extent as the caller sees it."""
    return json_response(docs.metadata(_collection_tileset(name), _base()))


@bp.get(f"/api/collections/<name>/tiles/{TMS}/{docs.TILEJSON}")
@signed_in
def collection_tilejson(name: str) -> Response:
    """TileJSON of a collection's tiles, its bounds as the caller sees them."""
    return json_response(docs.tilejson(_collection_tileset(name)))


@bp.get(f"/api/collections/<name>/tiles/{TMS}/<tile_matrix>/<tile_row>/<tile_col>")
@signed_in
def collection_tile(name: str, tile_matrix: str, tile_row: str, tile_col: str) -> Response:
    """A collection's tile at an OGC address: the very tile ``/tiles/…`` serves."""
    tile_layer = _layer(name)
    return answer([tile_layer], *address(tile_matrix, tile_col, tile_row, OGC_ADDRESS))
