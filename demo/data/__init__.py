"""The demo city's tables, kept as files so that changing the city means editing data, not code.

CSV for flat tables (one row per core, lane, shelter type, flood cause, user…), JSON where a
table nests (tunnels with their cabins and lines, the landscape's outlines, risk points with
their factors). Read through :mod:`importlib.resources`, so they work from a wheel as from a
checkout; each module that uses a table turns its strings into typed, frozen records.
"""

from __future__ import annotations

import csv
import io
import json
from importlib.resources import files
from typing import Any


def csv_rows(name: str) -> list[dict[str, str]]:
    """The rows of a CSV table in this folder, as strings keyed by the header."""
    text = files(__name__).joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def json_data(name: str) -> Any:
    """A JSON table in this folder, parsed (ints stay ints, so values match the code that used them)."""
    with files(__name__).joinpath(name).open("r", encoding="utf-8") as fh:
        return json.load(fh)


def optional_float(text: str) -> float | None:
    """A CSV cell that may be empty: None for empty, else the number."""
    return float(text) if text.strip() else None
