"""CSV exports: UTF-8 with the geometry as WKT in a last column, written front to back.

The reader of these files is ``inventory.formats.csv_``, which finds the ``wkt`` column
by name, so an export goes back in as it came out, in Chinese, English or machine form
(``inventory.formats.labels``). Text a spreadsheet would take for a formula is written
with a leading apostrophe, which the reader takes off again (``resilience.sheets``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import shapely

from inventory.formats.pages import Pages, Tally, Target, geometries, rows, speech, text
from resilience.sheets import safe_text


def _csv_value(value: Any) -> Any:
    """A cell: empty for null, true/false, lists as JSON, text that cannot run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe_text(text(value))


def csv_chunks(target: Target, pages: Pages, tally: Tally) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark (Excel then reads Chinese right), geometry as WKT."""
    said = speech(target)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(h) for h in [*said.headings, said.geometry]])
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode()
    for b in pages("wkb"):
        buffer.seek(0)
        buffer.truncate()
        wkt = shapely.to_wkt(geometries(target, b.geometry), rounding_precision=-1)
        for row, wkt_text in zip(rows(target, b, said), wkt, strict=True):
            writer.writerow([*(_csv_value(v) for v in row), wkt_text])
        yield buffer.getvalue().encode()
        tally.add(len(b.keys))
