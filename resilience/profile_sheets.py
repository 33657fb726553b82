"""The city profile as a spreadsheet: what a statistics office fills in and sends back.

Headers may be the Chinese labels (the default export), the English labels or the field names;
a file is stored all or nothing, every problem named by row and field. CSV text a
spreadsheet would run as a formula goes out with an apostrophe and comes back without it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import profiles
from resilience.accounts import Principal
from resilience.divisions import Division
from resilience.errors import InvalidInput, Problem
from resilience.sheets import safe_text, unescape

# field: (Chinese header, English header)
COLUMNS: dict[str, tuple[str, str]] = {
    "division_code": ("区划代码", "Division code"),
    "division_name": ("区划名称", "Division"),
    "year": ("年份", "Year"),
    "built_up_area_km2": ("建成区面积(km²)", "Built-up area (km²)"),
    "population": ("常住人口", "Resident population"),
    "built_up_population": ("建成区常住人口", "Residents of the built-up area"),
    "source": ("数据来源", "Source"),
}
_BY_HEADER = {h.strip().lower(): f for f, pair in COLUMNS.items() for h in (f, *pair)}
_BY_HEADER.update({"建成区面积": "built_up_area_km2", "建成区面积(平方公里)": "built_up_area_km2"})


def header(field: str, lang: str) -> str:
    """A column's header in a language ("zh" or "en"; "machine" gives the field name)."""
    if lang == "machine":
        return field
    zh, en = COLUMNS[field]
    return zh if lang.startswith("zh") else en


def write(session: Session, path: Path, *, lang: str = "zh", year: int | None = None,
          actor: Principal | None = None) -> int:
    """Every entered row (of a year; of the actor's divisions) to XLSX or CSV (UTF-8 with
    BOM, for Excel and WPS)."""
    names = dict(session.execute(select(Division.code, Division.name)).tuples().all())
    rows = [[p.division_code, names.get(p.division_code, ""), p.year, p.built_up_area_km2,
             p.population, p.built_up_population, p.source or ""]
            for p in profiles.listing(session, year)
            if actor is None or actor.sees(p.division_code)]
    heads = [header(f, lang) for f in COLUMNS]
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(heads)
            writer.writerows(["" if v is None else safe_text(v) for v in r] for r in rows)
        return len(rows)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "城市概况" if lang.startswith("zh") else "City profile"
    sheet.append(heads)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return len(rows)


def _records(path: Path) -> list[list[Any]]:
    if path.suffix.lower() == ".csv":
        text = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                reader = csv.reader(io.StringIO(text.decode(encoding)))
                return [[unescape(v) for v in r] for r in reader]
            except UnicodeDecodeError:
                continue
        raise InvalidInput("unreadable file", [Problem("file", "bad_encoding", {})])
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def read(session: Session, path: Path, *, by: str, actor: Principal | None = None) -> int:
    """Store every row of a file (all or nothing); returns how many rows were stored."""
    records = [r for r in _records(path) if any(v not in (None, "") for v in r)]
    if not records:
        raise InvalidInput("empty file", [Problem("file", "empty", {})])
    fields = [_BY_HEADER.get(str(h or "").strip().lower()) for h in records[0]]
    missing = [f for f in ("division_code", "year") if f not in fields]
    if missing:
        heads = [header(f, "zh") for f in missing]
        raise InvalidInput("missing columns", [Problem(h, "required", {}) for h in heads])
    problems: list[Problem] = []
    stored = 0
    for number, record in enumerate(records[1:], start=2):  # row 1 holds the headers
        values = {f: v for f, v in zip(fields, record, strict=False) if f is not None}
        code = str(values.get("division_code") or "").strip()
        try:
            profiles.save(session, code, values.get("year"), values, by=by,
                          source=str(values.get("source") or "") or None, row=number,
                          actor=actor)
            stored += 1
        except InvalidInput as error:
            problems += [p if p.row is not None else p.at_row(number) for p in error.problems]
    if problems:
        raise InvalidInput("figures not stored", problems)
    return stored
