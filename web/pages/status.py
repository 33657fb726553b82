"""The asset status page a label's QR code opens: one big colour and why, on a phone.

The colour comes from the rules table in ``inventory.inspections.status_rules`` (data, since
the 浙江安全码 rules are unknown, DOMAIN.md §10); a registry may replace it through the
``status_rules`` entry of ``Settings.extra``. Beside it: the four-colour level, the
five-colour level, the open hidden hazards, the open and overdue inspections and links to
the asset page and to start an open task. Sign-in is needed like every page.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, url_for

from inventory import repository, service
from inventory.inspections import status_rules
from inventory.inspections.asset_status import asset_status
from inventory.inspections.hazards import HAZARD_GRADES, HAZARD_STATES
from resilience.errors import Forbidden, NotFound, Problem
from risk import codes as risk_codes
from risk import stats
from risk.asset_levels import asset_levels
from risk.legends import GRADES
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages.inspect import SUBMITTING_ROLES
from web.session import db, settings

bp = Blueprint("status", __name__)

TZ = ZoneInfo("Asia/Shanghai")


def rules() -> tuple[status_rules.Rule, ...]:
    """The registry's colour rules: its own table when set, else the default one."""
    own = settings().extra.get("status_rules")
    return status_rules.parse(own) if own else status_rules.DEFAULT_RULES


def _level(codes: Any, row: Any, locale: str) -> dict[str, Any] | None:
    """A published level as the page shows it, with where it came from by name (the
    five-colour cell's street and district, the four-colour point's name), never a raw
    grid reference (DOMAIN.md §10 "One meaning per colour")."""
    if row is None:
        return None
    code = codes.get(row.level)
    ordinal = getattr(row, "ordinal", None)
    why = row.explanation if isinstance(row.explanation, dict) else {}
    return {"level": row.level, "label": code.label(locale) if code else row.level,
            "colour": row.colour or (code.colour if code else "#999"), "score": row.score,
            "decided_by": row.decided_by, "computed_at": row.computed_at,
            "grade": GRADES.get(ordinal or 0, ""), "place": why.get("place"),
            "unregistered": bool(why.get("unregistered")),
            "point": (why.get("point") or {}).get("name") if isinstance(why.get("point"), dict)
            else None}


@bp.get("/s/<collection>/<int:key>")
@signed_in
def status_page(collection: str, key: int) -> Any:
    """What scanning an asset's label opens."""
    principal = caller()
    try:
        spec = service.collection(collection)
    except NotFound:
        abort(404)
    row = repository.one(db(), spec, principal, key, geometry="none")
    division = row._mapping["division_code"]
    if not principal.sees(division):
        raise Forbidden("outside your divisions",
                        [Problem("division_code", "division_not_granted", {"value": division})])
    props = row._mapping["properties"]
    props = json.loads(props) if isinstance(props, str) else dict(props)
    locale = select_locale()
    levels = asset_levels(db(), spec.name, key)
    today = datetime.now(TZ).date()
    status = asset_status(db(), spec.name, key, principal, today,
                          four_level=levels.four.level if levels.four else None,
                          five_level=levels.five.level if levels.five else None)
    verdict = status_rules.decide(status.facts, rules())
    colour = status_rules.COLOURS.get(verdict.colour)
    return render_template(
        "status_asset.html", spec=spec, key=key, props=props, locale=locale, today=today,
        title=spec.title(locale), division=division, verdict=verdict,
        place=stats.place_name(db(), division, locale),
        colour_label=colour.label(locale) if colour else verdict.colour,
        because=[_reason(r, locale) for r in verdict.because],
        four=_level(risk_codes.FOUR_LEVELS, levels.four, locale),
        five=_level(risk_codes.FIVE_LEVELS, levels.five, locale),
        hazards=status.hazards, tasks=status.tasks, facts=status.facts,
        grades=HAZARD_GRADES, states=HAZARD_STATES,
        may_start=principal.role in SUBMITTING_ROLES,
        retired=getattr(service.get_record(db(), spec, key), "retired_at", None) is not None,
        hazard_url=hazard_url)


def hazard_url(hazard_id: int) -> str:
    """A hazard's own page when the hazards pages are there, else its record page."""
    if "hazards.detail_page" in current_app.view_functions:
        return url_for("hazards.detail_page", hazard_id=hazard_id)
    return url_for("assets.asset_page", name="hazards", key=hazard_id)


REASONS = {
    "four_level": ("四色图等级为{v}", "four-colour level is {v}"),
    "five_level": ("五色图等级为{v}", "five-colour level is {v}"),
    "open_hazards": ("未销号隐患 ≥ {v}", "open hidden hazards ≥ {v}"),
    "open_major_hazards": ("未销号重大隐患 ≥ {v}", "open major hidden hazards ≥ {v}"),
    "supervised_hazards": ("挂牌督办隐患 ≥ {v}", "supervised hazards ≥ {v}"),
    "overdue_hazards": ("逾期隐患 ≥ {v}", "overdue hidden hazards ≥ {v}"),
    "overdue_tasks": ("逾期巡检 ≥ {v}", "overdue inspections ≥ {v}"),
    "open_tasks": ("待巡检 ≥ {v}", "open inspections ≥ {v}"),
}


def _reason(rule: status_rules.Rule, locale: str) -> str:
    """A rule as a sentence in the page's language (the rule table is data, its words too)."""
    zh, en = REASONS.get(rule.fact, (rule.fact + " {v}", rule.fact + " {v}"))
    value: Any = rule.at_least
    if rule.equals is not None:
        codes = risk_codes.FOUR_LEVELS if rule.fact == "four_level" else risk_codes.FIVE_LEVELS
        code = codes.get(rule.equals)
        value = code.label(locale) if code else rule.equals
    return (zh if locale.startswith("zh") else en).format(v=value)
