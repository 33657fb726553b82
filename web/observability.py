"""Seeing it run: a request id on every request and its log lines, timings, and ``/metrics``.

Each request gets an id, the client's ``X-Request-ID`` when sane (a proxy's or a caller's, so
one id follows the request across systems) or a new one; it is answered in ``X-Request-ID``
and stamped on every log record made meanwhile (resilience.logs).

Request latency is a histogram labelled with the Flask endpoint, never the path, so ids in
URLs cannot multiply the series. Under gunicorn every worker times its own requests: with
``PROMETHEUS_MULTIPROC_DIR`` set, prometheus-client keeps them in files there and a scrape of
any worker sums all workers (``gunicorn.conf.py`` empties the folder at start and forgets
stopped workers). Without it a scrape sees the timings of the one worker that answered.

``/metrics`` tells the job queue and the load of the registry: with ``RESILIENCE_METRICS_TOKEN``
set it answers only that Bearer token; otherwise only loopback and the networks in
``RESILIENCE_METRICS_ALLOW``. The address is the client's as the trusted proxies report it
(ProxyFix, web/security_headers.py), never an X-Forwarded-For anyone can send.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Callable
from ipaddress import ip_address, ip_network

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.orm import Session

from resilience import logs
from resilience.errors import Problem
from resilience.metrics import JobQueueCollector, PoolCollector
from resilience.settings import Settings
from risk.run_metrics import RiskRunCollector
from web.errors import problem_response

bp = Blueprint("observability", __name__)

# Seconds: a page or an item in milliseconds, an inline import in up to a minute.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Any other token a client sends as a method is one label value, not one each.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def register(app: Flask, settings: Settings) -> None:
    """Time and tag every request and serve ``/metrics``; call before other request hooks, so
    a request a later hook refuses still has its id and its timing."""
    if settings.log_format == "json":
        logs.install(logs.make_handler("json", settings.zone))
    registry = CollectorRegistry()  # no auto-describe: nothing is read until a scrape
    multiprocess = bool(settings.metrics_multiproc_dir)
    if multiprocess:
        os.makedirs(settings.metrics_multiproc_dir, exist_ok=True)
        MultiProcessCollector(registry, path=settings.metrics_multiproc_dir)
    latency = Histogram(
        "resilience_http_request_duration_seconds", "Time to answer a request, by route",
        ["endpoint", "method", "status"], buckets=LATENCY_BUCKETS,
        registry=None if multiprocess else registry)

    def sessions() -> Session:
        return app.extensions["resilience"]["sessions"]()  # type: ignore[no-any-return]

    registry.register(JobQueueCollector(sessions))
    registry.register(RiskRunCollector(sessions))
    registry.register(PoolCollector(app.extensions["resilience"]["engine"]))
    app.extensions["metrics"] = {"registry": registry, "latency": latency}
    app.before_request(_start)
    app.after_request(_finish(latency))
    app.teardown_request(_forget)
    app.register_blueprint(bp)


def _start() -> None:
    g.request_id = logs.request_id(request.headers.get("X-Request-ID"))
    g.request_id_token = logs.REQUEST_ID.set(g.request_id)
    g.request_started = time.perf_counter()


def _finish(latency: Histogram) -> Callable[[Response], Response]:
    def finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-ID"] = rid
        started = g.get("request_started")
        if started is not None:
            endpoint = request.url_rule.endpoint if request.url_rule else "none"
            method = request.method if request.method in METHODS else "other"
            latency.labels(endpoint, method, f"{response.status_code // 100}xx").observe(
                time.perf_counter() - started)
        return response
    return finish


def _forget(_exc: BaseException | None = None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        logs.REQUEST_ID.reset(token)


def refusal(settings: Settings) -> Response | None:
    """The 401/403 problem for a scraper this registry does not know; None to let it in."""
    if settings.metrics_token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
                given.strip().encode(), settings.metrics_token.encode()):
            return None
        return problem_response(401, [Problem("token", "invalid_credentials", {})],
                                headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    if address_allowed(request.remote_addr, settings.metrics_allow):
        return None
    return problem_response(403, detail="metrics are served to the monitoring network only")


def address_allowed(remote: str | None, allow: tuple[str, ...]) -> bool:
    """Loopback, or an address inside one of the ``allow`` networks."""
    try:
        address = ip_address(remote or "")
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    address = mapped or address  # ::ffff:10.0.0.5 is 10.0.0.5
    if address.is_loopback:
        return True
    return any(address in ip_network(cidr, strict=False) for cidr in allow)


@bp.route("/metrics")
def metrics() -> Response:
    """The Prometheus exposition (OpenMetrics when the scraper asks for it)."""
    settings: Settings = current_app.extensions["resilience"]["settings"]
    refused = refusal(settings)
    if refused is not None:
        return refused
    registry: CollectorRegistry = current_app.extensions["metrics"]["registry"]
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(registry), content_type=content_type,
                    headers={"Cache-Control": "no-store"})
