"""Whole records: a GeoJSON Feature parsed and checked, nested lists, cross-field rules.

Builds on ``fields`` (each value) and ``geometry`` (the shape), collecting every problem of
a record before anything is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from shapely.geometry.base import BaseGeometry

from inventory.assets import CollectionSpec
from inventory.validation.fields import parse_properties, shortened
from inventory.validation.geometry import Extent, check_geometry, parse_geometry
from resilience.errors import Problem


@dataclass(frozen=True)
class Parsed:
    """A feature's values after coercion, with the problems found on the way."""

    values: dict[str, Any]
    children: dict[str, list[dict[str, Any]]]
    geometry: BaseGeometry | None
    problems: list[Problem]


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
        problems.append(Problem("type", "not_a_feature", {"value": shortened(body.get("type"))}))
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
