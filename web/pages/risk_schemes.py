"""The scoring schemes page: every version, and a new version typed by an admin.

Schemes are data (DOMAIN.md §1.1): an edit never changes a version, it adds the next one,
which the following run uses; runs keep the version they used. The four-colour tables (LEC,
LS) are shown with each band's real interval, and an admin adds a city's own (DOMAIN.md §10
"LS tables": the city's choice). Checking is the domain's (:func:`risk.schemes.save_version`,
:func:`risk.presets.save_preset`, :func:`risk.presets.choose`); this page only shows it.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from resilience.errors import InvalidInput, Problem
from resilience.messages import describe
from risk import legends, presets, schemes
from risk.levels import PRESETS
from web.auth import caller, roles, signed_in
from web.extensions import csrf, select_locale
from web.session import db, unit

bp = Blueprint("risk_schemes", __name__)


@bp.get("/risk/schemes")
@signed_in
def schemes_page() -> Any:
    """List the versions, and the newest one in the form (admins post a new version from it)."""
    latest = schemes.latest(db(), schemes.DEFAULT_NAME)
    return _render(name=latest.name, text=json.dumps(latest.params, ensure_ascii=False,
                                                      indent=2), note="", problems=[])


@bp.post("/risk/schemes")
@roles("admin")
def save_scheme() -> Any:
    """A new version of a five-colour scheme, typed by an admin; problems shown beside the form."""
    principal = caller()
    principal.require_everywhere()
    csrf.protect()
    name = request.form.get("name", "").strip()
    text, note = request.form.get("params", ""), request.form.get("note", "").strip() or None
    try:
        params = json.loads(text)
    except ValueError as error:
        return _render(name=name, text=text, note=note or "", status=422, problems=[
            Problem("params", "invalid_json", {"reason": str(error)})])
    try:
        with unit() as s:
            row = schemes.save_version(s, name, params, by=principal.username, note=note)
            saved = (row.name, row.version)
    except InvalidInput as error:
        return _render(name=name, text=text, note=note or "", problems=error.problems,
                       status=422)
    return redirect(url_for("risk_schemes.schemes_page", saved=f"{saved[0]} v{saved[1]}"))


# The form's starting table: the common LS variant (DOMAIN.md §10), to edit into the city's own.
STARTER = "ls_r15_considerable"


@bp.post("/risk/schemes/presets")
@roles("admin")
def save_preset() -> Any:
    """A city's own four-colour table, typed by an admin; problems shown beside the form."""
    principal = caller()
    principal.require_everywhere()
    csrf.protect()
    form = {"name": request.form.get("name", "").strip(),
            "method": request.form.get("method", "ls"), "bands": request.form.get("bands", ""),
            "note": request.form.get("note", "").strip()}
    try:
        bands = json.loads(form["bands"])
    except ValueError as error:
        return _render(**_latest(), preset=form, status=422, preset_problems=[
            Problem("params.bands", "invalid_json", {"reason": str(error)})])
    try:
        with unit() as s:
            row = presets.save_preset(s, form["name"], form["method"], {"bands": bands},
                                      by=principal.username, note=form["note"] or None)
            saved = f"{row.name} v{row.version}"
    except InvalidInput as error:
        return _render(**_latest(), preset=form, preset_problems=error.problems, status=422)
    return redirect(url_for("risk_schemes.schemes_page", saved=saved))


@bp.post("/risk/schemes/choice")
@roles("admin")
def save_choice() -> Any:
    """The city's tables for points that name none, chosen by an admin (a new version)."""
    principal = caller()
    principal.require_everywhere()
    csrf.protect()
    chosen = {m: request.form[m] for m in ("lec", "ls") if request.form.get(m)}
    try:
        with unit() as s:
            row = presets.choose(s, chosen, by=principal.username)
            saved = f"{row.name} v{row.version}"
    except InvalidInput as error:
        return _render(**_latest(), choice_problems=error.problems, status=422)
    return redirect(url_for("risk_schemes.schemes_page", saved=saved) + "#city-tables")


def _latest() -> dict[str, Any]:
    latest = schemes.latest(db(), schemes.DEFAULT_NAME)
    return {"name": latest.name, "note": "", "problems": [],
            "text": json.dumps(latest.params, ensure_ascii=False, indent=2)}


def _starter() -> dict[str, str]:
    table = PRESETS[STARTER]
    stored = schemes.preset_params(table)["bands"]
    return {"name": "", "method": table.method, "note": "",
            "bands": json.dumps(stored, ensure_ascii=False, indent=1)}


def _render(*, name: str, text: str, note: str, problems: list[Problem],
            status: int = 200, preset: dict[str, str] | None = None,
            preset_problems: list[Problem] | None = None,
            choice_problems: list[Problem] | None = None) -> Any:
    principal = caller()
    locale = select_locale()
    rows = schemes.listing(db())
    messages = [f"{p.field}: {describe(p, locale)}" for p in problems]
    every = presets.every(db())
    tables = [legends.preset(every[n], locale) for n in sorted(every)]
    return render_template("risk_schemes.html", rows=rows, name=name, text=text, note=note,
                           messages=messages, may_edit=principal.is_admin and principal.everywhere,
                           saved=request.args.get("saved"), tables=tables,
                           preset=preset or _starter(),
                           preset_messages=[f"{p.field}: {describe(p, locale)}"
                                            for p in preset_problems or []],
                           chosen=presets.defaults(db()),
                           choice_messages=[f"{p.field}: {describe(p, locale)}"
                                            for p in choice_problems or []]), status
