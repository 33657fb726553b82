"""Colour levels and scoring schemes as data (DOMAIN.md §1–3), and the assessments they give.

A level set is ordered rows; a scheme is a method, a version and explicit bands. An
assessment keeps the raw factors, the scheme and its version, the score and the band hit, so
every colour can say why. Presets are the published tables; the five-to-four collapse and the
Zhejiang cut-offs are conventions, kept as data and versioned, never ``if`` chains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from resilience.errors import InvalidInput, Problem


@dataclass(frozen=True)
class Level:
    """One level of a colour map, lowest ordinal lowest risk."""

    code: str
    ordinal: int
    zh: str
    en: str
    colour: str

    def label(self, locale: str) -> str:
        """The level's name in a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en


FOUR_COLOUR = (  # 四色图 (安全生产风险分级管控): DOMAIN.md §3, hex [I]
    Level("low", 1, "低风险", "Low", "#0070FF"),
    Level("general", 2, "一般风险", "General", "#FFFF00"),
    Level("considerable", 3, "较大风险", "Considerable", "#FF8000"),
    Level("major", 4, "重大风险", "Major", "#FF0000"),
)
FIVE_COLOUR = (  # 五色图 (自然灾害综合风险): DOMAIN.md §2, names and hex [I]
    Level("low", 1, "低风险", "Low", "#2E8B57"),
    # Sky blue, not DOMAIN.md's [I] #1E90FF: that stood 44 RGB units from the four-colour 低
    # #0070FF, too close to tell apart on a map (DOMAIN.md §10, issue 14 item 9).
    Level("fairly_low", 2, "较低风险", "Fairly low", "#5CC8F5"),
    Level("medium", 3, "中风险", "Medium", "#FFD700"),
    Level("fairly_high", 4, "较高风险", "Fairly high", "#FF8C00"),
    Level("high", 5, "高风险", "High", "#E60012"),
)
LEVEL_SETS = {"four": FOUR_COLOUR, "five": FIVE_COLOUR}


@dataclass(frozen=True)
class Band:
    """A score interval and the level it gives: ``low < score <= high`` (or ``>=`` when closed)."""

    low: float
    high: float
    level: str
    name: str = ""  # e.g. LEC's 显著危险
    low_closed: bool = False

    def holds(self, score: float) -> bool:
        """True when the score falls in this band."""
        above = score >= self.low if self.low_closed else score > self.low
        return above and score <= self.high


@dataclass(frozen=True)
class Scheme:
    """A method with its version and bands: what turns factors into a level."""

    name: str
    version: int
    method: str  # "lec" or "ls"
    levels: str  # which level set: "four" or "five"
    bands: tuple[Band, ...]
    factors: dict[str, tuple[float, ...]] = field(default_factory=dict)  # allowed values per factor


LEC_VALUES: dict[str, tuple[float, ...]] = {
    "L": (10, 6, 3, 1, 0.5, 0.2, 0.1),
    "E": (10, 6, 3, 2, 1, 0.5),
    "C": (100, 40, 15, 7, 3, 1),
}
LS_VALUES: dict[str, tuple[float, ...]] = {"L": (1, 2, 3, 4, 5), "S": (1, 2, 3, 4, 5)}

PRESETS: dict[str, Scheme] = {
    # D = L × E × C; the published table leaves its bounds open, so they are made explicit:
    # each band holds its upper bound (160 is 显著危险, 320 is 高度危险).
    "lec_default": Scheme("lec_default", 1, "lec", "four", (
        Band(-math.inf, 20, "low", "稍有危险"),
        Band(20, 70, "low", "一般危险"),
        Band(70, 160, "general", "显著危险"),
        Band(160, 320, "considerable", "高度危险"),
        Band(320, math.inf, "major", "极其危险"),
    ), LEC_VALUES),
    # R = L × S, both published; they differ only at R = 9.
    "ls_r9_considerable": Scheme("ls_r9_considerable", 1, "ls", "four", (
        Band(1, 3, "low", low_closed=True), Band(4, 8, "general", low_closed=True),
        Band(9, 16, "considerable", low_closed=True), Band(20, 25, "major", low_closed=True),
    ), LS_VALUES),
    "ls_r9_general": Scheme("ls_r9_general", 1, "ls", "four", (
        Band(1, 3, "low", low_closed=True), Band(4, 9, "general", low_closed=True),
        Band(10, 16, "considerable", low_closed=True), Band(20, 25, "major", low_closed=True),
    ), LS_VALUES),
    # The common variant of DOMAIN.md §10 ("LS tables", [I]): R 20–25 重大, 15–16 较大,
    # 9–12 一般, 1–8 低.
    "ls_r15_considerable": Scheme("ls_r15_considerable", 1, "ls", "four", (
        Band(1, 8, "low", low_closed=True), Band(9, 12, "general", low_closed=True),
        Band(15, 16, "considerable", low_closed=True), Band(20, 25, "major", low_closed=True),
    ), LS_VALUES),
}
# Which presets are conventions rather than published tables (shown as 参考, DOMAIN.md §3, §10):
# the LEC five-to-four collapse and the third LS table are [I]; both LS tables of §3 are
# published but the city's choice between them is not.
CONVENTION_PRESETS = frozenset({"lec_default", "ls_r15_considerable"})

