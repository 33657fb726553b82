"""The JSON Schemas of the OpenAPI document: a property, a collection's Feature, a parameter and
the problem+json answer; generated from the collection specs so they never drift."""

from __future__ import annotations

from typing import Any

from inventory import CollectionSpec, FieldSpec

_TYPES = {
    "str": {"type": "string"}, "text": {"type": "string"}, "int": {"type": "integer"},
    "float": {"type": "number"}, "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "str_list": {"type": "array", "items": {"type": "string"}},
    "int_list": {"type": "array", "items": {"type": "integer"}},
}


def field_schema(field: FieldSpec) -> dict[str, Any]:
    """JSON Schema of one property."""
    if field.kind == "code" and field.codes is not None:
        schema: dict[str, Any] = {"type": "string", "enum": field.codes.values()}
    else:
        schema = dict(_TYPES[field.kind])
    if field.min is not None:
        schema["exclusiveMinimum" if field.exclusive_min else "minimum"] = field.min
    if field.max is not None:
        schema["maximum"] = field.max
    if field.kind in ("str", "text"):
        schema["maxLength"] = field.max_length
    if field.readonly:
        schema["readOnly"] = True
    schema["description"] = f"{field.zh} / {field.en}"
    return schema


def feature_schema(spec: CollectionSpec) -> dict[str, Any]:
    """JSON Schema of a collection's Feature."""
    props = {f.name: field_schema(f) for f in spec.fields}
    for child in spec.children:
        item = {f.name: field_schema(f) for f in child.fields}
        if child.has_position:
            item["position"] = {"type": "array", "items": {"type": "number"}, "minItems": 2,
                                "maxItems": 2, "description": "[lon, lat]"}
        props[child.name] = {"type": "array", "items": {
            "type": "object", "properties": item,
            "required": [f.name for f in child.fields if f.required]}}
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
            "properties": {"type": "object", "properties": props,
                           "required": [f.name for f in spec.fields if f.required],
                           "additionalProperties": False},
        },
    }


def param(name: str, description: str, schema: dict[str, Any],
          where: str = "query") -> dict[str, Any]:
    """An OpenAPI parameter (a path parameter is required)."""
    return {"name": name, "in": where, "required": where == "path",
            "description": description, "schema": schema}


PROBLEM = {"description": "problem+json", "content": {"application/problem+json": {
    "schema": {"$ref": "#/components/schemas/Problem"}}}}
