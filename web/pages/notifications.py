"""The user's notifications in the app: overdue inspections of their plans, hidden hazards
past their deadline. The scheduler writes them (and e-mails them when SMTP is set); this
page lists them with a link to what each is about, and marks them read."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from inventory.inspections import notifications
from web.auth import caller, signed_in
from web.extensions import csrf, select_locale
from web.session import db, local_time, unit

bp = Blueprint("notifications", __name__)

LINKS = {"task_overdue": ("inspect.task_page", "task_id"),
         "hazard_overdue": ("hazards.detail_page", "hazard_id")}


def _link(row: notifications.Notification) -> str | None:
    if row.kind not in LINKS:
        return None
    endpoint, key = LINKS[row.kind]
    return url_for(endpoint, **{key: row.subject_id})


@bp.route("/notifications", methods=["GET", "POST"])
@signed_in
def notifications_page() -> Any:
    """List the user's notifications, unread first; POST marks them all read."""
    principal = caller()
    if request.method == "POST":
        csrf.protect()
        with unit() as s:
            ids = [n.id for n in notifications.unread(s, principal.username, limit=1000)]
            notifications.mark_read(s, principal.username, ids)
        return redirect(url_for("notifications.notifications_page"))
    locale = select_locale()
    rows = [{"text": notifications.text_of(n, locale), "link": _link(n), "unread": n.read_at is None,
             "at": local_time(n.created_at), "kind": n.kind}
            for n in notifications.recent(db(), principal.username)]
    return render_template("notifications.html", rows=rows)


def unread_count(principal: Any) -> int:
    """The menu's badge (0 when signed out)."""
    if principal is None:
        return 0
    return notifications.unread_count(db(), principal.username)
