"""What every export writer reads: pages of records, their columns, values and geometries.

``inventory.exporting`` reads the records in keyset pages and hands them to a writer of
this folder as ``Pages``; the conventions below are shared by every flat format (CSV, XLSX,
GeoPackage, Shapefile), so they live here rather than in one writer:

- the key (``id``, ``code`` for divisions), then every field of the collection's spec in
  order, read-only ones included (``version``, ``created_at``…), so the file is a faithful
  copy, each reference followed by the number of what it points at (``start_point_no``,
  see ``inventory.references``); then the nested lists (``cabins``, ``nodes``, ``events``);
- in the machine form, code values are the registry's words (``water_supply``), dates ISO
  text, booleans true/false, empty values null (an empty cell in CSV); CSV and XLSX may
  speak Chinese or English instead (``inventory.formats.labels``): labels as headings and
  as coded values; times are in the city's zone in every flat format;
- list fields (``facilities``, ``segment_ids``) and nested lists are compact JSON text;
  a tunnel node's ``position`` stays lon/lat EPSG:4490 whatever the export CRS, as in the API;
- CSV and XLSX carry the geometry as WKT in a last column ``wkt`` (``WKT`` in the forms
  for people; the importer finds either); Shapefile columns are
  shortened to ten characters through ``inventory.formats.shortnames``.

GeoJSON is the API's representation (``id`` on the Feature, nested lists as real JSON, UTC
times), plus the reference numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from inventory import repository
from inventory.assets import CollectionSpec
from inventory.formats import labels
from inventory.references import numbers
from resilience import geo
from resilience.clock import DEFAULT_ZONE
from resilience.geo import CrsRef
from resilience.model import UTCDateTime

Progress = Callable[[int, int], None]  # (records written, records in the export)


@dataclass(frozen=True)
class Target:
    """What a writer needs of an export: the collection, its CRS, language and time zone."""

    spec: CollectionSpec
    crs: CrsRef
    lang: str = field(default=labels.MACHINE, kw_only=True)  # CSV and XLSX only
    zone: ZoneInfo = field(default=DEFAULT_ZONE, kw_only=True)

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
    after = {ref: number for number, ref in numbers(spec).items()}
    out = [Column(pk, "int" if pk == "id" else "str")]
    for f in spec.fields:
        if f.name != pk:
            out.append(Column(f.name, f.kind))
            if f.name in after:
                out.append(Column(after[f.name], "str"))
    out += [Column(c.name, "json") for c in spec.children]
    return out


def speech(target: Target, lang: str | None = None) -> labels.Speech:
    """How the export's columns are headed and its values written (GIS formats: machine)."""
    table = repository.table_of(target.spec)
    cols = typed_columns(target.spec)
    times = {c.name for c in cols if c.name in table.c
             and isinstance(table.c[c.name].type, UTCDateTime)}
    return labels.speech(target.spec, [(c.name, c.kind) for c in cols], lang or target.lang,
                         target.zone, times, key=cols[0].name)


def rows(target: Target, page: Page, said: labels.Speech | None = None) -> Iterator[list[Any]]:
    """A page's records as Python values in column order (lists still lists), as ``said``."""
    cols = typed_columns(target.spec)
    for key, props_text in zip(page.keys, page.properties, strict=True):
        props = json.loads(props_text)
        props.update(plain(page.extra.get(key, {})))
        props[cols[0].name] = key
        row = [props.get(c.name) for c in cols]
        yield row if said is None else said.say(row)


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
