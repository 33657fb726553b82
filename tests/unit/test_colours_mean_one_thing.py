"""Colours mean one thing (DOMAIN.md §10, issue 14 item 9): a risk colour is only ever a risk
level's, and the two maps' blues are told apart.

Before: the dashboard drew condition grades 1, 3 and 4 in the five-colour 低 green, 较高
orange and 高 red, and the map drew shelters in the 低 green, so a good pipe or a shelter
read as a risk level.
"""

from __future__ import annotations

from risk.levels import FIVE_COLOUR, FOUR_COLOUR
from web.maps import LAYER_STYLE
from web.pages.dashboard import GRADE_COLOURS


def rgb(hex_: str) -> tuple[int, int, int]:
    h = hex_.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def distance(a: str, b: str) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b), strict=True)) ** 0.5)


RISK = {lv.colour.upper() for lv in FIVE_COLOUR + FOUR_COLOUR}


def test_condition_grades_and_shelters_use_no_risk_colour() -> None:
    others = {**{f"grade {k}": v for k, v in GRADE_COLOURS.items()},
              "shelters": LAYER_STYLE["shelters"]["colour"]}
    for what, colour in others.items():
        nearest = min(distance(colour, r) for r in RISK)
        assert nearest > 60, (what, colour)
    assert GRADE_COLOURS["unknown"].upper() not in RISK  # not assessed: grey


def test_the_two_blues_are_told_apart() -> None:
    five = next(lv.colour for lv in FIVE_COLOUR if lv.code == "fairly_low")
    four = next(lv.colour for lv in FOUR_COLOUR if lv.code == "low")
    assert distance(five, four) > 60
