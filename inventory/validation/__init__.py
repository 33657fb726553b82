"""Pure validation: every problem of a record, named by field, before anything is written.

Callers use the names below; the modules hold them by what they check: ``fields`` (a raw
value as a field's value), ``geometry`` (a shape in lon/lat against the collection and the
city), ``records`` (a whole Feature, its nested lists, the rules across fields).
"""

from inventory.validation.fields import CACHE_SIZE, Coerced, coerce, parse_properties, parse_rows
from inventory.validation.geometry import (
    MAX_VERTICES,
    Extent,
    check_geometries,
    check_geometry,
    parse_geometry,
)
from inventory.validation.records import Parsed, check_values, parse_children, parse_feature

__all__ = [
    "CACHE_SIZE", "MAX_VERTICES", "Coerced", "Extent", "Parsed", "check_geometries",
    "check_geometry", "check_values", "coerce", "parse_children", "parse_feature",
    "parse_geometry", "parse_properties", "parse_rows",
]
