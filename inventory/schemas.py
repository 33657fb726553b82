"""JSON Schemas of a layer's features, from its collection's specification: what GIS clients
read to type their fields before they have seen a single feature.

GDAL and QGIS otherwise guess each field's type from the first page of features, and a
field that is empty there (a water main's voltage, a gas main's cable count) comes out as
text. Three documents describe a layer, each for the readers that follow it:

* the schema of OGC API – Features Part 5 (draft, "returnables and receivables"): JSON Schema
  2020-12, one flat object with the feature's id and geometry marked by ``x-ogc-role``, units
  as ``x-ogc-unit`` (UCUM) and code lists inline as ``oneOf`` of ``const``/``title`` (the
  "codelist-inline" profile: the registry publishes no code-list resource a "codelist-ref"
  could point at, and inline the labels need no second request). QGIS 3.44 and later read it;
* the same properties as one GeoJSON Feature (``properties`` nested), which is the shape
  GDAL's OAPIF driver reads through a collection's ``describedby`` link, 3.6 included: it
  types its fields from ``properties.properties`` and ignores every ``x-ogc-`` keyword;
* the queryables (Part 3): the properties the items API filters by, and the geometry.

Each property has one ``type`` string, never ``["number", "null"]``: both clients give a
field whose type is a list no type at all (text). A ``null`` in a feature is the absence of
a value, which any property may have.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import JSON

from inventory.assets import ChildSpec, CollectionSpec, FieldSpec
from inventory.layers import Layer
from resilience.model import UTCDateTime

DIALECT = "https://json-schema.org/draft/2020-12/schema"
# The profile the schemas apply to code lists (Part 5, "Profiles for codelists").
CODELIST_PROFILE = "http://www.opengis.net/def/profile/OGC/0/codelist-inline"

# The JSON type of each kind of field, as the items API writes its values.
KIND_TYPES: dict[str, dict[str, Any]] = {
    "str": {"type": "string"}, "text": {"type": "string"}, "code": {"type": "string"},
    "int": {"type": "integer"}, "float": {"type": "number"}, "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "str_list": {"type": "array", "items": {"type": "string"}},
    "int_list": {"type": "array", "items": {"type": "integer"}},
}

# Labels of the two members every feature has besides its fields (zh, en).
_ID = ("编号", "Id")
_GEOMETRY = ("几何", "Geometry")


def _label(pair: tuple[str, str], locale: str) -> str:
    return pair[0] if locale.lower().startswith("zh") else pair[1]


def _column(spec: CollectionSpec | None, name: str) -> Any:
    """The table column behind a field (None: derived, or a nested list's field)."""
    if spec is None:
        return None
    return spec.model.__table__.c.get(name)


def value_type(field: FieldSpec, spec: CollectionSpec | None = None) -> dict[str, Any]:
    """The JSON type of a field's values as features carry them.

    The kind says most of it; the column says the rest: a timestamp is written as an ISO
    date-time, and a JSON document (a risk unit's explanation) as itself, an object.
    """
    column = _column(spec, field.name)
    if column is not None and isinstance(column.type, UTCDateTime):
        return {"type": "string", "format": "date-time"}
    if column is not None and isinstance(column.type, JSON) and field.kind in ("str", "text"):
        return {"type": "object"}
    return copy.deepcopy(KIND_TYPES[field.kind])


def property_schema(field: FieldSpec, locale: str,
                    spec: CollectionSpec | None = None) -> dict[str, Any]:
    """One property: its type, labels, unit, codes, bounds and role (JSON Schema 2020-12)."""
    schema: dict[str, Any] = {"title": field.label(locale),
                              "description": f"{field.zh} / {field.en}"}
    schema.update(value_type(field, spec))
    if field.codes is not None:
        as_int = schema["type"] == "integer"
        schema["oneOf"] = [{"const": int(c.value) if as_int else c.value, "title": c.label(locale)}
                           for c in field.codes]
    if field.min is not None:
        schema["exclusiveMinimum" if field.exclusive_min else "minimum"] = field.min
    if field.max is not None:
        schema["maximum"] = field.max
    if schema["type"] == "string" and "format" not in schema and field.codes is None:
        schema["maxLength"] = field.max_length
    if field.unit is not None:
        schema["x-ogc-unit"] = field.unit  # UCUM, the default unit language of Part 5
    if field.readonly:
        schema["readOnly"] = True
    if spec is not None:
        if field.name == spec.temporal:
            schema["x-ogc-role"] = "primary-instant"
        elif field.name in spec.references:
            schema["x-ogc-role"] = "reference"
            schema["x-ogc-collectionId"] = spec.references[field.name]
    return schema


def _child_schema(child: ChildSpec, locale: str) -> dict[str, Any]:
    """A nested list (a tunnel's cabins): an array of objects of the child's fields."""
    props = {f.name: property_schema(f, locale) for f in child.fields}
    if child.has_position:
        props["position"] = {"title": "[lon, lat]", "description": "WGS 84 / CGCS2000",
                             "type": "array", "items": {"type": "number"},
                             "minItems": 2, "maxItems": 2}
    item: dict[str, Any] = {"type": "object", "properties": props}
    required = [f.name for f in child.fields if f.required]
    if required:
        item["required"] = required
    return {"title": child.zh if locale.lower().startswith("zh") else child.en,
            "description": f"{child.zh} / {child.en}", "type": "array", "items": item}


def _key(spec: CollectionSpec) -> str:
    """The name of the column features are identified by (``id``; divisions: ``code``)."""
    return str(next(iter(spec.model.__table__.primary_key.columns)).name)


def _fields(layer: Layer, locale: str) -> dict[str, dict[str, Any]]:
    """Every property a feature of the layer carries, in the collection's order."""
    spec = layer.spec
    key = _key(spec)
    props = {f.name: property_schema(f, locale, spec) for f in spec.fields if f.name != key}
    for child in spec.children:
        props[child.name] = _child_schema(child, locale)
    return props


def _required(spec: CollectionSpec) -> list[str]:
    return [f.name for f in spec.fields if f.required and f.name != _key(spec)]


def geometry_format(layer: Layer) -> str:
    """Part 5's format of the layer's geometry: ``geometry-multipolygon``, or
    ``geometry-any`` for a whole collection that mixes families (shelters)."""
    return f"geometry-{layer.geometry_type.lower()}" if layer.geometry_type else "geometry-any"


def _id_schema(layer: Layer, locale: str) -> dict[str, Any]:
    integer = _column(layer.spec, _key(layer.spec)).type.python_type is int
    return {"title": _label(_ID, locale), "type": "integer" if integer else "string",
            "readOnly": True}


def _geometry_property(layer: Layer, locale: str) -> dict[str, Any]:
    """The spatial property: a ``format`` and a role, and no ``type`` (Part 5 forbids one)."""
    return {"title": _label(_GEOMETRY, locale), "x-ogc-role": "primary-geometry",
            "format": geometry_format(layer)}


def schema_document(layer: Layer, locale: str, id_url: str) -> dict[str, Any]:
    """The layer's schema as OGC API – Features Part 5 has it (titles in ``locale``)."""
    props: dict[str, Any] = {
        "id": {**_id_schema(layer, locale), "x-ogc-role": "id"},
        "geometry": _geometry_property(layer, locale),
        **_fields(layer, locale),
    }
    for seq, value in enumerate(props.values(), start=1):
        value["x-ogc-propertySeq"] = seq  # QGIS lays out its fields in this order
    doc: dict[str, Any] = {"$schema": DIALECT, "$id": id_url, "type": "object",
                           "title": layer.title(locale), "description": f"{layer.zh} / {layer.en}",
                           "properties": props, "additionalProperties": False}
    required = _required(layer.spec)
    if required:
        doc["required"] = required
    return doc


def _geojson_geometry(layer: Layer) -> dict[str, Any]:
    """A GeoJSON geometry of the layer's type (any type for a mixed collection)."""
    kinds = [layer.geometry_type] if layer.geometry_type else list(layer.spec.geometry_types)
    return {"type": "object", "required": ["type", "coordinates"], "properties": {
        "type": {"type": "string", "enum": kinds}, "coordinates": {"type": "array"}}}


def feature_schema_document(layer: Layer, locale: str, id_url: str) -> dict[str, Any]:
    """One GeoJSON Feature of the layer, its fields nested under ``properties``: the shape
    GDAL's OAPIF driver reads field types from (``describedby``)."""
    inner: dict[str, Any] = {"type": "object", "properties": _fields(layer, locale),
                             "additionalProperties": False}
    required = _required(layer.spec)
    if required:
        inner["required"] = required
    return {
        "$schema": DIALECT, "$id": id_url, "type": "object",
        "title": layer.title(locale), "description": f"{layer.zh} / {layer.en} (GeoJSON Feature)",
        "required": ["type", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": _id_schema(layer, locale),
            "geometry": _geojson_geometry(layer),
            "properties": inner,
        },
    }


def queryables_document(layer: Layer, locale: str, id_url: str) -> dict[str, Any]:
    """What items may be filtered by (OGC API – Features Part 3): the stored, filterable
    fields, typed as the schema types them, and the geometry (``bbox``); nothing else, so a
    filter naming another property is refused."""
    spec = layer.spec
    columns = spec.model.__table__.c
    props: dict[str, Any] = {"geometry": _geometry_property(layer, locale)}
    props.update({f.name: property_schema(f, locale, spec) for f in spec.fields
                  if f.filterable and f.name in columns})
    return {"$schema": DIALECT, "$id": id_url, "type": "object",
            "title": layer.title(locale), "properties": props, "additionalProperties": False}
