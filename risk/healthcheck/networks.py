"""Pipe-network indicators: ageing pipe (老化管线比例), its renewal (老旧管网更新改造完成率),
utility tunnels and the share of lines in them — each as the registry stood at the end of the
year (``asof``), old by the one ageing rule (``inventory.ageing``, 国办发〔2022〕22号)."""

from __future__ import annotations

from inventory import ageing
from risk.healthcheck.asof import Pipe
from risk.healthcheck.defaults import AGEING_CATEGORIES, CATEGORIES
from risk.healthcheck.scope import Scope, Value, pct


def _old(pipe: Pipe, year: int) -> bool:
    return ageing.assess(pipe.category, pipe.material, pipe.build_year, pipe.condition_grade,
                         year).status == "old"


def pipeline_age(scope: Scope) -> dict[str, Value]:
    """老化管线比例 per category = in-service length old by the ageing rule ÷ in-service length
    × 100; ``.all`` over the categories the rule covers (gas, water, drainage, heat).

    Pipe the rule leaves to verify or to assess (待核实/待评估) is in the denominator only;
    categories it does not cover (power, telecom) are not computed.
    """
    stats: dict[str, dict[str, float]] = {}
    for pipe in scope.pipes:
        s = stats.setdefault(pipe.category, {"length": 0.0, "over": 0.0, "segments": 0,
                                             "check": 0})
        s["length"] += pipe.length_m
        verdict = ageing.assess(pipe.category, pipe.material, pipe.build_year,
                                pipe.condition_grade, scope.year)
        if verdict.status == "old":
            s["over"] += pipe.length_m
            s["segments"] += 1
        elif verdict.status == "check":
            s["check"] += 1
    out = {}
    for cat in [*CATEGORIES, "all"]:
        if cat not in AGEING_CATEGORIES and cat != "all":
            out[f"pipeline_over_age.{cat}"] = Value(None, "no_ageing_rule")
            continue
        parts = [stats[c] for c in AGEING_CATEGORIES if c in stats] if cat == "all" \
            else [stats.get(cat, {})]
        total = sum(s.get("length", 0.0) for s in parts)
        over = sum(s.get("over", 0.0) for s in parts)
        out[f"pipeline_over_age.{cat}"] = Value(
            pct(over, total), None if total else "no_lines",
            {"segments": int(sum(s.get("segments", 0) for s in parts)),
             "to_check": int(sum(s.get("check", 0) for s in parts)),
             "over_km": round(over / 1000, 2), "total_km": round(total / 1000, 2),
             "rule": ageing.VERSION})
    return out


def renewal_completion(scope: Scope) -> dict[str, Value]:
    """老旧管网更新改造完成率 = of the pipe in service and old at the end of the previous year,
    the length renewed by the end of this one (no longer in service — abandoned, removed,
    retired — or no longer old, e.g. relined and re-graded) ÷ that length × 100."""
    before = [p for p in scope.registry.pipes(scope.year - 1)
              if p.category in AGEING_CATEGORIES and _old(p, scope.year - 1)]
    if not before:
        any_pipe = bool(scope.registry.pipes(scope.year - 1))
        return {"renewal_completion": Value(None, "none_old" if any_pipe else "no_lines")}
    now = {p.id: p for p in scope.pipes}
    due = sum(p.length_m for p in before)
    renewed = sum(p.length_m for p in before
                  if p.id not in now or not _old(now[p.id], scope.year))
    return {"renewal_completion": Value(
        pct(renewed, due), None,
        {"due_km": round(due / 1000, 2), "renewed_km": round(renewed / 1000, 2),
         "left_km": round((due - renewed) / 1000, 2), "segments": len(before),
         "rule": ageing.VERSION})}


def tunnels(scope: Scope) -> dict[str, Value]:
    """综合管廊长度 = Σ length of tunnels in service (km); 管线入廊率 per category = length
    carried in tunnel cabins ÷ in-service length × 100 (``.all`` over every category)."""
    standing = scope.registry.tunnels(scope.year)
    metres = sum(float(t.get("length_m") or 0.0) for t in standing)
    out = {"tunnel_length": Value(round(metres / 1000, 3), detail={"tunnels": len(standing)})}
    total: dict[str, float] = {}
    inside: dict[str, float] = {}
    for pipe in scope.pipes:
        total[pipe.category] = total.get(pipe.category, 0.0) + pipe.length_m
        if pipe.in_tunnel:
            inside[pipe.category] = inside.get(pipe.category, 0.0) + pipe.length_m
    for cat in [*CATEGORIES, "all"]:
        whole = sum(total.values()) if cat == "all" else total.get(cat, 0.0)
        part = sum(inside.values()) if cat == "all" else inside.get(cat, 0.0)
        out[f"tunnel_share.{cat}"] = Value(
            pct(part, whole), None if whole else "no_lines",
            {"tunnel_km": round(part / 1000, 2), "total_km": round(whole / 1000, 2)})
    return out
