"""The administrator's users page: who may sign in, with which role and divisions.

The same use cases as ``resilience users …`` (``resilience.user_admin``), for an office that
manages its people in the browser; every change is audited and shown in the user's history.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from resilience import logins, user_admin
from resilience.accounts import get_user
from resilience.audit import AuditEntry
from resilience.codes import ROLES
from resilience.divisions import Division
from resilience.errors import NotFound, Problem, ResilienceError
from resilience.messages import describe
from web.auth import caller, roles
from web.extensions import csrf, select_locale
from web.session import db, throttle, unit

bp = Blueprint("users", __name__)
WHY = "only administrators manage users"


def _codes(text: str) -> list[str]:
    return [c for c in text.replace("，", ",").replace(" ", ",").split(",") if c]


def _messages(error: ResilienceError) -> list[str]:
    locale = select_locale()
    return [f"{p.field}: {describe(p, locale)}" for p in error.problems] or [error.message]


@bp.get("/admin/users")
@roles("admin", why=WHY)
def users_page() -> Any:
    """Every user, and a form to add one."""
    return _render_list({}, [])


def _render_list(form: dict[str, str], messages: list[str], status: int = 200) -> Any:
    actor = caller()
    divisions = [d for d in db().execute(select(Division.code, Division.name)
                                         .order_by(Division.code)) if actor.sees(d.code)]
    return render_template("admin_users.html", users=user_admin.list_users(db(), actor),
                           roles=ROLES,
                           divisions=divisions, form=form, messages=messages,
                           locked=logins.locked_names(db(), throttle()),
                           done=request.args.get("done")), status


@bp.post("/admin/users")
@roles("admin", why=WHY)
def add_user() -> Any:
    """Add a user from the form; problems shown beside it."""
    csrf.protect()
    form = {k: request.form.get(k, "").strip() for k in ("username", "display_name", "role",
                                                         "divisions")}
    try:
        with unit() as s:
            user_admin.add(s, form["username"], role=form["role"],
                           password=request.form.get("password") or None,
                           divisions=_codes(form["divisions"]), by=caller().username,
                           display_name=form["display_name"] or None, actor=caller())
    except ResilienceError as error:
        return _render_list(form, _messages(error), 422)
    return redirect(url_for("users.users_page", done=form["username"]))


@bp.get("/admin/users/<name>")
@roles("admin", why=WHY)
def user_page(name: str) -> Any:
    """One user: role, divisions, password, sign-in, and the history of these."""
    return _render_user(name, [])


def _render_user(name: str, messages: list[str], status: int = 200) -> Any:
    user = get_user(db(), name)
    if not user_admin.manages(caller(), user):
        raise NotFound("no such user", [Problem("username", "not_found", {"value": name})])
    trail = list(db().scalars(select(AuditEntry).where(AuditEntry.collection == "users",
                                                       AuditEntry.record_id == user.id)
                              .order_by(AuditEntry.id.desc()).limit(50)))
    return render_template("admin_user.html", user=user, roles=ROLES, trail=trail,
                           locked_until=logins.locked_until(db(), user.username, None,
                                                            throttle()),
                           granted=",".join(sorted(d.division_code for d in user.divisions)),
                           messages=messages, done=request.args.get("done")), status


@bp.post("/admin/users/<name>")
@roles("admin", why=WHY)
def change_user(name: str) -> Any:
    """One change to a user, named by the form's ``action``."""
    csrf.protect()
    action, actor = request.form.get("action", ""), caller()
    by = actor.username
    try:
        with unit() as s:
            if action == "access":
                user_admin.set_role(s, name, request.form.get("role", ""), by=by, actor=actor)
                user_admin.grant(s, name, _codes(request.form.get("divisions", "")), by=by,
                                 replace=True, actor=actor)
            elif action == "password":
                user_admin.set_password(s, name, request.form.get("password", ""), by=by,
                                        actor=actor)
            elif action in ("disable", "enable"):
                if action == "disable" and name == by:
                    return _render_user(name, [_("You cannot disable yourself.")], 422)
                user_admin.set_active(s, name, action == "enable", by=by, actor=actor)
            elif action == "unlock":
                user_admin.unlock(s, name, by=by, actor=actor)
            else:
                return _render_user(name, [_("Unknown action.")], 400)
    except ResilienceError as error:
        return _render_user(name, _messages(error), 422)
    return redirect(url_for("users.user_page", name=name, done=action))


@bp.get("/admin/logins")
@roles("admin", why=WHY)
def logins_page() -> Any:
    """Sign-ins and failed ones, newest first; ``?user=`` keeps one name's."""
    name = request.args.get("user", "").strip() or None
    actor = caller()
    mine = None if actor.everywhere else {u.username for u in user_admin.list_users(db(), actor)}
    return render_template("admin_logins.html", entries=logins.recent(db(), name, among=mine),
                           user=name)
