"""The hidden-hazard loop as data: every allowed step, and every forbidden one refused."""

from __future__ import annotations

import pytest

from inventory.inspections import hazard_flow as flow
from resilience.errors import Conflict, Forbidden, InvalidInput

FIXED = {"responsibility_person": "王工", "measures": "更换井盖", "funding": "区财政 2 万元",
         "deadline": "2027-01-31", "contingency_plan": "设置围挡"}
ROLES = ("admin", "engineer", "emergency_manager", "inspector", "viewer")
GIVEN = {"register": {}, "grade": {"grade": "major"}, "rectify": {},
         "submit_review": {}, "close": {}, "fail_review": {"reason": "井盖仍松动"},
         "supervise": {"supervising_unit": "市安委办", "supervision_deadline": "2027-02-01"}}


def facts(state: str, grade: str = "major", after: int = 1, **values: object) -> flow.Facts:
    return flow.Facts(state, grade, {**FIXED, **values}, after)


@pytest.mark.parametrize(("action", "state", "target"), [
    ("register", "reported", "registered"), ("grade", "registered", "graded"),
    ("rectify", "graded", "rectifying"), ("submit_review", "rectifying", "pending_review"),
    ("close", "pending_review", "closed"), ("fail_review", "pending_review", "rectifying"),
    ("supervise", "rectifying", "rectifying"), ("supervise", "reported", "reported"),
])
def test_each_allowed_step_by_each_allowed_role(action: str, state: str, target: str) -> None:
    step = flow.TRANSITIONS[action]
    for role in ROLES:
        if role in step.roles:
            assert flow.check(action, role, facts(state), GIVEN[action]) == target
        else:
            with pytest.raises(Forbidden) as err:
                flow.check(action, role, facts(state), GIVEN[action])
            assert err.value.problems[0].code == "action_not_for_role"


@pytest.mark.parametrize("action", list(flow.TRANSITIONS))
def test_every_step_out_of_order_is_a_conflict_naming_from_and_to(action: str) -> None:
    step = flow.TRANSITIONS[action]
    role = "admin"
    for state in flow.STATES:
        if state in step.sources:
            continue
        with pytest.raises(Conflict) as err:
            flow.check(action, role, facts(state), GIVEN[action])
        problem = err.value.problems[0]
        assert problem.code == "transition_not_allowed"
        assert problem.params["from"] == state and problem.params["value"] == action


def test_roles_as_data() -> None:
    assert flow.TRANSITIONS["close"].roles == {"emergency_manager", "admin"}
    assert "inspector" not in flow.TRANSITIONS["register"].roles
    assert "inspector" in flow.REPORTERS and "viewer" not in flow.REPORTERS


def test_rectifying_needs_the_five_fixes() -> None:
    bare = flow.Facts("graded", "general", {}, 0)
    with pytest.raises(InvalidInput) as err:
        flow.check("rectify", "engineer", bare, {})
    assert {p.field for p in err.value.problems} == set(flow.FIVE_FIXES)
    assert {p.code for p in err.value.problems} == {"required_before"}
    assert flow.check("rectify", "engineer", facts("graded"), {}) == "rectifying"


def test_review_needs_an_after_photo_and_a_failure_a_reason() -> None:
    with pytest.raises(InvalidInput) as err:
        flow.check("submit_review", "engineer", facts("rectifying", after=0), {})
    assert err.value.problems[0].code == "after_photo_required"
    with pytest.raises(InvalidInput) as err:
        flow.check("fail_review", "emergency_manager", facts("pending_review"), {})
    assert (err.value.problems[0].field, err.value.problems[0].code) == ("reason", "required")


def test_supervision_only_for_major_hazards() -> None:
    with pytest.raises(InvalidInput) as err:
        flow.check("supervise", "emergency_manager", facts("graded", grade="general"),
                   GIVEN["supervise"])
    assert err.value.problems[0].code == "supervision_major_only"
    assert "supervise" not in flow.allowed("emergency_manager", facts("graded", grade="general"))
    assert "supervise" in flow.allowed("emergency_manager", facts("graded"))
    with pytest.raises(InvalidInput):
        flow.check("supervise", "admin", facts("graded"), {"supervising_unit": "市安委办"})


def test_unknown_action_and_stray_fields() -> None:
    with pytest.raises(InvalidInput) as err:
        flow.check("destroy", "admin", facts("reported"), {})
    assert err.value.problems[0].code == "unknown_code"
    with pytest.raises(InvalidInput) as err:
        flow.check("close", "admin", facts("pending_review"), {"grade": "general"})
    assert err.value.problems[0].code == "unknown_property"


def test_nothing_leaves_closed() -> None:
    closed = facts("closed")
    assert flow.allowed("admin", closed) == []
    for action in flow.TRANSITIONS:
        with pytest.raises(Conflict):
            flow.check(action, "admin", closed, GIVEN[action])
