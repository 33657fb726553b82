"""Work-safety risk points (风险点/危险源) for the four-colour map (四色图, DOMAIN.md §3).

Each point keeps its method, preset and raw factors; the score, level and band are derived
on every write by :func:`risk.levels.assess`, never typed in. Points are entered by hand or
generated from the registry on each run (``source = generated``, with the rule and the
asset behind them); people's edits to the unit, measures and review date survive runs.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from geoalchemy2 import WKBElement
from sqlalchemy import Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory.assets import COMMON_HEAD, COMMON_TAIL, AssetColumns, CollectionSpec, F, register
from resilience.errors import InvalidInput, Problem
from resilience.model import Base
from resilience.spatial import geometry
from risk import codes, presets
from risk.levels import PRESETS, assess

FACTOR_FIELDS = {"L": "factor_l", "E": "factor_e", "C": "factor_c", "S": "factor_s"}
DEFAULT_PRESET = presets.SHIPPED_DEFAULTS  # the city may choose others (presets.defaults)


class RiskPoint(AssetColumns, Base):
    """One assessed risk point with its responsible unit, measures and review date."""

    __tablename__ = "risk_points"

    geom: Mapped[WKBElement] = mapped_column(geometry("POINT"), nullable=False)
    category: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(8), nullable=False)
    preset: Mapped[str] = mapped_column(String(40), nullable=False)
    factor_l: Mapped[float] = mapped_column(Float, nullable=False)
    factor_e: Mapped[float | None] = mapped_column(Float)
    factor_c: Mapped[float | None] = mapped_column(Float)
    factor_s: Mapped[float | None] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    band_name: Mapped[str | None] = mapped_column(String(32))
    scheme_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    control_measures: Mapped[str | None] = mapped_column(Text)
    assessed_at: Mapped[date | None] = mapped_column(Date)
    next_review_at: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="manual")
    rule: Mapped[str | None] = mapped_column(String(40))
    asset_collection: Mapped[str | None] = mapped_column(String(32))
    asset_id: Mapped[int | None] = mapped_column(Integer)
    tunnel_id: Mapped[int | None] = mapped_column(Integer, index=True)


def factors_of(values: dict[str, Any]) -> dict[str, Any]:
    """The method's factors from a record's columns (L, E, C for LEC; L, S for LS)."""
    names = ("L", "E", "C") if values.get("method") == "lec" else ("L", "S")
    return {n: values.get(FACTOR_FIELDS[n]) for n in names}


def preset_of(values: dict[str, Any], chosen: dict[str, str] | None = None) -> str:
    """The point's preset: the one given, else its method's default — the city's choice
    (``chosen``, :func:`risk.presets.defaults`) or the shipped one.

    The other method's default counts as not given: a point switched from LS to LEC keeps the
    preset it was given by default before, and a chosen one (``ls_r9_general``) is still
    refused for LEC rather than silently replaced.
    """
    method, preset = values["method"], values.get("preset")
    table = chosen or DEFAULT_PRESET
    others = {p for m, p in table.items() if m != method} | {
        p for m, p in DEFAULT_PRESET.items() if m != method}
    if not preset or preset in others:
        return table[method]
    return str(preset)


def _point_checks(v: dict[str, Any]) -> list[Problem]:
    """Factors on the method's table, the preset of the method, no stray factor."""
    method = v.get("method")
    if method not in ("lec", "ls"):
        return []
    preset = preset_of(v)
    scheme = PRESETS.get(preset)
    if scheme is not None and scheme.method != method:
        allowed = [n for n, s in PRESETS.items() if s.method == method]
        return [Problem("preset", "unknown_code", {"value": preset, "allowed": allowed})]
    problems = []
    # A city's own table (risk.presets) is looked up when the point is written (derive); here
    # the factors are checked against the method's tables, which every table of it shares.
    try:
        assess(scheme or PRESETS[DEFAULT_PRESET[method]], factors_of(v))
    except InvalidInput as error:
        problems += _on_fields(error.problems, method)
    stray = ("factor_s",) if method == "lec" else ("factor_e", "factor_c")
    problems += [Problem(name, "only_when", {"other": "method", "value":
                                             "ls" if method == "lec" else "lec"})
                 for name in stray if v.get(name) is not None]
    return problems


