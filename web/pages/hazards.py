"""Hidden-hazard pages: the list (state, grade, overdue, division) and one hazard's loop.

Thin: the list reads :func:`hazards.find`, the detail page shows the trail (with what each
step changed), the photos before and after, the 督办 unit's acceptance, and a form for each
step the user may take now (重新定级 and 延期 ask for a reason; a supervised hazard's 销号 for
the acceptance and its document); posting a step goes to :func:`hazard_steps.transition`
(same checks, same messages as the API). The list links the period's 重大隐患 report (XLSX).
Laid out for a phone as much as for a desk.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from inventory.inspections import hazard_acceptance, hazard_report, hazard_steps, hazards
from inventory.inspections import hazard_flow as flow
from inventory.inspections.hazard_wording import title
from inventory.service import WriteContext
from resilience import clock
from resilience.accounts import Principal
from resilience.errors import Conflict, Forbidden, InvalidInput, PayloadTooLarge, Problem
from resilience.messages import describe
from web.auth import caller, roles, signed_in
from web.extensions import csrf, select_locale
from web.hazard_views import RETIRING_ROLES, event_json, position, retire_refused
from web.pages.assets import display
from web.pages.assets import retire as retire_record
from web.session import attachment_store, db, local_time, public_url_for, settings, unit

bp = Blueprint("hazards", __name__)

STEP_FIELDS = {  # what each step's form asks for, in order
    "register": ("responsible_unit", "deadline"),
    "grade": ("grade", "responsible_unit", "deadline"),
    "rectify": ("responsible_unit", "responsibility_person", "measures", "funding", "deadline",
                "contingency_plan"),
    "submit_review": (),
    "close": (),
    "fail_review": (),
    "supervise": ("supervising_unit", "supervision_deadline"),
    "regrade": ("grade",),
    "extend": ("deadline",),
}
ACCEPTANCE_INPUTS = ("acceptance_by", "acceptance_on", "acceptance_opinion")
SHOWN = ("category", "grade", "description", "asset_collection", "asset_id", "responsible_unit",
         "deadline", "responsibility_person", "measures", "funding", "contingency_plan",
         "supervised", "supervising_unit", "supervision_deadline", "found_by", "found_at",
         "closed_at", "review_failures", "task_id", "division_code", "address", "remarks")


def _zh() -> bool:
    return select_locale().startswith("zh")


def state_label(state: str) -> str:
    """The state's label in the page language (发现, 登记…)."""
    zh, en = flow.STATE_LABELS.get(state, (state, state))
    return zh if _zh() else en


@bp.get("/hazards")
@signed_in
def list_page() -> Any:
    """Hazards the user sees, newest first; overdue ones flagged in red."""
    principal = caller()
    args = request.args
    state = args.get("state") if args.get("state") in hazards.HAZARD_STATES else None
    grade = args.get("grade") if args.get("grade") in hazards.HAZARD_GRADES else None
    overdue_only = args.get("overdue") == "1"
    open_only = args.get("open") == "1"
    division = (args.get("division") or "").strip() or None
    if division and not principal.sees(division):
        division = None
    today = clock.today(settings().zone)
    session = db()
    found = hazards.find(session, principal, state=state, grade=grade, open_only=open_only,
                         overdue_on=today if overdue_only else None, division=division,
                         limit=500)
    locale = select_locale()
    rows = [{"id": h.id, "name": title(h.name, h.description), "state": h.state,
             "state_label": state_label(h.state),
             "grade": display(hazards.HAZARDS.field("grade"), h.grade, locale)["text"],
             "major": h.grade == "major", "supervised": h.supervised,
             "category": display(hazards.HAZARDS.field("category"), h.category, locale)["text"],
             "deadline": h.due.isoformat() if h.due else "",
             "overdue": h.is_overdue(today), "division": h.division_code,
             "found_at": local_time(h.found_at)[:10]} for h in found]
    return render_template(
        "hazards_list.html", rows=rows, counts=hazards.counts(session, principal, today),
        states=[(c.value, state_label(c.value)) for c in hazards.HAZARD_STATES],
        grades=[(c.value, c.label(locale)) for c in hazards.HAZARD_GRADES],
        state=state, grade=grade, overdue_only=overdue_only, open_only=open_only,
        division=division or "", may_report=hazards.HAZARDS.editable_by(principal),
        period=hazard_report.parse_period(None, None, None, today))


