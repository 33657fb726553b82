"""In-app notifications: the menu's count, the page with links, marking them read."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.inspections.notifications import Notification
from tests.web.test_dashboard import sign_in


def test_the_plan_owner_reads_an_overdue_notice_and_marks_it_read(client: Any,
                                                                  session: Session) -> None:
    session.add_all([
        Notification(username="engineer", kind="task_overdue", subject_id=41,
                     division_code="330106", params={"closes_on": "2026-11-30"}),
        Notification(username="engineer", kind="hazard_overdue", subject_id=7,
                     division_code="330106", params={"deadline": "2026-11-01"}),
        Notification(username="manager", kind="hazard_overdue", subject_id=8,
                     division_code="330100", params={"deadline": "2026-11-01"}),
    ])
    session.flush()
    assert client.get("/notifications").status_code == 302  # sign in first
    sign_in(client, "engineer", "engineer-demo-2026")
    home = client.get("/collections").get_data(as_text=True)
    assert re.search(r'class="nav-notifications"[^>]*>通知 <span class="badge-count">2</span>', home)
    page = client.get("/notifications").get_data(as_text=True)
    assert 'href="/inspect/tasks/41"' in page and 'href="/hazards/7"' in page
    assert "/hazards/8" not in page  # someone else's
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.post("/notifications", data={"csrf_token": token}).status_code == 302
    unread = session.scalars(select(Notification.username).where(
        Notification.read_at.is_(None))).all()
    assert unread == ["manager"]
    after = client.get("/collections").get_data(as_text=True)
    assert "nav-notifications" not in after
    assert 'id="mark-read"' not in client.get("/notifications").get_data(as_text=True)
