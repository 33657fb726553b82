"""The hidden-hazard closed loop (隐患排查治理, DOMAIN.md §4) as data and one pure check.

States run 发现 → 登记 → 评估定级 → 整改 → 复查 → 销号; a failed 复查 returns to 整改 with a
written reason and the hazard stays on the books. Who may take each step, from which
states, and what must be in place first (五落实 before 整改, an ``after`` photo before 复查)
are rows of :data:`TRANSITIONS`, not ``if`` chains. No database here: the service hands in
the hazard's facts and gets the next state or every problem at once.

Integrity (DOMAIN.md §10, 16号令): the grade is set by 评估定级 and changed only by 重新定级
(a reviewer, with a reason); once graded, the deadline changes only by 延期 (a reviewer,
with a reason, later than before); 挂牌督办 follows grading; a supervised hazard is closed
by someone other than who submitted its rectification, with the 督办 unit's acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from resilience.errors import Conflict, Forbidden, InvalidInput, Problem

REPORTED, REGISTERED, GRADED = "reported", "registered", "graded"
RECTIFYING, PENDING_REVIEW, CLOSED = "rectifying", "pending_review", "closed"
STATES = (REPORTED, REGISTERED, GRADED, RECTIFYING, PENDING_REVIEW, CLOSED)
OPEN_STATES = STATES[:-1]
# Not yet graded: a candidate (待核实), weighed at most 一般 on the four-colour map.
UNVERIFIED = (REPORTED, REGISTERED)
GRADED_OPEN = (GRADED, RECTIFYING, PENDING_REVIEW)

# 五落实: 责任、措施、资金、时限、预案 (the deadline is the hazard's own 时限).
FIVE_FIXES = ("responsibility_person", "measures", "funding", "deadline", "contingency_plan")
# The 督办 unit's acceptance (验收) a supervised hazard's 销号 records.
ACCEPTANCE = ("acceptance_by", "acceptance_on", "acceptance_opinion", "acceptance_attachment")
# Steps that may set a deadline already set: before grading, grading itself, and 延期.
DEADLINE_SETTERS = ("register", "grade", "extend")

HANDLERS = frozenset({"engineer", "emergency_manager", "admin"})
REVIEWERS = frozenset({"emergency_manager", "admin"})
REPORTERS = frozenset({"inspector"}) | HANDLERS


@dataclass(frozen=True)
class Transition:
    """One step of the loop: from which states, to which (None: the state stays), by whom."""

    action: str
    sources: tuple[str, ...]
    target: str | None
    roles: frozenset[str]
    fields: tuple[str, ...] = ()  # what the step may set on the hazard
    required: tuple[str, ...] = ()  # what the request itself must carry
    zh: str = ""
    en: str = ""
    records: tuple[str, ...] = ()  # what the step records beside the hazard (an acceptance)


TRANSITIONS: dict[str, Transition] = {t.action: t for t in (
    Transition("register", (REPORTED,), REGISTERED, HANDLERS,
               ("responsible_unit", "deadline"), zh="登记", en="Register"),
    Transition("grade", (REGISTERED,), GRADED, HANDLERS,
               ("grade", "responsible_unit", "deadline"), ("grade",), zh="评估定级", en="Grade"),
    Transition("rectify", (GRADED,), RECTIFYING, HANDLERS,
               ("responsible_unit", *FIVE_FIXES), zh="开始整改", en="Start rectifying"),
    Transition("submit_review", (RECTIFYING,), PENDING_REVIEW, HANDLERS,
               zh="提请复查", en="Submit for review"),
    Transition("close", (PENDING_REVIEW,), CLOSED, REVIEWERS,
               zh="复查通过·销号", en="Pass review and close", records=ACCEPTANCE),
    Transition("fail_review", (PENDING_REVIEW,), RECTIFYING, REVIEWERS,
               (), ("reason",), zh="复查不通过", en="Fail review"),
    # 挂牌督办: the government names the supervising unit and a deadline (重大 only, graded).
    Transition("supervise", GRADED_OPEN, None, REVIEWERS,
               ("supervising_unit", "supervision_deadline"),
               ("supervising_unit", "supervision_deadline"), zh="挂牌督办", en="Supervise"),
    Transition("regrade", GRADED_OPEN, None, REVIEWERS, ("grade",), ("grade", "reason"),
               zh="重新定级", en="Re-grade"),
    Transition("extend", (GRADED, RECTIFYING), None, REVIEWERS, ("deadline",),
               ("deadline", "reason"), zh="延期", en="Extend the deadline"),
)}

STATE_LABELS: dict[str, tuple[str, str]] = {
    REPORTED: ("发现", "Reported"), REGISTERED: ("登记", "Registered"),
    GRADED: ("评估定级", "Graded"), RECTIFYING: ("整改", "Rectifying"),
    PENDING_REVIEW: ("复查", "Pending review"), CLOSED: ("销号", "Closed"),
}

# Trail rows that are not steps of the loop.
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "report": ("发现", "Reported"), "escalate": ("逾期督促", "Escalated: overdue"),
    "edit": ("修改信息", "Details edited"), "retire": ("作废", "Withdrawn"),
    "restore": ("恢复", "Restored"),
}


def event_label(action: str, zh: bool) -> str:
    """A trail row's label: the step's, or 发现 / 逾期督促 / 修改信息…"""
    step = TRANSITIONS.get(action)
    zh_label, en_label = (step.zh, step.en) if step else EVENT_LABELS.get(action, (action, action))
    return zh_label if zh else en_label


@dataclass(frozen=True)
class Facts:
    """What the guards look at: the hazard as it would be after the step's own fields."""

    state: str
    grade: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # 五落实 and the step's fields
    after_photos: int = 0
    supervised: bool = False
    deadline: date | None = None  # as stored, before the step
    submitted_by: str | None = None  # who last submitted the rectification for review


