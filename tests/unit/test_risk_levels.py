"""LEC and LS assessments with the published presets: the score, the band hit and why."""

from __future__ import annotations

import itertools

import pytest

from resilience.errors import InvalidInput
from risk.levels import FIVE_COLOUR, FOUR_COLOUR, LEC_VALUES, PRESETS, assess, highest


@pytest.mark.parametrize(("lk", "e", "c", "score", "level", "name"), [
    (0.1, 0.5, 1, 0.05, "low", "稍有危险"),
    (1, 2, 7, 14, "low", "稍有危险"),
    (1, 2, 10, None, None, None),  # C = 10 is not in the table
    (3, 6, 3, 54, "low", "一般危险"),
    (1, 10, 7, 70, "low", "一般危险"),          # a bound belongs to the band below it
    (3, 6, 7, 126, "general", "显著危险"),
    (6, 6, 7, 252, "considerable", "高度危险"),
    (10, 6, 7, 420, "major", "极其危险"),
])
def test_lec(lk: float, e: float, c: float, score: float | None, level: str | None,
             name: str | None) -> None:
    scheme = PRESETS["lec_default"]
    if score is None:
        with pytest.raises(InvalidInput) as caught:
            assess(scheme, {"L": lk, "E": e, "C": c})
        assert caught.value.problems[0].code == "not_in_table"
        return
    result = assess(scheme, {"L": lk, "E": e, "C": c})
    assert (result.score, result.level.code, result.band.name) == (score, level, name)
    why = result.explain("zh")
    assert why["formula"] == "D = L × E × C" and why["factors"] == {"L": lk, "E": e, "C": c}
    assert why["version"] == 1 and why["colour"].startswith("#")


def test_every_lec_product_lands_in_exactly_one_band() -> None:
    scheme = PRESETS["lec_default"]
    for lk, e, c in itertools.product(*LEC_VALUES.values()):
        score = lk * e * c
        assert sum(b.holds(round(score, 6)) for b in scheme.bands) == 1, score


@pytest.mark.parametrize(("preset", "lk", "s", "level"), [
    ("ls_r9_considerable", 3, 3, "considerable"), ("ls_r9_general", 3, 3, "general"),
    ("ls_r9_general", 1, 3, "low"), ("ls_r9_general", 2, 5, "considerable"),
    ("ls_r9_considerable", 4, 5, "major"), ("ls_r9_general", 5, 5, "major"),
])
def test_ls_presets_differ_only_at_nine(preset: str, lk: int, s: int, level: str) -> None:
    assert assess(PRESETS[preset], {"L": lk, "S": s}).level.code == level


def test_every_ls_product_lands_in_a_band_in_both_presets() -> None:
    for preset in ("ls_r9_considerable", "ls_r9_general"):
        for lk, s in itertools.product(range(1, 6), repeat=2):
            assert assess(PRESETS[preset], {"L": lk, "S": s}).level in FOUR_COLOUR


def test_bad_factors_are_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        assess(PRESETS["ls_r9_general"], {"L": "abc", "Q": 1})
    assert {(p.field, p.code) for p in caught.value.problems} == {
        ("L", "not_a_number"), ("S", "required"), ("Q", "unknown_property")}


def test_a_zone_takes_its_highest_member_and_palettes_stay_apart() -> None:
    assert highest([FOUR_COLOUR[0], FOUR_COLOUR[2], FOUR_COLOUR[1]]) == FOUR_COLOUR[2]
    assert highest([]) is None
    blue_five = next(lv for lv in FIVE_COLOUR if lv.code == "fairly_low")
    blue_four = next(lv for lv in FOUR_COLOUR if lv.code == "low")
    assert (blue_five.ordinal, blue_four.ordinal) == (2, 1)  # 较低 in 五色, 低 in 四色


@pytest.mark.parametrize(("score", "lower", "upper"), [
    (20, "稍有危险", "一般危险"), (70, "一般危险", "显著危险"),
    (160, "显著危险", "高度危险"), (320, "高度危险", "极其危险"),
])
def test_lec_bounds_land_in_the_lower_band(score: float, lower: str, upper: str) -> None:
    """160 and 320 cannot arise from the tables, so the bands themselves are asked."""
    bands = PRESETS["lec_default"].bands
    assert [b.name for b in bands if b.holds(score)] == [lower]
    assert [b.name for b in bands if b.holds(score + 1e-6)] == [upper]


def test_ls_nine_is_the_only_difference_between_the_presets() -> None:
    differ = [(lk, s) for lk, s in itertools.product(range(1, 6), repeat=2)
              if assess(PRESETS["ls_r9_considerable"], {"L": lk, "S": s}).level
              != assess(PRESETS["ls_r9_general"], {"L": lk, "S": s}).level]
    assert differ and all(lk * s == 9 for lk, s in differ)
    assert assess(PRESETS["ls_r9_considerable"], {"L": 3, "S": 3}).level.code == "considerable"
    assert assess(PRESETS["ls_r9_general"], {"L": 3, "S": 3}).level.code == "general"
