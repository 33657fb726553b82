"""The collection tables and the search page: URL parameters to a Query, records to cells.

The URL is the whole state of a table (filters, sort, page size, the keyset cursor), so a
table can be bookmarked, shared and used without JavaScript. Everything here reads a
request's arguments and the collection's spec; the repository does the querying.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from inventory import CollectionSpec, FieldSpec
from inventory import repository as repo
from inventory.validation import coerce
from resilience.accounts import Principal
from resilience.errors import Problem
from resilience.messages import describe

PAGE_SIZES = (20, 50, 100)
PAGE_SIZE = 50
COUNT_CAP = 10_000
# Equality filters a table offers, when its collection has the field: the type first.
FILTERS = ("category", "kind", "tunnel_type", "shelter_class", "cause", "unit", "level",
           "hazard_class", "method", "material", "status", "condition_grade", "source")
YEAR = "build_year"
# The columns each table shows; the first links to the record and stays put on a phone.
COLUMNS: dict[str, tuple[str, ...]] = {
    "pipelines": ("name", "external_id", "category", "material", "diameter_mm", "build_year",
                  "status", "condition_grade", "division_code", "length_m"),
    "network-points": ("external_id", "name", "kind", "category", "depth_m", "build_year",
                       "status", "condition_grade", "address", "division_code"),
    "tunnels": ("name", "external_id", "tunnel_type", "length_m", "build_year", "status",
                "condition_grade", "division_code"),
    "shelters": ("name", "external_id", "kind", "shelter_class", "effective_area_m2",
                 "capacity_persons", "is_open", "division_code"),
    "flood-points": ("name", "external_id", "cause", "status", "trigger_rainfall_mm_h",
                     "responsible_unit", "division_code"),
    "divisions": ("name", "code", "name_en", "level", "parent_code", "population"),
    "hazard-zones": ("name", "external_id", "kind", "hazard_class", "return_period_years",
                     "issuing_unit", "division_code"),
    "risk-points": ("name", "external_id", "category", "level", "score", "method",
                    "responsible_unit", "next_review_at", "division_code"),
    "risk-five-colour": ("name", "unit", "level", "score", "hazard", "exposure", "vulnerability",
                         "capacity", "decided_by", "division_code"),
    "risk-four-colour": ("name", "unit", "level", "score", "points", "decided_by",
                         "division_code"),
}


@dataclass(frozen=True)
class Column:
    """A table column: the field, its heading, and the sort links' state."""

    name: str
    label: str
    numeric: bool
    sortable: bool


@dataclass(frozen=True)
class Cell:
    """A value as the table shows it (escaped by the template; never marked safe)."""

    text: str
    title: str | None = None
    colour: str | None = None
    empty: bool = False


@dataclass
class TableState:
    """What a table's URL asks for, checked: the query, and the values the form shows back."""

    spec: CollectionSpec
    query: repo.Query
    values: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    forbidden: bool = False

    @property
    def sort_column(self) -> str:
        """The field rows are ordered by (the key by default)."""
        return self.query.sort or repo.pk_of(self.spec).name

    @property
    def sort_param(self) -> str:
        """The ``sort`` value of the current order ('' for the default, the key ascending)."""
        if self.query.sort is None and not self.query.descending:
            return ""
        return ("-" if self.query.descending else "") + self.sort_column

    def params(self) -> dict[str, str]:
        """The non-empty parameters that make up this state, less the page (for links)."""
        out = {k: v for k, v in self.values.items() if v and k not in ("sort", "limit")}
        if self.sort_param:
            out["sort"] = self.sort_param
        if self.query.limit != PAGE_SIZE:
            out["limit"] = str(self.query.limit)
        return out


def filter_fields(spec: CollectionSpec) -> list[FieldSpec]:
    """The equality filters this collection offers, in the form's order."""
    columns = repo.table_of(spec).c
    return [f for name in FILTERS if (f := spec.field(name)) is not None and name in columns]


def has_years(spec: CollectionSpec) -> bool:
    """Whether the collection has a build year to filter by range."""
    return spec.field(YEAR) is not None and YEAR in repo.table_of(spec).c


def columns(spec: CollectionSpec, locale: str) -> list[Column]:
    """The table's columns, then the record's key (the default order)."""
    names = COLUMNS.get(spec.name) or tuple(f.name for f in spec.fields[:8])
    sortable = set(repo.sortable(spec))
    pk = repo.pk_of(spec).name
    out = []
    for name in (*names, pk) if pk not in names else names:
        f = spec.field(name)
        label = f.label(locale) if f is not None else ("ID" if name == "id" else name)
        numeric = name == "id" or (f is not None and f.kind in ("int", "float") and f.codes is None)
        out.append(Column(name, label, numeric, name in sortable))
    return out


def _one(args: MultiDict[str, str], name: str) -> str:
    return " ".join((args.get(name) or "").split())


