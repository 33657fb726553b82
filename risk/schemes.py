"""Scoring schemes as versioned data, and the composite scorer of the five-colour map.

DOMAIN.md §2: ``R = H^a · E^b · V^c · (1 − C)^d`` with factors in 0–1 and the exponents
from the scheme's weights, each hazard scored alone and combined by max or weighted sum,
R cut into five levels by four increasing breaks (each band holds its upper bound). The
formula is pluggable (:data:`SCORERS`; a 5×5 hazard × vulnerability matrix ships beside
it). Every parameter the engine reads — cell size, normalising references, the condition
scores, shelter walking distance — lives in the scheme, so a change is a new version,
never a code edit.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from resilience.errors import InvalidInput, NotFound, Problem
from resilience.model import Base, UTCDateTime, now
from resilience.spatial import Json
from risk.levels import FIVE_COLOUR, PRESETS, Level
from risk.levels import Scheme as PresetScheme
from risk.scheme_defaults import (
    COMPOSITE_V1,
    COMPOSITE_V2,
    SHIPPED_NOTES,
)

DEFAULT_COMPOSITE: dict[str, Any] = copy.deepcopy(COMPOSITE_V2)
SHIPPED: dict[int, dict[str, Any]] = {1: COMPOSITE_V1, 2: COMPOSITE_V2}


class RiskScheme(Base):
    """A stored scheme version; editing makes a new row, old runs keep theirs."""

    __tablename__ = "risk_schemes"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    map: Mapped[str] = mapped_column(String(8), nullable=False)  # "five" or "four"
    method: Mapped[str] = mapped_column(String(16), nullable=False)  # composite, lec, ls
    params: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now)
    created_by: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class Composite:
    """A five-colour scheme ready to score: name, version and checked parameters."""

    name: str
    version: int
    params: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_COMPOSITE))

    @property
    def breaks(self) -> list[float]:
        """Four increasing class breaks of R."""
        return list(self.params["breaks"])

    @property
    def cell_size_m(self) -> float:
        """Grid cell size in metres."""
        return float(self.params["cell_size_m"])

    def section(self, name: str) -> dict[str, Any]:
        """A parameter group (exposure, vulnerability, capacity, flood_points)."""
        return dict(self.params[name])


@dataclass(frozen=True)
class Factors:
    """The normalised inputs of one cell: H per hazard kind, E, V and C, all 0–1."""

    hazards: dict[str, float]
    exposure: float
    vulnerability: float
    capacity: float  # against every hazard not in ``capacity_by_hazard``
    # Capacity credited against one hazard only (a shelter is no refuge from the hazard its
    # own place lies in): where given, it replaces ``capacity`` for that hazard.
    capacity_by_hazard: dict[str, float] = field(default_factory=dict)

    def capacity_for(self, kind: str) -> float:
        """C against one hazard kind."""
        return self.capacity_by_hazard.get(kind, self.capacity)


@dataclass(frozen=True)
class Score:
    """A cell's composite risk: R, its level and band, and the reasons."""

    score: float
    level: Level
    band: tuple[float, float]
    per_hazard: dict[str, float]
    decided_by: str | None
    terms: dict[str, float]

    def explain(self, scheme: Composite, factors: Factors) -> dict[str, Any]:
        """Each factor's value and term, the weights, R, its band and the largest contributor."""
        return {"scheme": scheme.name, "version": scheme.version,
                "formula": FORMULA_TEXT[scheme.params["formula"]],
                "combine": scheme.params["combine"],
                "hazards": {k: round(v, 4) for k, v in factors.hazards.items() if v > 0},
                "risk_by_hazard": {k: round(v, 5) for k, v in self.per_hazard.items()},
                "exposure": round(factors.exposure, 4),
                "vulnerability": round(factors.vulnerability, 4),
                "capacity": round(factors.capacity_for(self.decided_by or ""), 4),
                "capacity_by_hazard": {k: round(v, 4) for k, v in
                                       factors.capacity_by_hazard.items()
                                       if k in factors.hazards},
                "weights": dict(scheme.params["weights"]), "terms": self.terms,
                "score": round(self.score, 5),
                "band": [None if math.isinf(b) else b for b in self.band],
                "level": self.level.code, "decided_by": self.decided_by}


