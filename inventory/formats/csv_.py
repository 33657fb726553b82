"""CSV: geometry in a WKT column or in longitude/latitude (x/y) columns; any encoding we meet.

Exports to CSV are written beside this, in ``csv_writer``; the apostrophe they put before
text a spreadsheet would run as a formula is taken off here (``resilience.sheets``), so an
export reads back as the values it was written from.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from inventory.formats import Record, Source, count_bytes, reader
from inventory.formats.encoding import detect
from resilience.errors import InvalidInput, Problem
from resilience.sheets import unescape

WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "空间信息")
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度", "x坐标", "东坐标")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度", "y坐标", "北坐标")


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    lowered = {c.strip().lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


@reader("csv", ".csv", ".txt")
def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None,
             plain: bool = False) -> Source:
    """Open a CSV; the geometry columns are found by name (WKT, or lon/lat, or x/y).

    ``plain`` keeps every column as a value and builds no geometry: a survey point table's
    X is northing, which the survey importer places itself.
    """
    enc = detect(path, encoding)
    try:
        with path.open(encoding=enc, newline="") as f:
            sample = f.read(64 * 1024)
    except UnicodeDecodeError as error:
        raise InvalidInput("wrong encoding", [Problem("file", "wrong_encoding",
                                                      {"value": enc})]) from error
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    header = next(csv.reader([sample.splitlines()[0] if sample else ""], delimiter=delimiter))
    columns = [unescape(h.strip()) for h in header]
    if not any(columns):
        raise InvalidInput("no header", [Problem("file", "no_header", {})])
    wkt = None if plain else _find(columns, WKT_COLUMNS)
    lon, lat = (None, None) if plain else (_find(columns, LON_COLUMNS), _find(columns, LAT_COLUMNS))
    geometry_columns = {c for c in (wkt, lon, lat) if c}

    def records() -> Iterator[Record]:
        with path.open(encoding=enc, newline="") as f:
            rows = csv.reader(f, delimiter=delimiter)
            next(rows, None)
            for number, values in enumerate(rows, start=2):  # row 1 is the header
                if not any(v.strip() for v in values):
                    continue
                cells = (unescape(v.strip()) or None for v in values)
                item = dict(zip(columns, cells, strict=False))
                geometry: object = None
                if wkt and item.get(wkt):
                    geometry = item[wkt]
                elif lon and lat and item.get(lon) and item.get(lat):
                    geometry = {"type": "Point", "coordinates": [item[lon], item[lat]]}
                props = {k: v for k, v in item.items() if k not in geometry_columns}
                yield Record(number, props, geometry)

    notes = [] if geometry_columns or plain else ["no geometry column (WKT, lon/lat or x/y) found"]
    return Source(path, "csv", None, [c for c in columns if c not in geometry_columns],
                  records, notes, size_hint=max(0, count_bytes(path, b"\n") - 1))
