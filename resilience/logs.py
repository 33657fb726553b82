"""The process's log: plain lines or JSON lines, each carrying the request (or job) it belongs to.

``RESILIENCE_LOG_FORMAT=json`` makes every record one JSON object on one line, for a log
collector (Loki, Elasticsearch) to index without a parser; the default stays the plain line
people read. The web sets :data:`REQUEST_ID` for each request (web/observability.py) and
the filter copies it onto every record made meanwhile, from any logger, so one request's
lines can be found together and matched with the ``X-Request-ID`` the client was answered.

python-json-logger writes the JSON: it keeps ``extra=`` fields, exceptions and values JSON
cannot hold (datetimes, decimals) without a formatter of our own to maintain.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import IO
from zoneinfo import ZoneInfo

from pythonjsonlogger.json import JsonFormatter

from resilience.clock import DEFAULT_ZONE, ZoneFormatter

# The request (or scheduler job) whose work is being logged; a contextvar, so threads and
# gunicorn's reused workers never see another's.
REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
JOB_ID: ContextVar[str | None] = ContextVar("job_id", default=None)

# An id a client or proxy sent is kept only when it cannot forge a log line or fill a disk.
_SANE_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def request_id(incoming: str | None) -> str:
    """The incoming id when sane (≤ 128 of ``A-Za-z0-9._:+=/-``), else a new random one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the current request and job ids on every record (set on the handler, so records
    of every logger that reach it are stamped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp and keep the record."""
        rid, jid = REQUEST_ID.get(), JOB_ID.get()
        if rid is not None:
            record.request_id = rid
        if jid is not None:
            record.job_id = jid
        return True


class ZoneJsonFormatter(JsonFormatter):
    """JSON lines stamped in the city's zone with its offset, like the plain lines."""

    def __init__(self, zone: ZoneInfo = DEFAULT_ZONE) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}", style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"})
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """ISO 8601 with the zone's offset (collectors parse it as it is)."""
        return datetime.fromtimestamp(record.created, self.zone).isoformat(timespec="milliseconds")


def make_handler(log_format: str, zone: ZoneInfo = DEFAULT_ZONE,
                 stream: IO[str] | None = None) -> logging.Handler:
    """A stderr (or ``stream``) handler writing ``text`` or ``json`` lines with the ids."""
    handler = _Handler(stream)
    formatter: logging.Formatter = (ZoneJsonFormatter(zone) if log_format == "json"
                                    else ZoneFormatter(TEXT_FORMAT, zone))
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    return handler


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The process's own handler, told apart from others by :func:`install`."""


def install(handler: logging.Handler, level: int = logging.INFO) -> None:
    """Make ``handler`` the process's own on the root logger, replacing one installed before
    and leaving others (a test runner's capture, gunicorn's) alone."""
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, _Handler)]
    root.addHandler(handler)
    root.setLevel(level)


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Records made inside carry ``job_id`` (a scheduler job's work)."""
    token = JOB_ID.set(job_id)
    try:
        yield
    finally:
        JOB_ID.reset(token)
