"""The hidden-hazard loop as data: every allowed step, and every forbidden one refused."""

from __future__ import annotations

from datetime import date

import pytest

from inventory.inspections import hazard_flow as flow
from resilience.errors import Conflict, Forbidden, InvalidInput

FIXED = {"responsibility_person": "王工", "measures": "更换井盖", "funding": "区财政 2 万元",
         "deadline": "2027-01-31", "contingency_plan": "设置围挡"}
ROLES = ("admin", "engineer", "emergency_manager", "inspector", "viewer")
GIVEN = {"register": {}, "grade": {"grade": "major"}, "rectify": {},
         "submit_review": {}, "close": {}, "fail_review": {"reason": "井盖仍松动"},
         "supervise": {"supervising_unit": "市安委办", "supervision_deadline": "2027-02-01"},
         "regrade": {"grade": "general", "reason": "复核为一般隐患"},
         "extend": {"deadline": date(2027, 6, 30), "reason": "雨季无法开挖"}}


def facts(state: str, grade: str = "major", after: int = 1, **values: object) -> flow.Facts:
    return flow.Facts(state, grade, {**FIXED, **values}, after)


@pytest.mark.parametrize(("action", "state", "target"), [
    ("register", "reported", "registered"), ("grade", "registered", "graded"),
    ("rectify", "graded", "rectifying"), ("submit_review", "rectifying", "pending_review"),
    ("close", "pending_review", "closed"), ("fail_review", "pending_review", "rectifying"),
    ("supervise", "rectifying", "rectifying"), ("supervise", "graded", "graded"),
    ("regrade", "rectifying", "rectifying"), ("extend", "graded", "graded"),
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


def test_supervision_and_regrading_follow_grading() -> None:
    for state in flow.UNVERIFIED:
        assert "supervise" not in flow.allowed("admin", facts(state))
        with pytest.raises(Conflict):
            flow.check("supervise", "admin", facts(state), GIVEN["supervise"])
        with pytest.raises(Conflict):
            flow.check("regrade", "admin", facts(state), GIVEN["regrade"])


def test_regrading_is_a_reviewers_step_with_a_reason_and_a_new_grade() -> None:
    with pytest.raises(Forbidden):
        flow.check("regrade", "engineer", facts("graded"), GIVEN["regrade"])
    with pytest.raises(InvalidInput) as err:
        flow.check("regrade", "emergency_manager", facts("graded"), {"grade": "general"})
    assert [(p.field, p.code) for p in err.value.problems] == [("reason", "required")]
    with pytest.raises(InvalidInput) as err:
        flow.check("regrade", "emergency_manager", facts("graded"), {"grade": "major", "reason": "x"})
    assert err.value.problems[0].code == "grade_unchanged"
    supervised = flow.Facts("rectifying", "major", {**FIXED}, 1, supervised=True)
    with pytest.raises(InvalidInput) as err:
        flow.check("regrade", "admin", supervised, GIVEN["regrade"])
    assert err.value.problems[0].code == "supervised_stays_major"


def test_once_graded_the_deadline_moves_only_by_a_later_extension() -> None:
    graded = flow.Facts("graded", "general", {**FIXED}, 0, deadline=date(2027, 1, 31))
    with pytest.raises(InvalidInput) as err:
        flow.check("rectify", "engineer", graded, {"deadline": date(2028, 1, 31)})
    assert err.value.problems[0].code == "deadline_by_extension"
    assert flow.check("rectify", "engineer", graded, {"deadline": date(2027, 1, 31)}) == "rectifying"
    with pytest.raises(InvalidInput) as err:
        flow.check("extend", "emergency_manager", graded, {"deadline": date(2027, 1, 30),
                                                           "reason": "x"})
    assert err.value.problems[0].code == "extension_not_later"
    with pytest.raises(Forbidden):
        flow.check("extend", "engineer", graded, GIVEN["extend"])
    assert flow.check("extend", "emergency_manager", graded, GIVEN["extend"]) == "graded"
    assert "deadline" not in flow.TRANSITIONS["fail_review"].fields


def test_a_supervised_hazard_is_closed_by_another_with_the_acceptance() -> None:
    waiting = flow.Facts("pending_review", "major", {}, 1, supervised=True, submitted_by="em")
    assert "close" not in flow.allowed("emergency_manager", waiting, "em")
    with pytest.raises(Forbidden) as err:
        flow.check("close", "emergency_manager", waiting, {}, "em")
    assert err.value.problems[0].code == "review_by_other"
    with pytest.raises(InvalidInput) as err:
        flow.check("close", "admin", waiting, {}, "admin")
    assert {p.field for p in err.value.problems} == set(flow.ACCEPTANCE)
    accepted = {"acceptance_by": "市安委办 张科长", "acceptance_on": date(2027, 1, 5),
                "acceptance_opinion": "整改到位，同意销号", "acceptance_attachment": 7}
    assert flow.check("close", "admin", waiting, accepted, "admin") == "closed"
    plain = flow.Facts("pending_review", "major", {}, 1, submitted_by="em")
    assert flow.check("close", "emergency_manager", plain, {}, "em") == "closed"


def test_supervision_is_set_once() -> None:
    watched = flow.Facts("rectifying", "major", {**FIXED}, 1, supervised=True)
    assert "supervise" not in flow.allowed("admin", watched)
    with pytest.raises(InvalidInput) as err:
        flow.check("supervise", "admin", watched, GIVEN["supervise"])
    assert err.value.problems[0].code == "already_supervised"
