"""The ``datetime`` of OGC API – Features: an instant or an interval on a collection's
temporal property (``CollectionSpec.temporal``).

Read as OGC API – Features Part 1 writes it (RFC 3339 instants, ``start/end``, ``..`` or
nothing for an open end), and as GDAL's OAPIF driver sends it from an OGR ``-where`` on a
date (``2024-01-01T``, ``2024-01-01T10Z``: a date with an empty time, an hour alone). An
instant without an offset is UTC. Intervals include both ends; a date stands for its whole
day. A date property compared with an instant compares on the instant's date as written.

A collection without a temporal property (divisions) has no temporal information for the
filter to intersect; OGC leaves the choice to the server, and here the parameter is still
checked but selects nothing out: ``condition`` answers None and every record stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy import ColumnElement, Date, and_

from inventory.assets import CollectionSpec
from inventory.repository.tables import table_of
from resilience.errors import InvalidInput, Problem

Moment = date | datetime  # a date, or an aware instant
OPEN = ("", "..")

_INSTANT = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[Tt ](?:(?P<h>\d{2})(?::(?P<m>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d{1,9})?)?)?"
    r"(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?)?)?")


@dataclass(frozen=True)
class TimeRange:
    """Inclusive ends (None: open); an instant is a range whose ends are the same moment."""

    start: Moment | None
    end: Moment | None


def _bad(raw: str) -> InvalidInput:
    return InvalidInput("invalid datetime",
                        [Problem("datetime", "invalid_datetime", {"value": raw[:60]})])


def _moment(text: str, raw: str) -> Moment:
    """One end: a date, or an aware instant (UTC when no offset is given)."""
    found = _INSTANT.fullmatch(text.strip())
    if found is None:
        raise _bad(raw)
    try:
        day = date.fromisoformat(found["date"])
        if found["h"] is None:
            return day
        fraction = (found["f"] or ".0")[1:7].ljust(6, "0")
        clock = time(int(found["h"]), int(found["m"] or 0), int(found["s"] or 0), int(fraction))
        zone = UTC
        if found["tz"] and found["tz"] not in "Zz":
            sign = 1 if found["tz"][0] == "+" else -1
            digits = found["tz"][1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        return datetime.combine(day, clock, zone)  # its own offset: its date as written
    except ValueError as error:  # 2024-02-30, 25:00, an offset of a day or more
        raise _bad(raw) from error


def parse(raw: str) -> TimeRange:
    """The range a ``datetime`` parameter names; InvalidInput naming ``datetime`` if none."""
    if raw.count("/") > 1:
        raise _bad(raw)
    if "/" not in raw:
        if raw.strip() in OPEN:
            raise _bad(raw)
        one = _moment(raw, raw)
        return TimeRange(one, one)
    first, last = raw.split("/")
    start = None if first.strip() in OPEN else _moment(first, raw)
    end = None if last.strip() in OPEN else _moment(last, raw)
    if start is not None and end is not None and _first_instant(start) > _last_instant(end):
        raise _bad(raw)
    return TimeRange(start, end)


def _first_instant(moment: Moment) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time(0), UTC)


def _last_instant(moment: Moment) -> datetime:
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment + timedelta(days=1), time(0), UTC) - timedelta(microseconds=1)


def condition(spec: CollectionSpec, span: TimeRange) -> ColumnElement[bool] | None:
    """The records whose temporal property lies in the range (None: the collection has none)."""
    name = spec.temporal
    table = table_of(spec)
    if name is None or name not in table.c:
        return None
    column = table.c[name]
    parts: list[ColumnElement[bool]] = [column.is_not(None)]
    if isinstance(column.type, Date):  # a Date column: compare days
        if span.start is not None:
            parts.append(column >= _day(span.start))
        if span.end is not None:
            parts.append(column <= _day(span.end))
    else:  # an instant in UTC
        if span.start is not None:
            parts.append(column >= _first_instant(span.start))
        if span.end is not None:
            if isinstance(span.end, datetime):
                parts.append(column <= span.end)
            else:  # the whole last day, whatever the stored precision
                parts.append(column < datetime.combine(span.end + timedelta(days=1), time(0), UTC))
    return and_(*parts)


def _day(moment: Moment) -> date:
    return moment.date() if isinstance(moment, datetime) else moment
