"""Domain errors to HTTP: one status table, RFC 9457 problem+json in the request's language."""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, g, render_template, request
from sqlalchemy import exc
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from resilience.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Problem,
    ResilienceError,
    ServiceUnavailable,
    StaleVersion,
    Unauthenticated,
)
from resilience.logins import TooManyAttempts
from resilience.messages import as_dicts, describe

log = logging.getLogger(__name__)

STATUS: dict[type[ResilienceError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Unauthenticated: 401,
    Forbidden: 403,
    Conflict: 409,
    StaleVersion: 412,
    PayloadTooLarge: 413,
    ServiceUnavailable: 503,
    TooManyAttempts: 429,
}

TITLES: dict[int, tuple[str, str]] = {
    400: ("Bad request", "请求有误"),
    401: ("Authentication required", "需要登录"),
    403: ("Not allowed", "无权操作"),
    404: ("Not found", "未找到"),
    405: ("Method not allowed", "不支持该方法"),
    409: ("Conflict", "冲突"),
    412: ("The record changed since you read it", "记录已被他人修改"),
    413: ("Body too large", "请求体过大"),
    415: ("Unsupported media type", "不支持的媒体类型"),
    422: ("Invalid input", "输入无效"),
    428: ("Precondition required", "缺少前置条件"),
    429: ("Too many failed sign-ins", "登录失败次数过多"),
    500: ("Internal error", "服务器内部错误"),
    503: ("Service unavailable", "服务不可用"),
}


class BadRequest(InvalidInput):
    """Query parameters the API cannot use (answered 400, not 422)."""

    code = "bad_request"


STATUS[BadRequest] = 400


def locale() -> str:
    """The response language: zh-CN unless the client prefers English."""
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"], default="zh-CN")
    return "en" if best == "en" else "zh_CN"


def status_of(error: ResilienceError) -> int:
    """The HTTP status for a domain error, most specific class first."""
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def problem_response(status: int, problems: list[Problem] | None = None,
                     detail: str | None = None, headers: dict[str, str] | None = None,
                     **extra: Any) -> Response:
    """An application/problem+json response with the ``errors`` list."""
    loc = locale()
    en, zh = TITLES.get(status, ("Error", "错误"))
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": zh if loc.startswith("zh") else en,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body["errors"] = as_dicts(problems or [], loc)
    body.update(extra)
    resp = Response(json.dumps(body, ensure_ascii=False), status=status,
                    mimetype="application/problem+json")
    resp.headers["Content-Language"] = "zh-CN" if loc.startswith("zh") else "en"
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _detail(error: ResilienceError, status: int) -> str | None:
    loc = locale()
    if isinstance(error, StaleVersion):
        return describe(Problem("version", "stale_version", {"current": error.current}), loc)
    if not error.problems and status != 500:
        return error.message
    return None


def from_domain(error: ResilienceError) -> Response:
    """The problem response for a domain error."""
    status = status_of(error)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="resilience", Bearer realm="resilience"'
    if isinstance(error, TooManyAttempts):
        headers["Retry-After"] = str(error.retry_after)
    extra: dict[str, Any] = {}
    if isinstance(error, StaleVersion):
        extra["current_version"] = error.current
    return problem_response(status, error.problems, _detail(error, status), headers, **extra)


def wants_problem_json() -> bool:
    """API and tile requests answer with problem+json; pages render an HTML error."""
    return request.path.startswith(("/api", "/tiles"))


def error_page(status: int, error: ResilienceError | None) -> tuple[str, int]:
    """An HTML error page with the domain's messages in the page language."""
    from web.extensions import select_locale

    page_locale = select_locale()
    details = [describe(p, page_locale) for p in error.problems] if error else []
    return render_template("error.html", status=status, details=details), status


# A database that cannot be reached (stopped, restarting, the network away; SQLite busy past
# its timeout): the request is answered 503 at once, and the pool's pre-ping reconnects by
# itself once the server is back, so the next request succeeds without a restart.
DATABASE_AWAY = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)
RETRY_AFTER = "5"
AWAY_DETAIL = {"en": "The database cannot be reached. Try again shortly.",
               "zh": "暂时无法连接数据库，请稍后重试。"}


def database_away(error: BaseException) -> bool:
    """Whether a database error means the database is out of reach, not a bad statement."""
    return isinstance(error, DATABASE_AWAY) or bool(
        isinstance(error, exc.DBAPIError) and error.connection_invalidated)


def database_unavailable() -> Any:
    """The 503 of a database outage: problem+json (code ``database_unavailable``) for the API,
    an error page (drawn as for a signed-out visitor: the menu needs the database) for pages."""
    if not wants_problem_json():
        g.principal = None
        page, status = error_page(503, None)
        return page, status, {"Retry-After": RETRY_AFTER}
    detail = AWAY_DETAIL["zh" if locale().startswith("zh") else "en"]
    return problem_response(503, [Problem("database", "database_unavailable", {})], detail,
                            {"Retry-After": RETRY_AFTER}, code="database_unavailable")


def register(app: Flask) -> None:
    """Install the handlers that turn errors into responses."""

    @app.errorhandler(ResilienceError)
    def _domain(error: ResilienceError) -> Any:
        if isinstance(error, ServiceUnavailable) and error.__cause__ is not None and \
                database_away(error.__cause__):  # a unit of work that lost the database
            return database_unavailable()
        if not wants_problem_json():
            return error_page(status_of(error), error)
        return from_domain(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error: RequestEntityTooLarge) -> Response:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return problem_response(413, [Problem("body", "payload_too_large", {"max": limit})])

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        if not wants_problem_json():
            return error
        return problem_response(error.code or 500, detail=error.description)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if not wants_problem_json():
            return error_page(500, None)
        return problem_response(500, detail="internal error; the incident is logged")

    @app.errorhandler(exc.SQLAlchemyError)
    def _database(error: exc.SQLAlchemyError) -> Any:
        if not database_away(error):
            return _unexpected(error)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines() or [""]
        log.warning("database unavailable on %s %s: %s", request.method, request.path, reason[0])
        return database_unavailable()
