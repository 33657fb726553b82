"""The 重大隐患 report of a period for the supervising authority (逐级上报备案), as JSON or XLSX.

Each hazard that was a graded 重大隐患 on the books in the period — found by its end, not
closed before its start, graded 重大 as of its end — with its 五落实, 挂牌督办, due day, state
and overdue flag as of the period's end, whether it was closed on time, the 督办 unit's
acceptance, a link to its page, and its trail up to the period's end (a second sheet).
"As of the end" replays the trail backwards: a later 重新定级 or 延期 does not rewrite the
period. Dates are the city's (the zone handed in).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from inventory.inspections import hazard_flow as flow
from inventory.inspections.hazard_acceptance import HazardAcceptance
from inventory.inspections.hazards import (
    HAZARD_CATEGORIES,
    HAZARDS,
    Hazard,
    HazardEvent,
    due_on,
)
from resilience.accounts import Principal
from resilience.clock import format_local, local
from resilience.divisions import get as get_division
from resilience.divisions import within
from resilience.errors import InvalidInput, Problem
from resilience.sheets import FORMULA_START

REPLAYED = ("state", "grade", "deadline", "supervision_deadline", "supervised", "supervising_unit")
PERIOD = re.compile(r"^(\d{4})(?:-(?:Q([1-4])|(\d{2})))?$")


@dataclass(frozen=True)
class Period:
    """The days a report covers, both included."""

    start: date
    end: date

    @property
    def label(self) -> str:
        """``2026-01-01 – 2026-03-31``."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def parse_period(text: str | None, start: str | None, end: str | None, today: date) -> Period:
    """``2026``, ``2026-Q1``, ``2026-03``, or ``from``/``to`` dates; by default this quarter."""
    try:
        if start or end:
            first = date.fromisoformat(start) if start else date(today.year, 1, 1)
            last = date.fromisoformat(end) if end else today
        elif text:
            match = PERIOD.match(text.strip())
            if match is None:
                raise ValueError(text)
            year, quarter, month = int(match[1]), match[2], match[3]
            if quarter:
                first = date(year, 3 * int(quarter) - 2, 1)
            else:
                first = date(year, int(month or 1), 1)
            months = 3 if quarter else (1 if month else 12)
            last = _month_after(first, months) - timedelta(days=1)
        else:
            first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
            last = _month_after(first, 3) - timedelta(days=1)
    except ValueError as error:
        raise InvalidInput("bad period", [Problem("period", "invalid_period", {
            "value": text or f"{start or ''}/{end or ''}"})]) from error
    if last < first:
        raise InvalidInput("bad period", [Problem("to", "too_small", {
            "value": last.isoformat(), "min": first.isoformat()})])
    return Period(first, last)


