"""The status page's colour: rules as data, the most severe applying colour wins, reasons kept."""

from __future__ import annotations

import pytest

from inventory.inspections.status_rules import DEFAULT_RULES, Facts, Rule, decide, parse
from resilience.errors import InvalidInput


@pytest.mark.parametrize(("facts", "colour"), [
    (Facts(), "grey"),  # not assessed: grey, never blue
    (Facts(four_level="low"), "blue"),
    (Facts(four_level="general"), "yellow"),
    (Facts(overdue_tasks=1, open_tasks=1), "yellow"),
    (Facts(four_level="considerable"), "orange"),
    (Facts(open_hazards=1), "yellow"),  # an open 一般隐患 is 黄, as on the four-colour map
    (Facts(four_level="general", open_hazards=2, overdue_tasks=3), "yellow"),
    (Facts(four_level="considerable", open_hazards=1), "orange"),
    (Facts(four_level="major"), "red"),
    (Facts(open_hazards=1, open_major_hazards=1), "red"),
    (Facts(four_level="low", open_hazards=1, open_major_hazards=1, overdue_tasks=1), "red"),
    (Facts(five_level="high"), "grey"),  # the five-colour map is shown, not ruled on
])
def test_the_default_table(facts: Facts, colour: str) -> None:
    assert decide(facts).colour == colour


def test_every_rule_of_the_winning_colour_is_given_as_the_reason() -> None:
    verdict = decide(Facts(four_level="major", open_hazards=1, open_major_hazards=1))
    assert verdict.colour == "red" and verdict.hex == "#FF0000"
    assert {r.fact for r in verdict.because} == {"four_level", "open_major_hazards"}
    assert decide(Facts()).because == () and decide(Facts()).hex == "#9AA0A6"


def test_a_registry_replaces_the_table_with_its_own_data() -> None:
    own = parse([{"colour": "red", "fact": "overdue_tasks", "at_least": 3},
                 {"colour": "yellow", "fact": "five_level", "equals": "high"}])
    assert own == (Rule("red", "overdue_tasks", at_least=3), Rule("yellow", "five_level", equals="high"))
    assert decide(Facts(overdue_tasks=2), own).colour == "grey"  # nothing applies, no level
    assert decide(Facts(overdue_tasks=3), own).colour == "red"
    assert decide(Facts(five_level="high"), own).colour == "yellow"
    assert decide(Facts(four_level="major"), own).colour == "red"  # its level's own colour
    assert decide(Facts(four_level="low"), own).colour == "blue"


def test_a_bad_table_names_every_bad_row() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse([{"colour": "purple", "fact": "open_hazards", "at_least": 1},
               {"colour": "red", "fact": "weather", "at_least": 1},
               {"colour": "red", "fact": "open_hazards", "equals": "x"},
               {"colour": "red", "fact": "four_level", "at_least": 2},
               {"colour": "red", "fact": "open_hazards", "at_least": True},
               {"colour": "red", "fact": "open_hazards", "at_least": 1}])
    assert [(p.row, p.field, p.code) for p in caught.value.problems] == [
        (1, "colour", "unknown_code"), (2, "fact", "status_rule_invalid"),
        (3, "fact", "status_rule_invalid"), (4, "fact", "status_rule_invalid"),
        (5, "fact", "status_rule_invalid")]


def test_the_default_table_is_the_documented_one() -> None:
    assert [(r.colour, r.fact, r.equals, r.at_least) for r in DEFAULT_RULES] == [
        ("red", "four_level", "major", None), ("red", "open_major_hazards", None, 1),
        ("orange", "four_level", "considerable", None), ("yellow", "four_level", "general", None),
        ("yellow", "open_hazards", None, 1), ("yellow", "overdue_tasks", None, 1),
        ("blue", "four_level", "low", None)]
