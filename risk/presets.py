"""Four-colour presets (LEC and LS tables) as data the city chooses: the shipped ones and its own.

The shipped presets (:data:`risk.levels.PRESETS`) are read-only; an admin adds a table of
their own (DOMAIN.md §10 "LS tables": the table is the city's choice, data, versioned) as a
``risk_schemes`` row with ``map = "four"``. A table is checked against its method's factor
values: every score the factors can give falls in exactly one band, and a higher score never
gets a lower level. Risk points may then name it as their preset.

Which table a point takes when it names none — every point the registry generates from a
hazard or a gas cabin, and every point typed without one — is the city's choice too
(:func:`defaults`, :func:`choose`): a versioned ``risk_schemes`` row (``map = "choice"``),
the shipped defaults until an admin chooses.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resilience.errors import InvalidInput, Problem
from risk.levels import FOUR_COLOUR, LEC_VALUES, LS_VALUES, PRESETS, Band, Scheme
from risk.schemes import RiskScheme, ensure_defaults

VALUES = {"lec": LEC_VALUES, "ls": LS_VALUES}
SHIPPED_DEFAULTS = {"lec": "lec_default", "ls": "ls_r9_considerable"}
CHOICE = "city_default_presets"  # the risk_schemes name of the city's choice
_CACHE = "risk.preset_defaults"
ORDER = {lv.code: lv.ordinal for lv in FOUR_COLOUR}


def reachable(method: str) -> list[float]:
    """Every score the method's factor tables can give (D = L·E·C, R = L·S), ascending."""
    tables = VALUES[method].values()
    return sorted({round(math.prod(combo), 6) for combo in itertools.product(*tables)})


def _bands(raw: Any, problems: list[Problem]) -> list[Band]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("params.bands", "not_a_list", {}))
        return []
    out = []
    for k, item in enumerate(raw):
        where = f"params.bands.{k}"
        if not isinstance(item, dict):
            problems.append(Problem(where, "not_an_object", {}))
            continue
        low, high = item.get("low"), item.get("high")
        bad = [name for name, v in (("low", low), ("high", high))
               if v is not None and (isinstance(v, bool) or not isinstance(v, int | float))]
        problems += [Problem(f"{where}.{name}", "not_a_number", {"value": str(item.get(name))})
                     for name in bad]
        level = item.get("level")
        known = isinstance(level, str) and level in ORDER
        if not known:
            problems.append(Problem(f"{where}.level", "unknown_code",
                                    {"value": level, "allowed": list(ORDER)}))
        name = item.get("name") or ""
        if not isinstance(name, str) or len(name) > 32:
            problems.append(Problem(f"{where}.name", "too_long", {"max": 32}))
        if bad or not known or not isinstance(name, str):
            continue
        out.append(Band(-math.inf if low is None else float(low),
                        math.inf if high is None else float(high), str(item["level"]),
                        name, bool(item.get("low_closed", False))))
    return out


def check_preset(method: Any, params: Any) -> tuple[list[Band], list[Problem]]:
    """A table's bands and every problem with them, by field path."""
    if not isinstance(method, str) or method not in VALUES:  # a JSON list or object is no key
        return [], [Problem("method", "unknown_code", {"value": method, "allowed": list(VALUES)})]
    if not isinstance(params, dict):
        return [], [Problem("params", "not_an_object", {})]
    problems: list[Problem] = []
    unknown = sorted(set(params) - {"bands", "levels", "factors"})
    problems += [Problem(f"params.{k}", "unknown_property", {}) for k in unknown]
    bands = _bands(params.get("bands"), problems)
    if problems:
        return bands, problems
    last = 0
    for score in reachable(method):
        holding = [b for b in bands if b.holds(score)]
        if not holding:
            problems.append(Problem("params.bands", "bands_gap", {"value": f"{score:g}"}))
        elif len(holding) > 1:
            problems.append(Problem("params.bands", "bands_overlap", {"value": f"{score:g}"}))
        elif ORDER[holding[0].level] < last:
            problems.append(Problem("params.bands", "bands_order", {"value": f"{score:g}"}))
        else:
            last = ORDER[holding[0].level]
    return bands, problems[:10]


