"""What the demo's pipelines are made of: material, size, pressure, voltage, owner, age, state.

One set of attributes per line (a lane along a street in stretches of four blocks), drawn from
the way Chinese cities built their networks: cast iron water mains before the mid-1990s and
ductile iron after, concrete drains when large or old, PE gas pipes, 10 kV cables everywhere
and 110 kV on some major streets. Owners come from ``data/owners.json``: the city-wide
utilities, the three telecom carriers, and the outer districts' own water and power companies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from demo.data import json_data
from demo.lanes import Lane
from demo.space import district_name
from resilience import codes

PIPE_ATTRS = (
    "material", "diameter_mm", "width_mm", "height_mm", "pressure_class", "pressure_mpa",
    "voltage_kv", "cable_count", "burial_method", "owner", "operator", "status",
)
GAS_MPA = {"low": 0.0025, "medium_b": 0.1, "medium_a": 0.35, "sub_high_b": 0.6,
           "sub_high_a": 1.2}


@dataclass(frozen=True)
class LocalOwner:
    """A company that owns a category's lines in some districts only (named after the district)."""

    divisions: frozenset[str]
    pattern: str


_OWNERS_DATA = json_data("owners.json")
OWNERS: dict[str, str] = dict(_OWNERS_DATA["by_category"])
TELECOM_OWNERS: tuple[str, ...] = tuple(_OWNERS_DATA["telecom"])
LOCAL_OWNERS: dict[str, LocalOwner] = {
    category: LocalOwner(frozenset(local["divisions"]), local["pattern"])
    for category, local in _OWNERS_DATA["local"].items()}


def years(rng: np.random.Generator, era: np.ndarray) -> np.ndarray:
    """Build years around each core's era, 1975–2025, most of them 1995–2020."""
    return np.clip(np.rint(era + rng.normal(0, 8, len(era))), 1975, 2025).astype(int)


def _choice(rng: np.random.Generator, values: Sequence[Any], p: Sequence[float],
            size: int) -> np.ndarray:
    """Weighted picks (weights normalised)."""
    w = np.asarray(p, float)
    return np.asarray(values, dtype=object)[rng.choice(len(values), size, p=w / w.sum())]


def _water(rng: np.random.Generator, year: np.ndarray, major: np.ndarray,
           transmission: bool) -> dict[str, Any]:
    """Water mains: old cast iron, then ductile iron, PE for small new pipes."""
    n = len(year)
    if transmission:
        dn = _choice(rng, [800, 1000, 1200], [4, 4, 2], n)
        material = _choice(rng, ["ductile_iron", "steel"], [6, 4], n)
    else:
        sizes = [100, 150, 200, 300, 400, 500, 600]
        dn = np.where(major, _choice(rng, sizes, [1, 3, 10, 25, 25, 20, 16], n),
                      _choice(rng, sizes, [15, 25, 30, 20, 7, 2, 1], n))
        old = _choice(rng, ["cast_iron", "ductile_iron", "steel"], [65, 25, 10], n)
        mid = _choice(rng, ["ductile_iron", "steel", "pe"], [75, 10, 15], n)
        new = _choice(rng, ["ductile_iron", "pe"], [60, 40], n)
        material = np.where(year < 1995, old, np.where(year <= 2010, mid, new))
        material = np.where((material == "pe") & (dn > 300), "ductile_iron", material)
    return {"material": material, "diameter_mm": dn, "burial_method": "direct"}


def _drainage(rng: np.random.Generator, year: np.ndarray, major: np.ndarray,
              storm: bool) -> dict[str, Any]:
    """Storm and sewage pipes: concrete when large or old, PVC for small new ones."""
    n = len(year)
    if storm:
        sizes, wmaj, wmin = [400, 500, 600, 800, 1000, 1200, 1500], [0, 1, 3, 5, 5, 4, 2], \
            [3, 4, 5, 3, 1, 0, 0]
    else:
        sizes, wmaj, wmin = [300, 400, 500, 600, 800, 1000], [0, 2, 4, 5, 4, 2], \
            [4, 5, 3, 2, 0, 0]
    dn = np.where(major, _choice(rng, sizes, wmaj, n), _choice(rng, sizes, wmin, n))
    plastic = (dn < 600) & (year >= 2000) & (rng.random(n) < 0.65)
    return {"material": np.where(plastic, "pvc", "concrete"), "diameter_mm": dn,
            "burial_method": "direct"}