Scorer = Callable[[Composite, float, float, float, float], float]


def _power_product(scheme: Composite, h: float, e: float, v: float, c: float) -> float:
    w = scheme.params["weights"]
    r: float = (h ** w["H"]) * (e ** w["E"]) * (v ** w["V"]) * ((1.0 - c) ** w["C"])
    return r


def _matrix_hv(scheme: Composite, h: float, e: float, v: float, c: float) -> float:
    """A 5×5 hazard × vulnerability matrix, read as R = cell / 5, scaled by E and (1 − C)."""
    if h <= 0 or e <= 0:
        return 0.0
    row = min(4, max(0, math.ceil(h * 5) - 1))
    col = min(4, max(0, math.ceil(v * 5) - 1))
    r: float = scheme.params["matrix"][row][col] / 5 * e * (1.0 - c)
    return r


SCORERS: dict[str, Scorer] = {"power_product": _power_product, "matrix_hv": _matrix_hv}
FORMULA_TEXT = {"power_product": "R = H^a · E^b · V^c · (1 − C)^d",
                "matrix_hv": "R = M[H][V] / 5 · E · (1 − C)"}


def level_of(score: float, breaks: list[float]) -> tuple[Level, tuple[float, float]]:
    """The five-colour level of R: band k holds ``breaks[k-1] < R <= breaks[k]``."""
    edges = [-math.inf, *breaks, math.inf]
    for i in range(5):
        if score <= edges[i + 1]:
            return FIVE_COLOUR[i], (edges[i], edges[i + 1])
    return FIVE_COLOUR[4], (edges[4], edges[5])  # pragma: no cover (inf holds everything)


def score(scheme: Composite, factors: Factors) -> Score:
    """Score each hazard alone, combine (max or weighted sum), and find the level."""
    scorer = SCORERS[scheme.params["formula"]]
    e, v = factors.exposure, factors.vulnerability
    per = {k: scorer(scheme, h, e, v, factors.capacity_for(k))
           for k, h in factors.hazards.items() if h > 0}
    decided_by = max(per, key=lambda k: (per[k], k)) if per else None
    c = factors.capacity_for(decided_by) if decided_by else factors.capacity
    if scheme.params["combine"] == "weighted_sum":
        # A sum, not an average: a further hazard can only add to the risk (capped at 1).
        hw = scheme.params["hazard_weights"]
        r = min(1.0, sum(hw.get(k, 1.0) * x for k, x in per.items()))
    else:
        r = max(per.values(), default=0.0)
    # To nine places, so that a score that meets a break exactly (0.5 ** 0.5 ** 2 is
    # 0.5000000000000001) is read as on it, not just above it.
    r = round(r, 9)
    level, band = level_of(r, scheme.breaks)
    w = scheme.params["weights"]
    h = factors.hazards.get(decided_by, 0.0) if decided_by else 0.0
    terms = {"H": round(h ** w["H"], 4) if h else 0.0, "E": round(e ** w["E"], 4),
             "V": round(v ** w["V"], 4), "C": round((1 - c) ** w["C"], 4)}
    return Score(r, level, band, per, decided_by, terms)


