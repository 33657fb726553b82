"""All asset SQL, as functions taking a Session: feature pages by keyset with bbox, division,
range and text filters in any sort, counts and extents, and the rows writes look up.

Callers use the names below (``repository.page``, ``repository.Query``…); the modules hold
them by what they are about: ``tables`` (a collection's table, key, geometry and the JSON
its features are read as), ``filters`` (what a query matches, a user's divisions),
``paging`` (keyset pages, windows, counts, extents), ``ordering`` (sort keys and the
keyset test), ``temporal`` (``datetime`` instants and intervals), ``cql`` and ``cql_syntax``
(Part 3 filters as SQL), ``summaries`` (``numberMatched`` and
extents, kept per data version), ``related`` (nested lists, referenced
ids, cabins).
"""

from inventory.repository.cql import Filter
from inventory.repository.cql import condition as filter_condition
from inventory.repository.filters import (
    Query,
    matching_keys,
    parse_filters,
    text_match,
    visibility,
    visible_divisions,
)
from inventory.repository.ordering import SortKey, parse_sortby, sortable
from inventory.repository.paging import Window, count_matching, extent, one, page, window
from inventory.repository.related import (
    cabins_holding,
    derived,
    existing_ids,
    external_ids,
    ids_by_external_id,
    referenced_numbers,
)
from inventory.repository.summaries import extent_of, interval_of, number_matched
from inventory.repository.tables import geom_of, pk_of, stored_fields, table_of
from inventory.repository.temporal import TimeRange
from inventory.repository.temporal import parse as parse_datetime

__all__ = [
    "Filter", "Query", "SortKey", "TimeRange", "Window", "cabins_holding", "count_matching",
    "derived", "existing_ids", "extent",
    "extent_of", "interval_of",
    "external_ids", "geom_of", "ids_by_external_id", "matching_keys", "number_matched", "one",
    "page",
    "filter_condition", "parse_datetime", "parse_filters", "parse_sortby", "pk_of",
    "referenced_numbers",
    "sortable", "stored_fields", "table_of", "text_match", "visibility", "visible_divisions",
    "window",
]