@bp.get("/hazards/<int:hazard_id>")
@signed_in
def detail_page(hazard_id: int) -> Any:
    """One hazard: its values, trail, photos before/after and the steps the user may take."""
    principal = caller()
    session = db()
    hazard = hazards.get(session, hazard_id, principal)
    locale = select_locale()
    today = clock.today(settings().zone)
    fields = [{"name": n, "label": hazards.HAZARDS.field(n).label(locale),  # type: ignore[union-attr]
               "value": display(hazards.HAZARDS.field(n), _plain(getattr(hazard, n)), locale)}
              for n in SHOWN]
    photos = hazards.photos(session, hazard.id)
    facts = hazards.facts_of(session, hazard)
    steps = []
    for action in flow.allowed(principal.role, facts, principal.username):
        step = flow.TRANSITIONS[action]
        inputs = []
        accepting = action == "close" and hazard.supervised
        for name in STEP_FIELDS[action] + (ACCEPTANCE_INPUTS if accepting else ()):
            spec = hazards.HAZARDS.field(name) or hazard_acceptance.ACCEPTANCE_FIELDS[name]
            value = getattr(hazard, name, None)
            inputs.append({"name": name, "label": spec.label(locale), "kind": spec.kind,
                           "required": name in step.required or accepting
                           or (action == "rectify" and name in flow.FIVE_FIXES),
                           "value": value.isoformat() if isinstance(value, date) else
                           (value or ""),
                           "options": [(c.value, c.label(locale)) for c in spec.codes]
                           if spec.codes else None})
        steps.append({"action": action, "label": step.zh if _zh() else step.en,
                      "inputs": inputs, "reason": "reason" in step.required,
                      "photo": action == "submit_review", "document": accepting,
                      "danger": action == "fail_review"})
    lon, lat = position(hazard)
    asset_href = None
    if hazard.asset_collection and hazard.asset_id:
        asset_href = url_for("assets.asset_page", name=hazard.asset_collection,
                             key=hazard.asset_id)
    return render_template(
        "hazards_detail.html", hazard=hazard, fields=fields, steps=steps,
        title=title(hazard.name, hazard.description), major=display(
            hazards.HAZARDS.field("grade"), hazard.grade, locale)["text"],
        state_label=state_label(hazard.state), overdue=hazard.is_overdue(today),
        states=[(s, state_label(s)) for s in flow.STATES],
        trail=[_with_changes(event_json(e, _zh()), locale)
               for e in hazards.trail(session, hazard.id)],
        before=[a for a in photos if a.note not in ("after", "acceptance")],
        after=[a for a in photos if a.note == "after"],
        acceptances=hazard_acceptance.of_hazard(session, hazard.id),
        documents=[a for a in photos if a.note == "acceptance"],
        may_photo=hazards.HAZARDS.editable_by(principal) and hazard.state != flow.CLOSED,
        lon=lon, lat=lat, asset_href=asset_href, error=request.args.get("error"),
        done=request.args.get("done"))


