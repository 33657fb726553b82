"""Excel workbooks (.xlsx), streamed row by row; geometry columns found as in CSV files.

openpyxl's read-only mode parses the sheet as it goes, so a sheet of a million rows is never
held in memory; ``data_only`` gives the values formulas last computed, not the formulas.
Exports to XLSX are written beside this, in ``xlsx_writer``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import load_workbook
from openpyxl.chartsheet import Chartsheet

from inventory.formats import Record, Source, reader
from inventory.formats.archive import MAX_SIZE, check_sizes
from inventory.formats.csv_ import LAT_COLUMNS, LON_COLUMNS, WKT_COLUMNS, _find
from resilience.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet


def _unreadable(path: Path, error: BaseException) -> InvalidInput:
    reason = str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
    return InvalidInput(f"cannot read {path.name}", [Problem("file", "unreadable_file", {
        "value": path.name, "format": "Excel (.xlsx)", "reason": reason})])


def _open(path: Path, max_size: int) -> Workbook:
    """The workbook in streaming mode; a broken or hostile file is an InvalidInput."""
    try:
        with zipfile.ZipFile(path) as archive:
            # The total only: sheet XML of repeated rows can compress beyond 200:1.
            check_sizes(path, archive.infolist(), max_size=max_size, max_ratio=None)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _unreadable(path, error) from error
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl lets zipfile, XML and its own errors through as-is
        raise _unreadable(path, error) from error


def _sheet(book: Workbook, name: str | None) -> ReadOnlyWorksheet:
    if name is None:
        if not book.worksheets:  # only chart sheets
            raise InvalidInput("no worksheet", [Problem("sheet", "unknown_sheet", {
                "value": "", "allowed": []})])
        sheet = book.worksheets[0]
    elif name in book.sheetnames and not isinstance(book[name], Chartsheet):
        sheet = book[name]
    else:
        raise InvalidInput("no such sheet", [Problem("sheet", "unknown_sheet", {
            "value": name, "allowed": [s.title for s in book.worksheets]})])
    # Some writers declare a wrong used range, which would cut rows off; read them all.
    sheet.reset_dimensions()
    return sheet


def _numbered(path: Path, sheet: ReadOnlyWorksheet) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Each row with its number as Excel shows it (rows the file skips come back empty)."""
    # types-openpyxl declares ReadOnlyWorksheet.iter_rows as Worksheet.iter_rows, whose self
    # is a Worksheet; at run time the read-only sheet has the method as its own.
    rows = sheet.iter_rows(values_only=True)  # type: ignore[misc]
    number = 0
    while True:
        try:
            values = next(rows, None)
        except Exception as error:  # a cut or malformed sheet XML, met part-way through
            raise _unreadable(path, error) from error
        if values is None:
            return
        number += 1
        yield number, values


def _header(path: Path, sheet: str | None, max_size: int) -> tuple[int, tuple[Any, ...]]:
    """The first non-blank row, which names the columns, and its number."""
    book = _open(path, max_size)
    try:
        ws = _sheet(book, sheet)
        for number, values in _numbered(path, ws):
            if not _blank(values):
                return number, values
        raise InvalidInput("empty sheet", [Problem("sheet", "empty_sheet", {"value": ws.title})])
    finally:
        book.close()


def _value(cell: Any) -> Any:
    """A cell as a plain value: text stripped (None when blank), whole-day datetimes as dates."""
    if cell is None or isinstance(cell, bool | int | float):
        return cell
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, datetime):
        if cell.time() == time(0) and cell.tzinfo is None:
            return cell.date()  # Excel keeps dates as datetimes at midnight
        return cell.isoformat()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, time):
        return cell.isoformat()
    if isinstance(cell, timedelta):
        return cell.total_seconds()
    return str(cell)


def _blank(values: tuple[Any, ...]) -> bool:
    return all(_value(v) is None for v in values)


def sheets(path: str | Path, *, max_size: int = MAX_SIZE) -> list[str]:
    """The worksheet names of a workbook, in order (a survey pair is two sheets of one)."""
    book = _open(Path(path), max_size)
    try:
        return [ws.title for ws in book.worksheets]
    finally:
        book.close()


@reader("xlsx", ".xlsx", ".xlsm")
def read_xlsx(path: Path, *, sheet: str | None = None, max_size: int = MAX_SIZE,
              plain: bool = False) -> Source:
    """Open a worksheet (``sheet=``, else the first); its first non-blank row is the header."""
    header_row, header = _header(path, sheet, max_size)
    named = [(i, str(_value(h))) for i, h in enumerate(header) if _value(h) is not None]
    columns = [name for _, name in named]
    wkt = None if plain else _find(columns, WKT_COLUMNS)
    lon, lat = (None, None) if plain else (_find(columns, LON_COLUMNS), _find(columns, LAT_COLUMNS))
    geometry_columns = {c for c in (wkt, lon, lat) if c}

    def records() -> Iterator[Record]:
        book = _open(path, max_size)
        try:
            for number, values in _numbered(path, _sheet(book, sheet)):
                if number <= header_row or _blank(values):
                    continue
                item = {name: _value(values[i]) if i < len(values) else None for i, name in named}
                geometry: object = None
                if wkt and isinstance(item.get(wkt), str):
                    geometry = item[wkt]
                elif lon and lat and item.get(lon) is not None and item.get(lat) is not None:
                    geometry = {"type": "Point", "coordinates": [item[lon], item[lat]]}
                props = {k: v for k, v in item.items() if k not in geometry_columns}
                yield Record(number, props, geometry)
        finally:
            book.close()

    notes = [] if geometry_columns or plain else ["no geometry column (WKT, lon/lat or x/y) found"]
    if len(set(columns)) < len(columns):
        notes.append("repeated column names: the rightmost column's values are kept")
    return Source(path, "xlsx", None, [c for c in columns if c not in geometry_columns],
                  records, notes)