def allowed(role: str, facts: Facts, user: str = "") -> list[str]:
    """The actions this role may take now (the page's buttons); guards are checked on submit."""
    return [t.action for t in TRANSITIONS.values()
            if role in t.roles and facts.state in t.sources
            and (t.action != "supervise" or (facts.grade == "major" and not facts.supervised))
            and not (t.action == "close" and _same_hand(facts, user))]


def _same_hand(facts: Facts, user: str) -> bool:
    """A supervised hazard's rectification is accepted by someone other than its submitter."""
    return facts.supervised and bool(user) and user == facts.submitted_by


def check(action: str, role: str, facts: Facts, given: dict[str, Any], user: str = "") -> str:
    """The state after ``action``, or the reason it may not happen.

    Raises InvalidInput (unknown action or field, a guard unmet), Forbidden (wrong role, or
    the submitter closing a supervised hazard) or Conflict (wrong order:
    ``transition_not_allowed`` naming from and to).
    """
    step = TRANSITIONS.get(action)
    if step is None:
        raise InvalidInput("unknown action", [Problem("action", "unknown_code", {
            "value": action, "allowed": list(TRANSITIONS)})])
    if role not in step.roles:
        raise Forbidden("role may not take this step", [Problem("action", "action_not_for_role", {
            "value": action, "role": role, "allowed": sorted(step.roles)})])
    target = step.target or facts.state
    if facts.state not in step.sources:
        raise Conflict("step out of order", [Problem("action", "transition_not_allowed", {
            "value": action, "from": facts.state, "to": target,
            "allowed": allowed(role, facts, user) or "-"})])
    if action == "close" and _same_hand(facts, user):
        raise Forbidden("four eyes", [Problem("action", "review_by_other", {
            "value": action, "user": user})])
    problems = [Problem(name, "unknown_property", {}) for name in given
                if name not in step.fields and name not in step.required
                and name not in step.records and name not in ("note", "reason")]
    problems += [Problem(name, "required", {}) for name in step.required
                 if given.get(name) in (None, "")]
    problems += _guards(step, facts, given)
    if problems:
        raise InvalidInput("step not possible yet", problems)
    return target


def _guards(step: Transition, facts: Facts, given: dict[str, Any]) -> list[Problem]:
    """What must be in place before the step (DOMAIN.md §4, §10)."""
    problems = _deadline_guard(step, facts, given)
    if step.action == "rectify":
        problems += [Problem(name, "required_before", {"action": "rectify", "label": "五落实"})
                     for name in FIVE_FIXES if facts.values.get(name) in (None, "")]
    if step.action == "submit_review" and facts.after_photos < 1:
        problems.append(Problem("photos", "after_photo_required", {}))
    if step.action == "supervise" and facts.grade != "major":
        problems.append(Problem("grade", "supervision_major_only", {"value": facts.grade}))
    if step.action == "supervise" and facts.supervised:  # its deadline is not re-set by a re-run
        problems.append(Problem("supervised", "already_supervised", {}))
    if step.action == "regrade" and given.get("grade") is not None:
        if given["grade"] == facts.grade:
            problems.append(Problem("grade", "grade_unchanged", {"value": facts.grade}))
        elif facts.supervised and given["grade"] != "major":
            problems.append(Problem("grade", "supervised_stays_major", {"value": given["grade"]}))
    if step.action == "close" and (facts.supervised or any(given.get(n) for n in ACCEPTANCE)):
        problems += [Problem(name, "acceptance_required", {}) for name in ACCEPTANCE
                     if given.get(name) in (None, "")]
    return problems


def _deadline_guard(step: Transition, facts: Facts, given: dict[str, Any]) -> list[Problem]:
    """Once graded, a deadline already set moves only by 延期, and only later."""
    new = given.get("deadline")
    if not isinstance(new, date) or facts.deadline is None:
        return []
    if step.action == "extend" and new <= facts.deadline:
        return [Problem("deadline", "extension_not_later", {
            "value": new.isoformat(), "current": facts.deadline.isoformat()})]
    if step.action not in DEADLINE_SETTERS and new != facts.deadline:
        return [Problem("deadline", "deadline_by_extension", {
            "value": new.isoformat(), "current": facts.deadline.isoformat()})]
    return []
