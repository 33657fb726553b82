"""Text a spreadsheet will not run: one rule for every CSV (and XLSX) the registry writes.

Excel and WPS take a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or with a tab or a
carriage return before one) for a formula, so a free-text field holding
``=HYPERLINK("http://evil","x")`` would come alive in the reader's spreadsheet (OWASP,
"CSV injection"). CSV has no cell types: such text is written with a leading apostrophe,
which spreadsheets show as text, and the registry's own CSV reader takes it off again
(:func:`unescape`), so an export imports back to the very same values. XLSX has a text
type and marks such cells instead (``quotePrefix``), by the same :data:`FORMULA_START`.

Only text is marked: a number, or text that a spreadsheet reads as a plain number
(``-3.5``, ``-1,234``), is no formula, and marking it would turn a number into text.
"""

from __future__ import annotations

import re
from typing import TypeVar

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MARK = "'"

T = TypeVar("T")

# A signed decimal number as a spreadsheet reads it (thousands commas, exponent allowed).
_NUMBER = re.compile(r"[+-](?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _marked(text: str) -> bool:
    """Whether text, after any apostrophes it begins with, starts like a formula.

    Apostrophes are skipped so that text which itself begins with ``'=`` is marked once
    more: the reader takes exactly one apostrophe off and gives the text back as it was.
    """
    return text.lstrip(MARK).startswith(FORMULA_START)


def safe_text(value: T) -> T | str:
    """A cell value a spreadsheet shows as written: formula-like text gets an apostrophe."""
    if isinstance(value, str) and _marked(value) and not _NUMBER.fullmatch(value):
        return MARK + value
    return value


def unescape(text: str) -> str:
    """A CSV cell as it was before :func:`safe_text`: one marking apostrophe taken off."""
    if text.startswith(MARK) and _marked(text[1:]):
        return text[1:]
    return text