def _month_after(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _as_date(value: Any) -> Any:
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return date.fromisoformat(value)
    return value


def as_of(hazard: Hazard, events: list[HazardEvent], end: date, zone: ZoneInfo
          ) -> dict[str, Any]:
    """The hazard's loop fields at the end of ``end``: today's, with later steps undone."""
    values = {name: getattr(hazard, name) for name in REPLAYED}
    for ev in reversed(events):
        if local(ev.at, zone).date() <= end:
            break
        for name, change in (ev.changes or {}).items():
            if name in REPLAYED and isinstance(change, list) and len(change) == 2:
                values[name] = _as_date(change[0])
    return values


def _day(value: datetime | None, zone: ZoneInfo) -> date | None:
    return local(value, zone).date() if value is not None else None


def report(session: Session, by: Principal, period: Period, zone: ZoneInfo, today: date,
           link: Callable[[int], str], zh: bool = True) -> dict[str, Any]:
    """The period's graded 重大 hazards the user sees, each with its trail to the period's end."""
    slack = timedelta(days=1)  # stored moments are UTC; the city's day is decided below
    stmt = select(Hazard).where(
        Hazard.retired_at.is_(None),
        Hazard.found_at < datetime.combine(period.end + slack * 2, datetime.min.time()),
        or_(Hazard.closed_at.is_(None),
            Hazard.closed_at >= datetime.combine(period.start - slack, datetime.min.time())))
    if not by.everywhere:
        stmt = stmt.where(within(Hazard.division_code, by.prefixes))
    found = list(session.scalars(stmt.order_by(Hazard.id)))
    trails: dict[int, list[HazardEvent]] = {h.id: [] for h in found}
    accepted: dict[int, HazardAcceptance] = {}
    ids = list(trails)
    for start in range(0, len(ids), 500):
        part = ids[start:start + 500]
        for ev in session.scalars(select(HazardEvent).where(HazardEvent.hazard_id.in_(part))
                                  .order_by(HazardEvent.id)):
            trails[ev.hazard_id].append(ev)
        for acc in session.scalars(select(HazardAcceptance).where(
                HazardAcceptance.hazard_id.in_(part))):
            accepted[acc.hazard_id] = acc
    rows = []
    for hazard in found:
        then = as_of(hazard, trails[hazard.id], period.end, zone)
        found_on, closed_on = _day(hazard.found_at, zone), _day(hazard.closed_at, zone)
        if (found_on is None or found_on > period.end or then["grade"] != "major"
                or then["state"] in flow.UNVERIFIED
                or (closed_on is not None and closed_on < period.start)):
            continue
        rows.append(_row(hazard, then, trails[hazard.id], accepted.get(hazard.id), period, zone,
                         min(period.end, today), link, zh))
    return {"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
            "generated": today.isoformat(), "hazards": rows}


def _row(hazard: Hazard, then: dict[str, Any], events: list[HazardEvent],
         acceptance: HazardAcceptance | None, period: Period, zone: ZoneInfo, day: date,
         link: Callable[[int], str], zh: bool) -> dict[str, Any]:
    due = due_on(then["deadline"], then["supervision_deadline"])
    closed_on = _day(hazard.closed_at, zone)
    graded = next((ev for ev in events if ev.action == "grade"), None)
    category = HAZARD_CATEGORIES.get(hazard.category)
    locale = "zh" if zh else "en"
    label = flow.STATE_LABELS.get(then["state"], (then["state"], then["state"]))
    return {
        "id": hazard.id, "name": hazard.name or hazard.description,
        "category": category.label(locale) if category else hazard.category,
        "division_code": hazard.division_code, "address": getattr(hazard, "address", None),
        "found_on": _iso(_day(hazard.found_at, zone)),
        "graded_on": _iso(_day(graded.at, zone) if graded else None),
        "responsible_unit": hazard.responsible_unit,
        "responsibility_person": hazard.responsibility_person, "measures": hazard.measures,
        "funding": hazard.funding, "contingency_plan": hazard.contingency_plan,
        "deadline": _iso(then["deadline"]), "supervised": bool(then["supervised"]),
        "supervising_unit": then["supervising_unit"],
        "supervision_deadline": _iso(then["supervision_deadline"]), "due": _iso(due),
        "state_at_end": then["state"], "state_at_end_label": label[0 if zh else 1],
        "overdue_at_end": then["state"] != flow.CLOSED and due is not None and due < day,
        "closed_on": _iso(closed_on) if closed_on and closed_on <= period.end else None,
        "closed_on_time": None if closed_on is None or due is None or closed_on > period.end
        else closed_on <= due,
        "acceptance": None if acceptance is None else {
            "supervising_unit": acceptance.supervising_unit, "by": acceptance.accepted_by,
            "on": acceptance.accepted_on.isoformat(), "opinion": acceptance.opinion,
            "attachment_id": acceptance.attachment_id},
        "link": link(hazard.id),
        "trail": [{"action": ev.action, "label": flow.event_label(ev.action, zh),
                   "from": ev.from_state, "to": ev.to_state, "by": ev.by,
                   "at": format_local(ev.at, zone), "reason": ev.reason, "note": ev.note,
                   "changes": ev.changes or {}}
                  for ev in events if local(ev.at, zone).date() <= period.end],
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _safe(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


HEADS = {
    "zh": ("编号", "隐患名称", "类别", "区划代码", "地址", "发现日期", "定级日期", "责任单位", "责任人",
           "整改措施", "整改资金", "应急预案", "整改时限", "挂牌督办", "督办单位", "督办期限", "应完成日期",
           "期末状态", "期末逾期", "销号日期", "按期销号", "验收人（督办单位）", "验收日期", "验收意见",
           "页面"),
    "en": ("Id", "Hazard", "Category", "Division", "Address", "Found", "Graded",
           "Responsible unit", "Person responsible", "Measures", "Funding", "Contingency plan",
           "Deadline", "Supervised", "Supervising unit", "Supervision deadline", "Due",
           "State at end", "Overdue at end", "Closed", "Closed on time",
           "Accepted by (supervising unit)", "Accepted on", "Acceptance opinion", "Page"),
}
TRAIL_HEADS = {"zh": ("编号", "隐患名称", "步骤", "由", "至", "操作人", "时间", "原因", "说明", "变更"),
               "en": ("Id", "Hazard", "Step", "From", "To", "By", "At", "Reason", "Note",
                      "Changes")}


def city_name(session: Session, code: str, zh: bool = True) -> str:
    """The city the report is headed with, in the reader's language ("" before divisions)."""
    city = get_division(session, code)
    return "" if city is None else (city.name if zh else city.name_en or city.name)


def workbook(data: dict[str, Any], city: str, zh: bool = True) -> bytes:
    """Two sheets: the hazards (one row each) and their trails (one row per step)."""
    lang = "zh" if zh else "en"
    yes, no = ("是", "否") if zh else ("yes", "no")
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook starts with one worksheet
    ws.title = "重大隐患" if zh else "Major hazards"
    period = f"{data['period']['start']} – {data['period']['end']}"
    ws.append([f"{city}重大事故隐患排查治理情况（{period}）" if zh
               else f"{city} major hidden hazards, {period}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["生成日期" if zh else "Generated", data["generated"]])
    ws.append(list(HEADS[lang]))
    _heading(ws, 3)
    states = {s: flow.STATE_LABELS[s][0 if zh else 1] for s in flow.STATES}
    for h in data["hazards"]:
        acc = h["acceptance"] or {}
        flag = {True: yes, False: no, None: ""}
        ws.append([_safe(v) for v in (
            h["id"], h["name"], h["category"], h["division_code"], h["address"], h["found_on"],
            h["graded_on"], h["responsible_unit"], h["responsibility_person"], h["measures"],
            h["funding"], h["contingency_plan"], h["deadline"], flag[h["supervised"]],
            h["supervising_unit"], h["supervision_deadline"], h["due"],
            states.get(h["state_at_end"], h["state_at_end"]), flag[h["overdue_at_end"]],
            h["closed_on"], flag[h["closed_on_time"]], acc.get("by"), acc.get("on"),
            acc.get("opinion"), h["link"])])
        ws.cell(ws.max_row, len(HEADS[lang])).hyperlink = h["link"]
    ws.freeze_panes = "C4"
    ts = wb.create_sheet("处置过程" if zh else "Trail")
    ts.append(list(TRAIL_HEADS[lang]))
    _heading(ts, 1)
    for h in data["hazards"]:
        for ev in h["trail"]:
            changes = "；".join(_change(k, v, zh) for k, v in ev["changes"].items()
                               if isinstance(v, list) and len(v) == 2 and k != "state")
            ts.append([_safe(v) for v in (
                h["id"], h["name"], ev["label"], states.get(ev["from"] or "", ""),
                states.get(ev["to"], ev["to"]), ev["by"], ev["at"], ev["reason"], ev["note"],
                changes)])
    for sheet, widths in ((ws, (6, 30, 12, 10, 20, 11, 11, 20, 12, 30, 14, 30, 11, 8, 20, 11,
                                11, 10, 8, 11, 8, 16, 11, 30, 40)),
                          (ts, (6, 30, 14, 10, 10, 12, 17, 30, 30, 50))):
        for i, width in enumerate(widths):
            sheet.column_dimensions[chr(ord("A") + i)].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _change(name: str, values: list[Any], zh: bool) -> str:
    """``整改时限：2099-06-30 → 2099-09-30`` (a field's label, — for nothing, 是/否)."""
    spec = HAZARDS.field(name)
    lang = "zh" if zh else "en"
    codes = spec.codes if spec is not None else None
    shown = [("—" if v in (None, "") else ("是" if v else "否") if zh and isinstance(v, bool)
              else code.label(lang) if codes and (code := codes.get(str(v))) else str(v))
             for v in values]
    label = spec.label(lang) if spec is not None else name
    return f"{label}：{shown[0]} → {shown[1]}" if zh else f"{label}: {shown[0]} → {shown[1]}"


def _heading(ws: Worksheet, row: int) -> None:
    for cell in ws[row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE6F0")
