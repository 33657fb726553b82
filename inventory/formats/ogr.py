"""GeoPackage, Shapefile (zipped or bare) and File Geodatabase, read through GDAL in batches.

pyogrio reads a layer ``BATCH`` features at a time (``skip_features``/``max_features``; all
three drivers seek by index cheaply), so a million-feature layer never sits in memory.
Geometries stay as the WKB GDAL gives, in the file's own CRS, which ``Source.crs`` names.
Exports to GeoPackage and Shapefile are written beside this, in ``ogr_writer``.
"""

from __future__ import annotations

import codecs
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw

from inventory.formats import Record, Source, reader
from inventory.formats.archive import MAX_SIZE, Unpacked, unpack
from inventory.formats.dbf import text_encoding
from resilience.errors import InvalidInput, Problem

BATCH = 5000
DRIVERS = {"gpkg": "GPKG", "shapefile": "ESRI Shapefile", "filegdb": "OpenFileGDB"}
NAMES = {"gpkg": "GeoPackage", "shapefile": "ESRI Shapefile", "filegdb": "File Geodatabase"}
_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError, pyogrio.errors.CRSError,
                pyogrio.errors.FeatureError, RuntimeError, ValueError, OSError)
_INTEGER_TYPES = {"OFTInteger", "OFTInteger64"}


@dataclass(frozen=True)
class _Layer:
    """One layer GDAL can read: the dataset holding it, its name, and the dataset's format."""

    dataset: Path
    name: str
    format: str


def _unreadable(path: Path, fmt: str, error: BaseException | str) -> InvalidInput:
    reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
    return InvalidInput(f"cannot read {path.name}", [Problem("file", "unreadable_file", {
        "value": path.name, "format": NAMES.get(fmt, fmt), "reason": reason})])


def _wrong_encoding(encoding: str) -> InvalidInput:
    return InvalidInput("wrong encoding", [Problem("file", "wrong_encoding", {"value": encoding})])


# --- finding the layers ---------------------------------------------------------------------


def _format_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix == ".gdb" or (path.is_dir() and path.name.lower().endswith(".gdb")):
        return "filegdb"
    return {".gpkg": "gpkg", ".shp": "shapefile"}.get(suffix)


def _looks_like(dataset: Path, fmt: str) -> bool:
    """Whether the file's first bytes match its format, checked before GDAL sees it.

    GDAL would try every driver it has: a ".gpkg" holding a VRT could make it read other
    local files or the network.
    """
    if fmt == "filegdb":
        return dataset.is_dir() and any(p.name.lower() == "a00000001.gdbtable" for p in dataset.iterdir())
    with dataset.open("rb") as f:
        head = f.read(16)
    return head == b"SQLite format 3\0" if fmt == "gpkg" else head[:4] == b"\x00\x00\x27\x0a"


def _layers_in(dataset: Path, fmt: str) -> list[_Layer]:
    """The layers of one dataset, after checking GDAL recognises it as the format it claims."""
    if not _looks_like(dataset, fmt):
        raise _unreadable(dataset, fmt, f"the file is not a {NAMES[fmt]}")
    if fmt == "shapefile":
        names = [dataset.stem]
    else:
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(dataset)]
        except _GDAL_ERRORS as error:
            raise _unreadable(dataset, fmt, error) from error
    if names:
        try:
            driver = pyogrio.read_info(dataset, layer=names[0])["driver"]
        except _GDAL_ERRORS as error:
            raise _unreadable(dataset, fmt, error) from error
        if driver != DRIVERS[fmt]:  # e.g. a ".gpkg" that is really GeoJSON text
            raise _unreadable(dataset, fmt, f"the file is {driver}, not {NAMES[fmt]}")
    return [_Layer(dataset, n, fmt) for n in names]


