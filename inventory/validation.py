"""Pure validation: every problem of a record, named by field, before anything is written."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from inventory.assets import ChildSpec, CollectionSpec, FieldSpec
from resilience.errors import Problem

Extent = tuple[float, float, float, float]
MAX_VERTICES = 100_000
CACHE_SIZE = 100_000  # coerced values remembered per import (bounded: memory stays flat)


@dataclass(frozen=True)
class Parsed:
    """A feature's values after coercion, with the problems found on the way."""

    values: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]
    geometry: BaseGeometry | None
    problems: list[Problem]


def coerce(spec: FieldSpec, raw: Any, today: date | None = None) -> tuple[Any, Problem | None]:
    """Turn a JSON value into the field's Python value, or say why it cannot be."""
    name = spec.name
    if raw is None or (isinstance(raw, str) and raw.strip() == "" and spec.kind != "text"):
        return None, None
    kind = spec.kind
    try:
        if kind in ("str", "text"):
            if not isinstance(raw, str | int | float) or isinstance(raw, bool):
                return None, Problem(name, "not_a_string", {"value": _short(raw)})
            value: Any = str(raw).strip() if kind == "str" else str(raw)
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
            return None, Problem(name, "not_a_boolean", {"value": _short(raw)})
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
                return None, Problem(name, "not_a_list", {"value": _short(raw)})
            if kind == "int_list":
                if any(isinstance(x, bool) or not isinstance(x, int) for x in raw):
                    return None, Problem(name, "not_integers", {})
                return sorted(set(raw)), None
            if any(not isinstance(x, str) for x in raw):
                return None, Problem(name, "not_strings", {})
            return [x.strip() for x in raw if x.strip()], None
    except (ValueError, TypeError):
        expected = {"int": "integer", "float": "number", "date": "date"}.get(kind, kind)
        return None, Problem(name, f"not_{'an' if expected == 'integer' else 'a'}_{expected}",
                             {"value": _short(raw)})
    raise AssertionError(kind)


def _code_params(spec: FieldSpec, raw: Any) -> dict[str, Any]:
    assert spec.codes is not None
    return {"value": _short(raw), "allowed": spec.codes.values()}


def _short(raw: Any) -> str:
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
    if not partial:
        for field in spec.fields:
            if field.readonly:
                continue
            if values.get(field.name) is None:
                if field.required and not any(p.field == prefix + field.name for p in problems):
                    problems.append(Problem(prefix + field.name, "required", {}))
                values.setdefault(field.name, field.default)
    return values, problems


Coerced = tuple[Any, Problem | None]
_ABSENT = object()


def parse_rows(spec: CollectionSpec, rows: list[dict[str, Any]], today: date,
               cache: dict[tuple[str, Any], Coerced]) -> list[tuple[dict[str, Any], list[Problem]]]:
    """:func:`parse_properties` (whole records) for a batch of rows, a column at a time.

    Each field is looked up once per batch, not once per value, and ``cache`` remembers
    coerced values across batches: a file repeats its codes, years and sizes, so most
    values are looked up rather than parsed again (text is not cached: it is cheap and
    mostly unique). The results are the same as calling ``parse_properties`` per row.
    """
    n = len(rows)
    values: list[dict[str, Any]] = [{} for _ in range(n)]
    problems: list[list[Problem]] = [[] for _ in range(n)]
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
            if plain_text and type(raw) is str and len(raw) <= field.max_length:
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
                values[i].setdefault(name, field.default)
    return list(zip(values, problems, strict=True))


def parse_children(
    spec: CollectionSpec, props: dict[str, Any], today: date | None = None
) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    """Validate nested lists (cabins, nodes, events) item by item."""
    out: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for child in spec.children:
        if child.name not in props:
            continue
        raw = props[child.name]
        if raw is None:
            raw = []
        if not isinstance(raw, list):
            problems.append(Problem(child.name, "not_a_list", {}))
            continue
        items = []
        for i, item in enumerate(raw):
            where = f"{child.name}[{i}]."
            if not isinstance(item, dict):
                problems.append(Problem(f"{child.name}[{i}]", "not_an_object", {}))
                continue
            body = dict(item)
            position = body.pop("position", None) if child.has_position else None
            values, found = parse_properties(child, body, partial=False, today=today,
                                             prefix=where)
            problems.extend(found)
            if child.has_position:
                point = _position(position)
                if point is None:
                    problems.append(Problem(where + "position", "invalid_position", {}))
                else:
                    values["position"] = point
            if "id" in item and isinstance(item["id"], int) and not isinstance(item["id"], bool):
                values["id"] = item["id"]
            items.append(values)
        out[child.name] = items
    return out, problems


def _position(raw: Any) -> tuple[float, float] | None:
    if isinstance(raw, dict) and raw.get("type") == "Point":
        raw = raw.get("coordinates")
    if (isinstance(raw, list | tuple) and len(raw) in (2, 3)
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in raw)
            and all(math.isfinite(v) for v in raw)):
        return float(raw[0]), float(raw[1])
    return None


def parse_geometry(raw: Any) -> tuple[BaseGeometry | None, Problem | None]:
    """A shapely geometry from a GeoJSON geometry object, or the problem with it."""
    if not isinstance(raw, dict) or "type" not in raw:
        return None, Problem("geometry", "not_a_geometry", {})
    try:
        geom = shape(raw)
    except (ValueError, TypeError, KeyError, AttributeError, IndexError,
            shapely.errors.ShapelyError):
        return None, Problem("geometry", "malformed_geometry", {"type": str(raw.get("type"))})
    return geom, None


