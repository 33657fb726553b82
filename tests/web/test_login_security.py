"""Sign-in hardening on both databases: throttling, the sign-in trail, the password policy,
session limits and 401s that tell missing credentials from wrong ones."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience import logins, user_admin
from resilience.accounts import LoginAttempt
from resilience.audit import AuditEntry
from resilience.model import now
from tests.web.test_dashboard import sign_in


def _csrf(client: Any) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _post(client: Any, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf(client)})


def _basic(username: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_five_failures_lock_the_account_even_for_the_right_password(client: Any) -> None:
    for _ in range(5):
        assert _post(client, "engineer", "wrong-guess-1").status_code == 401
    locked = _post(client, "engineer", "engineer-demo-2026")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    api = client.get("/api/collections", headers=_basic("engineer", "engineer-demo-2026"))
    assert api.status_code == 429 and api.mimetype == "application/problem+json"
    assert 0 < int(api.headers["Retry-After"]) <= 60
    assert api.get_json()["errors"][0]["code"] == "too_many_attempts"
    assert _post(client, "viewer", "viewer-demo-2026").status_code == 302  # others go on


def test_an_unknown_name_is_throttled_alike(client: Any) -> None:
    answers = [_post(client, "nosuchperson", "wrong-guess-1") for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert answers[0].get_data(as_text=True).count("用户名或密码错误") == 1


def test_one_address_is_throttled_across_accounts(app: Any, client: Any) -> None:
    app.extensions["resilience"]["settings"] = _with(app, login_max_failures_per_address=3)
    for name in ("a1", "a2", "a3"):
        assert _post(client, name, "wrong-guess-1").status_code == 401
    assert _post(client, "a4", "wrong-guess-1").status_code == 429
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert _post(other, "a4", "wrong-guess-1").status_code == 401


def _with(app: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(app.extensions["resilience"]["settings"], **changes)


def test_a_success_clears_the_failures_so_frequent_sign_ins_never_lock(
        client: Any, session: Session) -> None:
    for _ in range(3):
        for _ in range(4):
            _post(client, "viewer", "wrong-guess-1")
        sign_in(client, "viewer", "viewer-demo-2026")
    assert session.scalars(select(LoginAttempt).where(LoginAttempt.username == "viewer")).all() == []


def test_the_lock_ends_and_grows(session: Session) -> None:
    t = logins.Throttle()
    for _ in range(5):
        assert logins.sign_in(session, "viewer", "wrong-guess-1", address="1.2.3.4",
                              via="page") is None
    until = logins.locked_until(session, "viewer", "1.2.3.4", t)
    assert until is not None and timedelta(seconds=50) < until - now() <= timedelta(minutes=1)
    for row in session.scalars(select(LoginAttempt)):
        row.at -= timedelta(minutes=2)  # the minute is served
    session.flush()
    assert logins.locked_until(session, "viewer", "1.2.3.4", t) is None
    assert logins.sign_in(session, "viewer", "wrong-guess-1", address="1.2.3.4",
                          via="page") is None
    again = logins.locked_until(session, "viewer", "1.2.3.4", t)
    assert again is not None and again - now() > timedelta(minutes=1, seconds=50)


def test_an_admin_unlocks_on_the_page_and_at_the_command_line(client: Any,
                                                               session: Session) -> None:
    for _ in range(5):
        _post(client, "engineer", "wrong-guess-1")
    sign_in(client, "admin", "admin-demo-2026")
    listed = client.get("/admin/users").get_data(as_text=True)
    assert re.search(r'data-user="engineer".*?Locked|data-user="engineer".*?已锁定', listed, re.S)
    page = client.get("/admin/users/engineer").get_data(as_text=True)
    assert 'id="user-unlock"' in page
    done = client.post("/admin/users/engineer", data={"csrf_token": _csrf(client),
                                                      "action": "unlock"})
    assert done.status_code == 302
    assert 'id="user-unlock"' not in client.get("/admin/users/engineer").get_data(as_text=True)
    assert _post(client, "engineer", "engineer-demo-2026").status_code == 302
    for _ in range(5):
        logins.sign_in(session, "inspector", "wrong-guess-1", address=None, via="page")
    assert logins.locked_until(session, "inspector", None) is not None
    assert user_admin.unlock(session, "inspector", by="cli") == 5
    assert logins.locked_until(session, "inspector", None) is None
    reasons = session.scalars(select(AuditEntry.reason).where(
        AuditEntry.collection == "users", AuditEntry.reason.like("unlocked%"))).all()
    assert len(reasons) == 2


def test_sign_ins_are_in_the_trail_and_on_the_admin_page(client: Any, session: Session) -> None:
    _post(client, "engineer", "wrong-guess-1")
    _post(client, "ghost", "wrong-guess-1")
    sign_in(client, "admin", "admin-demo-2026")
    rows = session.scalars(select(AuditEntry).where(AuditEntry.collection == "logins")
                           .order_by(AuditEntry.id)).all()
    assert [(r.actor, r.action, bool(r.record_id)) for r in rows] == [
        ("engineer", "login_failed", True), ("ghost", "login_failed", False),
        ("admin", "login", True)]
    assert rows[0].after == {"address": "127.0.0.1", "via": "page"}
    page = client.get("/admin/logins").get_data(as_text=True)
    assert page.index('data-action="login"') < page.index('data-action="login_failed"')
    assert "ghost" in page and "engineer" in page
    assert 'data-via="page">登录页<' in page  # said in words, not as the stored code
    one = client.get("/admin/logins?user=engineer").get_data(as_text=True)
    assert "ghost" not in one and "engineer" in one
    sign_in(client, "viewer", "viewer-demo-2026")
    assert client.get("/admin/logins").status_code == 403


def test_a_new_password_follows_the_policy_old_ones_still_sign_in(client: Any) -> None:
    sign_in(client, "admin", "admin-demo-2026")  # contains the name, set before the policy
    token = _csrf(client)
    for password, words in (("short-1", "10"), ("1q2w3e4r5t", "常见"),
                            ("viewer-2026-gate", "用户名")):
        bad = client.post("/admin/users/viewer", data={"csrf_token": token, "action": "password",
                                                       "password": password})
        assert bad.status_code == 422 and words in bad.get_data(as_text=True)
    en = client.post("/admin/users", data={"csrf_token": token, "username": "wangwu",
                                           "role": "viewer", "password": "wangwu12345"},
                     headers={"Accept-Language": "en"})
    assert en.status_code == 422


def test_api_401_tells_wrong_credentials_from_none(client: Any) -> None:
    none = client.get("/api/collections")
    assert none.status_code == 401
    assert none.get_json()["errors"][0]["code"] == "credentials_required"
    for headers in (_basic("admin", "wrong-guess-1"), _basic("nosuchperson", "wrong-guess-1"),
                    {"Authorization": "Bearer rsl_not-a-token"}):
        wrong = client.get("/api/collections", headers=headers)
        assert wrong.status_code == 401
        assert wrong.get_json()["errors"] == [{**wrong.get_json()["errors"][0],
                                               "code": "invalid_credentials"}]
    assert client.get("/api/collections",
                      headers=_basic("admin", "admin-demo-2026")).status_code == 200


def test_an_idle_session_ends_and_so_does_an_old_one(client: Any) -> None:
    sign_in(client, "viewer", "viewer-demo-2026")
    assert client.get("/map").status_code == 200
    with client.session_transaction() as s:
        s["seen"] = int(time.time()) - 2 * 3600 - 5
    assert client.get("/map").status_code == 302  # idle two hours
    sign_in(client, "viewer", "viewer-demo-2026")
    with client.session_transaction() as s:
        s["since"] = int(time.time()) - 12 * 3600 - 5
    assert client.get("/map").status_code == 302  # twelve hours after signing in
