"""What every export writer reads: pages of records, their columns, values and geometries.

``inventory.exporting`` reads the records in keyset pages and hands them to a writer of
this folder as ``Pages``; the conventions below are shared by every flat format (CSV, XLSX,
GeoPackage, Shapefile), so they live here rather than in one writer:

- the key (``id``, ``code`` for divisions), then every field of the collection's spec in
  order, read-only ones included (``version``, ``created_at``…), so the file is a faithful
  copy; then the nested lists (``cabins``, ``nodes``, ``events``);
- code values are the registry's words (``water_supply``), dates ISO text, booleans
  true/false, empty values null (an empty cell in CSV);
- list fields (``facilities``, ``segment_ids``) and nested lists are compact JSON text;
  a tunnel node's ``position`` stays lon/lat EPSG:4490 whatever the export CRS, as in the API;
- CSV and XLSX carry the geometry as WKT in a last column ``wkt``; Shapefile columns are
  shortened to ten characters through ``inventory.formats.shortnames``.

GeoJSON is the API's representation: ``id`` on the Feature, nested lists as real JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import shapely

from inventory import repository
from inventory.assets import CollectionSpec
from resilience import geo
from resilience.geo import CrsRef

Progress = Callable[[int, int], None]  # (records written, records in the export)


@dataclass(frozen=True)
class Target:
    """What a writer needs of an export: the collection, and the CRS it is written in."""

    spec: CollectionSpec
    crs: CrsRef

    @property
    def crs_label(self) -> str:
        """The CRS as the import command takes it back."""
        return self.crs.offset or f"EPSG:{self.crs.epsg}"

    @property
    def layer(self) -> str:
        """Layer and file base name (``network_points``)."""
        return self.spec.name.replace("-", "_")


@dataclass
class Tally:
    """Records written so far, and the shapefiles made (filled in by the writers)."""

    records: int = 0
    total: int = 0
    names: tuple[str, ...] = ()
    progress: Progress | None = None

    def add(self, n: int) -> None:
        """Count a page as written, and tell the progress callback."""
        self.records += n
        if self.progress is not None:
            self.progress(self.records, max(self.total, self.records))


@dataclass(frozen=True)
class Page:
    """One keyset page: keys, geometry (GeoJSON text or WKB), property JSON, nested lists."""

    keys: list[Any]
    geometry: list[Any]
    properties: list[str]
    extra: dict[Any, dict[str, Any]]


# The export's records in key order, a page at a time, with the geometry as "wkb" or
# "geojson" (the database writes GeoJSON itself when no transform is needed).
Pages = Callable[[str], Iterator[Page]]


@dataclass(frozen=True)
class Column:
    """A column of the flat formats and how its values are typed."""

    name: str
    kind: str  # a FieldSpec kind, or "json" for nested lists


def columns(spec: CollectionSpec) -> list[str]:
    """The flat formats' columns, in order (without the geometry)."""
    return [c.name for c in typed_columns(spec)]


def typed_columns(spec: CollectionSpec) -> list[Column]:
    """The flat formats' columns with their kinds, so every page gets the same schema."""
    pk = repository.pk_of(spec).name
    out = [Column(pk, "int" if pk == "id" else "str")]
    out += [Column(f.name, f.kind) for f in spec.fields if f.name != pk]
    out += [Column(c.name, "json") for c in spec.children]
    return out


def rows(target: Target, page: Page) -> Iterator[list[Any]]:
    """A page's records as Python values in column order (lists still lists)."""
    cols = typed_columns(target.spec)
    for key, props_text in zip(page.keys, page.properties, strict=True):
        props = json.loads(props_text)
        props.update(plain(page.extra.get(key, {})))
        props[cols[0].name] = key
        yield [props.get(c.name) for c in cols]


def plain(value: Any) -> Any:
    """Dates as ISO text, inside dicts and lists too, so nested lists dump as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def text(value: Any) -> Any:
    """Lists and nested lists as compact JSON text, other values as they are."""
    return dumps(value) if isinstance(value, list | dict) else value


def geometries(target: Target, raw: list[Any]) -> np.ndarray:
    """Stored WKB of a page as shapely geometries in the export's CRS (one transform call)."""
    geoms: np.ndarray = shapely.from_wkb(np.array([bytes(g) for g in raw], dtype=object))
    if target.crs.epsg != geo.STORAGE_EPSG:
        geoms = geo.from_storage(geoms, target.crs)
    return geoms
