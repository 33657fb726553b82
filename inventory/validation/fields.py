"""Field values: a raw value (JSON, a CSV cell, an Excel cell) as the field's Python value.

Every write and every import coerces through ``coerce``; ``parse_rows`` does it a column at
a time for an import's batches, with the same results as ``parse_properties`` row by row.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from inventory.assets import ChildSpec, CollectionSpec, FieldSpec
from resilience.errors import Problem

CACHE_SIZE = 100_000  # coerced values remembered per import (bounded: memory stays flat)
INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # what an INTEGER column holds on PostgreSQL


def coerce(spec: FieldSpec, raw: Any, today: date | None = None) -> tuple[Any, Problem | None]:
    """Turn a JSON value into the field's Python value, or say why it cannot be."""
    name = spec.name
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and spec.kind != "text"):
        return None, None
    kind = spec.kind
    try:
        if kind in ("str", "text"):
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                return None, Problem(name, "not_a_string", {"value": shortened(raw)})
            value: Any = str(raw).strip() if kind == "str" else str(raw)
            if "\x00" in value:  # PostgreSQL text cannot hold NUL; SQLite would cut at it
                return None, Problem(name, "invalid_character", {"value": "NUL"})
            if len(value) > spec.max_length:
                return None, Problem(name, "too_long", {"max": spec.max_length})
            return value, None
        if kind == "code":
            assert spec.codes is not None
            if isinstance(raw, bool):
                return None, Problem(name, "unknown_code", _code_params(spec, raw))
            code = spec.codes.normalise(str(raw))
            if code is None:
                return None, Problem(name, "unknown_code", _code_params(spec, raw))
            return code, None
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError
            if isinstance(raw, float):
                if not raw.is_integer():
                    raise ValueError
                raw = int(raw)
            if spec.codes is not None and isinstance(raw, str) and not raw.strip().isdigit():
                code = spec.codes.normalise(raw)
                if code is None:
                    return None, Problem(name, "unknown_code", _code_params(spec, raw))
                raw = code
            value = int(raw)
            if not INT_MIN <= value <= INT_MAX:  # the columns are 32-bit integers
                return None, Problem(name, "out_of_range", {"value": shortened(raw),
                                                            "min": INT_MIN, "max": INT_MAX})
            return _check_range(spec, value)
        if kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
            return _check_range(spec, value)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw, None
            text = str(raw).strip().lower()
            if text in {"true", "1", "yes", "是", "y", "t"}:
                return True, None
            if text in {"false", "0", "no", "否", "n", "f"}:
                return False, None
            return None, Problem(name, "not_a_boolean", {"value": shortened(raw)})
        if kind == "date":
            if isinstance(raw, date):
                value = raw
            else:
                value = date.fromisoformat(str(raw).strip()[:10])
            if value > (today or date.today()) and not spec.future:
                return None, Problem(name, "in_future", {"value": value.isoformat()})
            return value, None
        if kind in ("str_list", "int_list"):
            if not isinstance(raw, list):
                return None, Problem(name, "not_a_list", {"value": shortened(raw)})
            if kind == "int_list":
                if any(isinstance(x, bool) or not isinstance(x, int) for x in raw):
                    return None, Problem(name, "not_integers", {})
                beyond = [x for x in raw if not INT_MIN <= x <= INT_MAX]  # ids of 32-bit keys
                if beyond:
                    return None, Problem(name, "out_of_range", {"value": shortened(beyond[0]),
                                                                "min": INT_MIN, "max": INT_MAX})
                return sorted(set(raw)), None
            if any(not isinstance(x, str) for x in raw):
                return None, Problem(name, "not_strings", {})
            return [x.strip() for x in raw if x.strip()], None
    except (ValueError, TypeError):
        expected = {"int": "integer", "float": "number", "date": "date"}.get(kind, kind)
        return None, Problem(name, f"not_{'an' if expected == 'integer' else 'a'}_{expected}",
                             {"value": shortened(raw)})
    raise AssertionError(kind)


def _code_params(spec: FieldSpec, raw: Any) -> dict[str, Any]:
    assert spec.codes is not None
    return {"value": shortened(raw), "allowed": spec.codes.values()}


def shortened(raw: Any) -> str:
    """A value as text short enough to quote in a problem."""
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


def _check_range(spec: FieldSpec, value: float) -> tuple[Any, Problem | None]:
    if spec.min is not None:
        if value < spec.min or (spec.exclusive_min and value == spec.min):
            code = "must_be_positive" if spec.exclusive_min and spec.min == 0 else "too_small"
            return None, Problem(spec.name, code, {"value": value, "min": spec.min})
    if spec.max is not None and value > spec.max:
        return None, Problem(spec.name, "too_large", {"value": value, "max": spec.max})
    return value, None