def _datasets_in(root: Path) -> list[tuple[Path, str]]:
    """Every dataset in an unpacked archive: .gdb folders, .gpkg files, .shp files."""
    found: list[tuple[Path, str]] = []
    for item in sorted(root.rglob("*")):
        rel = item.relative_to(root).parts
        if any(p == "__MACOSX" or p.startswith("._") for p in rel):
            continue  # macOS resource forks, not data
        if any(p.lower().endswith(".gdb") for p in rel[:-1]):
            continue  # the inner files of a geodatabase
        fmt = _format_of(item)
        if (fmt == "filegdb" and item.is_dir()) or (fmt in ("gpkg", "shapefile") and item.is_file()):
            found.append((item, fmt))
    return found


def _open_layers(path: Path, max_size: int) -> tuple[list[_Layer], Unpacked | None]:
    """The layers a path offers, with the temporary directory an archive was unpacked into."""
    fmt = _format_of(path)
    if fmt is not None:
        return _layers_in(path, fmt), None
    unpacked = unpack(path, max_size=max_size)
    try:
        datasets = _datasets_in(unpacked.root)
        if not datasets:
            raise InvalidInput("no layer in archive", [Problem("file", "no_layer_in_archive", {
                "value": path.name})])
        found = [layer for dataset, kind in datasets for layer in _layers_in(dataset, kind)]
    except BaseException:
        unpacked.close()
        raise
    return found, unpacked


def layers(path: str | Path, *, max_size: int = MAX_SIZE) -> list[str]:
    """The layer names of a GeoPackage, File Geodatabase, Shapefile or zip of them, in file order.

    The survey pair importer looks here for the point layer and the line layer.
    """
    found, unpacked = _open_layers(Path(path), max_size)
    if unpacked is not None:
        unpacked.close()
    return _unique([layer.name for layer in found])


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _feature_count(layer: _Layer) -> int:
    try:
        info = pyogrio.read_info(layer.dataset, layer=layer.name, force_feature_count=True)
    except _GDAL_ERRORS as error:
        raise _unreadable(layer.dataset, layer.format, error) from error
    return int(info["features"])


def _has_geometry(layer: _Layer) -> bool:
    try:
        info = pyogrio.read_info(layer.dataset, layer=layer.name)
    except _GDAL_ERRORS as error:
        raise _unreadable(layer.dataset, layer.format, error) from error
    return info["geometry_type"] is not None


def _choose(found: list[_Layer], wanted: str | None) -> _Layer:
    """The layer asked for; else the only one; else the only one with features."""
    names = _unique([layer.name for layer in found])
    if wanted is not None:
        chosen = next((layer for layer in found if layer.name == wanted), None)
        if chosen is None:
            raise InvalidInput("no such layer", [Problem("layer", "unknown_layer", {
                "value": wanted, "allowed": names})])
        return chosen
    if len(found) == 1:
        return found[0]
    spatial = [layer for layer in found if _has_geometry(layer)] or found  # tables come last
    if len(spatial) == 1:
        return spatial[0]
    with_features = [layer for layer in spatial if _feature_count(layer) > 0]
    if len(with_features) == 1:
        return with_features[0]
    raise InvalidInput("choose a layer", [Problem("layer", "choose_layer", {"allowed": names})])


# --- encodings of Shapefile attribute tables ------------------------------------------------


def _sibling(shp: Path, suffix: str) -> Path | None:
    return next((p for p in shp.parent.glob(f"{shp.stem}.*")
                 if p.stem == shp.stem and p.suffix.lower() == suffix), None)


def _shapefile_encoding(shp: Path, declared: str | None) -> str | None:
    """The encoding to pass pyogrio: the declared one, else GDAL's (.cpg / DBF LDID), else a guess."""
    if declared:
        return declared
    try:
        info = pyogrio.read_info(shp)
    except _GDAL_ERRORS as error:
        raise _unreadable(shp, "shapefile", error) from error
    if str(info.get("encoding", "")).upper().replace("-", "") == "UTF8":
        return None  # GDAL recodes from the .cpg or the DBF header's code page
    dbf = _sibling(shp, ".dbf")
    return text_encoding(dbf) if dbf else None


