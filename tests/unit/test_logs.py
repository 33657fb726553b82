"""Request ids, JSON log lines and the scrape address check, without a database."""

from __future__ import annotations

import io
import json
import logging

from resilience import logs
from web.observability import address_allowed


def test_request_id_bounds() -> None:
    assert logs.request_id("4bf92f3577b34da6a3ce929d0e0e4736") == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert logs.request_id("a" * 128) == "a" * 128
    for hostile in (None, "", "a" * 129, "line\nbreak", "tab\there", "引号", '"quoted"'):
        made = logs.request_id(hostile)
        assert made != hostile and len(made) == 32


def test_json_lines_carry_the_job_id_and_extra_fields() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("tests.logs.unit")
    logger.propagate = False
    logger.addHandler(logs.make_handler("json", stream=stream))
    logger.setLevel(logging.INFO)
    try:
        with logs.job_context("run_queued_jobs"):
            logger.info("ran %d job(s)", 3, extra={"ran": 3})
        logger.info("idle")
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.handlers.clear()
        logger.propagate = True
    first, second, third = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "ran 3 job(s)" and first["job_id"] == "run_queued_jobs"
    assert first["ran"] == 3
    assert "job_id" not in second and "request_id" not in second
    assert third["level"] == "ERROR" and "ValueError: boom" in third["exc_info"]


def test_text_lines_stay_plain() -> None:
    stream = io.StringIO()
    handler = logs.make_handler("text", stream=stream)
    handler.handle(logging.LogRecord("x", logging.WARNING, __file__, 1, "plain %s", ("line",), None))
    assert stream.getvalue().rstrip().endswith("WARNING x: plain line")


def test_scrape_addresses() -> None:
    allow = ("10.0.0.0/8", "192.0.2.7")
    for ok in ("127.0.0.1", "::1", "::ffff:127.0.0.1", "10.1.2.3", "192.0.2.7", "::ffff:10.0.0.1"):
        assert address_allowed(ok, allow), ok
    for refused in ("192.0.2.8", "203.0.113.1", "2001:db8::1", "", None, "not-an-address"):
        assert not address_allowed(refused, allow), refused
