"""Checklist templates: the shipped presets are valid, answers are checked item by item, versions."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy.orm import Session

from inventory.inspections import checklists, presets
from inventory.inspections.checklists import check_answers, check_items, defects
from resilience.errors import InvalidInput
from resilience.messages import MESSAGES

ITEMS = [
    presets.yes_no("occupation", "占压", "Built over", defect_when=True, category="occupation",
                   grade="major"),
    presets.number("lel", "可燃气体", "Gas", "%LEL", 0, 100, 0, 1, category="leakage"),
    presets.choice("cover", "井盖", "Cover", [("ok", "完好", "Intact", False),
                                             ("missing", "缺失", "Missing", True)]),
    presets.text("remarks", "备注", "Remarks"),
    presets.photo("photos", "照片", "Photos", required=True),
]
GOOD = {"occupation": False, "lel": 0.2, "cover": "ok", "photos": [3]}


@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p["code"])
def test_every_preset_is_a_valid_template(preset: dict) -> None:
    assert check_items(preset["items"]) == []
    assert len(preset["items"]) >= 6
    assert all(i["zh"] and i["en"] for i in preset["items"])


def test_presets_hold_what_a_practitioner_looks_for() -> None:
    gas = {i["code"]: i for i in presets.GAS_PATROL["items"]}
    assert gas["lel"]["unit"] == "%LEL" and (gas["lel"]["ok_min"], gas["lel"]["ok_max"]) == (0, 1)
    assert (gas["lel"]["min"], gas["lel"]["max"]) == (0, 100)
    assert gas["occupation"]["zh"].startswith("沿线有无违章占压")
    tunnel = {i["code"]: i for i in presets.TUNNEL_CABIN["items"]}
    assert (tunnel["oxygen"]["ok_min"], tunnel["oxygen"]["ok_max"]) == (19.5, 23.5)
    covers = {i["code"]: i for i in presets.MANHOLE_COVERS["items"]}
    assert {o["code"] for o in covers["cover"]["options"] if o["defect"]} == {
        "missing", "broken", "loose", "displaced"}


def test_good_answers_pass_and_have_no_defect() -> None:
    assert check_answers(ITEMS, GOOD) == []
    assert defects(ITEMS, GOOD) == []


def test_every_problem_is_named_by_its_item() -> None:
    bad = {"occupation": "yes", "lel": 140, "cover": "gone", "remarks": 5, "extra": 1}
    problems = {(p.field, p.code) for p in check_answers(ITEMS, bad)}
    assert problems == {
        ("answers.occupation", "not_a_boolean"), ("answers.lel", "too_large"),
        ("answers.cover", "unknown_code"), ("answers.remarks", "not_a_string"),
        ("answers.photos", "photo_required"), ("answers.extra", "unknown_item"),
    }
    assert {(p.field, p.code) for p in check_answers(ITEMS, {**GOOD, "lel": -1})} == {
        ("answers.lel", "too_small")}
    assert {(p.field, p.code) for p in check_answers(ITEMS, {**GOOD, "lel": None})} == {
        ("answers.lel", "required")}
    assert check_answers(ITEMS, [1])[0].code == "not_an_object"
    assert check_answers(ITEMS, {**GOOD, "photos": ["", True]})[0].code == "not_a_photo_list"


def test_defects_follow_each_items_rule() -> None:
    answers = {**GOOD, "occupation": True, "lel": 12.5, "cover": "missing"}
    found = defects(ITEMS, answers)
    assert [d.item for d in found] == ["occupation", "lel", "cover"]
    assert found[0].grade == "major" and found[0].category == "occupation"
    assert found[1].category == "leakage" and found[1].value == 12.5
    assert defects(ITEMS, {**GOOD, "lel": 1}) == []  # the bound is acceptable


def test_bad_templates_are_refused_with_every_problem() -> None:
    items = copy.deepcopy(ITEMS)
    items[1]["min"], items[1]["max"] = 10, 0
    items[2]["options"] = []
    items.append({"code": "lel", "kind": "slider", "zh": "", "en": "x"})
    fields = {(p.field, p.code) for p in check_items(items)}
    assert ("items.1.max", "too_small") in fields
    assert ("items.2.options", "required") in fields
    assert ("items.5.code", "duplicate_item") in fields
    assert ("items.5.zh", "required") in fields
    assert ("items.5.kind", "unknown_code") in fields


def test_problem_codes_have_messages() -> None:
    for code in ("unknown_item", "photo_required", "not_a_photo_list", "too_many_photos",
                 "invalid_item_code", "duplicate_item", "invalid_options"):
        assert code in MESSAGES, code


def test_presets_are_stored_once_and_edits_make_new_versions(session: Session) -> None:
    first = presets.ensure_presets(session)
    again = presets.ensure_presets(session)
    assert [r.id for r in first] == [r.id for r in again]
    assert {r.code for r in checklists.listing(session)} >= {p["code"] for p in presets.PRESETS}

    values = {k: copy.deepcopy(presets.MANHOLE_COVERS[k])
              for k in ("code", "name_zh", "name_en", "applies_to", "items")}
    values["items"].append(presets.yes_no("odour", "异味", "Odour", defect_when=True))
    v2 = checklists.save_version(session, values, by="engineer",
                                 collections=("network-points", "pipelines"))
    assert v2.version == 2 and v2.code == "manhole_covers"
    assert checklists.latest(session, "manhole_covers").id == v2.id
    v1 = next(r for r in first if r.code == "manhole_covers")
    assert session.get(checklists.ChecklistTemplate, v1.id).items == presets.MANHOLE_COVERS["items"]
    newest = [r for r in checklists.listing(session) if r.code == "manhole_covers"]
    assert [r.version for r in newest] == [2]
    assert len([r for r in checklists.listing(session, all_versions=True)
                if r.code == "manhole_covers"]) == 2


def test_save_version_refuses_bad_input_before_writing(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        checklists.save_version(session, {"code": "X", "name_zh": "", "applies_to": ["roads"],
                                          "items": [], "colour": 1}, by="engineer",
                                collections=("pipelines",))
    fields = {(p.field, p.code) for p in caught.value.problems}
    assert {("code", "invalid_item_code"), ("name_zh", "required"), ("name_en", "required"),
            ("applies_to", "unknown_code"), ("items", "required"),
            ("colour", "unknown_property")} <= fields