def _on_fields(problems: list[Problem], method: str) -> list[Problem]:
    """The scheme's problems on the record's fields (L → factor_l), naming factor and method."""
    return [Problem(FACTOR_FIELDS.get(p.field, p.field), p.code,
                    {**p.params, "factor": p.field, "method": method.upper()}, p.row)
            for p in problems]


def derive(values: dict[str, Any], session: Session | None = None) -> dict[str, Any]:
    """Score, level and band from the factors (called on every write and import).

    The preset is a shipped one or, given a session, one of the city's own tables
    (:mod:`risk.presets`). Raises InvalidInput on the record's own fields when the factors
    are off their tables (the checks normally catch that first) or the preset is unknown.
    """
    method = values.get("method")
    if method not in DEFAULT_PRESET:
        raise InvalidInput("unknown method", [Problem("method", "unknown_code", {
            "value": method, "allowed": list(DEFAULT_PRESET)})])
    preset = preset_of(values, presets.defaults(session))
    scheme = presets.find(session, preset)
    if scheme is None or scheme.method != method:
        known = presets.every(session) if session is not None else PRESETS
        raise InvalidInput("unknown preset", [Problem("preset", "unknown_code", {
            "value": preset, "allowed": [n for n, s in known.items() if s.method == method]})])
    try:
        result = assess(scheme, factors_of(values))
    except InvalidInput as error:
        raise InvalidInput(error.message, _on_fields(error.problems, method)) from error
    return {"preset": preset, "score": result.score, "level": result.level.code,
            "band_name": result.band.name or None, "scheme_version": result.version}


RISK_POINTS = register(CollectionSpec(
    name="risk-points", rank=80, searchable=True, counted_by="level", zh="风险点", en="Risk points", model=RiskPoint,
    geometry_types=("Point",),
    fields=(
        *COMMON_HEAD,
        F("category", "code", "类别", "Category", required=True,
          codes=codes.RISK_POINT_CATEGORIES),
        F("method", "code", "评价方法", "Method", required=True, codes=codes.RISK_METHODS),
        F("preset", "str", "分级标准", "Preset", max_length=40),
        F("factor_l", "float", "可能性 L", "Likelihood L", required=True, min=0, max=10),
        F("factor_e", "float", "暴露频繁程度 E", "Exposure E", min=0, max=10),
        F("factor_c", "float", "后果 C", "Consequence C", min=0, max=100),
        F("factor_s", "float", "严重性 S", "Severity S", min=0, max=5),
        F("score", "float", "风险值", "Score", readonly=True),
        F("level", "code", "风险等级", "Level", readonly=True, codes=codes.FOUR_LEVELS),
        F("band_name", "str", "危险程度", "Band", readonly=True),
        F("scheme_version", "int", "标准版本", "Scheme version", readonly=True),
        F("responsible_unit", "str", "责任单位", "Responsible unit"),
        F("control_measures", "text", "管控措施", "Control measures", max_length=4000,
          filterable=False),
        F("assessed_at", "date", "评估日期", "Assessed on"),
        F("next_review_at", "date", "下次复评日期", "Next review", future=True),
        F("source", "code", "来源", "Source", readonly=True, codes=codes.RISK_POINT_SOURCES,
          default="manual"),
        F("rule", "str", "生成规则", "Rule", readonly=True, max_length=40),
        F("asset_collection", "str", "关联设施类型", "Asset collection", max_length=32),
        F("asset_id", "int", "关联设施编号", "Asset id", min=1),
        F("tunnel_id", "int", "所在管廊", "Tunnel", min=1),
        *COMMON_TAIL,
    ),
    cross_checks=(_point_checks,),
    references={"tunnel_id": "tunnels"},
    derive=derive,  # given the writer's session, to find a city's own preset
    editing_roles=codes.RISK_EDITING_ROLES,
    temporal="assessed_at",  # when the point was graded, not when its site was surveyed
))