def parse(spec: CollectionSpec, args: MultiDict[str, str], principal: Principal,
          divisions: list[Any], *, paging: bool = True) -> TableState:
    """Check a table's parameters whole; every problem is collected, none raised."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    forbidden = False
    filters: dict[str, Any] = {}
    ranges: dict[str, tuple[Any, Any]] = {}

    division = _one(args, "division")
    values["division"] = division
    if division and division not in {d.code for d in divisions}:
        granted = principal.sees(division)  # an admin's unknown code is a typo, not a refusal
        problems.append(Problem("division", "unknown_division" if granted else
                                "division_not_granted", {"value": division}))
        forbidden = not granted
    for f in filter_fields(spec):
        raw = _one(args, f.name)
        values[f.name] = raw
        if raw:
            value, problem = coerce(f, raw)
            if problem is not None:
                problems.append(problem)
            elif value is not None:
                filters[f.name] = value
    if has_years(spec):
        year_field = spec.field(YEAR)
        assert year_field is not None
        bounds: list[int | None] = []
        for name in ("year_from", "year_to"):
            raw = _one(args, name)
            values[name] = raw
            value, problem = coerce(year_field, raw) if raw else (None, None)
            if problem is not None:
                problems.append(Problem(name, problem.code, problem.params))
            bounds.append(value)
        low, high = bounds
        if low is not None and high is not None and low > high:
            problems.append(Problem("year_to", "too_small", {"value": high, "min": low}))
        if low is not None or high is not None:
            ranges[YEAR] = (low, high)

    text = _one(args, "q")
    values["q"] = text
    if len(text) > 100:
        problems.append(Problem("q", "too_long", {"max": 100}))

    sort_raw = _one(args, "sort")
    values["sort"] = sort_raw
    descending = sort_raw.startswith("-")
    sort = sort_raw.lstrip("-+") or None
    if sort is not None and sort not in repo.sortable(spec):
        problems.append(Problem("sort", "not_sortable", {"value": sort}))
        sort, descending = None, False

    limit_raw = _one(args, "limit")
    values["limit"] = limit_raw
    limit = PAGE_SIZE
    if limit_raw:
        if limit_raw.isdigit() and int(limit_raw) in PAGE_SIZES:
            limit = int(limit_raw)
        else:
            problems.append(Problem("limit", "invalid_page_size",
                                    {"value": limit_raw, "allowed": list(PAGE_SIZES)}))

    cursors: dict[str, Any] = {}
    if paging:
        for name in ("after", "before"):
            raw = _one(args, name)
            if raw:
                cursors[name] = _cursor(spec, name, raw, problems)
    query = repo.Query(division=division or None, filters=filters, ranges=ranges,
                       search=text or None, sort=sort, descending=descending, limit=limit,
                       after=cursors.get("after"), before=cursors.get("before"))
    return TableState(spec, query, values, problems, forbidden and len(problems) == 1)


def _cursor(spec: CollectionSpec, name: str, raw: str, problems: list[Problem]) -> Any:
    if repo.pk_of(spec).name == "code":
        return raw
    if raw.isdigit() and int(raw) < 2**31:
        return int(raw)
    problems.append(Problem(name, "invalid_value", {"value": raw}))
    return None


def problem_lines(spec: CollectionSpec, problems: list[Problem], locale: str) -> list[str]:
    """Each problem as "field: message" in the page's language."""
    names = {
        "division": _("Division"), "year_from": _("Built from"), "year_to": _("Built until"),
        "q": _("Search"), "sort": _("Sort"), "limit": _("Rows per page"),
        "after": _("Page"), "before": _("Page"),
    }
    out = []
    for p in problems:
        f = spec.field(p.field)
        label = names.get(p.field) or (f.label(locale) if f is not None else p.field)
        out.append(f"{label}: {describe(p, locale)}")
    return out


def division_names(divisions: list[Any], locale: str) -> dict[str, str]:
    """Division code → name in the page's language."""
    zh = locale.startswith("zh")
    return {d.code: (d.name if zh or not d.name_en else d.name_en) for d in divisions}


def cell(f: FieldSpec | None, name: str, value: Any, locale: str, divisions: dict[str, str]) -> Cell:
    """A stored value as text: code labels (with a category's CJJ 61 colour), names of divisions."""
    if value is None or value == "" or value == []:
        return Cell("—", empty=True)
    if name in ("division_code", "parent_code"):
        return Cell(divisions.get(str(value), str(value)), title=str(value))
    if f is not None and f.codes is not None:
        code = f.codes.get(str(value))
        if code is not None:
            return Cell(code.label(locale), title=code.cjj, colour=code.colour)
    if isinstance(value, bool):
        return Cell(_("yes") if value else _("no"))
    if isinstance(value, float):
        return Cell(f"{value:,.2f}".rstrip("0").rstrip("."))
    if isinstance(value, int) and not (f is not None and f.name.endswith("year")):
        return Cell(f"{value:,}" if abs(value) >= 10_000 else str(value))
    if isinstance(value, list):
        return Cell(", ".join(str(v) for v in value))
    return Cell(str(value))


def rows(spec: CollectionSpec, window: repo.Window, cols: list[Column], locale: str,
         divisions: dict[str, str]) -> list[dict[str, Any]]:
    """The page's records as keys and cells (properties parsed from the database's JSON)."""
    pk = repo.pk_of(spec).name
    out = []
    for row in window.rows:
        m = row._mapping
        raw = m["properties"]
        props = json.loads(raw) if isinstance(raw, str) else dict(raw)
        props[pk] = m[pk]
        props.setdefault("division_code", m.get("division_code"))
        out.append({"key": m[pk],
                    "cells": [cell(spec.field(c.name), c.name, props.get(c.name), locale, divisions)
                              for c in cols]})
    return out


def export_params(state: TableState) -> dict[str, str]:
    """The selection as the export and items API take it (equality filters only).

    A build-year range becomes the list of its years (``build_year=1990,1991,…``), which both
    endpoints read as "any of"; the free-text search has no such form and is left out.
    """
    q = state.query
    out: dict[str, str] = {}
    if q.division:
        out["division"] = q.division
    for name, value in q.filters.items():
        out[name] = str(value)
    if YEAR in q.ranges:
        year_field = state.spec.field(YEAR)
        low, high = q.ranges[YEAR]
        first = int(low if low is not None else (year_field.min if year_field and year_field.min
                                                  else 1850))
        last = int(high if high is not None else date.today().year)
        out[YEAR] = ",".join(str(y) for y in range(first, last + 1)) or str(first)
    return out