def _with_changes(event: dict[str, Any], locale: str) -> dict[str, Any]:
    """A trail row with what it changed, field by field (重新定级, 延期, 修改信息: old → new)."""
    shown = []
    for name, change in event["changes"].items():
        spec = hazards.HAZARDS.field(name)
        if name in ("state", "closed_at") or not isinstance(change, list) or len(change) != 2:
            continue
        old, new = (display(spec, v, locale)["text"] for v in change)
        label = spec.label(locale) if spec else ("位置" if _zh() else "Position") \
            if name == "geom" else name
        shown.append({"name": name, "label": label, "old": old, "new": new})
    return {**event, "changed": shown}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return local_time(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@bp.post("/hazards/<int:hazard_id>/steps")
@signed_in
def step(hazard_id: int) -> Any:
    """Take a step from the detail page (an ``after`` photo may come with 提请复查)."""
    principal = caller()
    csrf.protect()
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024
    form = request.form
    action = form.get("action", "")
    fields: dict[str, Any] = {k: v for k, v in form.items()
                              if k not in ("csrf_token", "action") and v.strip()}
    try:
        with unit() as s:
            for key, side in (("photo", "after"), ("document", "acceptance")):
                upload = request.files.get(key)
                if upload is not None and upload.filename:
                    item = hazard_steps.attach_photo(
                        s, attachment_store(), hazard_id, upload.filename, upload.stream,
                        principal, side=side, max_bytes=settings().max_attachment_bytes)
                    if side == "acceptance":
                        fields["acceptance_attachment"] = item.id
            hazard_steps.transition(s, hazard_id, action, _ctx(principal), **fields)
    except (InvalidInput, Conflict, Forbidden, PayloadTooLarge) as error:
        return _back(hazard_id, error=_message(error))
    return _back(hazard_id, done=action)


@bp.post("/hazards/<int:hazard_id>/photos")
@signed_in
def photo(hazard_id: int) -> Any:
    """Add a photo before or after the fix."""
    principal = caller()
    csrf.protect()
    request.max_content_length = settings().max_attachment_bytes + 1024 * 1024
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("no file", [Problem("file", "required", {})])
        with unit() as s:
            hazard_steps.attach_photo(s, attachment_store(), hazard_id, upload.filename, upload.stream,
                                      principal, side=request.form.get("side", "before"),
                                      max_bytes=settings().max_attachment_bytes)
    except (InvalidInput, Conflict, Forbidden, PayloadTooLarge) as error:
        return _back(hazard_id, error=_message(error))
    return _back(hazard_id, done="photo")


@bp.get("/hazards/major-report.xlsx")
@signed_in
def major_report_xlsx() -> Any:
    """The period's 重大隐患 report for the supervising authority, with each hazard's trail."""
    principal = caller()
    args = request.args
    today = clock.today(settings().zone)
    period = hazard_report.parse_period(args.get("period"), args.get("from"), args.get("to"),
                                        today)
    data = hazard_report.report(
        db(), principal, period, settings().zone, today,
        lambda i: public_url_for("hazards.detail_page", hazard_id=i), _zh())
    body = hazard_report.workbook(
        data, hazard_report.city_name(db(), settings().city_code, _zh()), _zh())
    resp = Response(body, mimetype="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="major-hazards-{period.start}-{period.end}.xlsx"')
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.post("/collections/hazards/items/<int:key>/retire")
@roles(*RETIRING_ROLES, why="hazards stay on the books", problem=retire_refused)
def retire(key: int) -> Any:
    """Only an admin retires a hazard (filed by mistake); the rest stay on the books (继续挂账)."""
    return retire_record("hazards", key)


def _ctx(principal: Principal) -> WriteContext:
    return WriteContext(by=principal, extent=settings().extent)


def _message(error: Exception) -> str:
    problems = getattr(error, "problems", [])
    locale = select_locale()
    if not problems:
        return str(error)
    out = []
    for p in problems:
        spec = hazards.HAZARDS.field(p.field) or hazard_acceptance.ACCEPTANCE_FIELDS.get(p.field)
        label = spec.label(locale) if spec is not None else p.field
        out.append(f"{label}: {describe(p, locale)}")
    return "; ".join(out)


def _back(hazard_id: int, **args: str) -> Any:
    return redirect(url_for("hazards.detail_page", hazard_id=hazard_id, **args))
