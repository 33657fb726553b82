"""Properties of the five-colour scorer and the four-colour zones, over random valid schemes.

More hazard, exposure or vulnerability never lowers a level, more capacity never raises it,
band edges are exact, bad parameters are named by their path, and a zone's level is the
highest of its points (就高, DOMAIN.md §1.3) whatever the points are.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from risk import fourcolour
from risk.grid import Grid
from risk.inputs import Layer
from risk.levels import FIVE_COLOUR, FOUR_COLOUR, LEC_VALUES, LS_VALUES, PRESETS, assess, highest
from risk.points import DEFAULT_PRESET
from risk.scheme_defaults import HAZARD_KEYS
from risk.schemes import (
    DEFAULT_COMPOSITE,
    SCORERS,
    Composite,
    Factors,
    check_params,
    level_of,
    score,
)

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weight = st.floats(min_value=0.0, max_value=3.0, allow_nan=False)
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def schemes(draw: st.DrawFn) -> Composite:
    """A valid composite scheme: non-negative weights, four increasing breaks."""
    params = copy.deepcopy(DEFAULT_COMPOSITE)
    params["formula"] = draw(st.sampled_from(sorted(SCORERS)))
    params["combine"] = draw(st.sampled_from(["max", "weighted_sum"]))
    params["weights"] = {k: draw(weight) for k in "HEVC"}
    params["hazard_weights"] = {k: draw(weight) for k in HAZARD_KEYS}
    cuts = draw(st.lists(st.floats(min_value=0.001, max_value=0.99, allow_nan=False),
                         min_size=4, max_size=4, unique=True))
    params["breaks"] = sorted(cuts)
    assume(all(b > a for a, b in zip(params["breaks"], params["breaks"][1:], strict=False)))
    assert check_params(params) == []
    return Composite("random", 1, params)


def any_scheme() -> st.SearchStrategy[Composite]:
    return st.one_of(st.just(Composite("composite_default", 1)), schemes())


@st.composite
def factors(draw: st.DrawFn, *, positive_hazards: bool = False) -> Factors:
    """Factors of one cell: some hazards (0–1), E, V and C."""
    kinds = draw(st.lists(st.sampled_from(HAZARD_KEYS), min_size=1, max_size=4, unique=True))
    low = 0.001 if positive_hazards else 0.0
    hazards = {k: draw(st.floats(min_value=low, max_value=1.0, allow_nan=False)) for k in kinds}
    return Factors(hazards, draw(unit), draw(unit), draw(unit))


def raised(value: float, draw: st.DrawFn) -> float:
    return draw(st.floats(min_value=value, max_value=1.0, allow_nan=False))


def ordinal(scheme: Composite, f: Factors) -> int:
    return score(scheme, f).level.ordinal


# -- monotonicity ---------------------------------------------------------------------------

@SETTINGS
@given(scheme=any_scheme(), f=factors(positive_hazards=True), data=st.data())
def test_raising_a_present_hazard_never_lowers_the_level(scheme: Composite, f: Factors,
                                                         data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(f.hazards)))
    more = Factors({**f.hazards, kind: raised(f.hazards[kind], data.draw)}, f.exposure,
                   f.vulnerability, f.capacity)
    assert ordinal(scheme, more) >= ordinal(scheme, f)


@SETTINGS
@given(scheme=any_scheme().filter(lambda s: s.params["combine"] == "max"), f=factors(),
       kind=st.sampled_from(HAZARD_KEYS), data=st.data())
def test_raising_any_hazard_from_zero_never_lowers_the_level_when_combined_by_max(
        scheme: Composite, f: Factors, kind: str, data: st.DataObject) -> None:
    more = Factors({**f.hazards, kind: raised(f.hazards.get(kind, 0.0), data.draw)},
                   f.exposure, f.vulnerability, f.capacity)
    assert ordinal(scheme, more) >= ordinal(scheme, f)


def test_adding_a_small_hazard_never_lowers_the_level_when_combined_by_weighted_sum() -> None:
    params = copy.deepcopy(DEFAULT_COMPOSITE)
    params["combine"] = "weighted_sum"
    scheme = Composite("ws", 1, params)
    alone = Factors({"flood": 0.8}, 1.0, 1.0, 0.0)
    with_more = Factors({"flood": 0.8, "seismic": 0.01}, 1.0, 1.0, 0.0)
    assert score(scheme, alone).level.code == "high"
    assert ordinal(scheme, with_more) >= ordinal(scheme, alone)


@SETTINGS
@given(scheme=any_scheme(), f=factors(), data=st.data())
def test_raising_exposure_or_vulnerability_never_lowers_the_level(
        scheme: Composite, f: Factors, data: st.DataObject) -> None:
    more_e = Factors(f.hazards, raised(f.exposure, data.draw), f.vulnerability, f.capacity)
    more_v = Factors(f.hazards, f.exposure, raised(f.vulnerability, data.draw), f.capacity)
    assert ordinal(scheme, more_e) >= ordinal(scheme, f)
    assert ordinal(scheme, more_v) >= ordinal(scheme, f)


@SETTINGS
@given(scheme=any_scheme(), f=factors(), data=st.data())
def test_raising_capacity_never_raises_the_level(scheme: Composite, f: Factors,
                                                 data: st.DataObject) -> None:
    more_c = Factors(f.hazards, f.exposure, f.vulnerability, raised(f.capacity, data.draw))
    assert ordinal(scheme, more_c) <= ordinal(scheme, f)


@SETTINGS
@given(scheme=any_scheme(), f=factors())
def test_the_level_is_the_band_of_r_and_the_explanation_names_every_factor(
        scheme: Composite, f: Factors) -> None:
    s = score(scheme, f)
    assert s.level == level_of(s.score, scheme.breaks)[0]
    low, high = s.band
    assert low < s.score <= high
    why = s.explain(scheme, f)
    assert set(why["terms"]) == {"H", "E", "V", "C"}
    assert why["level"] == s.level.code and why["decided_by"] == s.decided_by


# -- band edges -----------------------------------------------------------------------------

@SETTINGS
@given(scheme=any_scheme())
def test_a_score_on_a_break_falls_in_the_lower_band_and_just_above_in_the_next(
        scheme: Composite) -> None:
    for k, cut in enumerate(scheme.breaks):
        on, band = level_of(cut, scheme.breaks)
        above, _ = level_of(math.nextafter(cut, math.inf), scheme.breaks)
        assert on == FIVE_COLOUR[k] and band[1] == cut
        assert above == FIVE_COLOUR[k + 1]


def test_default_breaks_exactly() -> None:
    breaks = DEFAULT_COMPOSITE["breaks"]
    # v2: a reference cell (E = V = ½) sits mid-band of its hazard class
    assert breaks == [0.212132, 0.353553, 0.494975, 0.636396]
    assert [level_of(b, breaks)[0].code for b in breaks] == [
        "low", "fairly_low", "medium", "fairly_high"]
    assert level_of(0.0, breaks)[0].code == "low"
    assert level_of(0.636397, breaks)[0].code == "high"
    assert level_of(1.0, breaks)[1] == (0.636396, math.inf)


# -- parameter checks -----------------------------------------------------------------------

def problems_of(**changes: Any) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in check_params({**copy.deepcopy(DEFAULT_COMPOSITE),
                                                      **changes})}


def test_the_shipped_defaults_are_valid() -> None:
    assert check_params(copy.deepcopy(DEFAULT_COMPOSITE)) == []
    assert check_params({}) == []  # a new version may give only its changes


@pytest.mark.parametrize("breaks", [[0.1, 0.1, 0.2, 0.3], [0.3, 0.2, 0.1, 0.05],
                                    [0.0, 0.1, 0.2, 0.3], [-0.1, 0.1, 0.2, 0.3]])
def test_breaks_must_increase_from_above_zero(breaks: list[float]) -> None:
    assert problems_of(breaks=breaks) == {("params.breaks", "not_increasing")}


@pytest.mark.parametrize("breaks", [[0.1, 0.2, 0.3], "0.1,0.2", [0.1, 0.2, "x", 0.4],
                                    [0.1, 0.2, math.nan, 0.4]])
def test_breaks_must_be_four_numbers(breaks: Any) -> None:
    assert problems_of(breaks=breaks) == {("params.breaks", "four_numbers")}


def test_negative_weights_are_named_by_path() -> None:
    assert problems_of(weights={"H": 1.0, "E": -0.5, "V": 1.0, "C": 1.0},
                       hazard_weights={"flood": -1}) == {
        ("params.weights.E", "negative_weight"), ("params.hazard_weights.flood",
                                                  "negative_weight")}
    assert problems_of(weights={"H": 1.0, "E": 1.0, "V": 1.0}) == {("params.weights.C",
                                                                    "required")}


def test_unknown_formula_combine_and_property() -> None:
    assert problems_of(formula="cubic", combine="min", colour="red") == {
        ("params.formula", "unknown_code"), ("params.combine", "unknown_code"),
        ("params.colour", "unknown_property")}


@pytest.mark.parametrize(("size", "ok"), [(49, False), (50, True), (10000, True),
                                          (10001, False), ("500", False), (True, False)])
def test_cell_size_in_range(size: Any, ok: bool) -> None:
    assert problems_of(cell_size_m=size) == (set() if ok else {("params.cell_size_m",
                                                                "out_of_range")})


def test_capacity_cap_below_one_and_not_an_object() -> None:
    assert problems_of(capacity={"max": 1.0}) == {("params.capacity.max", "out_of_range")}
    assert check_params([1, 2]) != [] and check_params([1, 2])[0].field == "params"


# -- four colour: the zone takes the highest of its points ----------------------------------

@st.composite
def assessed_points(draw: st.DrawFn) -> dict[str, Any]:
    method = draw(st.sampled_from(["lec", "ls"]))
    if method == "lec":
        f = {k: draw(st.sampled_from(v)) for k, v in LEC_VALUES.items()}
        preset = "lec_default"
    else:
        f = {k: draw(st.sampled_from(v)) for k, v in LS_VALUES.items()}
        preset = draw(st.sampled_from(["ls_r9_considerable", "ls_r9_general"]))
    result = assess(PRESETS[preset], f)
    return {"method": method, "preset": preset, "factors": f, "score": result.score,
            "level": result.level, "band_name": result.band.name or None,
            "x": draw(st.floats(min_value=0, max_value=1499)),
            "y": draw(st.floats(min_value=0, max_value=1499)),
            "division": draw(st.sampled_from(["330106", "330102"]))}


def points_layer(items: list[dict[str, Any]]) -> Layer:
    n = len(items)

    def col(values: list[Any]) -> np.ndarray:
        return np.array(values, dtype=object)

    attrs = {"level": col([p["level"].code for p in items]),
             "score": col([p["score"] for p in items]),
             "method": col([p["method"] for p in items]),
             "preset": col([p["preset"] for p in items]),
             "band_name": col([p["band_name"] for p in items]),
             "factor_l": col([p["factors"].get("L") for p in items]),
             "factor_e": col([p["factors"].get("E") for p in items]),
             "factor_c": col([p["factors"].get("C") for p in items]),
             "factor_s": col([p["factors"].get("S") for p in items]),
             "category": col(["other"] * n), "name": col([f"p{k}" for k in range(n)]),
             "scheme_version": col([1] * n), "source": col(["manual"] * n),
             "rule": col([None] * n), "tunnel_id": col([None] * n),
             "asset_collection": col([None] * n), "asset_id": col([None] * n),
             "division_code": col([p["division"] for p in items])}
    geoms = shapely.points([p["x"] for p in items], [p["y"] for p in items])
    return Layer(np.arange(1, n + 1, dtype=np.int64), np.asarray(geoms, dtype=object), attrs)


@SETTINGS
@given(items=st.lists(assessed_points(), min_size=1, max_size=25))
def test_every_zone_takes_the_highest_level_of_its_points(items: list[dict[str, Any]]) -> None:
    layer = points_layer(items)
    zones = fourcolour.zones(layer, Grid(500), ["330100", "330106", "330102"])
    assert zones
    for zone in zones:
        decided = fourcolour.decide(layer, zone)
        members = [items[k]["level"] for k in zone.members]
        assert decided["level"] == highest(members)
        assert decided["level"].ordinal == max(lv.ordinal for lv in members)
        best = int(decided["decided_by"].split("/")[1]) - 1
        assert best in zone.members and items[best]["level"] == decided["level"]
        assert decided["points"] == len(zone.members)
        assert sum(decided["explanation"]["counts"].values()) == len(zone.members)
    city = next(z for z in zones if z.unit == "division" and z.ref == "330100")
    assert len(city.members) == len(items)  # the city holds every district's points


@pytest.mark.parametrize(("rule", "factors", "level"), [
    ("gas_high_pressure", fourcolour.RULES["gas_high_pressure"]["factors"], "considerable"),
    ("gas_medium_pressure", fourcolour.RULES["gas_medium_pressure"]["factors"], "general"),
    ("gas_cabin", fourcolour.RULES["gas_cabin"]["factors"], "considerable"),
    ("ageing_busy", fourcolour.RULES["ageing_busy"]["factors"], "general"),
    ("ageing_busy", fourcolour.RULES["ageing_busy"]["worse"], "considerable"),
])
def test_generated_rules_give_the_levels_their_comments_promise(
        rule: str, factors: dict[str, float], level: str) -> None:
    method = fourcolour.RULES[rule]["method"]
    assert assess(PRESETS[DEFAULT_PRESET[method]], dict(factors)).level.code == level


def test_four_levels_are_ordered() -> None:
    assert [lv.ordinal for lv in FOUR_COLOUR] == [1, 2, 3, 4]
