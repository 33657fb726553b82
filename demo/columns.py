"""The demo's tables as columns: the fields every asset shares, external ids, compact WKT.

The generators build columns (one list per field) rather than rows because the loader inserts
them in batches; these helpers fill the columns every asset table has in the same way for
streets, tunnels and shelters, so a record from any of them looks like one a user entered.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely

from inventory.derived import geodesic_lengths
from resilience import codes

DATA_SOURCE = "demo"
CREATED_BY = "demo"
WKT_DIGITS = 7  # ~1 cm in lon/lat

Columns = dict[str, list[Any]]

_SURVEY_DAYS = tuple(date(2023, 3, 1) + timedelta(days=d) for d in range(975))  # to 2025-10-31


def common(n: int, external_ids: list[str], division: list[str],
           survey: list[date] | None, address: list[str | None] | None) -> Columns:
    """Columns every asset table shares, filled the demo's way."""
    return {
        "external_id": external_ids,
        "address": address if address is not None else [None] * n,
        "data_source": [DATA_SOURCE] * n,
        "survey_date": survey if survey is not None else [None] * n,
        "remarks": [None] * n,
        "division_code": division,
        "version": [1] * n,
        "created_by": [CREATED_BY] * n,
        "updated_by": [CREATED_BY] * n,
    }


def numbered(prefixes: list[str], divisions: list[str], mark: str = "",
             width: int = 6) -> list[str]:
    """External ids like JS-330106-000123, numbered per prefix and division in row order."""
    counters: dict[tuple[str, str], int] = {}
    out = []
    for key in zip(prefixes, divisions, strict=True):
        n = counters[key] = counters.get(key, 0) + 1
        out.append(f"{key[0]}-{key[1]}-{mark}{n:0{width}d}")
    return out


def cjj(categories: Sequence[str]) -> list[str]:
    """CJJ 61 letter codes (JS, PS, RQ…) of pipeline categories."""
    letters = {c.value: str(c.cjj) for c in codes.PIPELINE_CATEGORIES}  # every category has one
    return [letters[c] for c in categories]


def as_list(value: Any, n: int) -> list[Any]:
    """A column as a list of plain Python values (numpy scalars do not bind)."""
    if isinstance(value, np.ndarray):
        return list(value.tolist())
    return [value] * n


def wkt(geoms: np.ndarray) -> list[str]:
    """Compact WKT of lon/lat geometries (1 cm)."""
    return list(shapely.to_wkt(geoms, rounding_precision=WKT_DIGITS, trim=True))


def lengths(geoms: np.ndarray) -> list[float]:
    """Lengths as the registry computes them, of the lines as stored (their compact WKT).

    Measured on the rounded coordinates, not the generator's, so that saving a demo record
    again recomputes the same length and its history shows no change.
    """
    return list(geodesic_lengths(shapely.from_wkt(wkt(geoms))).tolist())


def rows_to_columns(rows: list[dict[str, Any]]) -> Columns:
    """Rows of one shape as columns."""
    if not rows:
        return {}
    return {key: [r[key] for r in rows] for key in rows[0]}


def survey_dates(rng: np.random.Generator, n: int) -> list[date]:
    """Survey dates in 2023–2025."""
    days = rng.integers(0, len(_SURVEY_DAYS), n)
    return [_SURVEY_DAYS[d] for d in days.tolist()]