def check_geometry(
    spec: CollectionSpec, geom: BaseGeometry, extent: Extent | None
) -> list[Problem]:
    """Type, emptiness, finiteness, validity and city extent of a geometry in lon/lat."""
    return check_geometries(spec, np.array([geom], dtype=object), extent)[0]


def check_geometries(
    spec: CollectionSpec, geoms: np.ndarray, extent: Extent | None
) -> list[list[Problem]]:
    """:func:`check_geometry` for a whole batch at once (GEOS works on the array).

    An import checks tens of thousands of geometries; asking GEOS once per batch instead of
    once per row is what keeps a 100k-row file within seconds.
    """
    n = len(geoms)
    out: list[list[Problem]] = [[] for _ in range(n)]
    if n == 0:
        return out
    types = shapely.get_type_id(geoms)
    allowed = [_TYPE_IDS[t] for t in spec.geometry_types]
    typed = np.isin(types, allowed)
    empty = shapely.is_empty(geoms)
    counts = shapely.get_num_coordinates(geoms)
    todo = typed & ~empty & (counts <= MAX_VERTICES)
    finite = np.ones(n, dtype=bool)
    sub = geoms[todo]
    if len(sub):
        coords, index = shapely.get_coordinates(sub, return_index=True)
        bad = ~np.isfinite(coords).all(axis=1)
        if bad.any():
            finite[np.flatnonzero(todo)[np.unique(index[bad])]] = False
    ok = todo & finite
    lines = ok & (types == 1)
    zero = np.zeros(n, dtype=bool)
    zero[lines] = shapely.length(geoms[lines]) == 0
    others = ok & ~lines
    valid = np.ones(n, dtype=bool)
    valid[others] = shapely.is_valid(geoms[others])
    bounds = np.full((n, 4), np.nan)
    bounds[ok] = shapely.bounds(geoms[ok])
    for i in range(n):
        if not typed[i]:
            out[i].append(Problem("geometry", "wrong_geometry_type",
                                  {"value": geoms[i].geom_type, "allowed": list(spec.geometry_types)}))
        elif empty[i]:
            out[i].append(Problem("geometry", "empty_geometry", {}))
        elif counts[i] > MAX_VERTICES:
            out[i].append(Problem("geometry", "too_many_vertices", {"max": MAX_VERTICES}))
        elif not finite[i]:
            out[i].append(Problem("geometry", "non_finite_coordinates", {}))
        else:
            if zero[i]:
                out[i].append(Problem("geometry", "zero_length", {}))
            elif not valid[i]:
                out[i].append(Problem("geometry", "invalid_geometry",
                                      {"reason": shapely.is_valid_reason(geoms[i])}))
            if extent is not None:
                problem = _outside(bounds[i], extent)
                if problem is not None:
                    out[i].append(problem)
    return out


_TYPE_IDS = {"Point": 0, "LineString": 1, "Polygon": 3, "MultiPoint": 4, "MultiLineString": 5,
             "MultiPolygon": 6}


def _outside(bounds: np.ndarray, ex: Extent) -> Problem | None:
    """Outside the city's extent, with a hint when the numbers look swapped or projected."""
    minx, miny, maxx, maxy = bounds
    if minx >= ex[0] and miny >= ex[1] and maxx <= ex[2] and maxy <= ex[3]:
        return None
    params: dict[str, Any] = {"extent": list(ex)}
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if ex[0] <= cy <= ex[2] and ex[1] <= cx <= ex[3]:
        params["hint"] = "swapped"
    elif abs(cx) > 360 or abs(cy) > 360:
        params["hint"] = "projected"
    return Problem("geometry", "outside_city", params)


def check_values(spec: CollectionSpec, values: dict[str, Any], today: date) -> list[Problem]:
    """Rules beyond a single value: build year not in the future, cross-field checks."""
    problems = []
    year = values.get("build_year")
    if year is not None and year > today.year:
        problems.append(Problem("build_year", "in_future", {"value": year}))
    for check in spec.cross_checks:
        problems.extend(check(values))
    return problems


def parse_feature(
    spec: CollectionSpec,
    body: Any,
    *,
    partial: bool = False,
    extent: Extent | None = None,
    today: date | None = None,
) -> Parsed:
    """Parse and validate a GeoJSON Feature for a collection, collecting every problem.

    Coordinates must already be lon/lat (the web layer transforms a declared CRS first
    through :func:`transform_body`).
    """
    today = today or date.today()
    if not isinstance(body, dict):
        return Parsed({}, {}, None, [Problem("body", "not_a_feature", {})])
    problems: list[Problem] = []
    if body.get("type") != "Feature":
        problems.append(Problem("type", "not_a_feature", {"value": _short(body.get("type"))}))
    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        problems.append(Problem("properties", "not_an_object", {}))
        props = {}
    for key in body:
        if key not in ("type", "id", "geometry", "properties", "bbox", "links", "crs"):
            problems.append(Problem(key, "unknown_member", {}))
    values, found = parse_properties(spec, props, partial=partial, today=today)
    problems.extend(found)
    children, found = parse_children(spec, props, today)
    problems.extend(found)
    geom = None
    if "geometry" in body or not partial:
        geom, problem = parse_geometry(body.get("geometry"))
        if problem is not None:
            problems.append(problem)
        elif geom is not None:
            problems.extend(check_geometry(spec, geom, extent))
    failed = {p.field for p in problems}
    # Fields that failed to parse are None in ``values``, so cross checks skip them.
    problems.extend(p for p in check_values(spec, values, today) if p.field not in failed)
    return Parsed(values, children, geom, problems)
