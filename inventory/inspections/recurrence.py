"""Recurrence: a plan's RFC 5545 RRULE as dateutil iterates it from the plan's real start.

RFC 5545 skips a month that lacks the rule's day (``FREQ=MONTHLY`` from 31 January gives 7
visits a year). A plan anchored on the 29th–31st keeps one visit per period instead, on the
month's last day where the day is missing (DOMAIN.md §10): the anchor becomes dateutil's
"the last of the 28th…anchor that the month has" (``bymonthday=28..anchor, bysetpos=-1``).
This is done only where the set ``bysetpos`` picks from is one month — a monthly rule, a
yearly one in a single month, or a yearly one in several months every year (the same as
monthly in those months) — so no other meaning of a rule changes.

Frequencies are compared by their mean gap between visits from the same start (so
``FREQ=WEEKLY;BYDAY=MO,TH`` is more often than weekly), exactly, as fractions of days.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from fractions import Fraction
from typing import Any

from dateutil.rrule import DAILY, MONTHLY, YEARLY, rrule, rrulestr

from resilience.errors import Problem

# Ordered from the most to the least often inspected (DOMAIN.md §10: 重大 ≥ 较大 ≥ 一般 ≥ 低).
ORDER = ("major", "considerable", "general", "low")
UNASSESSED = "unassessed"  # 未评估: the published map does not list the asset
LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "major": ("major", "重大风险"), "considerable": ("considerable", "较大风险"),
    "general": ("general", "一般风险"), "low": ("low", "低风险"),
    UNASSESSED: ("not assessed", "未评估"),
}
# Without a plan's start (a rule checked on its own) it is counted from this day.
REFERENCE_START = date(2026, 1, 1)
# The mean gap is taken over at most this many visits within this many years of the start.
GAP_VISITS, GAP_YEARS = 54, 30
# Parts besides BYMONTH/BYMONTHDAY that change which days of a month a rule takes.
_OTHER_PARTS = ("bysetpos", "byweekday", "byyearday", "byweekno", "byeaster", "byhour",
                "byminute", "bysecond")


def _start(starts_on: date) -> datetime:
    return datetime.combine(starts_on, time())


def recurrence(rule: str, starts_on: date) -> rrule:
    """The rule counted from ``starts_on``, a 29th–31st anchor kept as the month's last day.

    Raises ValueError (or dateutil's parse errors) for anything but one RRULE.
    """
    parsed = rrulestr(rule.strip(), dtstart=_start(starts_on), forceset=False)
    if not isinstance(parsed, rrule):
        raise ValueError("one RRULE expected")
    # dateutil keeps what it parsed only in private fields, which the stubs leave out;
    # ``_original_rule`` holds the parts the rule gave (None where dateutil implied them).
    given: dict[str, Any] = parsed._original_rule  # type: ignore[attr-defined]
    freq: int = parsed._freq  # type: ignore[attr-defined]
    if freq not in (MONTHLY, YEARLY) or any(given.get(p) for p in _OTHER_PARTS):
        return parsed
    days = given.get("bymonthday")
    if days is None:  # implied by the start (RFC 5545: DTSTART's day)
        anchor = starts_on.day
    elif len(days) == 1 and days[0] > 0:
        anchor = days[0]
    else:
        return parsed
    months = given.get("bymonth") or (starts_on.month,)
    if anchor < 29:
        return parsed
    last_of = tuple(range(28, anchor + 1))
    if freq == MONTHLY:
        return parsed.replace(bymonthday=last_of, bysetpos=-1)
    if len(months) == 1:
        return parsed.replace(bymonth=months, bymonthday=last_of, bysetpos=-1)
    if parsed._interval == 1:  # type: ignore[attr-defined]  # yearly in several months:
        return parsed.replace(freq=MONTHLY, bymonth=months, bymonthday=last_of, bysetpos=-1)
    return parsed


def check_rule(rule: Any, field: str = "recurrence", starts_on: date | None = None
               ) -> list[Problem]:
    """Problems with an RRULE string counted from the plan's start: unparsable, more often
    than daily, or without any visit from that start."""
    if not isinstance(rule, str) or not rule.strip():
        return [Problem(field, "required")]
    start = starts_on or REFERENCE_START
    try:
        parsed = recurrence(rule, start)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        return [Problem(field, "invalid_rrule", {"value": rule, "reason": str(error)})]
    if parsed._freq > DAILY:  # type: ignore[attr-defined]  # HOURLY, MINUTELY, SECONDLY
        return [Problem(field, "rrule_too_frequent", {"value": rule})]
    if parsed.after(_start(start), inc=True) is None:
        return [Problem(field, "invalid_rrule", {"value": rule,
                                                 "reason": f"no occurrences from {start}"})]
    return []


def occurrences(rule: str, starts_on: date, lower: date, upper: date) -> list[date]:
    """The rule's dates within [lower, upper], counted from ``starts_on``."""
    if upper < lower:
        return []
    parsed = recurrence(rule, starts_on)
    return [d.date() for d in parsed.between(_start(lower), _start(upper), inc=True)]


def last_before(rule: str, starts_on: date, before: date, not_before: date) -> date | None:
    """The rule's latest date before ``before`` and not before ``not_before`` (or None)."""
    hit = recurrence(rule, starts_on).before(_start(before), inc=False)
    return hit.date() if hit is not None and hit.date() >= not_before else None


def mean_gap(rule: str, starts_on: date) -> Fraction | None:
    """Days between visits on average from ``starts_on`` (None: fewer than two visits)."""
    end = _start(starts_on) + timedelta(days=round(365.25 * GAP_YEARS))
    seen: list[datetime] = []
    for visit in recurrence(rule, starts_on):  # stops at the window: never runs to year 9999
        if visit > end or len(seen) == GAP_VISITS:
            break
        seen.append(visit)
    if len(seen) < 2:
        return None
    return Fraction((seen[-1] - seen[0]).days, len(seen) - 1)


def check_order(table: Mapping[str, str], starts_on: date) -> list[Problem]:
    """Problems with a level → RRULE table whose higher level is visited less often than a
    lower one (DOMAIN.md §10), and with 未评估 less often than 低 (unknown is not low).

    One problem per level, naming the most often visited lower level it falls behind.
    """
    gaps = {level: mean_gap(rule, starts_on) for level, rule in table.items()}
    problems = []
    below = {level: list(ORDER[i + 1:]) for i, level in enumerate(ORDER)}
    if UNASSESSED in table:
        below[UNASSESSED] = ["low"]
    for level, lowers in below.items():
        behind = [lower for lower in lowers if lower in table
                  and _less_often(gaps.get(level), gaps[lower])]
        if level in table and behind:
            lower = min(behind, key=lambda lv: _sort_key(gaps[lv]))
            problems.append(Problem(f"frequencies.{level}", "frequency_order", {
                "value": table[level], "level": LEVEL_NAMES[level][0],
                "level_zh": LEVEL_NAMES[level][1], "lower_value": table[lower],
                "lower": LEVEL_NAMES[lower][0], "lower_zh": LEVEL_NAMES[lower][1]}))
    return problems


def _sort_key(gap: Fraction | None) -> Fraction:
    return Fraction(10 ** 9) if gap is None else gap


def _less_often(gap: Fraction | None, other: Fraction | None) -> bool:
    """Whether visits ``gap`` apart are rarer than visits ``other`` apart."""
    return _sort_key(gap) > _sort_key(other)
