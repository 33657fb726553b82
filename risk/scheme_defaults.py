"""The shipped five-colour schemes as data: ``composite_default`` v1 (kept as it was shipped,
so a fresh registry's history reads the same as an old one's) and v2, today's default.

v2 (issue 14, DOMAIN.md §2 and §10 "Evidence never lowers a colour"):

- **Exposure** E = 1 − (1 − A)(1 − K)(1 − P): A the registered length by category weight,
  ``1 − e^(−x / length_ref_m)`` (never capped, so more assets always add), K the most
  critical asset present (gas main, high-pressure gas main, utility tunnel, shelter), P the
  people (the city profile's density ÷ ``population_ref_per_km2``, at most 1, times
  ``population_weight``). Each part only grows with evidence, and so does E.
- **Vulnerability** V is the most vulnerable exposed asset's (condition blended with age),
  never a length average: a new asset cannot dilute an old one. A pipe inside a utility
  tunnel is less vulnerable (``in_tunnel_factor``); a shelter counts as ``shelter``.
- **Capacity** C is credited only for what really reduces the risk it is set against: an
  open shelter within walking distance, for the hazards its own place is free of (a shelter
  in the flood zone is no refuge from the flood, so it never lowers its own cell). Pumps at
  a flood point, the length of drainage pipe and the tunnelled share are not capacity: the
  flood point's record and the waterlogging zones were measured with them in place, and a
  new asset must not lower a level.
- **Breaks** are the hazard classes at a reference cell (``breaks_reason``): a cell of
  medium exposure and vulnerability (E = V = 0.5) and no capacity sits in the middle of the
  band of its hazard class (class k of 1–5 → level k); R = H · (E · V)^¼ lets exposure and
  vulnerability move it about one level either way over their usual range. This is a
  convention ([I], shown as 参考), not fitted to any city's distribution.
- A cell inside a hazard zone with nothing registered (无登记设施) is scored at that same
  reference cell (``unregistered``): it shows its hazard level.
- A division publishes the highest level that, with the levels above it, covers at least
  ``division_rule.share`` of its land area — a fixed basis, land not mapped counting as
  低 (the area-weighted median for 0.5) — with every level's share beside it. The largest single share is not
  monotone (raising a cell from 较高 to 高 could hand the plurality to 低), nor is any share
  of the mapped area alone (a new 低 cell dilutes the levels above); this rule is.
"""

from __future__ import annotations

from typing import Any

HAZARD_KEYS = ("flood", "waterlogging", "geological_susceptibility", "geological_prevention",
               "seismic", "typhoon_surge", "other")
MATRIX = [[1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 3, 4, 4], [2, 3, 4, 4, 5], [3, 3, 4, 5, 5]]
DESIGN_LIFE = {"gas": 30, "water_supply": 50, "drainage": 50, "heat": 30, "power": 30,
               "telecom": 20, "industrial": 30, "other": 40, "tunnel": 100}
CATEGORY_WEIGHTS = {"gas": 2.0, "power": 1.5, "heat": 1.5, "water_supply": 1.2, "drainage": 1.0,
                    "telecom": 0.6, "industrial": 1.5, "other": 0.8}

COMPOSITE_V1: dict[str, Any] = {  # as shipped before issue 14; its breaks were fitted to the demo
    "formula": "power_product", "cell_size_m": 500,
    "weights": {"H": 1.0, "E": 0.8, "V": 1.0, "C": 1.0},
    "breaks": [0.08, 0.14, 0.22, 0.30], "combine": "max",
    "hazard_weights": {k: 1.0 for k in HAZARD_KEYS},
    "exposure": {"length_ref_m": 3000.0, "category_weights": dict(CATEGORY_WEIGHTS),
                 "tunnel_weight": 3.0, "point_weight_m": 200.0, "population_weight": 0.25,
                 "population_ref_per_km2": 8000.0},
    "vulnerability": {"condition": {"1": 0.15, "2": 0.4, "3": 0.7, "4": 0.95},
                      "unknown_condition": 0.5, "age_weight": 0.4,
                      "design_life_years": dict(DESIGN_LIFE), "open_hazard_step": 0.15},
    "capacity": {"shelter_radius_m": 1000.0, "shelter_weight": 0.35, "drainage_ref_m": 2000.0,
                 "drainage_weight": 0.25, "pumps_ref": 4.0, "pump_weight": 0.1,
                 "tunnel_weight": 0.2, "max": 0.8},
    "flood_points": {"base": 0.4, "per_event": 0.1, "depth_cm_for_max": 60.0, "years": 5},
    "matrix": MATRIX,
}