def _gas(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Natural gas: mostly low and medium pressure, a few sub-high mains on major streets."""
    n = len(year)
    pclass = np.where(major, _choice(rng, ["medium_a", "medium_b", "low", "sub_high_b",
                                           "sub_high_a"], [40, 30, 15, 10, 5], n),
                      _choice(rng, ["medium_b", "low", "medium_a"], [45, 35, 20], n))
    high = np.char.startswith(pclass.astype(str), "sub_high")
    dn = np.where(high, _choice(rng, [300, 400, 500], [4, 4, 2], n),
                  _choice(rng, [100, 150, 200, 250, 300], [2, 3, 3, 1, 1], n))
    material = np.where(rng.random(n) < 0.75, "pe", "steel")
    material = np.where(high | ((year < 2000) & (rng.random(n) < 0.6)), "steel", material)
    material = np.where((year < 1995) & (pclass == "low") & (rng.random(n) < 0.5), "cast_iron",
                        material)
    return {"material": material, "diameter_mm": dn, "pressure_class": pclass,
            "pressure_mpa": np.array([GAS_MPA[c] for c in pclass]), "burial_method": "direct"}


def _heat(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """District heating: pre-insulated steel hot-water pipes."""
    n = len(year)
    return {"material": "steel", "diameter_mm": _choice(rng, [200, 300, 400, 500], [2, 3, 3, 1],
                                                         n), "burial_method": "direct"}


def _power(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Power cables in duct banks or conduits: 10 kV everywhere, 110 kV on some major streets."""
    n = len(year)
    hv = major & (rng.random(n) < 0.2)
    bank = rng.random(n) < 0.7
    size = rng.integers(0, 4, n)
    width = np.where(bank, np.array([600, 800, 1000, 1200])[size], 400)
    height = np.where(bank, np.array([500, 600, 800, 900])[size], 400)
    return {"material": "copper", "burial_method": np.where(bank, "duct_bank", "conduit"),
            "width_mm": width, "height_mm": height, "voltage_kv": np.where(hv, 110, 10),
            "cable_count": np.where(hv, rng.integers(3, 7, n), rng.integers(2, 13, n))}


def _telecom(rng: np.random.Generator, year: np.ndarray, major: np.ndarray) -> dict[str, Any]:
    """Optical fibre in duct banks, one of the three carriers per street."""
    n = len(year)
    size = rng.integers(0, 3, n)
    owner = _choice(rng, TELECOM_OWNERS, [5, 3, 2], n)
    return {"material": "optical_fibre", "burial_method": "duct_bank",
            "width_mm": np.array([400, 600, 800])[size], "height_mm": np.array([300, 400, 500])[size],
            "cable_count": rng.integers(6, 37, n), "owner": owner, "operator": owner}


_BY_KEY: dict[str, Callable[[np.random.Generator, np.ndarray, np.ndarray], dict[str, Any]]] = {
    "gas": _gas, "heat": _heat, "power": _power, "telecom": _telecom}


def owner(category: str, district: str) -> str | None:
    """The owning company of a category's lines in a district."""
    local = LOCAL_OWNERS.get(category)
    if local is not None and district in local.divisions:
        return local.pattern.format(name=district_name(district))
    return OWNERS.get(category)


def line_owner(category: str) -> str:
    """Who owns a line of a category carried in a tunnel (the first carrier for telecom)."""
    return OWNERS.get(category) or TELECOM_OWNERS[0]


def subcategory_zh(subcategory: str) -> str:
    """The Chinese name of a pipeline subcategory, for names like 文三路配水管线."""
    code = codes.PIPELINE_SUBCATEGORIES.get(subcategory)
    if code is None:  # the demo's tables name only subcategories DOMAIN.md lists
        raise LookupError(f"unknown pipeline subcategory {subcategory}")
    return code.zh


def lane_attrs(rng: np.random.Generator, lane: Lane, year: np.ndarray,
               major: np.ndarray) -> dict[str, Any]:
    """Attributes of the lines of one lane (material, size, pressure, owner…)."""
    if lane.key in ("water", "transmission"):
        attrs = _water(rng, year, major, lane.key == "transmission")
    elif lane.key in ("storm", "sewage"):
        attrs = _drainage(rng, year, major, lane.key == "storm")
    else:
        attrs = _BY_KEY[lane.key](rng, year, major)
    attrs.setdefault("owner", OWNERS.get(lane.category))
    attrs.setdefault("operator", attrs["owner"])
    return attrs


def status(rng: np.random.Generator, lane: Lane, year: np.ndarray) -> np.ndarray:
    """Mostly in service; a few old lines abandoned, a few spare ducts empty."""
    r = rng.random(len(year))
    found = np.where((year < 1992) & (r < 0.06), "abandoned", "in_service")
    if lane.category in ("power", "telecom"):
        found = np.where(r > 0.97, "empty", found)
    return found


def condition(rng: np.random.Generator, year: np.ndarray) -> np.ndarray:
    """Condition grade 1 (good) … 4 (bad), worse with age."""
    score = 1 + (2025 - year) / 14 + rng.normal(0, 0.55, len(year))
    return np.clip(np.rint(score), 1, 4).astype(int)
