"""What every registry collection shares: columns, field specifications, the collection table.

A collection is described once, as data (`CollectionSpec` of `FieldSpec`s). Validation,
serialisation, property filters, the OpenAPI schema, imports and the pages all read the
same description, so a new field is added in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from resilience.accounts import Principal
from resilience.codes import EDITING_ROLES, CodeList
from resilience.errors import Forbidden, Problem
from resilience.model import Tracked, UTCDateTime, now

Kind = Literal["str", "text", "int", "float", "bool", "date", "code", "str_list", "int_list"]


@dataclass(frozen=True)
class FieldSpec:
    """One property of a collection: its type, labels, rules and whether clients may set it."""

    name: str
    kind: Kind
    zh: str
    en: str
    required: bool = False
    codes: CodeList | None = None
    min: float | None = None
    max: float | None = None
    exclusive_min: bool = False
    max_length: int = 200
    readonly: bool = False
    filterable: bool = True
    default: Any = None
    future: bool = False  # a date that may lie ahead (a review date); others are history
    # The unit of a measured value, as a UCUM code ("mm", "MPa", "m2", "a" for years): the
    # schemas GIS clients read state it, since a bare number says nothing of its scale.
    unit: str | None = None

    def label(self, locale: str) -> str:
        """The field's label for a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en


@dataclass(frozen=True)
class ChildSpec:
    """A list nested in a record (a tunnel's cabins, a flood point's events)."""

    name: str
    zh: str
    en: str
    fields: tuple[FieldSpec, ...]
    has_position: bool = False

    def field(self, name: str) -> FieldSpec | None:
        """A child field by name."""
        return next((f for f in self.fields if f.name == name), None)


CrossCheck = Callable[[dict[str, Any]], list[Problem]]
SMALLINT = (-(2**15), 2**15 - 1)


def _held_by(spec: FieldSpec, table: Any) -> FieldSpec:
    """An integer field bounded by its SMALLINT column too: PostgreSQL refuses 32768 there (a
    500 on a write or a filter), so validation names the bound first, and the OpenAPI says it."""
    column = table.c.get(spec.name)
    if spec.kind != "int" or column is None or not isinstance(column.type, SmallInteger):
        return spec
    low, high = SMALLINT
    return replace(spec, min=low if spec.min is None else max(spec.min, low),
                   max=high if spec.max is None else min(spec.max, high))


