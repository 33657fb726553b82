"""GeoPackage and zipped Shapefile exports, written through pyogrio a page at a time.

The reader of these files is ``inventory.formats.ogr``. They always speak the machine form
(field names and codes, as GIS tools expect). Columns are typed from the collection's spec,
so every page appends to a layer of the same schema. pyogrio is imported when a layer is
written, as the other writers import their libraries.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from sqlalchemy import JSON

from inventory import repository
from inventory.assets import CollectionSpec
from inventory.formats.labels import MACHINE
from inventory.formats.pages import (
    Column,
    Pages,
    Tally,
    Target,
    columns,
    geometries,
    rows,
    speech,
    text,
    typed_columns,
)
from inventory.formats.shortnames import short
from resilience import geo
from resilience.errors import InvalidInput, Problem
from resilience.geo import CrsRef

DBF_MAX_BYTES = 254  # bytes in one dBase text field


def _arrays(target: Target, page_rows: list[list[Any]], cols: list[Column] | None = None
            ) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Column arrays with null masks, typed from the spec so every page has the same schema."""
    data: list[np.ndarray] = []
    masks: list[np.ndarray | None] = []
    for i, col in enumerate(typed_columns(target.spec) if cols is None else cols):
        values = [r[i] for r in page_rows]
        if col.kind in ("int", "float", "bool"):
            nulls = np.array([v is None for v in values], dtype=bool)
            if col.kind == "float":
                data.append(np.array([np.nan if v is None else v for v in values], dtype=np.float64))
                masks.append(None)  # NaN is null
                continue
            dtype = np.int64 if col.kind == "int" else np.bool_
            data.append(np.array([0 if v is None else v for v in values], dtype=dtype))
            masks.append(nulls if nulls.any() else None)
        else:
            data.append(np.array([None if v is None else text(v) for v in values], dtype=object))
            masks.append(None)
    return data, masks


def _layer_crs(crs: CrsRef) -> str:
    """GCJ-02 has no EPSG code: its files say WGS84, over which the offset is defined."""
    return "EPSG:4326" if crs.offset else f"EPSG:{crs.epsg}"


def _ogr_write(path: Path, layer: str, driver: str, target: Target, geometry: np.ndarray,
               page_rows: list[list[Any]], names: list[str], geometry_type: str, append: bool,
               cols: list[Column] | None = None, **options: Any) -> None:
    from pyogrio import raw

    data, masks = _arrays(target, page_rows, cols)
    raw.write(str(path), geometry, data, names, field_mask=masks, layer=layer, driver=driver,
              geometry_type=geometry_type, crs=_layer_crs(target.crs), append=append,
              promote_to_multi=False, **options)


def _wkb(target: Target, raw: list[Any]) -> np.ndarray:
    """A page's geometry as WKB in the export's CRS (stored bytes as they are for 4490)."""
    if target.crs.epsg == geo.STORAGE_EPSG:
        return np.array([bytes(g) for g in raw], dtype=object)
    wkb: np.ndarray = shapely.to_wkb(geometries(target, raw))
    return wkb


def write_gpkg(target: Target, pages: Pages, path: Path, tally: Tally) -> None:
    """One layer; a generic geometry type when the collection mixes points and polygons."""
    types = target.spec.geometry_types
    geometry_type = types[0] if len(types) == 1 else "Unknown"
    names = columns(target.spec)
    description = f"{target.spec.zh} / {target.spec.en}; coordinates {target.crs_label}"
    said = speech(target, MACHINE)  # GIS tools read field names and codes
    first = True
    for b in pages("wkb"):
        options: dict[str, Any] = {"dataset_options": {"VERSION": "1.2"},  # readable by GDAL ≥ 2
                                   "layer_options": {"DESCRIPTION": description}} if first else {}
        _ogr_write(path, target.layer, "GPKG", target, _wkb(target, b.geometry),
                   list(rows(target, b, said)),
                   names, geometry_type, append=not first, **options)
        first = False
        tally.add(len(b.keys))
    if first:  # nothing matched: still a valid file with the layer and its columns
        _ogr_write(path, target.layer, "GPKG", target, np.array([], dtype=object), [], names,
                   geometry_type, append=False, dataset_options={"VERSION": "1.2"},
                   layer_options={"DESCRIPTION": description})


# A shapefile holds one geometry type: a collection that mixes them gets one file per family.
_FAMILIES = {0: "point", 1: "line", 3: "polygon", 4: "multipoint", 5: "line", 6: "polygon"}
_FAMILY_TYPES = {"point": "Point", "line": "LineString", "polygon": "Polygon",
                 "multipoint": "MultiPoint"}
