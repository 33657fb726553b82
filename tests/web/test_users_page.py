"""The admin's users page: add, change role and divisions, reset, disable — and only admins."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from resilience.accounts import User, authenticate_password
from resilience.audit import AuditEntry
from tests.web.test_dashboard import sign_in


def _token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def test_an_admin_manages_an_office(client: Any, session: Session) -> None:
    sign_in(client, "admin", "admin-demo-2026")
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'data-user="engineer_sc"' in html and "330102" in html
    token = _token(html)
    bad = client.post("/admin/users", data={"csrf_token": token, "username": "li si",
                                            "role": "engineer", "divisions": "339999",
                                            "password": "short"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "username" in text and "division" in text and "password" in text
    assert session.scalar(select(User).where(User.username == "li si")) is None
    made = client.post("/admin/users", data={"csrf_token": token, "username": "lisi",
                                             "display_name": "李四", "role": "inspector",
                                             "divisions": "330106，330102", "password": "river-gate-2026"})
    assert made.status_code == 302
    page = client.get("/admin/users/lisi").get_data(as_text=True)
    assert "李四" in page and "330102,330106" in page
    changed = client.post("/admin/users/lisi", data={"csrf_token": token, "action": "access",
                                                     "role": "engineer", "divisions": "330106"})
    assert changed.status_code == 302
    assert client.post("/admin/users/lisi", data={"csrf_token": token, "action": "password",
                                                  "password": "new-river-gate-7"}).status_code == 302
    assert client.post("/admin/users/lisi", data={"csrf_token": token,
                                                  "action": "disable"}).status_code == 302
    session.expire_all()
    user = session.scalar(select(User).where(User.username == "lisi"))
    assert user is not None and user.role == "engineer" and not user.active
    assert [d.division_code for d in user.divisions] == ["330106"]
    assert authenticate_password(session, "lisi", "new-river-gate-7") is None  # disabled
    reasons = session.scalars(select(AuditEntry.reason).where(
        AuditEntry.collection == "users", AuditEntry.record_id == user.id)
        .order_by(AuditEntry.id)).all()
    assert reasons == [None, "role changed", "divisions granted", "password reset", "disabled"]
    history = client.get("/admin/users/lisi").get_data(as_text=True)
    assert "password reset" in history
    self_off = client.post("/admin/users/admin", data={"csrf_token": token, "action": "disable"})
    assert self_off.status_code == 422


def test_only_admins_manage_users(client: Any) -> None:
    sign_in(client, "engineer", "engineer-demo-2026")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users/viewer").status_code == 403
