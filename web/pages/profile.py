"""The city profile page: an admin types each division's figures for a year, or sends a sheet.

Built-up area and population are the denominators of the health check and the risk maps; this
page is where an office keeps them (the same checks and audit as ``resilience profile``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for
from sqlalchemy import select

from resilience import profile_sheets, profiles
from resilience.clock import today
from resilience.divisions import Division
from resilience.errors import InvalidInput, Problem
from resilience.messages import describe
from web.auth import caller, roles
from web.extensions import csrf, select_locale
from web.session import db, settings, unit

bp = Blueprint("profile", __name__)
WHY = "only administrators enter the city profile"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _year() -> int:
    raw = request.args.get("year") or request.form.get("year") or ""
    if raw.isdigit() and profiles.YEARS[0] <= int(raw) <= profiles.YEARS[1]:
        return int(raw)
    return today(settings().zone).year - 1  # the yearbook's latest year


@bp.get("/admin/profile")
@roles("admin", why=WHY)
def profile_page() -> Any:
    """Every division with its figures for the year, editable."""
    return _render(_year(), {}, [])


def _render(year: int, typed: dict[str, dict[str, str]], problems: list[Problem],
            status: int = 200) -> Any:
    actor = caller()
    divisions = [d for d in db().scalars(select(Division).order_by(Division.code))
                 if actor.sees(d.code)]
    entered = {p.division_code: p for p in profiles.listing(db(), year)}
    locale = select_locale()
    names = {d.code: d.name for d in divisions}
    messages = [f"{names.get(str(p.params.get('division', '')), '')} {p.field}: "
                f"{describe(p, locale)}".strip() for p in problems]
    return render_template("admin_profile.html", year=year, divisions=divisions, entered=entered,
                           typed=typed, messages=messages, fields=profiles.FIELDS,
                           done=request.args.get("done")), status


@bp.post("/admin/profile")
@roles("admin", why=WHY)
def save_profile() -> Any:
    """Store every row the admin changed, all or nothing."""
    csrf.protect()
    year, by = _year(), caller().username
    codes = request.form.getlist("code")
    typed = {c: {f: request.form.get(f"{f}:{c}", "").strip()
                 for f in (*profiles.FIELDS, "source")} for c in codes}
    entered = {p.division_code: p for p in profiles.listing(db(), year)}
    problems: list[Problem] = []
    changed = 0
    try:
        with unit() as s:
            for code, values in typed.items():
                had = entered.get(code)
                stored = {f: "" if had is None or getattr(had, f) is None else str(getattr(had, f))
                          for f in (*profiles.FIELDS, "source")}
                if values == stored or (had is None and not any(values.values())):
                    continue
                try:
                    profiles.save(s, code, year, {f: values[f] for f in profiles.FIELDS},
                                  by=by, source=values["source"], actor=caller())
                    changed += 1
                except InvalidInput as error:
                    problems += [Problem(p.field, p.code, {**p.params, "division": code})
                                 for p in error.problems]
            if problems:
                raise InvalidInput("figures not stored", problems)
    except InvalidInput:
        return _render(year, typed, problems, 422)
    return redirect(url_for("profile.profile_page", year=year, done=changed))


@bp.post("/admin/profile/sheet")
@roles("admin", why=WHY)
def upload_sheet() -> Any:
    """A filled-in sheet (XLSX or CSV), stored all or nothing."""
    csrf.protect()
    year = _year()
    upload = request.files.get("file")
    suffix = Path(upload.filename or "").suffix.lower() if upload else ""
    if upload is None or suffix not in (".xlsx", ".csv"):
        return _render(year, {}, [Problem("file", "unsupported_format",
                                          {"value": suffix or "-", "allowed": "XLSX, CSV"})], 422)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"profile{suffix}"
        upload.save(path)
        try:
            with unit() as s:
                stored = profile_sheets.read(s, path, by=caller().username, actor=caller())
        except InvalidInput as error:
            return _render(year, {}, [Problem(p.field, p.code, {**p.params, "division":
                                                                f"#{p.row}"})
                                      for p in error.problems], 422)
    return redirect(url_for("profile.profile_page", year=year, done=stored))


@bp.get("/admin/profile.xlsx")
@roles("admin", why=WHY)
def download() -> Any:
    """Every entered row as a sheet in the page's language, to fill in and send back."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "profile.xlsx"
        profile_sheets.write(db(), path, lang="zh" if select_locale().startswith("zh") else "en",
                             actor=caller())
        body = path.read_bytes()
    resp = Response(body, mimetype=XLSX)
    resp.headers["Content-Disposition"] = 'attachment; filename="city-profile.xlsx"'
    return resp