# --- reading ----------------------------------------------------------------------------------


def _column(values: np.ndarray, ogr_type: str, subtype: str) -> list[Any]:
    """Plain Python values: no numpy scalars, NaN and NaT as None, integers kept integers."""
    items: list[Any] = values.tolist()
    if values.dtype.kind == "f":  # an integer column with nulls comes as floats
        items = [None if v != v else v for v in items]
        if ogr_type in _INTEGER_TYPES:
            cast = bool if subtype == "OFSTBoolean" else int
            items = [None if v is None else cast(v) for v in items]
    if ogr_type == "OFTDate":  # read as ISO text to keep datetimes' offsets; dates are dates
        items = [date.fromisoformat(v[:10]) if isinstance(v, str) else v for v in items]
    elif ogr_type == "OFTBinary":
        items = [v.hex() if isinstance(v, bytes | bytearray) else v for v in items]
    elif values.dtype.kind == "O":  # list types come as arrays
        items = [v.tolist() if isinstance(v, np.ndarray | np.generic) else v for v in items]
    return items


def _batches(layer: _Layer, encoding: str | None) -> Iterator[tuple[dict[str, Any], Any, list[Any]]]:
    skip = 0
    while True:
        try:
            meta, _fids, geometry, field_data = pyogrio.raw.read(
                layer.dataset, layer=layer.name, encoding=encoding, skip_features=skip,
                max_features=BATCH, datetime_as_string=True)
        except UnicodeError as error:
            raise _wrong_encoding(encoding or "UTF-8") from error
        except _GDAL_ERRORS as error:
            raise _unreadable(layer.dataset, layer.format, error) from error
        size = len(geometry) if geometry is not None else (len(field_data[0]) if field_data else 0)
        if size == 0:
            return
        yield meta, geometry, field_data
        if size < BATCH:
            return
        skip += size


def _source(path: Path, layer: _Layer, encoding: str | None, keep: Unpacked | None) -> Source:
    if layer.format == "shapefile":
        encoding = _shapefile_encoding(layer.dataset, encoding)
    else:
        encoding = None  # GeoPackage and File Geodatabase text is always UTF-8
    try:
        info = pyogrio.read_info(layer.dataset, layer=layer.name, encoding=encoding)
    except UnicodeError as error:
        raise _wrong_encoding(encoding or "UTF-8") from error
    except _GDAL_ERRORS as error:
        raise _unreadable(layer.dataset, layer.format, error) from error
    columns = [str(c) for c in info["fields"]]

    def records() -> Iterator[Record]:
        _ = keep  # the unpacked files stay while this reader or an iteration of it is alive
        number = 0
        for meta, geometry, field_data in _batches(layer, encoding):
            values = [_column(v, t, s) for v, t, s in
                      zip(field_data, meta["ogr_types"], meta["ogr_subtypes"], strict=True)]
            names = [str(n) for n in meta["fields"]]
            for i in range(len(values[0]) if values else len(geometry)):
                number += 1
                wkb = geometry[i] if geometry is not None else None
                yield Record(number, {n: v[i] for n, v in zip(names, values, strict=True)},
                             bytes(wkb) if wkb is not None else None)

    notes = [f"layer {layer.name}"]
    if info["geometry_type"] is None:
        notes.append("the layer has no geometry column")
    source = Source(path, layer.format, info["crs"], columns, records, notes,
                    size_hint=info.get("features") if (info.get("features") or -1) >= 0 else None)
    if keep is not None:
        _keep(source, keep)
    return source