# The factors' Chinese and English names (DOMAIN.md §3): L, E, C of LEC; L and S of LS.
FACTOR_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "lec": {"L": ("事故发生的可能性", "likelihood"),
            "E": ("暴露于危险环境的频繁程度", "exposure frequency"),
            "C": ("事故后果的严重程度", "consequence")},
    "ls": {"L": ("事故发生的可能性", "likelihood"), "S": ("后果严重性", "severity")},
}
SCORE_SYMBOL = {"lec": "D", "ls": "R"}


def interval_text(band: Band, symbol: str) -> str:
    """A band's real interval, e.g. ``D > 320``, ``160 < D ≤ 320``, ``9 ≤ R ≤ 12``."""
    low = None if math.isinf(band.low) else f"{band.low:g}"
    high = None if math.isinf(band.high) else f"{band.high:g}"
    if low is None and high is None:
        return symbol  # pragma: no cover (no shipped band is unbounded both ways)
    if high is None:
        return f"{symbol} {'≥' if band.low_closed else '>'} {low}"
    if low is None:
        return f"{symbol} ≤ {high}"
    return f"{low} {'≤' if band.low_closed else '<'} {symbol} ≤ {high}"


def band_label(band: Band, method: str) -> str:
    """How a band is shown beside a level: the LEC class with D's interval, never a bare
    "一般" that could be read as 一般风险 (DOMAIN.md §10); an LS band is its interval."""
    interval = interval_text(band, SCORE_SYMBOL.get(method, "R"))
    return f"{band.name}（{interval}）" if band.name else interval


@dataclass(frozen=True)
class Assessment:
    """A level with its reasons: the scheme, the factors, the score and the band hit."""

    scheme: str
    version: int
    method: str
    factors: dict[str, float]
    score: float
    level: Level
    band: Band

    def explain(self, locale: str = "zh") -> dict[str, Any]:
        """The reasons as data for pages and the API (DOMAIN.md §1.4)."""
        formula = {"lec": "D = L × E × C", "ls": "R = L × S"}[self.method]
        return {"scheme": self.scheme, "version": self.version, "method": self.method,
                "formula": formula, "factors": dict(self.factors), "score": self.score,
                "band": [self.band.low, self.band.high], "band_name": self.band.name,
                "level": self.level.code, "label": self.level.label(locale),
                "colour": self.level.colour}


def assess(scheme: Scheme, factors: dict[str, Any]) -> Assessment:
    """Score factors with a scheme (LEC or LS) and find their level; bad factors are problems.

    Only the values of the method's tables are taken: a likelihood of 7 in LEC is a typo,
    not a risk.
    """
    problems = []
    values: dict[str, float] = {}
    for name, allowed in scheme.factors.items():
        raw = factors.get(name)
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(Problem(name, "required" if raw is None else "not_a_number",
                                    {"value": str(raw)}))
            continue
        if value not in allowed:
            problems.append(Problem(name, "not_in_table", {"value": raw, "allowed": list(allowed)}))
            continue
        values[name] = value
    unknown = sorted(set(factors) - set(scheme.factors))
    problems.extend(Problem(name, "unknown_property", {}) for name in unknown)
    if problems:
        raise InvalidInput("bad risk factors", problems)
    score = math.prod(values.values())
    score = round(score, 6)
    band = next((b for b in scheme.bands if b.holds(score)), None)
    if band is None:  # an LS product between bands (17–19 cannot arise from 1–5 × 1–5)
        raise InvalidInput("score outside the bands", [Problem("score", "no_band", {"value": score})])
    level = next(lv for lv in LEVEL_SETS[scheme.levels] if lv.code == band.level)
    return Assessment(scheme.name, scheme.version, scheme.method, values, score, level, band)


def highest(levels: list[Level]) -> Level | None:
    """The level a zone takes from its members: the highest (就高, DOMAIN.md §1.3)."""
    return max(levels, key=lambda lv: lv.ordinal) if levels else None
