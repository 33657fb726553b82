"""What a five-colour cell is made of, beside its hazards: exposure parts, its most vulnerable
asset, the capacity that really serves it, and the place it lies in (DOMAIN.md §2, §10).

Pure array work for :func:`risk.factors.compute`. Every part only grows with evidence:

- exposure ``E = 1 − (1 − A)(1 − K)(1 − P)`` — A the weighted length (never capped:
  ``1 − e^(−x / ref)``), K the most critical asset present, P the people;
- vulnerability: the highest of the exposed assets' (a maximum, never a length average);
- capacity: an open shelter within walking distance counts against a hazard only when the
  shelter's own cell is free of that hazard (it is no refuge from a flood it stands in), so
  a shelter never lowers its own cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely import STRtree

from resilience.divisions import level_of


@dataclass(frozen=True)
class Exposure:
    """A cell's exposure and its three parts, for the explanation."""

    value: float
    assets: float  # A: weighted registered length and shelters
    critical: float  # K: the most critical asset's weight
    critical_kind: str | None
    people: float  # P: population density term


def exposure(weighted_m: float, critical: float, critical_kind: str | None,
             per_km2: float, expo: dict[str, Any]) -> Exposure:
    """E from its parts: each in 0–1, combined so that none can lower another."""
    a = 1.0 - math.exp(-weighted_m / float(expo["length_ref_m"]))
    p = float(expo["population_weight"]) * min(1.0, per_km2
                                               / float(expo["population_ref_per_km2"]))
    value = 1.0 - (1.0 - a) * (1.0 - critical) * (1.0 - p)
    return Exposure(min(1.0, max(0.0, value)), a, critical, critical_kind, p)


def pipeline_critical(expo: dict[str, Any], categories: np.ndarray, pressures: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Each pipeline piece's critical weight and kind (gas mains; high-pressure ones more)."""
    weights = expo.get("critical", {})
    high = set(expo.get("high_pressure", ()))
    kinds = np.array([("gas_high_pressure" if p in high else "gas") if c == "gas" else
                      (c if c in weights else "") for c, p in zip(categories.tolist(),
                                                                  pressures.tolist(),
                                                                  strict=True)], dtype=object)
    values = np.array([float(weights.get(k, 0.0)) if k else 0.0 for k in kinds.tolist()])
    return values, kinds


class Highest:
    """Per cell, the highest value offered and who offered it (an asset reference)."""

    def __init__(self, n: int, floor: float = -1.0) -> None:
        self.value = np.full(n, floor)  # only offers above it count
        self.by: list[str | None] = [None] * n

    def offer(self, cells: np.ndarray, values: np.ndarray, refs: list[str]) -> None:
        """Offer a value per (cell, asset) pair; a tie keeps the first offer."""
        if not len(cells):
            return
        order = np.lexsort((-values, cells))  # by cell, highest value first
        first = np.ones(len(order), dtype=bool)
        first[1:] = cells[order][1:] != cells[order][:-1]
        for k in order[first].tolist():
            c = int(cells[k])
            if values[k] > self.value[c]:
                self.value[c] = float(values[k])
                self.by[c] = refs[k]


def shelter_credit(centres: np.ndarray, hazards: list[dict[str, float]], shelters: np.ndarray,
                   shelter_hazards: list[set[str]], radius: float, weight: float,
                   cap: float) -> tuple[np.ndarray, list[dict[str, float]]]:
    """Per cell: C for display (any open shelter within reach) and C per hazard present (only
    shelters whose own cell is free of that hazard count against it)."""
    n = len(centres)
    anywhere = np.zeros(n)
    per: list[dict[str, float]] = [{k: 0.0 for k in h} for h in hazards]
    if not n or not len(shelters):
        return anywhere, per
    value = min(cap, weight)
    rows, hits = STRtree(shelters).query(centres, predicate="dwithin", distance=radius)
    for row, s in zip(rows.tolist(), hits.tolist(), strict=True):
        anywhere[row] = value
        for kind in per[row]:
            if kind not in shelter_hazards[s]:
                per[row][kind] = value
    return anywhere, per


def place_names(codes: list[str | None], divisions: Any) -> list[str | None]:
    """Each cell's place as people say it: its street or township and its district
    (``西湖区 北山街道``), not a grid reference."""
    names = {str(c): str(n) for c, n in zip(divisions.ids.tolist(),
                                            divisions.attrs["name"].tolist(), strict=True)}
    out: list[str | None] = []
    cache: dict[str, str | None] = {}
    for code in codes:
        if code is None:
            out.append(None)
            continue
        if code not in cache:
            own = names.get(code)
            county = names.get(code[:6]) if level_of(code) == "township" else None
            cache[code] = " ".join(x for x in (county, own) if x) or None
        out.append(cache[code])
    return out
