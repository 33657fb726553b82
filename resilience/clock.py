"""Times as the city reads them: stored in UTC, shown, exported and e-mailed in its zone.

One helper for every place a time leaves the registry (pages, history, run lists,
notifications, spreadsheets, the scheduler's log), so none shows a bare UTC clock.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def local(value: datetime, zone: ZoneInfo = DEFAULT_ZONE) -> datetime:
    """The moment in the city's zone (naive values are taken as UTC, as the database keeps them)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def format_local(value: datetime | date | None, zone: ZoneInfo = DEFAULT_ZONE, *,
                 seconds: bool = False) -> str:
    """``2026-12-07 21:30`` in the city's zone; a date stays a date; None is empty."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.isoformat()
    return local(value, zone).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def today(zone: ZoneInfo = DEFAULT_ZONE) -> date:
    """Today's date in the city (tasks fall due on local dates)."""
    return datetime.now(zone).date()


class ZoneFormatter(logging.Formatter):
    """Log lines stamped in the city's zone with its offset (``2026-12-07 21:30:05+0800``)."""

    def __init__(self, fmt: str, zone: ZoneInfo = DEFAULT_ZONE) -> None:
        super().__init__(fmt)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """The record's moment in the zone (logging's default is the server's local clock)."""
        moment = datetime.fromtimestamp(record.created, self.zone)
        return moment.strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")
