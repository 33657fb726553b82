"""Inspection plans: a checklist, a selection of assets, a recurrence, who goes and for how long.

The recurrence is an RFC 5545 RRULE (python-dateutil), counted from the plan's ``starts_on``
with a 29th–31st anchor kept as the month's last day (``recurrence.py``); or it is
**risk-based**: a table from the four-colour level (DOMAIN.md §3) to a rule — red weekly,
orange fortnightly, yellow monthly, blue quarterly by default — kept on the plan as data and
ordered (重大 at least as often as 较大 … 低, DOMAIN.md §10). The levels are handed in by the
caller as ``{(collection, asset_id): level}`` (the scheduler reads them from the published
four-colour map); inventory never imports risk.

An asset the map does not list is **未评估** (``unassessed``), not 低: ``risk_levels: ["low"]``
does not select it, and it follows the table's own ``unassessed`` row. Unless the plan sets
that row, it is the plan's 低 row — never less often than a known low risk (the table check
refuses an ``unassessed`` row rarer than 低), but not the 重大 rate either: the four-colour
map lists only assets with assessed risk points, so most of a network is 未评估, and visiting
all of it at the 重大 rate would bury the red assets' visits under everybody else's (and,
before the first risk run, make every asset weekly). A plan that wants unknown risk visited
more often says so (e.g. ``"unassessed": "FREQ=MONTHLY"``).

A plan's tasks go to one user (``assignee``) or to a team: every user of ``team_role`` who
sees the task's division. ``owner`` is who hears about overdue tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, and_, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from inventory.assets import COLLECTIONS
from inventory.inspections.recurrence import UNASSESSED, check_order

# The date logic lives in recurrence.py; its functions stay importable from here.
from inventory.inspections.recurrence import check_rule as check_rule
from inventory.inspections.recurrence import last_before as last_before
from inventory.inspections.recurrence import occurrences as occurrences
from resilience import audit
from resilience.accounts import Principal, User
from resilience.codes import ROLES
from resilience.divisions import division_prefix
from resilience.errors import InvalidInput, NotFound, Problem
from resilience.model import Base, Tracked
from resilience.spatial import Json, bbox_filter, point_on_surface

AUDIT_COLLECTION = "inspection-plans"
FOUR_LEVELS = ("low", "general", "considerable", "major")
PLAN_LEVELS = (*FOUR_LEVELS, UNASSESSED)  # what a table or a selection may name

# Risk-based frequency (DOMAIN.md §3 colours) as data; a plan may carry its own table.
RISK_FREQUENCIES: dict[str, str] = {
    "major": "FREQ=WEEKLY",
    "considerable": "FREQ=WEEKLY;INTERVAL=2",
    "general": "FREQ=MONTHLY",
    "low": "FREQ=MONTHLY;INTERVAL=3",
}

# The property an asset's "type" is kept in, per inspectable collection.
TYPE_FIELDS: dict[str, str] = {
    "pipelines": "category", "network-points": "kind", "tunnels": "tunnel_type",
    "shelters": "kind", "flood-points": "cause",
}
MAX_OPEN_DAYS = 366
SELECTION_KEYS = ("collection", "division", "types", "bbox", "risk_levels")
PLAN_KEYS = ("name", "template", "selection", "recurrence", "risk_based", "frequencies",
             "starts_on", "assignee", "team_role", "team_division", "open_days", "owner", "active")
EDIT_ROLES = ("admin", "engineer", "emergency_manager")


class InspectionPlan(Tracked, Base):
    """What to inspect, how often, by whom; tasks are generated from it by the scheduler."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    template_code: Mapped[str] = mapped_column(String(40), nullable=False)
    collection: Mapped[str] = mapped_column(String(32), nullable=False)
    selection: Mapped[dict[str, Any]] = mapped_column(Json, nullable=False)
    recurrence: Mapped[str | None] = mapped_column(String(500))
    risk_based: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    frequencies: Mapped[dict[str, str] | None] = mapped_column(Json)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    assignee: Mapped[str | None] = mapped_column(String(64))
    team_role: Mapped[str | None] = mapped_column(String(32))
    team_division: Mapped[str | None] = mapped_column(String(12))
    open_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)
    owner: Mapped[str] = mapped_column(String(64), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    # Scheduler bookkeeping: tasks exist up to this date; the risk run they followed.
    generated_through: Mapped[date | None] = mapped_column(Date)
    planned_run_id: Mapped[int | None] = mapped_column(Integer)


# -- pure: recurrence (recurrence.py) --------------------------------------------------------

def rule_for(plan: InspectionPlan, level: str | None) -> str:
    """The RRULE a task of this plan follows, for an asset at this four-colour level
    (None or unlisted: 未评估)."""
    if not plan.risk_based:
        return plan.recurrence or ""
    table = frequency_table(plan.frequencies)
    return table.get(level or UNASSESSED, table[UNASSESSED])


def frequency_table(own: Mapping[str, str] | None) -> dict[str, str]:
    """Level → RRULE: the plan's own rows over the defaults; 未评估 is 低's unless given."""
    table = {**RISK_FREQUENCIES, **(own or {})}
    table.setdefault(UNASSESSED, table["low"])
    return table


# -- pure: a plan's values ------------------------------------------------------------------------

def check_values(values: dict[str, Any], *, templates: Mapping[str, list[str]],
                 users: Mapping[str, str], today: date) -> list[Problem]:
    """Every problem with a plan's values.

    ``templates``: template code → collections it applies to; ``users``: username → role.
    """
    problems = [Problem(k, "unknown_property") for k in sorted(set(values) - set(PLAN_KEYS))]
    name = values.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(Problem("name", "required"))
    elif len(name) > 200:
        problems.append(Problem("name", "too_long", {"max": 200}))
    selection = values.get("selection")
    problems += check_selection(selection)
    template = values.get("template")
    if not isinstance(template, str) or template not in templates:
        problems.append(Problem("template", "unknown_code",
                                {"value": template, "allowed": sorted(templates)}))
    elif (isinstance(selection, dict) and isinstance(template, str)
          and selection.get("collection") not in templates[template]):
        problems.append(Problem("selection.collection", "template_not_applicable",
                                {"value": selection.get("collection"), "allowed": templates[template]}))
    start = today
    if not _is_date(values.get("starts_on", today.isoformat())):
        problems.append(Problem("starts_on", "not_a_date", {"value": values.get("starts_on")}))
    else:  # the rules are checked from the plan's real start
        start = date.fromisoformat(values.get("starts_on", today.isoformat()))
    risk_based = values.get("risk_based", False)
    if not isinstance(risk_based, bool):
        problems.append(Problem("risk_based", "not_a_boolean", {"value": risk_based}))
    elif risk_based:
        if values.get("recurrence"):
            problems.append(Problem("recurrence", "recurrence_or_risk_based"))
        problems += _check_frequencies(values.get("frequencies") or {}, start)
    else:
        rule = values.get("recurrence")
        if isinstance(rule, str) and len(rule) > 500:  # the column's width
            problems.append(Problem("recurrence", "too_long", {"max": 500}))
        else:
            problems += check_rule(rule, starts_on=start)
        if values.get("frequencies"):
            problems.append(Problem("frequencies", "recurrence_or_risk_based"))
    problems += _check_people(values, users)
    open_days = values.get("open_days", 7)
    if not isinstance(open_days, int) or isinstance(open_days, bool) or open_days < 1:
        problems.append(Problem("open_days", "too_small", {"value": open_days, "min": 1}))
    elif open_days > MAX_OPEN_DAYS:
        problems.append(Problem("open_days", "too_large", {"value": open_days,
                                                           "max": MAX_OPEN_DAYS}))
    if not isinstance(values.get("active", True), bool):
        problems.append(Problem("active", "not_a_boolean", {"value": values.get("active")}))
    return problems


def _check_frequencies(frequencies: Any, start: date) -> list[Problem]:
    """A plan's own level → RRULE rows: known levels, valid rules, and the whole table ordered."""
    if not isinstance(frequencies, dict):
        return [Problem("frequencies", "not_an_object")]
    problems = []
    for level, rule in frequencies.items():
        if level not in PLAN_LEVELS:
            problems.append(Problem(f"frequencies.{level}", "unknown_code",
                                    {"value": level, "allowed": list(PLAN_LEVELS)}))
        else:
            problems += check_rule(rule, f"frequencies.{level}", starts_on=start)
    if not problems:
        problems += check_order(frequency_table(frequencies), start)
    return problems


def _is_division_code(value: Any) -> bool:
    """GB/T 2260 digits, no longer than the column holding them (12: a village)."""
    return isinstance(value, str) and value.isdigit() and len(value) <= 12


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def _check_people(values: dict[str, Any], users: Mapping[str, str]) -> list[Problem]:
    """Who goes and who hears: names are text (a list or an object names nobody)."""
    problems = [Problem(key, "not_a_string", {"value": values[key]})
                for key in ("assignee", "team_role", "owner")
                if values.get(key) is not None and not isinstance(values[key], str)]
    assignee, role = values.get("assignee"), values.get("team_role")
    if (assignee is None) == (role is None):
        problems.append(Problem("assignee", "assignee_or_team"))
    if isinstance(assignee, str) and assignee not in users:
        problems.append(Problem("assignee", "unknown_user", {"value": assignee}))
    if isinstance(role, str) and role not in ROLES:
        problems.append(Problem("team_role", "unknown_code",
                                {"value": role, "allowed": list(ROLES.values())}))
    team_division = values.get("team_division")
    if team_division is not None and not _is_division_code(team_division):
        problems.append(Problem("team_division", "unknown_division", {"value": team_division}))
    owner = values.get("owner")
    if isinstance(owner, str) and owner not in users:
        problems.append(Problem("owner", "unknown_user", {"value": owner}))
    return problems


def check_selection(selection: Any) -> list[Problem]:
    """Problems with an asset selection (collection, division, types, bbox, risk levels)."""
    if not isinstance(selection, dict):
        return [Problem("selection", "not_an_object")]
    problems = [Problem(f"selection.{k}", "unknown_property")
                for k in sorted(set(selection) - set(SELECTION_KEYS))]
    collection = selection.get("collection")
    if not isinstance(collection, str) or collection not in TYPE_FIELDS:
        problems.append(Problem("selection.collection", "unknown_code",
                                {"value": collection, "allowed": list(TYPE_FIELDS)}))
    division = selection.get("division")
    if division is not None and not _is_division_code(division):
        problems.append(Problem("selection.division", "unknown_division", {"value": division}))
    types = selection.get("types")
    if types is not None and (not isinstance(types, list)
                              or not all(isinstance(t, str) for t in types)):
        problems.append(Problem("selection.types", "not_strings"))
    bbox = selection.get("bbox")
    if bbox is not None and (not isinstance(bbox, list) or len(bbox) != 4
                             or not all(isinstance(v, int | float) for v in bbox)
                             or bbox[0] > bbox[2] or bbox[1] > bbox[3]):
        problems.append(Problem("selection.bbox", "invalid_bbox", {"value": bbox}))
    levels = selection.get("risk_levels")
    if levels is not None and (not isinstance(levels, list)
                               or any(lv not in PLAN_LEVELS for lv in levels)):
        problems.append(Problem("selection.risk_levels", "unknown_code",
                                {"value": levels, "allowed": list(PLAN_LEVELS)}))
    return problems


# -- storage ---------------------------------------------------------------------------------------

def create(session: Session, values: dict[str, Any], by: Principal, *, today: date
           ) -> InspectionPlan:
    """Check a plan's values, store it and audit it; the template's code is kept, not a version."""
    from inventory.inspections.checklists import listing

    if by.role not in EDIT_ROLES:
        from resilience.errors import Forbidden

        raise Forbidden("role may not plan inspections", role=by.role)
    templates = {t.code: list(t.applies_to) for t in listing(session)}
    users = dict(session.execute(select(User.username, User.role)).tuples().all())
    problems = check_values(values, templates=templates, users=users, today=today)
    selection = values.get("selection") or {}
    if not problems and selection.get("division") is not None:
        if not by.sees(selection["division"]):
            problems.append(Problem("selection.division", "division_not_granted",
                                    {"value": selection["division"]}))
    if problems:
        raise InvalidInput("invalid inspection plan", problems)
    plan = InspectionPlan(
        name=values["name"].strip(), template_code=values["template"],
        collection=selection["collection"], selection=dict(selection),
        recurrence=(values.get("recurrence") or None), risk_based=values.get("risk_based", False),
        frequencies=values.get("frequencies") or None,
        starts_on=date.fromisoformat(values.get("starts_on", today.isoformat())),
        assignee=values.get("assignee"), team_role=values.get("team_role"),
        team_division=values.get("team_division") or selection.get("division"),
        open_days=values.get("open_days", 7), owner=values.get("owner") or by.username,
        active=values.get("active", True), created_by=by.username, updated_by=by.username,
    )
    session.add(plan)
    session.flush()
    audit.record(session, actor=by.username, action="create", collection=AUDIT_COLLECTION,
                 record_id=plan.id, division_code=selection.get("division"), before=None,
                 after=as_dict(plan))
    return plan


def get(session: Session, plan_id: int) -> InspectionPlan:
    """A plan by id, or NotFound."""
    plan = session.get(InspectionPlan, plan_id)
    if plan is None:
        raise NotFound("no such plan", [Problem("plan", "not_found", {"value": plan_id})])
    return plan


def listing(session: Session, *, active_only: bool = False) -> list[InspectionPlan]:
    """Every plan, oldest first."""
    stmt = select(InspectionPlan).order_by(InspectionPlan.id)
    if active_only:
        stmt = stmt.where(InspectionPlan.active.is_(True))
    return list(session.scalars(stmt))


def visible(principal: Principal, plan: InspectionPlan) -> bool:
    """Whether a user sees a plan: its division (or the whole city for admins)."""
    division = plan.selection.get("division")
    return principal.everywhere or (division is not None and principal.sees(division)) or (
        division is None and bool(principal.prefixes))


def as_dict(plan: InspectionPlan) -> dict[str, Any]:
    """A plan as the API shows it."""
    return {"id": plan.id, "name": plan.name, "template": plan.template_code,
            "selection": plan.selection, "recurrence": plan.recurrence,
            "risk_based": plan.risk_based,
            "frequencies": (frequency_table(plan.frequencies) if plan.risk_based else None),
            "starts_on": plan.starts_on.isoformat(), "assignee": plan.assignee,
            "team_role": plan.team_role, "team_division": plan.team_division,
            "open_days": plan.open_days, "owner": plan.owner, "active": plan.active,
            "generated_through": (plan.generated_through.isoformat()
                                  if plan.generated_through else None),
            "version": plan.version}


# -- the assets a plan covers ---------------------------------------------------------------------

def selected_assets(session: Session, plan: InspectionPlan,
                    levels: Mapping[tuple[str, int], str]) -> list[tuple[int, str, float, float]]:
    """(asset id, division, lon, lat) of every live asset the plan selects, by id.

    One query (the representative point computed by the database); risk levels filter in
    Python from the handed-in mapping.
    """
    spec = COLLECTIONS[plan.collection]
    table = spec.model.__table__
    sel = plan.selection
    point = point_on_surface(table.c.geom)
    conditions = [table.c.retired_at.is_(None)]
    if sel.get("division"):
        conditions.append(table.c.division_code.startswith(division_prefix(sel["division"])))
    if sel.get("types"):
        conditions.append(table.c[TYPE_FIELDS[plan.collection]].in_(sel["types"]))
    if sel.get("bbox"):
        conditions.append(bbox_filter(table.c.geom, tuple(sel["bbox"])))
    rows = session.execute(select(table.c.id, table.c.division_code, func.ST_X(point),
                                  func.ST_Y(point)).where(and_(*conditions))
                           .order_by(table.c.id)).all()
    wanted = sel.get("risk_levels")
    if wanted:
        rows = [r for r in rows if levels.get((plan.collection, r[0]), UNASSESSED) in wanted]
    return [(r[0], r[1], float(r[2]), float(r[3])) for r in rows]