REFERENCE = {"E": 0.5, "V": 0.5}  # the "medium" cell the breaks and 无登记设施 cells stand on


def reference_breaks(weights: dict[str, float], reference: dict[str, float]) -> list[float]:
    """The four breaks that put a reference cell (no capacity) in the middle of its hazard
    class's band: band k runs from ``((k − ½)/5)^a · m`` to ``((k + ½)/5)^a · m``, with
    ``m = E_ref^b · V_ref^c`` (DOMAIN.md §2 classes 1–5, H = class / 5). In the middle, not on
    an edge, so a rounding or one more metre of pipe cannot move a class by a level."""
    m = (reference["E"] ** weights["E"]) * (reference["V"] ** weights["V"])
    return [round((((k + 0.5) / 5) ** weights["H"]) * m, 6) for k in range(1, 5)]


V2_WEIGHTS = {"H": 1.0, "E": 0.25, "V": 0.25, "C": 1.0}

COMPOSITE_V2: dict[str, Any] = {
    "formula": "power_product", "cell_size_m": 500,
    # R = H · (E · V)^¼ · (1 − C): the hazard leads and exposure and vulnerability adjust it.
    # Over their usual range (E · V from about 0.1 to 1) they move a cell by about one level
    # either side of its hazard class, never more: with √(E · V) (exponents ½) a dense cell of
    # worn pipe doubled its score and a class-2 zone read 较高, so nine in ten of the demo's
    # assets read 高. Neither part alone can carry a cell (equal exponents).
    "weights": dict(V2_WEIGHTS),
    "breaks": reference_breaks(V2_WEIGHTS, REFERENCE),
    "breaks_reason": {
        "rule": "hazard_class_at_reference", "reference": dict(REFERENCE), "convention": True,
        "zh": "参考分级（约定，非官方）：暴露度与脆弱性均为中等（E = V = 0.5）、无减灾能力的网格位于其"
              "致灾危险性等级（1–5 级对应低至高风险）区间的正中；暴露度与脆弱性从低到高最多使等级"
              "上下浮动约一级。未按任何城市的数据分布拟合。",
        "en": "Reference breaks (a convention, not official): a cell of medium exposure and "
              "vulnerability (E = V = 0.5) and no capacity sits in the middle of the band of "
              "its hazard class (classes 1–5 → low … high); exposure and vulnerability from "
              "low to high move it by about one level either way. Not fitted to any city's "
              "distribution."},
    "combine": "max",
    "hazard_weights": {k: 1.0 for k in HAZARD_KEYS},
    "exposure": {
        "length_ref_m": 3000.0, "category_weights": dict(CATEGORY_WEIGHTS), "tunnel_weight": 3.0,
        "shelter_weight_m": 200.0,
        # K: the most critical asset in the cell (gas mains, utility tunnels, shelters).
        "critical": {"gas": 0.6, "gas_high_pressure": 0.8, "tunnel": 0.6, "shelter": 0.5},
        "high_pressure": ["high_a", "high_b", "sub_high_a", "sub_high_b"],
        "population_weight": 0.5, "population_ref_per_km2": 8000.0,
    },
    "vulnerability": {
        "condition": {"1": 0.15, "2": 0.4, "3": 0.7, "4": 0.95}, "unknown_condition": 0.5,
        "age_weight": 0.4, "design_life_years": dict(DESIGN_LIFE), "open_hazard_step": 0.15,
        "in_tunnel_factor": 0.7, "shelter": 0.5,
    },
    "capacity": {"shelter_radius_m": 1000.0, "shelter_weight": 0.2, "max": 0.8},
    "flood_points": {"base": 0.4, "per_event": 0.1, "depth_cm_for_max": 60.0, "years": 5},
    "unregistered": dict(REFERENCE),
    "division_rule": {"rule": "area_share_from_top", "share": 0.5},
    "matrix": MATRIX,
}

SHIPPED_NOTES = {
    1: "shipped default (DOMAIN.md §2, [I]); breaks fitted to the demo city",
    2: "shipped default v2 (issue 14): monotone in evidence, hazard-first coverage, critical "
       "assets and people in E, V of the most vulnerable asset, capacity only where it "
       "reduces, reference breaks (参考), divisions by area share",
}
