"""The risk run history and one run's diff: what changed level, before and after, and why.

Thin: ``risk.runs`` reads runs and diff lines; here a reason becomes words and links.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _

from inventory import COLLECTIONS
from risk import codes as risk_codes
from risk import runs
from risk.levels import LEVEL_SETS, Level
from web.auth import caller, signed_in
from web.extensions import select_locale
from web.pages.risk_map import published, unit_label, when
from web.risk_views import MAPS, may_run
from web.session import db

bp = Blueprint("risk_runs", __name__)


def status_label(status: str) -> str:
    """A run status in the page language."""
    return {"queued": _("queued"), "running": _("running"), "succeeded": _("succeeded"),
            "done": _("succeeded"), "failed": _("failed")}.get(status, status)


def _count_cells(counts: dict[str, Any] | None, map_: str, locale: str) -> list[dict[str, Any]]:
    """A run's counts of one map as (unit, level, n) cells, highest level first."""
    out = []
    for unit, levels in ((counts or {}).get(map_) or {}).items():
        for lv in sorted(LEVEL_SETS[map_], key=lambda lv: -lv.ordinal):
            n = (levels or {}).get(lv.code)
            if n:
                out.append({"unit": unit_label(unit), "label": lv.label(locale),
                            "colour": lv.colour, "n": n})
    return out


@bp.get("/risk/runs")
@signed_in
def runs_page() -> Any:
    """The run history: status, mode, when, scheme version, counts per level."""
    principal = caller()
    locale = select_locale()
    listed = []
    for run in runs.history(db(), limit=100):
        listed.append({
            "id": run.id, "status": run.status, "status_label": status_label(run.status),
            "mode": _("full") if run.mode == "full" else _("incremental"),
            "requested_by": run.requested_by or "", "requested_at": when(run.requested_at),
            "finished_at": when(run.finished_at), "scheme": run.scheme_name,
            "version": run.scheme_version, "summary": run.summary or {}, "error": run.error,
            "five": _count_cells(run.counts, "five", locale),
            "four": _count_cells(run.counts, "four", locale),
        })
    return render_template("risk_runs.html", runs=listed, published=published(),
                           may_run=may_run(principal))


def _level(map_: str, code: str | None, locale: str) -> dict[str, Any] | None:
    lv: Level | None = next((x for x in LEVEL_SETS[map_] if x.code == code), None)
    if lv is None:
        return None
    return {"label": lv.label(locale), "colour": lv.colour}


def _ref_href(unit: str, ref: str) -> str | None:
    """The page of what a diff line or explanation names: an asset or a risk point."""
    collection, _sep, key = ref.partition("/")
    if key.isdigit() and collection in COLLECTIONS and collection != "divisions":
        return url_for("assets.asset_page", name=collection, key=int(key))
    return None


def _ref_label(ref: Any, locale: str) -> tuple[str, str | None]:
    """A reference as words and a link: an asset or point by its collection's title, a hazard
    kind by its name, a cell or division by its code."""
    text = str(ref)
    collection, _sep, key = text.partition("/")
    if key.isdigit() and collection in COLLECTIONS:
        return f"{COLLECTIONS[collection].title(locale)} {key}", _ref_href("", text)
    hazard = risk_codes.HAZARD_KINDS.get(text)
    return (hazard.label(locale) if hazard else text), None


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "—" if value is None else str(value)


def reason_parts(reason: Any, locale: str) -> list[dict[str, Any]]:
    """A diff line's reason in words: what decided it before and after, which factors moved,
    the risk point that now decides a zone; each part a text and maybe a link."""
    if not isinstance(reason, dict):
        return [{"text": str(reason), "href": None}] if reason else []
    if reason.get("gone"):
        return [{"text": _("No longer on the map."), "href": None}]
    parts: list[dict[str, Any]] = []
    before, after = reason.get("before") or {}, reason.get("after") or {}
    if reason.get("new") or not before:
        parts.append({"text": _("New on the map."), "href": None})
    was, now_ = before.get("decided_by"), after.get("decided_by")
    if now_ and was != now_:
        if was:
            text, href = _ref_label(was, locale)
            parts.append({"text": _("decided by") + " " + text, "href": href, "arrow": True})
        text, href = _ref_label(now_, locale)
        parts.append({"text": (_("now") + " " if was else _("decided by") + " ") + text,
                      "href": href})
    elif now_:
        text, href = _ref_label(now_, locale)
        parts.append({"text": _("decided by") + " " + text, "href": href})
    moved = reason.get("changed") or [k for k in ("score", "H", "E", "V", "C")
                                      if k in after and k in before and after[k] != before[k]]
    for key in moved:
        if key == "decided_by":
            continue
        name = _("score") if key == "score" else key
        parts.append({"text": f"{name} {_value(before.get(key))} → {_value(after.get(key))}",
                      "href": None})
    point = after.get("point")
    if isinstance(point, dict) and point.get("id") is not None:
        method = risk_codes.RISK_METHODS.get(point.get("method") or "")
        text = f"{point.get('name') or ''} ({method.label(locale) if method else ''} " \
               f"{_value(point.get('score'))}{' ' + point['band_name'] if point.get('band_name') else ''})"
        parts.append({"text": text, "href": _ref_href("", f"risk-points/{point['id']}")})
    return parts


@bp.get("/risk/runs/<int:run_id>")
@signed_in
def run_page(run_id: int) -> Any:
    """A run's diff: what changed level, before → after, why, with links; filterable by map."""
    principal = caller()
    locale = select_locale()
    run = runs.get(db(), run_id)
    map_ = request.args.get("map") or None
    if map_ not in (None, *MAPS):
        map_ = None
    try:
        offset = max(0, int(request.args.get("offset", 0)))
    except ValueError:
        offset = 0
    page = 200
    lines = runs.changes(db(), run.id, map=map_, limit=page + 1, offset=offset)
    names = _division_names(locale)
    more = len(lines) > page
    rows = []
    for c in lines[:page]:
        if not principal.sees(c.division_code) and c.division_code:
            continue
        rows.append({"map": c.map, "map_label": _("Five-colour") if c.map == "five"
                     else _("Four-colour"), "unit": unit_label(c.unit), "ref": c.ref,
                     "name": c.name or (names.get(c.ref, "") if c.unit == "division" else ""),
                     "division": names.get(c.division_code or "", ""),
                     "before": _level(c.map, c.before_level, locale),
                     "after": _level(c.map, c.after_level, locale),
                     "before_score": c.before_score, "after_score": c.after_score,
                     "reason": reason_parts(c.reason, locale), "href": _ref_href(c.unit, c.ref),
                     "map_href": url_for("risk_map.map_page", map_=c.map)})
    return render_template(
        "risk_run.html", run=run, status_label=status_label(run.status),
        requested_at=when(run.requested_at), finished_at=when(run.finished_at),
        summary=run.summary or {}, rows=rows, map_=map_, offset=offset, page=page, more=more,
        five=_count_cells(run.counts, "five", locale), four=_count_cells(run.counts, "four", locale))


def _division_names(locale: str) -> dict[str, str]:
    from sqlalchemy import select

    from resilience.divisions import Division

    return {c: (n if locale == "zh_CN" else e or n) for c, n, e in
            db().execute(select(Division.code, Division.name, Division.name_en))}
