"""A CQL2 filter (OGC API – Features Part 3) as one SQL condition over a collection's columns.

Only the collection's queryables take part (filterable fields stored as columns, as its
``/queryables`` lists them), and the geometry in S_INTERSECTS. Each literal is coerced by its
field's kind as a write would be (``validation.coerce``), so a code field compares with codes
(a label names its code), a date field with dates (a timestamp compares on its date). The
condition only narrows a query: ``matching_keys`` still applies the caller's divisions.

Supported: =, <>, <, <=, >, >=, AND, OR, NOT, LIKE (case as CQL2 says: exact; CASEI() on
both sides folds it), IN, BETWEEN, IS [NOT] NULL, S_INTERSECTS with a geometry or BBOX in
``filter-crs``. Anything else is a 400 naming it; so is a filter of more than
:data:`MAX_PREDICATES` predicates or :data:`MAX_DEPTH` levels of nesting.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

import shapely
from shapely.geometry import box, shape
from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    SmallInteger,
    and_,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)

from inventory.assets import SMALLINT, CollectionSpec, FieldSpec
from inventory.repository import cql_syntax
from inventory.repository.tables import geom_of, table_of
from inventory.validation import coerce
from resilience import geo
from resilience.dialects.predicates import intersects, like
from resilience.errors import InvalidInput, Problem
from resilience.geo import CRS84_REF, CrsRef
from resilience.spatial import bbox_filter, bbox_overlaps, from_wkb

MAX_DEPTH = 40  # levels of AND/OR/NOT inside one another
MAX_PREDICATES = 500
MAX_LIST = 1000  # values of one IN
TEXT_KINDS = ("str", "text", "code")
GEOMETRY = "geometry"  # the name queryables give the geometry, besides its column's own
EPSILON = 1e-9  # degrees (0.1 mm) around a literal's box for the index lookup


@dataclass(frozen=True)
class Filter:
    """A filter as the client sent it: text, language, the CRS of its geometries.

    A query holds this, not its SQL, so the query's ``repr`` (the key counts are kept
    under) says exactly what it matches.
    """

    text: str
    lang: str = "cql2-text"
    crs: CrsRef = CRS84_REF


def condition(spec: CollectionSpec, f: Filter) -> ColumnElement[bool]:
    """The SQL condition a filter asks for; InvalidInput naming the place when it cannot."""
    lang = cql_syntax.ALIASES.get(f.lang, f.lang)
    if lang not in cql_syntax.LANGS:
        raise InvalidInput("unknown filter language", [Problem(
            "filter-lang", "invalid_filter_lang",
            {"value": f.lang[:60], "allowed": list(cql_syntax.LANGS)})])
    return _Translator(spec, f.crs).condition(cql_syntax.parse(f.text, lang), 0)


def _problem(code: str, **params: Any) -> InvalidInput:
    return InvalidInput("invalid filter", [Problem("filter", code, params)])


def _literal(spec_field: FieldSpec, raw: Any, reason: str) -> InvalidInput:
    """A literal the field cannot take, named with the field and what it takes."""
    text = str(raw)
    return _problem("invalid_literal", property=spec_field.name, expected=spec_field.kind,
                    value=text if len(text) <= 60 else text[:57] + "…", reason=reason)


def _op_name(node: Any) -> str:
    op = getattr(node, "op", None)
    name = getattr(op, "value", None) or type(node).__name__
    return str(name).upper()


_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}
_MIRROR = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


class _Translator:
    """One filter's walk: the collection's queryables, the literal CRS, a predicate budget."""

    def __init__(self, spec: CollectionSpec, crs: CrsRef):
        self.spec = spec
        self.crs = crs
        self.table = table_of(spec)
        self.geom = geom_of(spec)
        self.predicates = 0

    def condition(self, node: Any, depth: int) -> ColumnElement[bool]:
        """A condition node as SQL (AND and OR chains read flat, so only nesting costs depth)."""
        from pygeofilter import ast

        if depth > MAX_DEPTH:
            raise _problem("filter_too_complex", max=MAX_DEPTH)
        if isinstance(node, ast.And | ast.Or):
            parts = [self.condition(n, depth + 1) for n in _chain(node, type(node))]
            return and_(*parts) if isinstance(node, ast.And) else or_(*parts)
        if isinstance(node, ast.Not):
            negated = False
            while isinstance(node, ast.Not):
                node, negated = node.sub_node, not negated
            inner = self.condition(node, depth + 1)
            return not_(inner) if negated else inner
        self.predicates += 1
        if self.predicates > MAX_PREDICATES:
            raise _problem("filter_too_complex", max=MAX_PREDICATES)
        return self.predicate(node)

    def predicate(self, node: Any) -> ColumnElement[bool]:
        from pygeofilter import ast

        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            return self.in_(node)
        if isinstance(node, ast.Between):
            column, spec_field, _ = self.operand(node.lhs)
            low = self.value(spec_field, node.low)
            high = self.value(spec_field, node.high)
            between: ColumnElement[bool] = column.between(low, high)
            return not_(between) if node.not_ else between
        if isinstance(node, ast.IsNull):
            if _is_geometry(node.lhs, self.geom.name):
                empty = self.geom.is_(None)
            else:
                empty = self.operand(node.lhs)[0].is_(None)
            return not_(empty) if node.not_ else empty
        if isinstance(node, ast.Include):
            return false() if node.not_ else true()
        if isinstance(node, ast.GeometryIntersects):
            return self.intersects(node.lhs, node.rhs)
        if isinstance(node, ast.BBox):
            return self.intersects(node.lhs, _box(node.minx, node.miny, node.maxx, node.maxy))
        raise _problem("unsupported_filter", value=_op_name(node))

    def operand(self, node: Any) -> tuple[Any, FieldSpec, bool]:
        """A property as (SQL expression, its field, whether CASEI folds it)."""
        from pygeofilter import ast

        folded = False
        if isinstance(node, ast.Function) and node.name.lower() in ("lower", "casei") \
                and len(node.arguments) == 1:
            node, folded = node.arguments[0], True
        if not isinstance(node, ast.Attribute):
            raise _problem("unsupported_filter", value=_describe(node))
        name = node.name
        if name in (GEOMETRY, self.geom.name):
            raise _problem("operator_not_applicable", property=name, value="geometry")
        spec_field = self.spec.field(name)
        if spec_field is None or not spec_field.filterable or name not in self.table.c:
            raise _problem("not_queryable", value=name, property=name)
        if folded and spec_field.kind not in TEXT_KINDS:
            raise _problem("operator_not_applicable", property=name, value="CASEI")
        column = self.table.c[name]
        return (func.lower(column) if folded else column), spec_field, folded

    def comparison(self, node: Any) -> ColumnElement[bool]:
        op = node.op.value
        lhs, rhs = node.lhs, node.rhs
        if not _is_property(lhs) and _is_property(rhs):  # 1 < depth_m reads depth_m > 1
            lhs, rhs, op = rhs, lhs, _MIRROR[op]
        column, spec_field, folded = self.operand(lhs)
        value = self.value(spec_field, rhs, folded)
        return _COMPARE[op](column, value)  # type: ignore[no-any-return]

    def like(self, node: Any) -> ColumnElement[bool]:
        column, spec_field, folded = self.operand(node.lhs)
        if spec_field.kind not in TEXT_KINDS:
            raise _problem("operator_not_applicable", property=spec_field.name, value="LIKE")
        pattern, pattern_folded = _unfold(node.pattern)
        if not isinstance(pattern, str):
            raise _literal(spec_field, _describe(pattern), "not_a_string")
        if node.nocase or folded or pattern_folded:  # ILIKE, or CASEI on either side
            column = func.lower(self.table.c[spec_field.name])
            pattern = pattern.lower()
        found = like(column, pattern)
        return not_(found) if node.not_ else found

    def in_(self, node: Any) -> ColumnElement[bool]:
        column, spec_field, folded = self.operand(node.lhs)
        if len(node.sub_nodes) > MAX_LIST:
            raise _problem("filter_too_complex", max=MAX_LIST)
        values = [self.value(spec_field, v, folded) for v in node.sub_nodes]
        found: ColumnElement[bool] = column.in_(values)
        return not_(found) if node.not_ else found

    def value(self, spec_field: FieldSpec, raw: Any, folded: bool = False) -> Any:
        """A literal as the field's value (as a write would coerce it), or a 400 naming it."""
        raw, raw_folded = _unfold(raw)
        name = spec_field.name
        if _is_property(raw):
            raise _problem("property_comparison", property=name)
        if raw is None or not isinstance(raw, str | int | float | bool | date):
            raise _literal(spec_field, _describe(raw), "not_a_literal")
        if isinstance(raw, date) and spec_field.kind != "date":
            raise _literal(spec_field, raw.isoformat(), "not_a_date_field")
        if isinstance(raw, datetime):  # a date field compares on the instant's date as written
            raw = raw.date()
        if spec_field.kind in TEXT_KINDS and isinstance(raw, str) and not raw.strip():
            return raw  # '' is a value of its own here, not the empty field (IS NULL)
        # Any value the column can hold may bound a comparison (build_year > 0), not only one
        # a write may store: only the storage's own limits stay (a SMALLINT refuses 40000).
        low, high = SMALLINT if isinstance(self.table.c[name].type, SmallInteger) else (None, None)
        loose = replace(spec_field, future=True, max_length=cql_syntax.MAX_LENGTH, min=low,
                        max=high, exclusive_min=False)
        value, problem = coerce(loose, raw)
        if problem is not None or value is None:
            raise _literal(spec_field, raw, problem.code if problem else "empty")
        if (folded or raw_folded) and isinstance(value, str):
            value = value.lower()
        return value

    def intersects(self, lhs: Any, rhs: Any) -> ColumnElement[bool]:
        """S_INTERSECTS of the geometry and a literal, through the spatial index."""
        if not _is_geometry(lhs, self.geom.name):
            lhs, rhs = rhs, lhs
        if not _is_geometry(lhs, self.geom.name):
            raise _problem("operator_not_applicable", value="S_INTERSECTS",
                           property=_describe(lhs))
        shape_ = self.literal_geometry(rhs)
        if shape_.area > 0 and shape_.equals(shapely.box(*shape_.bounds)):
            return bbox_filter(self.geom, shape_.bounds)  # a rectangle: the box test is exact
        # The index by the literal's box, widened a hair: a point's or a straight line's box
        # has no width, and SpatiaLite's R*Tree frame would be no box at all.
        minx, miny, maxx, maxy = shape_.bounds
        frame = (minx - EPSILON, miny - EPSILON, maxx + EPSILON, maxy + EPSILON)
        wkb = literal(shapely.to_wkb(shape_), LargeBinary())
        return and_(bbox_overlaps(self.geom, frame), intersects(self.geom, from_wkb(wkb)))

    def literal_geometry(self, raw: Any) -> Any:
        """A geometry literal in lon/lat EPSG:4490, checked (finite, non-empty, valid)."""
        from pygeofilter import ast, values

        if isinstance(raw, ast.Function) and raw.name.lower() == "bbox":
            numbers = list(raw.arguments)
            if len(numbers) == 6:
                numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
            if len(numbers) != 4 or not all(_is_number(n) for n in numbers):
                raise _problem("invalid_bbox", value="BBOX")
            raw = _box(*numbers)
        if isinstance(raw, values.Envelope):
            raw = _box(raw.x1, raw.y1, raw.x2, raw.y2)
        if isinstance(raw, _Box):
            return box(*self.stored(raw.bounds, geo.bbox_to_storage))
        if not isinstance(raw, values.Geometry):
            raise _problem("not_a_geometry", value=_describe(raw))
        try:
            found = shape(raw.geometry)
        except Exception as error:  # noqa: BLE001 - shapely refuses a malformed shape its own way
            raise _problem("malformed_geometry", type=str(raw.geometry.get("type")),
                           reason=str(error)[:120]) from error
        if found.is_empty:
            raise _problem("empty_geometry")
        if not found.is_valid:
            from shapely.validation import explain_validity

            raise _problem("invalid_geometry", reason=explain_validity(found)[:120])
        return self.stored(found, lambda g, crs: geo.to_storage(g, crs, axis_order="authority"))

    def stored(self, literal_: Any, transform: Callable[[Any, CrsRef], Any]) -> Any:
        """A literal (a box's bounds or a geometry) from ``filter-crs`` into lon/lat, in the
        CRS's own axis order as bbox-crs is; a 400 when it lands nowhere."""
        out = literal_
        if not self.crs.is_crs84:
            try:
                out = transform(literal_, self.crs)
            except Exception as error:  # noqa: BLE001 - pyproj's refusal is the literal's fault
                raise _problem("invalid_geometry", reason=str(error)[:120]) from error
        bounds = out if isinstance(out, tuple) else out.bounds
        if not all(math.isfinite(v) for v in bounds):
            raise _problem("invalid_geometry", reason="coordinates outside the CRS")
        return out


