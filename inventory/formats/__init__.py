"""Readers for the files a census arrives in; each streams records and never holds the file.

A reader opens a path and gives a ``Source``: the CRS the file declares (if any), the column
names, and ``records()``, which can be iterated more than once (an import validates every row
in a first pass, then writes in a second, so memory stays flat for a million rows).
"""

from __future__ import annotations

import inspect
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
    size_hint: int | None = None  # about how many rows (for progress), when cheap to know

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
    reader_fn = READERS[name]
    accepted = inspect.signature(reader_fn).parameters
    # Options are shared by every format (an upload form sends them all); a reader takes
    # the ones it has: a CSV has no layers, a GeoPackage no encoding.
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()):
        options = {k: v for k, v in options.items() if k in accepted}
    return reader_fn(p, **options)


def count_bytes(path: Path, needle: bytes) -> int:
    """How often ``needle`` occurs in a file, read in blocks (a row count for progress bars)."""
    total, tail = 0, b""
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            chunk = tail + block
            total += chunk.count(needle)
            tail = chunk[-(len(needle) - 1):] if len(needle) > 1 else b""
            total -= tail.count(needle)
    return total