def parse_properties(
    spec: CollectionSpec | ChildSpec,
    props: dict[str, Any],
    *,
    partial: bool,
    today: date | None = None,
    prefix: str = "",
) -> tuple[dict[str, Any], list[Problem]]:
    """Coerce writable properties; unknown names and missing required ones are problems."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    children = {c.name for c in getattr(spec, "children", ())}
    prepare = getattr(spec, "prepare", None)
    if prepare is not None:  # on a copy: the caller's body stays as it was sent
        props = dict(props)
        problems.extend(Problem(prefix + p.field, p.code, p.params) for p in prepare(props))
    for key, raw in props.items():
        field = spec.field(key)
        if field is None:
            if key not in children:
                problems.append(Problem(prefix + key, "unknown_property", {}))
            continue
        if field.readonly:
            continue  # what a GET returned may be sent back unchanged
        value, problem = coerce(field, raw, today)
        if problem is not None:
            problems.append(Problem(prefix + problem.field, problem.code, problem.params))
        else:
            values[key] = value
    if partial:  # a merge-patch null removes a value: a required one cannot be removed
        problems.extend(Problem(prefix + key, "required", {}) for key, raw in props.items()
                        if raw is None and (f := spec.field(key)) is not None and f.required
                        and not f.readonly)
    else:
        for field in spec.fields:
            if field.readonly:
                continue
            if values.get(field.name) is None:
                if field.required and not any(p.field == prefix + field.name for p in problems):
                    problems.append(Problem(prefix + field.name, "required", {}))
                values[field.name] = field.default  # a null sent takes the default too
    return values, problems


Coerced = tuple[Any, Problem | None]
_ABSENT = object()


def parse_rows(spec: CollectionSpec, rows: list[dict[str, Any]], today: date,
               cache: dict[tuple[str, Any], Coerced]) -> list[tuple[dict[str, Any], list[Problem]]]:
    """:func:`parse_properties` (whole records) for a batch of rows, a column at a time.

    Each field is looked up once per batch, not once per value, and ``cache`` remembers
    coerced values across batches: a file repeats its codes, years and sizes, so most
    values are looked up rather than parsed again (text is not cached: it is cheap and
    mostly unique). The results are the same as calling ``parse_properties`` per row,
    except that the collection's ``prepare`` rewrites the rows themselves.
    """
    n = len(rows)
    values: list[dict[str, Any]] = [{} for _ in range(n)]
    problems: list[list[Problem]] = [[] for _ in range(n)]
    if spec.prepare is not None:  # in place, so the writer sees the columns a row implies
        for row, found in zip(rows, problems, strict=True):
            found.extend(spec.prepare(row))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    children = {c.name for c in spec.children}
    for key in keys:
        field = spec.field(key)
        column = [row.get(key, _ABSENT) for row in rows]
        if field is None:
            if key not in children:
                for i, raw in enumerate(column):
                    if raw is not _ABSENT:
                        problems[i].append(Problem(key, "unknown_property", {}))
            continue
        if field.readonly:
            continue
        cached = field.kind not in ("str", "text")
        plain_text = field.kind == "str"
        for i, raw in enumerate(column):
            if raw is _ABSENT:
                continue
            if plain_text and type(raw) is str and len(raw) <= field.max_length \
                    and "\x00" not in raw:  # a NUL goes to coerce, which refuses it
                values[i][key] = raw.strip() or None
                continue
            if cached and type(raw) in (str, int, float):
                hit = cache.get((key, raw))
                if hit is None:
                    if len(cache) > CACHE_SIZE:
                        cache.clear()
                    hit = cache[(key, raw)] = coerce(field, raw, today)
            else:
                hit = coerce(field, raw, today)
            if hit[1] is not None:
                problems[i].append(hit[1])
            else:
                values[i][key] = hit[0]
    given = set(keys)
    for field in spec.fields:
        if field.readonly:
            continue
        name = field.name
        if name not in given and not field.required:  # a column the file does not have
            for row_values in values:
                row_values[name] = field.default
            continue
        for i in range(n):
            if values[i].get(name) is None:
                if field.required and not any(p.field == name for p in problems[i]):
                    problems[i].append(Problem(name, "required", {}))
                values[i][name] = field.default  # as parse_properties: null takes it too
    return list(zip(values, problems, strict=True))
