"""XLSX exports: openpyxl's write-only workbook, rows going to disk as they come.

The reader of these files is ``inventory.formats.xlsx``; the sheet, its headings and coded
cells speak Chinese, English or machine form (``inventory.formats.labels``). openpyxl is imported when a
workbook is written, not with this module: it takes a tenth of a second to load, which an
export to any other format should not pay.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import shapely

from inventory.formats.pages import Pages, Tally, Target, columns, geometries, rows, speech, text
from resilience.errors import InvalidInput, Problem
from resilience.sheets import FORMULA_START

XLSX_MAX_ROWS = 1_048_576  # Excel's sheet limit, header included
XLSX_MAX_CELL = 32_767  # characters in one Excel cell


def _xlsx_cell(ws: Any, value: Any, problems: list[Problem], row: int, column: str) -> Any:
    """A cell value; text that Excel could take for a formula is stored as marked text."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    value = text(value)
    if not isinstance(value, str):
        return value
    if len(value) > XLSX_MAX_CELL:
        problems.append(Problem(column, "too_long_for_format", {
            "format": "XLSX", "max": XLSX_MAX_CELL, "value": len(value)}, row))
        return None
    # XML 1.0 cannot hold these control characters: shown as U+FFFD rather than dropped.
    value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    if value.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string cell, never evaluated
        cell.quotePrefix = True  # and it stays text when someone edits it in Excel
        return cell
    return value


def write_xlsx(target: Target, pages: Pages, path: Path, tally: Tally) -> None:
    """One sheet with the geometry as WKT; refused whole if it would not fit Excel's limits."""
    from openpyxl import Workbook

    if tally.total >= XLSX_MAX_ROWS:
        raise InvalidInput("too many rows for XLSX", [Problem("format", "too_many_rows", {
            "format": "XLSX", "max": XLSX_MAX_ROWS - 1, "value": tally.total})])
    said = speech(target)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=said.sheet)
    ws.freeze_panes = "A2"
    ws.append([*said.headings, said.geometry])
    names = [*columns(target.spec), "wkt"]  # problems name the field, whatever the heading
    problems: list[Problem] = []
    row_number = 1
    for b in pages("wkb"):
        wkt = shapely.to_wkt(geometries(target, b.geometry), rounding_precision=-1)
        for row, wkt_text in zip(rows(target, b, said), wkt, strict=True):
            row_number += 1
            ws.append([_xlsx_cell(ws, v, problems, row_number, n)
                       for v, n in zip([*row, wkt_text], names, strict=True)])
        tally.add(len(b.keys))
    if problems:
        raise InvalidInput("values too long for XLSX", problems[:100])
    wb.save(path)