@dataclass(frozen=True)
class CollectionSpec:
    """A collection of the registry as the API, validation and pages see it."""

    name: str
    zh: str
    en: str
    model: type[Any]
    geometry_types: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    children: tuple[ChildSpec, ...] = ()
    cross_checks: tuple[CrossCheck, ...] = ()
    references: dict[str, str] = field(default_factory=dict)  # field -> collection it points at
    readonly_collection: bool = False
    # Raw values rewritten in place before they are coerced, on every write and import (a
    # 小类 in the 大类 column names both levels); returns the problems it finds.
    prepare: Callable[[dict[str, Any]], list[Problem]] | None = None
    # Required fields another column stands in for (a 小类 names its 大类): a file with that
    # column is not refused for lacking the field's own.
    implied_by: dict[str, str] = field(default_factory=dict)
    # Values computed from the others on every write and import (a risk point's level), given
    # the writer's session (None where there is none) to read what they stand on (a city's
    # own scoring table).
    derive: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    # Roles that may write this collection (None: the registry's EDITING_ROLES); risk data
    # is also the emergency manager's to keep.
    editing_roles: frozenset[str] | None = None
    # Whether survey files may be loaded into it (hidden hazards are filed one by one, each
    # starting its own trail, never in bulk).
    importable: bool = True
    # Where lists put it (DESIGN.md §4's order: assets, divisions, risk data, published maps).
    rank: int = 1000
    # Whether the search box looks in it (records people enter, not computed map units).
    searchable: bool = False
    # A coded field the overview counts its records by (a risk point's level), if any.
    counted_by: str | None = None
    # The date or time ``datetime`` filters on and the temporal extent spans (OGC API –
    # Features' "temporal property"); by default the survey date where the collection has one.
    temporal: str | None = None

    # The fields by name, filled in once at construction (``field`` is called per value).
    _by_name: dict[str, FieldSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = getattr(self.model, "__table__", None)
        if table is not None:
            object.__setattr__(self, "fields", tuple(_held_by(f, table) for f in self.fields))
        object.__setattr__(self, "_by_name", {f.name: f for f in self.fields})
        if self.temporal is None and "survey_date" in self._by_name:
            object.__setattr__(self, "temporal", "survey_date")

    def field(self, name: str) -> FieldSpec | None:
        """A field by name (None if the collection has no such property)."""
        return self._by_name.get(name)

    def child(self, name: str) -> ChildSpec | None:
        """A nested list by name."""
        return next((c for c in self.children if c.name == name), None)

    def title(self, locale: str) -> str:
        """The collection's title for a locale."""
        return self.zh if locale.lower().startswith("zh") else self.en

    def editable_by(self, principal: Principal) -> bool:
        """Whether the user's role may create, change and retire records of this collection."""
        roles = EDITING_ROLES if self.editing_roles is None else self.editing_roles
        return not self.readonly_collection and principal.role in roles

    def require_edit(self, principal: Principal, division_code: str | None = None) -> None:
        """Raise Forbidden unless the role may edit here and (when given) the division is granted."""
        if not self.editable_by(principal):
            raise Forbidden("role may not edit", role=principal.role, collection=self.name)
        if division_code is not None:
            principal.require_read(division_code)


F = FieldSpec

# Fields every asset collection has (besides geometry), in display order.
COMMON_HEAD = (
    F("name", "str", "名称", "Name"),
    F("external_id", "str", "外部编号", "External id", max_length=64),
)
COMMON_TAIL = (
    F("address", "str", "位置描述", "Address"),
    F("data_source", "str", "数据来源", "Data source"),
    F("survey_date", "date", "普查日期", "Survey date"),
    F("remarks", "text", "备注", "Remarks", max_length=2000, filterable=False),
    F("division_code", "str", "行政区划", "Division", max_length=12),
    F("version", "int", "版本", "Version", readonly=True, filterable=False),
    F("created_at", "str", "创建时间", "Created at", readonly=True, filterable=False),
    F("created_by", "str", "创建人", "Created by", readonly=True),
    F("updated_at", "str", "更新时间", "Updated at", readonly=True, filterable=False),
    F("updated_by", "str", "更新人", "Updated by", readonly=True),
)


class AssetColumns(Tracked):
    """Columns of every asset table: id, division, identity, provenance, tracking."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    data_source: Mapped[str | None] = mapped_column(String(200))
    survey_date: Mapped[date | None] = mapped_column(Date)
    remarks: Mapped[str | None] = mapped_column(Text)
    # Indexed so the newest change of a table is one index lookup (vector tiles' ETag).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=now,
                                                 index=True)

    @declared_attr
    def division_code(cls) -> Mapped[str]:  # noqa: N805
        """The division the record belongs to (indexed: every list filters by it)."""
        return mapped_column(String(12), ForeignKey("divisions.code"), nullable=False, index=True)


COLLECTIONS: dict[str, CollectionSpec] = {}


def register(spec: CollectionSpec) -> CollectionSpec:
    """Add a collection to the registry's table of collections, kept in the order of ranks.

    Each package registers its own collections where it defines them (inventory its assets
    and hidden hazards, risk its zones, points and maps); nothing here names another's.
    """
    COLLECTIONS[spec.name] = spec
    ordered = sorted(COLLECTIONS.items(), key=lambda kv: kv[1].rank)
    COLLECTIONS.clear()
    COLLECTIONS.update(ordered)
    return spec


def searchable_collections() -> tuple[str, ...]:
    """The collections the search box looks in, in the registry's order."""
    return tuple(name for name, spec in COLLECTIONS.items() if spec.searchable)


def editable_collections(principal: Principal) -> list[CollectionSpec]:
    """The collections the user's role may write, in the registry's order (menus)."""
    return [s for s in COLLECTIONS.values() if s.editable_by(principal)]


def importable_collections(principal: Principal) -> list[CollectionSpec]:
    """The collections the user's role may load files into, in the registry's order."""
    return [s for s in editable_collections(principal) if s.importable]