def _open(path: Path, layer: str | None, encoding: str | None, max_size: int) -> Source:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError as error:
            raise _wrong_encoding(encoding) from error
    found, unpacked = _open_layers(path, max_size)
    try:
        if not found:  # an empty GeoPackage or geodatabase
            raise InvalidInput("no layer", [Problem("file", "no_rows", {})])
        family = _family(found) if layer is None else []
        if family:
            return _joined(path, [_source(path, f, encoding, None) for f in family], unpacked)
        return _source(path, _choose(found, layer), encoding, unpacked)
    except BaseException:
        if unpacked is not None:
            unpacked.close()
        raise


def _family(found: list[_Layer]) -> list[_Layer]:
    """Shapefiles that are one table split by geometry type (points and polygons of shelters).

    A Shapefile holds one geometry type, so a collection that mixes types arrives as several
    files with the same columns; they are read as one table. Anything else is not a family.
    """
    if len(found) < 2 or any(f.format != "shapefile" for f in found):
        return []
    try:
        infos = [pyogrio.read_info(f.dataset, layer=f.name) for f in found]
    except _GDAL_ERRORS:
        return []
    fields = {tuple(sorted(str(n) for n in info["fields"])) for info in infos}
    crs = {info["crs"] for info in infos}
    if len(fields) != 1 or len(crs) != 1 or any(i["geometry_type"] is None for i in infos):
        return []
    return found


def _joined(path: Path, sources: list[Source], unpacked: Unpacked | None) -> Source:
    """Several layers read as one table, rows numbered on from one layer to the next."""

    def records() -> Iterator[Record]:
        _ = unpacked  # the unpacked files stay while an iteration is alive
        number = 0
        for source in sources:
            for record in source.records():
                number += 1
                yield Record(number, record.properties, record.geometry)

    hints = [s.size_hint for s in sources]
    first = sources[0]
    notes = ["layers read as one table, rows numbered on: "
             + ", ".join(n for s in sources for n in s.notes)]
    joined = Source(path, first.format, first.crs, first.columns, records, notes,
                    size_hint=sum(h for h in hints if h) if all(hints) else None)
    if unpacked is not None:
        _keep(joined, unpacked)
    return joined


@reader("gpkg", ".gpkg")
def read_gpkg(path: Path, *, layer: str | None = None, encoding: str | None = None) -> Source:
    """Open a GeoPackage layer (``layer=``, else the only layer with features).

    ``encoding`` is accepted like every GDAL reader's and ignored: GeoPackage text is UTF-8.
    """
    return _open(path, layer, None, MAX_SIZE)


@reader("shapefile", ".shp")
def read_shapefile(path: Path, *, layer: str | None = None, encoding: str | None = None) -> Source:
    """Open a bare Shapefile (its .dbf, .shx, .prj, .cpg beside it); ``encoding`` overrides .cpg."""
    return _open(path, layer, encoding, MAX_SIZE)


@reader("filegdb", ".gdb")
def read_filegdb(path: Path, *, layer: str | None = None, encoding: str | None = None) -> Source:
    """Open a File Geodatabase folder (``layer=``, else the only feature class with features).

    ``encoding`` is accepted like every GDAL reader's and ignored: geodatabase text is UTF-8.
    """
    return _open(path, layer, None, MAX_SIZE)


@reader("zip", ".zip")
def read_zip(path: Path, *, layer: str | None = None, encoding: str | None = None,
             max_size: int = MAX_SIZE) -> Source:
    """Open a zip of Shapefiles, a File Geodatabase or GeoPackages, unpacked safely first."""
    return _open(path, layer, encoding, max_size)


def close(source: Source) -> None:
    """Delete the files unpacked for a Source now rather than when it is garbage collected."""
    unpacked = _UNPACKED.pop(id(source), None)
    if unpacked is not None:
        unpacked.close()


_UNPACKED: dict[int, Unpacked] = {}  # id of a live Source -> the archive unpacked for it


def _keep(source: Source, unpacked: Unpacked) -> None:
    """Let ``close(source)`` find the unpacked files; the entry goes with the Source."""
    _UNPACKED[id(source)] = unpacked
    weakref.finalize(source, _UNPACKED.pop, id(source), None)
