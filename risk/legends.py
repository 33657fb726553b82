"""What a map's legend and print sheet say beside the colours (DOMAIN.md §1.4, §10).

五色: each level with its grade (I–V), its band of R from the scheme the map was computed
with, the reason for the breaks and whether they are a convention (参考), and the
无登记设施 swatch. 四色: each preset in use as a table — the score's real interval, the LEC
class or LS band, the level — marked 参考 where the table is a convention. Pure: the caller
hands in the scheme and the presets.
"""

from __future__ import annotations

import math
from typing import Any

from risk.levels import (
    CONVENTION_PRESETS,
    FACTOR_NAMES,
    FIVE_COLOUR,
    FOUR_COLOUR,
    SCORE_SYMBOL,
    Band,
    Scheme,
    interval_text,
)
from risk.schemes import Composite

GRADES = {5: "I", 4: "II", 3: "III", 2: "IV", 1: "V"}  # DOMAIN.md §2: 高风险 is grade I


def _zh(locale: str) -> bool:
    return locale.lower().startswith("zh")


def five_colour(scheme: Composite, locale: str) -> dict[str, Any]:
    """The five levels (highest first) with grade and band of R, and the breaks' reason."""
    edges = [-math.inf, *scheme.breaks, math.inf]
    rows = []
    for lv in sorted(FIVE_COLOUR, key=lambda lv: -lv.ordinal):
        band = Band(edges[lv.ordinal - 1], edges[lv.ordinal], lv.code)
        rows.append({"code": lv.code, "ordinal": lv.ordinal, "label": lv.label(locale),
                     "other": lv.en if _zh(locale) else lv.zh, "colour": lv.colour,
                     "grade": GRADES[lv.ordinal], "interval": interval_text(band, "R")})
    reason = scheme.params.get("breaks_reason") or {}
    text = reason.get("zh" if _zh(locale) else "en") if isinstance(reason, dict) else None
    return {"scheme": scheme.name, "version": scheme.version, "levels": rows,
            "breaks": scheme.breaks, "reason": text,
            # Breaks with no stated reason are a local choice too: say so, never "official".
            "convention": bool(reason.get("convention", True)) if isinstance(reason, dict)
            else True}


def preset(scheme: Scheme, locale: str) -> dict[str, Any]:
    """One four-colour table: the score's interval, the LEC class or LS band, the level."""
    levels = {lv.code: lv for lv in FOUR_COLOUR}
    symbol = SCORE_SYMBOL.get(scheme.method, "R")
    names = FACTOR_NAMES.get(scheme.method, {})
    formula = {"lec": "D = L × E × C", "ls": "R = L × S"}.get(scheme.method, "")
    bands = []
    for b in sorted(scheme.bands, key=lambda b: -b.high if not math.isinf(b.high) else -1e18):
        lv = levels[b.level]
        bands.append({"interval": interval_text(b, symbol), "name": b.name, "level": b.level,
                      "label": lv.label(locale), "colour": lv.colour,
                      "low": None if math.isinf(b.low) else b.low,
                      "high": None if math.isinf(b.high) else b.high,
                      "low_closed": b.low_closed})
    return {"name": scheme.name, "version": scheme.version, "method": scheme.method,
            "formula": formula, "convention": scheme.name in CONVENTION_PRESETS,
            "factors": {k: f"{k} {zh if _zh(locale) else en}" for k, (zh, en) in names.items()},
            "bands": bands}


def four_colour(presets: dict[str, Scheme], names: list[str], locale: str) -> list[dict[str, Any]]:
    """The tables of the presets named (those the map's points use), LEC first."""
    chosen = [presets[n] for n in names if n in presets]
    return [preset(s, locale) for s in sorted(chosen, key=lambda s: (s.method != "lec", s.name))]


def factor_names(locale: str) -> dict[str, dict[str, str]]:
    """L, E, C, S with their names per method, as a point's explanation shows them."""
    return {method: {k: f"{k} {zh if _zh(locale) else en}" for k, (zh, en) in names.items()}
            for method, names in FACTOR_NAMES.items()}