class _Box:
    """A BBOX or ENVELOPE literal before its CRS is applied."""

    def __init__(self, minx: float, miny: float, maxx: float, maxy: float):
        self.bounds = (min(minx, maxx), min(miny, maxy), max(minx, maxx), max(miny, maxy))


def _box(minx: Any, miny: Any, maxx: Any, maxy: Any) -> _Box:
    numbers = [minx, miny, maxx, maxy]
    if not all(_is_number(n) and math.isfinite(float(n)) for n in numbers):
        raise _problem("invalid_bbox", value=",".join(str(n) for n in numbers)[:60])
    return _Box(*(float(n) for n in numbers))


def _chain(node: Any, kind: type[Any]) -> list[Any]:
    """The operands of ``a AND b AND c`` (a tree of one kind), left to right, without recursion."""
    out: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, kind):
            stack.extend((current.rhs, current.lhs))
        else:
            out.append(current)
    return out


def _unfold(raw: Any) -> tuple[Any, bool]:
    """A literal out of CASEI('…'), and whether it was in one."""
    from pygeofilter import ast

    if isinstance(raw, ast.Function) and raw.name.lower() in ("lower", "casei") \
            and len(raw.arguments) == 1:
        return raw.arguments[0], True
    return raw, False


def _is_property(node: Any) -> bool:
    from pygeofilter import ast

    inner, _ = _unfold(node)
    return isinstance(inner, ast.Attribute)


def _is_geometry(node: Any, column: str) -> bool:
    from pygeofilter import ast

    return isinstance(node, ast.Attribute) and node.name in (GEOMETRY, column)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(node: Any) -> str:
    """A short name for what a filter held where a value or property was expected."""
    from pygeofilter import ast

    if isinstance(node, ast.Attribute):
        return str(node.name)
    if isinstance(node, ast.Function):
        return f"{node.name.upper()}()"
    if isinstance(node, ast.Node):
        return _op_name(node)
    return type(node).__name__ if not isinstance(node, str | int | float) else str(node)[:60]
