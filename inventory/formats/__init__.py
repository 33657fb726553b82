"""Readers for the files a census arrives in; each streams records and never holds the file.

A reader opens a path and gives a ``Source``: the CRS the file declares (if any), the column
names, and ``records()``, which can be iterated more than once (an import validates every row
in a first pass, then writes in a second, so memory stays flat for a million rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resilience.errors import InvalidInput, Problem


@dataclass(frozen=True)
class Record:
    """One row of a file: its 1-based number, its attribute values and its geometry.

    ``geometry`` is a GeoJSON-like mapping, WKT text, WKB ``bytes`` (GDAL formats: GeoPackage,
    Shapefile, File Geodatabase), or None when the file has none.
    """

    row: int
    properties: dict[str, Any]
    geometry: Any = None


@dataclass
class Source:
    """An opened file: what it declares, and its rows on demand."""

    path: Path
    format: str
    crs: str | None
    columns: list[str]
    _records: Callable[[], Iterator[Record]] = field(repr=False)
    notes: list[str] = field(default_factory=list)

    def records(self) -> Iterator[Record]:
        """The rows, from the start of the file (each call reads it afresh)."""
        return self._records()


Reader = Callable[..., Source]
READERS: dict[str, Reader] = {}
EXTENSIONS: dict[str, str] = {}


def reader(name: str, *extensions: str) -> Callable[[Reader], Reader]:
    """Register a reader under a format name and the file extensions it handles."""

    def register(fn: Reader) -> Reader:
        READERS[name] = fn
        for ext in extensions:
            EXTENSIONS[ext] = name
        return fn

    return register


def open_source(path: str | Path, *, format: str | None = None, **options: Any) -> Source:
    """Open a file with the reader for its format (from ``format`` or its extension)."""
    from inventory.formats import csv_, geojson, ogr, xlsx  # noqa: F401  (register the readers)

    p = Path(path)
    name = format or EXTENSIONS.get(p.suffix.lower())
    if name is None or name not in READERS:
        raise InvalidInput("unsupported file", [Problem("file", "unsupported_format", {
            "value": p.suffix or p.name, "allowed": sorted(EXTENSIONS)})])
    if not (p.is_file() or (p.is_dir() and name == "filegdb")):
        raise InvalidInput("no such file", [Problem("file", "not_found", {"value": str(p)})])
    if p.is_file() and p.stat().st_size == 0:
        raise InvalidInput("empty file", [Problem("file", "empty_file", {"value": p.name})])
    return READERS[name](p, **options)