def check_params(params: Any) -> list[Problem]:
    """Every problem of a composite scheme's parameters, by field path (DOMAIN.md §1.1)."""
    if not isinstance(params, dict):
        return [Problem("params", "not_an_object", {})]
    problems: list[Problem] = []
    unknown = sorted(set(params) - set(DEFAULT_COMPOSITE))
    problems += [Problem(f"params.{k}", "unknown_property", {}) for k in unknown]
    merged = _merged(params)
    if merged["formula"] not in SCORERS:
        problems.append(Problem("params.formula", "unknown_code",
                                {"value": merged["formula"], "allowed": list(SCORERS)}))
    if merged["combine"] not in ("max", "weighted_sum"):
        problems.append(Problem("params.combine", "unknown_code",
                                {"value": merged["combine"], "allowed": ["max", "weighted_sum"]}))
    breaks = merged["breaks"]
    if not (isinstance(breaks, list) and len(breaks) == 4
            and all(_number(b) for b in breaks)):
        problems.append(Problem("params.breaks", "four_numbers", {"value": str(breaks)}))
    elif any(b >= a for a, b in zip(breaks[1:], breaks[:-1], strict=True)) or breaks[0] <= 0:
        problems.append(Problem("params.breaks", "not_increasing", {"value": breaks}))
    for group in ("weights", "hazard_weights"):
        values = merged[group]
        if not isinstance(values, dict):
            problems.append(Problem(f"params.{group}", "not_an_object", {}))
            continue
        for key, value in values.items():
            if not _number(value):
                problems.append(Problem(f"params.{group}.{key}", "not_a_number",
                                        {"value": str(value)}))
            elif value < 0:
                problems.append(Problem(f"params.{group}.{key}", "negative_weight",
                                        {"value": value}))
    given = params.get("weights", merged["weights"])  # weights are given whole, never in part
    if isinstance(given, dict):
        missing = sorted({"H", "E", "V", "C"} - set(given))
        problems += [Problem(f"params.weights.{k}", "required", {}) for k in missing]
    size = merged["cell_size_m"]
    if not _number(size) or not 50 <= size <= 10000:
        problems.append(Problem("params.cell_size_m", "out_of_range",
                                {"value": size, "min": 50, "max": 10000}))
    for group in ("exposure", "vulnerability", "capacity", "flood_points"):
        if not isinstance(merged[group], dict):
            problems.append(Problem(f"params.{group}", "not_an_object", {}))
    cap = merged["capacity"]
    if isinstance(cap, dict) and not (_number(cap.get("max")) and 0 <= cap["max"] < 1):
        problems.append(Problem("params.capacity.max", "out_of_range",
                                {"value": cap.get("max"), "min": 0, "max": 0.99}))
    return problems + _monotone_checks(merged)


# Parameters that must stay in 0–1 for the factors to stay in 0–1 (and so monotone), and
# references that must be positive: (group, key, sub-key or None).
UNIT_RANGE = (("exposure", "population_weight", None), ("vulnerability", "unknown_condition",
              None), ("vulnerability", "in_tunnel_factor", None), ("vulnerability", "shelter",
              None), ("vulnerability", "age_weight", None), ("capacity", "shelter_weight", None),
              ("unregistered", "E", None), ("unregistered", "V", None))
POSITIVE = (("exposure", "length_ref_m"), ("exposure", "population_ref_per_km2"),
            ("capacity", "shelter_radius_m"))