def save_preset(session: Session, name: Any, method: Any, params: Any, *, by: str | None,
                note: str | None = None) -> RiskScheme:
    """A new version of a city's own four-colour table (admins only); shipped ones are read-only."""
    bands, problems = check_preset(method, params)
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        problems.insert(0, Problem("name", "required", {}))
    elif name in PRESETS:
        problems.insert(0, Problem("name", "preset_read_only", {"value": name}))
    if problems:
        raise InvalidInput("invalid preset", problems)
    ensure_defaults(session)
    existing = session.scalar(select(RiskScheme.map).where(RiskScheme.name == name).limit(1))
    if existing == "five":
        raise InvalidInput("invalid preset", [Problem("name", "name_taken", {"value": name})])
    current = session.scalar(select(func.max(RiskScheme.version)).where(RiskScheme.name == name))
    stored = {"levels": "four", "factors": {k: list(v) for k, v in VALUES[method].items()},
              "bands": [{"low": None if math.isinf(b.low) else b.low,
                         "high": None if math.isinf(b.high) else b.high, "level": b.level,
                         "name": b.name, "low_closed": b.low_closed} for b in bands]}
    row = RiskScheme(name=name, version=(current or 0) + 1, map="four", method=method,
                     params=stored, note=note, created_by=by)
    session.add(row)
    session.flush()
    return row


def from_row(row: RiskScheme) -> Scheme:
    """A stored table, ready to assess with."""
    bands = tuple(Band(-math.inf if b["low"] is None else float(b["low"]),
                       math.inf if b["high"] is None else float(b["high"]), str(b["level"]),
                       str(b.get("name") or ""), bool(b.get("low_closed", False)))
                  for b in row.params["bands"])
    return Scheme(row.name, row.version, row.method, "four", bands,
                  {k: tuple(v) for k, v in VALUES[row.method].items()})


def find(session: Session | None, name: str) -> Scheme | None:
    """A preset by name: a shipped one, else the newest version of the city's own."""
    if name in PRESETS or session is None:
        return PRESETS.get(name)
    row = session.scalars(select(RiskScheme).where(RiskScheme.name == name,
                                                   RiskScheme.map == "four")
                          .order_by(RiskScheme.version.desc()).limit(1)).first()
    return from_row(row) if row is not None else None


def every(session: Session) -> dict[str, Scheme]:
    """Every preset a point may name: the shipped ones and the newest of each of the city's."""
    out = dict(PRESETS)
    for row in session.scalars(select(RiskScheme).where(RiskScheme.map == "four")
                               .order_by(RiskScheme.name, RiskScheme.version)):
        if row.name not in PRESETS:
            out[row.name] = from_row(row)
    return out


def defaults(session: Session | None) -> dict[str, str]:
    """The table each method's points take when they name none: the city's newest choice,
    else the shipped default (a chosen table since removed falls back too)."""
    out = dict(SHIPPED_DEFAULTS)
    if session is None:
        return out
    cached = session.info.get(_CACHE)
    if cached is not None:  # once per session: an import derives thousands of points
        return dict(cached)
    row = session.scalars(select(RiskScheme).where(RiskScheme.name == CHOICE)
                          .order_by(RiskScheme.version.desc()).limit(1)).first()
    if row is not None:
        known = every(session)
        for method, name in (row.params or {}).items():
            if method in out and name in known and known[name].method == method:
                out[method] = str(name)
    session.info[_CACHE] = dict(out)
    return out


def choose(session: Session, chosen: Any, *, by: str | None, note: str | None = None
           ) -> RiskScheme:
    """The city's tables for points that name none, ``{"lec": name, "ls": name}`` (either may
    be left out: it keeps its current one), as a new version; each must be a table of its
    method. Generated points follow at the next run."""
    if not isinstance(chosen, dict) or not chosen:
        raise InvalidInput("invalid choice", [Problem("presets", "not_an_object", {})])
    known = every(session)
    problems = []
    for method, name in chosen.items():
        if method not in VALUES:
            problems.append(Problem(f"presets.{method}", "unknown_property",
                                    {"allowed": sorted(VALUES)}))
        elif not isinstance(name, str) or name not in known or known[name].method != method:
            problems.append(Problem(f"presets.{method}", "unknown_code", {
                "value": name, "allowed": sorted(n for n, t in known.items()
                                                 if t.method == method)}))
    if problems:
        raise InvalidInput("invalid choice", problems)
    ensure_defaults(session)
    current = session.scalar(select(func.max(RiskScheme.version))
                             .where(RiskScheme.name == CHOICE))
    row = RiskScheme(name=CHOICE, version=(current or 0) + 1, map="choice", method="choice",
                     params={**defaults(session), **{m: str(n) for m, n in chosen.items()}},
                     note=note, created_by=by)
    session.add(row)
    session.flush()
    session.info.pop(_CACHE, None)
    return row
