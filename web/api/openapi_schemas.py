"""The JSON Schemas of the OpenAPI document: a property, a collection's Feature, a parameter and
the problem+json answer; generated from the collection specs so they never drift."""

from __future__ import annotations

import copy
from typing import Any

from inventory import CollectionSpec, FieldSpec
from inventory.schemas import KIND_TYPES


def field_schema(field: FieldSpec, *, openapi: bool = False) -> dict[str, Any]:
    """JSON Schema of one property: 2019-09 for the queryables, or OpenAPI 3.0's dialect (draft 4,
    where ``exclusiveMinimum`` is a flag on ``minimum``) for the OpenAPI document."""
    if field.kind == "code" and field.codes is not None:
        schema: dict[str, Any] = {"type": "string", "enum": field.codes.values()}
    else:
        schema = copy.deepcopy(KIND_TYPES[field.kind])
    if field.min is not None and field.exclusive_min and not openapi:
        schema["exclusiveMinimum"] = field.min
    elif field.min is not None:
        schema["minimum"] = field.min
        if field.exclusive_min:
            schema["exclusiveMinimum"] = True
    if field.max is not None:
        schema["maximum"] = field.max
    if field.kind in ("str", "text"):
        schema["maxLength"] = field.max_length
    if field.readonly:
        schema["readOnly"] = True
    if field.unit is not None:
        schema["x-ogc-unit"] = field.unit  # UCUM, as the collection's schema has it
    schema["description"] = f"{field.zh} / {field.en}"
    return schema


def feature_schema(spec: CollectionSpec) -> dict[str, Any]:
    """JSON Schema of a collection's Feature."""
    props = {f.name: field_schema(f, openapi=True) for f in spec.fields}
    for child in spec.children:
        item = {f.name: field_schema(f, openapi=True) for f in child.fields}
        if child.has_position:
            item["position"] = {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                "maxItems": 2, "description": "[lon, lat]"}
        props[child.name] = {"type": "array", "items": _object(
            item, [f.name for f in child.fields if f.required])}
    geometry_types = list(spec.geometry_types)
    return {
        "type": "object",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string" if spec.name == "divisions" else "integer"},
            "geometry": {"type": "object", "properties": {
                "type": {"type": "string", "enum": geometry_types},
                "coordinates": {"type": "array"}}},
            "properties": {**_object(props, [f.name for f in spec.fields if f.required]),
                           "additionalProperties": False},
        },
    }


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """An object schema; OpenAPI 3.0 forbids an empty ``required`` list, so none is left out."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def param(name: str, description: str, schema: dict[str, Any],
          where: str = "query") -> dict[str, Any]:
    """An OpenAPI parameter (a path parameter is required)."""
    return {"name": name, "in": where, "required": where == "path",
            "description": description, "schema": schema}


PROBLEM = {"description": "problem+json", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}