def _monotone_checks(merged: dict[str, Any]) -> list[Problem]:
    """Parameters that would let evidence lower a level (DOMAIN.md §10): a condition score
    that falls as the grade worsens, factor parts outside 0–1, non-positive references."""
    problems: list[Problem] = []

    def group(name: str) -> dict[str, Any]:
        value = merged.get(name)
        return value if isinstance(value, dict) else {}

    for name, key, _ in UNIT_RANGE:
        value = group(name).get(key)
        if value is not None and not (_number(value) and 0 <= value <= 1):
            problems.append(Problem(f"params.{name}.{key}", "out_of_range",
                                    {"value": value, "min": 0, "max": 1}))
    for name, key in POSITIVE:
        value = group(name).get(key)
        if value is not None and not (_number(value) and value > 0):
            problems.append(Problem(f"params.{name}.{key}", "must_be_positive", {"value": value}))
    share = group("division_rule").get("share")
    if share is not None and not (_number(share) and 0 < share <= 1):
        problems.append(Problem("params.division_rule.share", "out_of_range",
                                {"value": share, "min": 0.01, "max": 1}))
    for key, value in (group("exposure").get("critical") or {}).items():
        if not (_number(value) and 0 <= value <= 1):
            problems.append(Problem(f"params.exposure.critical.{key}", "out_of_range",
                                    {"value": value, "min": 0, "max": 1}))
    scores = group("vulnerability").get("condition")
    if isinstance(scores, dict):
        raw = [scores.get(str(g)) for g in range(1, 5)]
        ordered = [float(x) for x in raw if x is not None and _number(x)]
        if len(ordered) < 4 or not all(0 <= x <= 1 for x in ordered) or any(
                b < a for a, b in zip(ordered, ordered[1:], strict=False)):
            problems.append(Problem("params.vulnerability.condition", "condition_order",
                                    {"value": str(scores)}))
    return problems


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _merged(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters over the defaults, group by group (a new version may give only changes)."""
    out = copy.deepcopy(DEFAULT_COMPOSITE)
    for key, value in params.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


# -- storage ----------------------------------------------------------------------------

DEFAULT_NAME = "composite_default"


def preset_params(scheme: PresetScheme) -> dict[str, Any]:
    """A four-colour preset as stored data (bands with explicit bounds, factor tables)."""
    return {"levels": scheme.levels, "factors": {k: list(v) for k, v in scheme.factors.items()},
            "bands": [{"low": None if math.isinf(b.low) else b.low,
                       "high": None if math.isinf(b.high) else b.high, "level": b.level,
                       "name": b.name, "low_closed": b.low_closed} for b in scheme.bands]}


def ensure_defaults(session: Session) -> None:
    """Store the shipped schemes (composite default v1 and v2, the LEC and LS presets) once.

    A shipped version has no author. Where an admin already saved a version under the
    shipped number (their v2 made from v1), the shipped one comes next: it is still the
    newest, so the next run uses it, and old runs keep the version they used.
    """
    rows = session.execute(select(RiskScheme.name, RiskScheme.version,
                                  RiskScheme.created_by, RiskScheme.note)).all()
    have = {(r.name, r.version) for r in rows}
    shipped = {r.note for r in rows if r.name == DEFAULT_NAME and r.created_by is None}
    for version, params in SHIPPED.items():
        note = SHIPPED_NOTES[version]
        if note in shipped or (version == 1 and (DEFAULT_NAME, 1) in have):
            continue
        number = version if (DEFAULT_NAME, version) not in have else \
            max(v for n, v in have if n == DEFAULT_NAME) + 1
        session.add(RiskScheme(name=DEFAULT_NAME, version=number, map="five",
                               method="composite", params=copy.deepcopy(params), note=note))
        have.add((DEFAULT_NAME, number))
    for name, preset in PRESETS.items():
        if (name, preset.version) not in have:
            session.add(RiskScheme(name=name, version=preset.version, map="four",
                                   method=preset.method, params=preset_params(preset),
                                   note="shipped preset (DOMAIN.md §3)"))
    session.flush()


def latest(session: Session, name: str = DEFAULT_NAME) -> Composite:
    """The newest version of a five-colour scheme, ready to score."""
    ensure_defaults(session)
    row = session.scalars(select(RiskScheme).where(RiskScheme.name == name)
                          .order_by(RiskScheme.version.desc()).limit(1)).first()
    if row is None or row.map != "five":
        raise NotFound(f"no five-colour scheme {name!r}")
    return Composite(row.name, row.version, _merged(row.params))


def version_of(session: Session, name: str, version: int) -> Composite:
    """A stored five-colour scheme version (what a run was computed with); the newest if gone."""
    row = session.scalars(select(RiskScheme).where(RiskScheme.name == name,
                                                   RiskScheme.version == version)).first()
    if row is None or row.map != "five":
        return latest(session)
    return Composite(row.name, row.version, _merged(row.params))


def save_version(session: Session, name: str, params: Any, *, by: str | None,
                 note: str | None = None) -> RiskScheme:
    """A new version of a five-colour scheme after checking its parameters (admins only)."""
    problems = check_params(params)
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        problems.insert(0, Problem("name", "required", {}))
    if problems:
        raise InvalidInput("invalid scheme", problems)
    ensure_defaults(session)
    current = session.scalar(select(func.max(RiskScheme.version)).where(RiskScheme.name == name))
    existing = session.scalar(select(RiskScheme.map).where(RiskScheme.name == name).limit(1))
    if existing not in (None, "five"):  # a four-colour table, or the city's choice of them
        raise InvalidInput("invalid scheme", [Problem("name", "preset_read_only", {"value": name})])
    row = RiskScheme(name=name, version=(current or 0) + 1, map="five", method="composite",
                     params=_merged(params), note=note, created_by=by)
    session.add(row)
    session.flush()
    return row


def listing(session: Session) -> list[RiskScheme]:
    """Every stored scheme version, newest first within each name."""
    ensure_defaults(session)
    return list(session.scalars(select(RiskScheme)
                                .order_by(RiskScheme.name, RiskScheme.version.desc())))
