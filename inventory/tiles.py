"""Vector tiles of the registry's layers: what each tile holds, who sees it, and its version.

A tile shows the same records as the items API would for its rectangle (the caller's
divisions, no retired records), with a handful of properties for styling and a tooltip;
the full record stays one ``/api/collections/{c}/items/{id}`` away. The SQL differences
between the two databases are in ``resilience.dialects``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, case, func, select
from sqlalchemy.orm import Session

from inventory import repository
from inventory.assets import COLLECTIONS, CollectionSpec
from resilience.accounts import SYSTEM, Principal
from resilience.dialects import mvt
from resilience.errors import NotFound, Problem
from resilience.spatial import mbr_size
from resilience.tilegrid import tile_bbox

MAX_ZOOM = 22
KEEP_PIXELS = 4  # a feature this long on screen reads as a line, not a dot: never thinned
# Bump when what a tile holds changes (properties, rules), so clients drop cached copies.
FORMAT = "2"

# Draw order of pipeline categories, lowest first: gas, then water and drainage end on top,
# as the GeoJSON layer of the map draws them (safety-critical lines stay visible).
PIPELINE_DRAW_ORDER = ("telecom", "power", "other", "industrial", "heat", "drainage",
                       "water_supply", "gas")


@dataclass(frozen=True)
class TileLayer:
    """One collection as a tile layer: the properties it carries and its zoom rules."""

    name: str
    properties: tuple[str, ...]
    min_zoom: int = 0  # below it the layer's tiles are empty (too many, too small to tell apart)
    thin_below: int | None = None  # below it, features under a few pixels are thinned
    public: bool = False  # every signed-in user reads it, as the items API serves it
    draw_order: tuple[str, tuple[str, ...]] | None = None  # column, its values drawn first to last
    order_column: str | None = None  # drawn by this column's value, lowest first (a level)

    @property
    def spec(self) -> CollectionSpec:
        """The collection behind the layer."""
        return COLLECTIONS[self.name]


TILE_LAYERS: dict[str, TileLayer] = {layer.name: layer for layer in (
    # 100k segments of 30–120 m: at z13 (16 m a pixel) each is a few pixels long and all are
    # drawn; one z10 tile would hold three quarters of the city.
    TileLayer("pipelines", ("name", "category", "material", "diameter_mm", "status"),
              thin_below=13, draw_order=("category", PIPELINE_DRAW_ORDER)),
    # As many points as segments, each a dot: worth drawing from street scale only.
    TileLayer("network-points", ("name", "kind", "category", "status"), min_zoom=14),
    TileLayer("tunnels", ("name", "tunnel_type", "status")),
    TileLayer("shelters", ("name", "kind", "shelter_class")),
    TileLayer("flood-points", ("name", "cause", "status")),
    TileLayer("divisions", ("code", "name", "level"), public=True),
    # Hidden hazards (隐患), seen by the division rules of the items API; a 重大隐患 drawn
    # last, on top of the general ones beside it.
    TileLayer("hazards", ("name", "category", "grade", "state", "supervised"),
              draw_order=("grade", ("general", "major"))),
)}


def register_layer(layer: TileLayer) -> TileLayer:
    """Serve a collection of another package as a tile layer too (risk registers its own)."""
    TILE_LAYERS[layer.name] = layer
    return layer


def layer(name: str) -> TileLayer:
    """A tile layer by collection name, or NotFound."""
    found = TILE_LAYERS.get(name)
    if found is None:
        raise NotFound("no such tile layer", [Problem("layer", "not_found", {"value": name})])
    return found


def check_address(z: int, x: int, y: int,
                  names: tuple[str, str, str] = ("z", "x", "y")) -> list[Problem]:
    """What is wrong with a tile address: zoom 0–22, x and y on that zoom's grid.

    ``names`` are the parameters as the caller spelled them (OGC API – Tiles says
    ``tileMatrix``, ``tileCol`` and ``tileRow``), so each problem names what was sent.
    """
    if not 0 <= z <= MAX_ZOOM:
        return [Problem(names[0], "tile_zoom_out_of_range",
                        {"value": z, "min": 0, "max": MAX_ZOOM})]
    top = 2 ** z - 1
    return [Problem(name, "tile_index_out_of_range", {"value": value, "max": top, "zoom": z})
            for name, value in ((names[1], x), (names[2], y)) if not 0 <= value <= top]


def viewer(tile_layer: TileLayer, principal: Principal) -> Principal:
    """Whose view a layer is drawn in: everyone's for a public layer, else the caller's own."""
    return SYSTEM if tile_layer.public else principal


def property_types(tile_layer: TileLayer) -> dict[str, str]:
    """Each property of the layer's features as TileJSON's ``fields`` name its type.

    ``Number``, ``Boolean`` and ``String`` as tippecanoe writes them, which GDAL's MVT driver
    reads back as field types; taken from the column, which is what the encoder is given.
    """
    table = repository.table_of(tile_layer.spec)
    out = {}
    for name in tile_layer.properties:
        kind = table.c[name].type
        if isinstance(kind, Boolean):
            out[name] = "Boolean"
        elif kind.python_type in (int, float, Decimal):
            out[name] = "Number"
        else:
            out[name] = "String"
    return out


def render(session: Session, tile_layer: TileLayer, principal: Principal,
           z: int, x: int, y: int) -> bytes:
    """The tile's bytes (Mapbox Vector Tile, one layer named after the collection); b"" if empty."""
    if z < tile_layer.min_zoom:
        return b""
    spec = tile_layer.spec
    table = repository.table_of(spec)
    geom = repository.geom_of(spec)
    pk = repository.pk_of(spec)
    conditions = []
    # The spatial index is the selective filter here: division tests ride along unindexed.
    vis = repository.visibility(spec, viewer(tile_layer, principal), indexed=False)
    if vis is not None:
        conditions.append(vis)
    if "retired_at" in table.c:
        conditions.append(table.c.retired_at.is_(None))
    if tile_layer.thin_below is not None and z < tile_layer.thin_below:
        conditions.append(_thinned(geom, pk, tile_layer.thin_below, z, x, y))
    order: list[Any] = []
    if tile_layer.draw_order is not None:
        column, values = tile_layer.draw_order
        order.append(case({v: i for i, v in enumerate(values)}, value=table.c[column], else_=-1))
    if tile_layer.order_column is not None:
        order.append(table.c[tile_layer.order_column])
    order.append(pk)
    key = pk if pk.name == "id" else None  # division codes are text: MVT ids are integers
    return mvt(session, layer=spec.name, table=table, geom=geom, key=key,
               properties=[table.c[p] for p in tile_layer.properties], conditions=conditions,
               order_by=order, z=z, x=x, y=y)