_SPEC_FAMILY = {"Point": "point", "LineString": "line", "MultiLineString": "line",
                "Polygon": "polygon", "MultiPolygon": "polygon", "MultiPoint": "multipoint"}


def shapefile_names(spec: CollectionSpec) -> dict[str, str]:
    """Family → file base name: ``pipelines``, or ``shelters_point`` and ``shelters_polygon``."""
    base = spec.name.replace("-", "_")
    families = list(dict.fromkeys(_SPEC_FAMILY[t] for t in spec.geometry_types))
    if len(families) == 1:
        return {families[0]: base}
    return {f: f"{base}_{f}" for f in families}


def _shapefile_columns(spec: CollectionSpec) -> list[int]:
    """The columns a shapefile gets: all but JSON documents shown as text (a published map's
    explanation runs to hundreds of characters; dBase holds 254, the GeoPackage keeps it)."""
    table = repository.table_of(spec)
    return [i for i, c in enumerate(typed_columns(spec))
            if not (c.kind == "text" and c.name in table.c
                    and isinstance(table.c[c.name].type, JSON))]


def _compact_children(value: Any) -> Any:
    """A nested list (a flood point's events, a tunnel's cabins) as short as it can be for
    dBase's 254 bytes: no empty members and no child ids (an import assigns its own), so
    two full events fit however large the ids have grown."""
    items = json.loads(value) if isinstance(value, str) and value.startswith("[") else value
    if not isinstance(items, list):
        return value
    return json.dumps([{k: v for k, v in item.items() if v is not None and k != "id"}
                       if isinstance(item, dict) else item for item in items],
                      ensure_ascii=False, separators=(",", ":"))


def _dbf_problems(page_rows: list[list[Any]], keys: list[Any], names: list[str],
                  problems: list[Problem]) -> None:
    """dBase text holds 254 bytes: longer values are refused, never silently cut."""
    for key, row in zip(keys, page_rows, strict=True):
        for value, name in zip(row, names, strict=True):
            value_text = text(value)
            if isinstance(value_text, str) and len(value_text) > DBF_MAX_BYTES // 4 \
                    and len(value_text.encode()) > DBF_MAX_BYTES and len(problems) < 100:
                problems.append(Problem(name, "too_long_for_format", {
                    "format": "Shapefile", "max": DBF_MAX_BYTES, "value": len(value_text.encode()),
                    "id": key}))


def write_shp(target: Target, pages: Pages, path: Path, tally: Tally) -> None:
    """Shapefiles written page by page (UTF-8 with a .cpg), zipped at the end."""
    folder = path.parent / "shp"
    folder.mkdir()
    files = shapefile_names(target.spec)
    keep = _shapefile_columns(target.spec)
    cols = [typed_columns(target.spec)[i] for i in keep]
    names = [short(c.name) for c in cols]
    made: list[str] = []
    problems: list[Problem] = []
    said = speech(target, MACHINE)

    def write(family: str, geometry: np.ndarray, page_rows: list[list[Any]]) -> None:
        base = files.get(family) or f"{target.layer}_{family}"
        _ogr_write(folder / f"{base}.shp", base, "ESRI Shapefile", target, geometry, page_rows,
                   names, _FAMILY_TYPES[family], append=base in made, cols=cols, encoding="UTF-8")
        if base not in made:
            made.append(base)

    nested = [k for k, c in enumerate(cols) if target.spec.child(c.name) is not None]
    for b in pages("wkb"):
        wkb = _wkb(target, b.geometry)
        page_rows = [[row[i] for i in keep] for row in rows(target, b, said)]
        for row in page_rows:
            for k in nested:
                row[k] = _compact_children(row[k])
        _dbf_problems(page_rows, b.keys, names, problems)
        if problems:  # the export will fail: keep reading only to name every record
            tally.add(len(b.keys))
            continue
        kinds = shapely.get_type_id(shapely.from_wkb(wkb))
        for family in dict.fromkeys(_FAMILIES.get(int(k), "polygon") for k in kinds):
            chosen = [i for i, k in enumerate(kinds) if _FAMILIES.get(int(k), "polygon") == family]
            write(family, wkb[chosen], [page_rows[i] for i in chosen])
        tally.add(len(b.keys))
    if problems:
        raise InvalidInput("values too long for a shapefile", problems)
    if not made:  # nothing matched: an empty shapefile of the collection's first type
        write(next(iter(files)), np.array([], dtype=object), [])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for base in made:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                member = folder / f"{base}{ext}"
                if member.exists():
                    z.write(member, member.name)
    tally.names = tuple(f"{base}.shp" for base in made)
