"""/metrics (who may scrape, what it shows) and the request id in headers and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
from dataclasses import replace
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs, logs
from resilience.settings import Settings

OUTSIDE = {"REMOTE_ADDR": "203.0.113.9"}


def _app(settings: Settings, sessions: sessionmaker[Session], **changes: Any) -> Any:
    from web.app import create_app

    app = create_app(replace(settings, **changes))
    app.extensions["resilience"]["sessions"] = sessions
    return app


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_refused_from_outside_and_served_to_loopback(client: Any) -> None:
    refused = client.get("/metrics", environ_base=OUTSIDE)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    served = client.get("/metrics")  # the test client is 127.0.0.1
    assert served.status_code == 200
    assert "resilience_jobs" in served.get_data(as_text=True)


def test_metrics_allowed_networks(settings: Settings, sessions: sessionmaker[Session]) -> None:
    client = _app(settings, sessions, metrics_allow=("203.0.113.0/24",)).test_client()
    assert client.get("/metrics", environ_base=OUTSIDE).status_code == 200
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 403


def test_forwarded_address_counts_only_behind_a_trusted_proxy(
        settings: Settings, sessions: sessionmaker[Session]) -> None:
    forged = {"X-Forwarded-For": "127.0.0.1"}
    direct = _app(settings, sessions).test_client()
    assert direct.get("/metrics", headers=forged, environ_base=OUTSIDE).status_code == 403
    proxied = _app(settings, sessions, trusted_proxies=1).test_client()
    assert proxied.get("/metrics", headers=forged, environ_base=OUTSIDE).status_code == 200
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 403


def test_metrics_token(settings: Settings, sessions: sessionmaker[Session]) -> None:
    client = _app(settings, sessions, metrics_token="s3cret-token").test_client()
    assert client.get("/metrics").status_code == 401  # loopback alone is not enough then
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.mimetype == "application/problem+json"
    assert "Bearer" in wrong.headers["WWW-Authenticate"]
    good = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"},
                      environ_base=OUTSIDE)
    assert good.status_code == 200


def test_latency_is_labelled_by_endpoint_not_path(client: Any) -> None:
    for ident in (987654, 987655):
        client.get(f"/api/collections/pipelines/items/{ident}")
    client.get("/no/such/page/424242")
    text = client.get("/metrics").get_data(as_text=True)
    assert "987654" not in text and "424242" not in text
    counts = {dict(labels)["endpoint"]: value for (name, labels), value in _samples(text).items()
              if name == "resilience_http_request_duration_seconds_count"}
    endpoint, _ = client.application.url_map.bind("localhost").match(
        "/api/collections/pipelines/items/1", method="GET")
    assert counts[endpoint] == 2
    assert counts["none"] == 1  # an unmatched URL is one series, whatever its path


def test_queue_depth_counts_queued_jobs(client: Any, session: Session) -> None:
    def depth() -> float:
        samples = _samples(client.get("/metrics").get_data(as_text=True))
        return samples[("resilience_jobs", (("kind", "noop"), ("state", "queued")))]

    before = depth()
    for _ in range(3):
        jobs.submit(session, "noop", {}, by="tester")
    session.commit()
    assert depth() == before + 3
    samples = _samples(client.get("/metrics").get_data(as_text=True))
    assert samples[("resilience_job_oldest_queued_age_seconds", (("kind", "noop"),))] >= 0
    assert ("resilience_db_pool_size", ()) in samples
    assert ("resilience_db_pool_checked_out", ()) in samples


def test_finished_jobs_show_in_the_duration_histogram(client: Any, session: Session) -> None:
    from datetime import timedelta

    from resilience.model import now

    end = now()
    session.add(jobs.Job(kind="import", status=jobs.DONE, params={}, started_at=end -
                         timedelta(seconds=42), finished_at=end))
    session.commit()
    text = client.get("/metrics", headers={"Accept": "application/openmetrics-text"}
                      ).get_data(as_text=True)
    assert "# TYPE resilience_job_duration_seconds gaugehistogram" in text
    assert 'resilience_job_duration_seconds_bucket{kind="import",le="60.0"}' in text
    assert "resilience_risk_run_duration_seconds" in text


def test_request_id_kept_when_sane_and_replaced_when_hostile(client: Any) -> None:
    kept = client.get("/api", headers={"X-Request-ID": "edge-7f3a.1:2"})
    assert kept.headers["X-Request-ID"] == "edge-7f3a.1:2"
    for hostile in ("x" * 200, "abc\x01def", "a b", "<script>"):
        answered = client.get("/api", headers={"X-Request-ID": hostile}).headers["X-Request-ID"]
        assert answered != hostile
        assert len(answered) == 32 and answered.isalnum()
    fresh = {client.get("/api").headers["X-Request-ID"] for _ in range(2)}
    assert len(fresh) == 2


def test_json_log_lines_carry_the_request_id(app: Any) -> None:
    @app.route("/_log_something")
    def log_something() -> str:
        logging.getLogger("tests.observability").warning("looked at %s", "the queue")
        return "ok"

    stream = io.StringIO()
    handler = logs.make_handler("json", stream=stream)
    logs.install(handler)
    try:
        response = app.test_client().get("/_log_something", headers={"X-Request-ID": "req-1"})
        outside = app.test_client().get("/_log_something")
    finally:
        logging.getLogger().removeHandler(handler)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    mine = [r for r in records if r.get("message") == "looked at the queue"]
    assert [r["request_id"] for r in mine] == [response.headers["X-Request-ID"],
                                               outside.headers["X-Request-ID"]]
    assert mine[0]["request_id"] == "req-1"
    assert mine[0]["level"] == "WARNING" and mine[0]["logger"] == "tests.observability"
    assert mine[0]["time"].endswith("+08:00")
    logging.getLogger("tests.observability").warning("after")  # no request: no id
    assert logs.REQUEST_ID.get() is None


def test_log_and_metrics_settings_from_env(tmp_path: Any) -> None:
    env = {"RESILIENCE_INSTANCE_PATH": str(tmp_path), "RESILIENCE_LOG_FORMAT": "JSON",
           "RESILIENCE_METRICS_ALLOW": "10.0.0.0/8, 192.168.1.5",
           "RESILIENCE_METRICS_TOKEN": "t", "PROMETHEUS_MULTIPROC_DIR": "/tmp/m"}
    settings = Settings.from_env(env)
    assert settings.log_format == "json"
    assert settings.metrics_allow == ("10.0.0.0/8", "192.168.1.5")
    assert (settings.metrics_token, settings.metrics_multiproc_dir) == ("t", "/tmp/m")
    for bad in ({"RESILIENCE_LOG_FORMAT": "xml"}, {"RESILIENCE_METRICS_ALLOW": "10.0.0.0/33"}):
        try:
            Settings.from_env({**env, **bad})
        except ValueError as error:
            assert next(iter(bad)) in str(error)
        else:
            raise AssertionError(f"{bad} accepted")
