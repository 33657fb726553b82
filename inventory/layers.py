"""What GIS clients read as one collection: a registry collection, or the part of it that
holds one family of geometry.

QGIS and GDAL give a layer one geometry type, taken from its first features, and silently
drop the features of any other type: a collection holding points and polygons (shelters:
sites drawn as points or as outlines) loses a part in every client. So the API lists each
collection as layers of one family (points, lines or polygons), each declared in its
metadata; a collection that mixes families is split (``shelters-points``,
``shelters-polygons``), and the risk maps, which stack grid cells, assets of every shape and
divisions of every level, are split by their unit as well (``register_layers``).

A family that holds both single and multi geometries (polygons and multipolygons) is served
as its multi type, so a MultiPolygon layer holds nothing else. A mixed collection's own name
stays readable and writable as before (the registry's own pages use it); it is only no
longer listed for GIS clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import ColumnElement, Table, and_, func

from inventory.assets import COLLECTIONS, CollectionSpec
from resilience.errors import NotFound, Problem

Family = Literal["point", "line", "polygon"]

# The geometry types of each family, as GeometryType() names them on both databases.
FAMILY_OF: dict[str, Family] = {
    "Point": "point", "MultiPoint": "point",
    "LineString": "line", "MultiLineString": "line",
    "Polygon": "polygon", "MultiPolygon": "polygon",
}
SINGLE: dict[Family, str] = {"point": "Point", "line": "LineString", "polygon": "Polygon"}
PLURAL: dict[Family, tuple[str, str, str]] = {  # id suffix, Chinese, English
    "point": ("points", "点", "points"),
    "line": ("lines", "线", "lines"),
    "polygon": ("polygons", "面", "polygons"),
}

Where = Callable[[Table, Any], ColumnElement[bool]]


@dataclass(frozen=True)
class Layer:
    """One collection as GIS clients read it: which records, of which geometry type."""

    id: str
    spec: CollectionSpec
    family: Family | None  # None: the whole (mixed) collection, served but not listed
    zh: str
    en: str
    where: Where | None = None  # which of the collection's records (None: all of them)
    multi: bool = False  # geometries served as the family's multi type

    @property
    def listed(self) -> bool:
        """Whether ``/api/collections`` offers it (one geometry family only)."""
        return self.family is not None

    @property
    def geometry_type(self) -> str | None:
        """The one GeoJSON geometry type of its features (None for a mixed collection)."""
        if self.family is None:
            return None
        single = SINGLE[self.family]
        return f"Multi{single}" if self.multi else single

    def title(self, locale: str) -> str:
        """The layer's title for a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en

    def holds(self, geometry_type: str) -> bool:
        """Whether a geometry of this GeoJSON type belongs in the layer (writes check it)."""
        return self.family is None or FAMILY_OF.get(geometry_type) == self.family


_REGISTERED: dict[str, list[Layer]] = {}  # collection name -> its layers, when split by hand


def families_of(spec: CollectionSpec) -> list[Family]:
    """The geometry families a collection holds, in the order of its declared types."""
    return list(dict.fromkeys(FAMILY_OF[t] for t in spec.geometry_types))


def _multi(spec: CollectionSpec, family: Family) -> bool:
    """Whether a family is served as its multi type: the collection may hold multi ones."""
    return f"Multi{SINGLE[family]}" in spec.geometry_types


def of_family(family: Family) -> Where:
    """Records whose geometry is of a family (``GeometryType`` on both databases)."""
    names = [t.upper() for t, f in FAMILY_OF.items() if f == family]
    return lambda table, geom: func.GeometryType(geom).in_(names)


def both(first: Where, second: Where) -> Where:
    """Records that pass two conditions."""
    return lambda table, geom: and_(first(table, geom), second(table, geom))


def register_layers(spec: CollectionSpec, layers: list[Layer]) -> None:
    """Split a collection into layers of one's own (the risk maps, by unit)."""
    _REGISTERED[spec.name] = layers
    _by_names.cache_clear()


def layers_of(spec: CollectionSpec) -> list[Layer]:
    """The listed layers of a collection: itself when it holds one family, else its parts."""
    if spec.name in _REGISTERED:
        return _REGISTERED[spec.name]
    families = families_of(spec)
    if len(families) == 1:
        return [Layer(spec.name, spec, families[0], spec.zh, spec.en,
                      multi=_multi(spec, families[0]))]
    out = []
    for family in families:
        suffix, zh, en = PLURAL[family]
        out.append(Layer(f"{spec.name}-{suffix}", spec, family, f"{spec.zh}({zh})",
                         f"{spec.en} ({en})", of_family(family), _multi(spec, family)))
    return out


def whole(spec: CollectionSpec) -> Layer:
    """A collection as one layer, whatever it mixes (its own URL, for scripts and pages)."""
    listed = layers_of(spec)
    if len(listed) == 1 and listed[0].id == spec.name:
        return listed[0]
    return Layer(spec.name, spec, None, spec.zh, spec.en)


def listed_layers() -> list[Layer]:
    """Every layer GIS clients are offered, in the registry's order of collections."""
    return [layer for spec in COLLECTIONS.values() for layer in layers_of(spec)]


@lru_cache(maxsize=4)
def _by_names(names: tuple[str, ...]) -> dict[str, Layer]:
    """Every layer and whole collection by id, built once for a set of registered collections
    (every items request asks several times)."""
    found = {spec.name: whole(spec) for spec in COLLECTIONS.values()}
    for one in listed_layers():
        found.setdefault(one.id, one)
    return found


def _by_id() -> dict[str, Layer]:
    """The table for the collections registered now (one registered late gets a new one)."""
    return _by_names(tuple(COLLECTIONS))


def layer(name: str) -> Layer:
    """A layer (or a whole collection) by id, or NotFound."""
    found = _by_id().get(name)
    if found is None:
        raise NotFound("no such collection", [Problem("collection", "not_found", {"value": name})])
    return found


def layer_condition(name: str, table: Table, geom: Any) -> ColumnElement[bool] | None:
    """The records a layer holds among its collection's (None: all of them)."""
    where = layer(name).where
    return None if where is None else where(table, geom)


def promoted(name: str | None) -> bool:
    """Whether a layer's geometries are read as their multi type."""
    return name is not None and layer(name).multi