def _thinned(geom: Any, pk: Any, base: int, z: int, x: int, y: int) -> Any:
    """Features of a few pixels or more, and one in 4^(base − z) of the smaller ones (by id).

    Dropping every feature under a pixel would empty the city-scale tiles of a network built
    of short segments (a z10 pixel is 132 m, no demo segment is longer than 120 m), and
    keeping all from one pixel up still puts 18,000 segments in a z11 tile. Each zoom step
    out covers four times the area, so keeping a quarter of the small ones keeps a tile's
    feature count about level, and the network keeps its shape and density on screen; long
    runs (trunk mains delivered as long segments) are always drawn.
    """
    width, height = mbr_size(geom)
    span = KEEP_PIXELS * 360.0 / (2 ** z * 256)  # degrees of longitude (256-pixel tiles)
    # A Mercator pixel spans cos(latitude) times that in latitude; the tile's edge farther
    # from the equator gives the smallest span, so nothing that long is ever thinned.
    south, north = tile_bbox(z, x, y)[1::2]
    farthest = min(max(abs(south), abs(north)), 89.0)
    long_enough = (width >= span) | (height >= span * math.cos(math.radians(farthest)))
    return long_enough | (pk % 4 ** (base - z) == 0)


def version(session: Session, tile_layer: TileLayer) -> str | None:
    """The layer's last change, from the indexed ``updated_at`` (None: the layer is not tracked).

    Every write, retirement, restore and import sets ``updated_at``, so its maximum over the
    table, retired rows included, moves whenever any tile of the layer may have changed.
    """
    table = repository.table_of(tile_layer.spec)
    if "updated_at" not in table.c:
        return None
    stamp = session.execute(select(func.max(table.c.updated_at))).scalar()
    return stamp.isoformat() if stamp is not None else "empty"


def etag(tile_layers: Sequence[TileLayer], principal: Principal, stamps: Sequence[str],
         z: int, x: int, y: int) -> str:
    """A weak ETag for one tile of one or more layers as one caller sees it, from their versions.

    The caller's divisions are part of it: two users of one browser never share a tile.
    """
    scopes = []
    for tile_layer in tile_layers:
        seen_by = viewer(tile_layer, principal)
        scopes.append("*" if seen_by.everywhere else ",".join(sorted(seen_by.prefixes)))
    raw = "|".join((FORMAT, "+".join(t.name for t in tile_layers), f"{z}/{x}/{y}",
                    ";".join(scopes), ",".join(stamps)))
    return 'W/"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'
