"""Evidence never lowers a colour (DOMAIN.md §10), over random small cities and random schemes.

Property tests over the whole factor pipeline (:func:`risk.factors.compute`, no database): a
random city of 3 × 3 cells (pipes, tunnels, shelters, flood points, hazard zones, people) is
scored, one piece of evidence is added or made worse, and no mapped cell may fall a level
(nor its R) — a cell in a hazard zone included, when its first asset is registered; a
shelter may lower only the cells it serves, never its own. Beside them: the exposure, the
division roll-up and the scheme checks that keep it so.
"""

from __future__ import annotations

import copy
import math
from datetime import date
from typing import Any

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk import cells
from risk.factors import compute
from risk.inputs import Inputs, Layer
from risk.levels import FIVE_COLOUR
from risk.publishing.five_colour import area_level
from risk.scheme_defaults import HAZARD_KEYS, REFERENCE, reference_breaks
from risk.schemes import DEFAULT_COMPOSITE, SCORERS, Composite, Factors, check_params, score

TODAY = date(2026, 6, 1)
SIDE = 1500.0  # 3 × 3 cells of 500 m
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ORDINAL = {lv.code: lv.ordinal for lv in FIVE_COLOUR}

coord = st.floats(min_value=10.0, max_value=SIDE - 10.0, allow_nan=False)
CATEGORIES = ("gas", "water_supply", "drainage", "heat", "power", "telecom")
PRESSURES = (None, "low", "medium_a", "high_a", "sub_high_b")


def layer(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Layer:
    geoms = np.array([r["geom"] for r in rows], dtype=object)
    return Layer(np.arange(1, len(rows) + 1, dtype=np.int64), geoms,
                 {c: np.array([r.get(c) for r in rows], dtype=object) for c in columns},
                 geoms)


PIPE_COLUMNS = ("category", "condition_grade", "build_year", "pressure_class", "status",
                "division_code", "name")
TUNNEL_COLUMNS = ("condition_grade", "build_year", "design_life_years", "status",
                  "division_code", "name")
SHELTER_COLUMNS = ("is_open", "shelter_class", "division_code", "name")
FLOOD_COLUMNS = ("status", "pumps", "division_code", "name", "events")
ZONE_COLUMNS = ("kind", "hazard_class", "return_period_years", "name")


@st.composite
def lines(draw: st.DrawFn) -> Any:
    x0, y0, x1, y1 = (draw(coord) for _ in range(4))
    if abs(x0 - x1) + abs(y0 - y1) < 5:
        x1 = min(SIDE - 1, x0 + 50)
    return shapely.LineString([(x0, y0), (x1, y1)])


@st.composite
def pipes(draw: st.DrawFn) -> dict[str, Any]:
    category = draw(st.sampled_from(CATEGORIES))
    return {"geom": draw(lines()), "category": category,
            "condition_grade": draw(st.sampled_from([None, 1, 2, 3, 4])),
            "build_year": draw(st.one_of(st.none(), st.integers(1950, 2026))),
            "pressure_class": draw(st.sampled_from(PRESSURES)) if category == "gas" else None,
            "status": "in_service", "division_code": "330106", "name": "p"}


@st.composite
def tunnels(draw: st.DrawFn) -> dict[str, Any]:
    return {"geom": draw(lines()), "condition_grade": draw(st.sampled_from([None, 1, 4])),
            "build_year": draw(st.integers(1990, 2026)), "design_life_years": 100,
            "status": "in_service", "division_code": "330106", "name": "t"}


@st.composite
def shelters(draw: st.DrawFn) -> dict[str, Any]:
    x, y = draw(coord), draw(coord)
    return {"geom": shapely.box(x - 5, y - 5, x + 5, y + 5), "is_open": draw(st.booleans()),
            "shelter_class": "emergency", "division_code": "330106", "name": "s"}


@st.composite
def events(draw: st.DrawFn) -> tuple[date, float]:
    return (date(draw(st.integers(2015, 2026)), 7, 1),
            draw(st.floats(min_value=0, max_value=120, allow_nan=False)))


@st.composite
def flood_points(draw: st.DrawFn) -> dict[str, Any]:
    return {"geom": shapely.Point(draw(coord), draw(coord)), "status": "active",
            "pumps": draw(st.integers(0, 8)), "division_code": "330106", "name": "f",
            "events": draw(st.lists(events(), max_size=3))}


@st.composite
def zones(draw: st.DrawFn) -> dict[str, Any]:
    x, y = draw(coord), draw(coord)
    w, h = (draw(st.floats(min_value=20, max_value=900, allow_nan=False)) for _ in range(2))
    return {"geom": shapely.box(x, y, min(SIDE, x + w), min(SIDE, y + h)),
            "kind": draw(st.sampled_from(HAZARD_KEYS)),
            "hazard_class": draw(st.integers(1, 5)), "return_period_years": None, "name": "z"}


@st.composite
def cities(draw: st.DrawFn) -> dict[str, Any]:
    return {"pipelines": draw(st.lists(pipes(), max_size=6)),
            "tunnels": draw(st.lists(tunnels(), max_size=2)),
            "shelters": draw(st.lists(shelters(), max_size=2)),
            "flood_points": draw(st.lists(flood_points(), max_size=2)),
            "zones": draw(st.lists(zones(), min_size=1, max_size=3)),
            "in_tunnel": draw(st.sets(st.integers(1, 6), max_size=2)),
            "per_km2": draw(st.floats(min_value=0, max_value=20000, allow_nan=False))}


@st.composite
def schemes(draw: st.DrawFn) -> Composite:
    """The default scheme or one with random weights, breaks, formula and combination."""
    if draw(st.booleans()):
        return Composite("composite_default", 2)
    params = copy.deepcopy(DEFAULT_COMPOSITE)
    params["formula"] = draw(st.sampled_from(sorted(SCORERS)))
    params["combine"] = draw(st.sampled_from(["max", "weighted_sum"]))
    params["weights"] = {k: draw(st.floats(0.0, 2.0)) for k in "HEVC"}
    cuts = sorted(draw(st.lists(st.floats(0.01, 0.95), min_size=4, max_size=4, unique=True)))
    params["breaks"] = cuts
    if any(b <= a for a, b in zip(cuts, cuts[1:], strict=False)):
        params["breaks"] = [0.1, 0.2, 0.3, 0.4]
    assert check_params(params) == []
    return Composite("random", 1, params)


def inputs_of(city: dict[str, Any]) -> Inputs:
    division = shapely.box(-5000, -5000, SIDE + 5000, SIDE + 5000)
    divisions = Layer(np.array(["330106"], dtype=object), np.array([division], dtype=object),
                      {"population": np.array([None], dtype=object),
                       "name": np.array(["西湖区"], dtype=object),
                       "level": np.array(["county"], dtype=object),
                       "density_basis": np.array([{"per_km2": city["per_km2"],
                                                   "from": "profile"}], dtype=object)})
    empty = layer([], ("category",))
    return Inputs(layer(city["pipelines"], PIPE_COLUMNS), layer(city["tunnels"], TUNNEL_COLUMNS),
                  layer(city["shelters"], SHELTER_COLUMNS),
                  layer(city["flood_points"], FLOOD_COLUMNS), layer(city["zones"], ZONE_COLUMNS),
                  empty, set(city["in_tunnel"]), {}, divisions, TODAY)


def scored(city: dict[str, Any], scheme: Composite) -> dict[str, tuple[int, float, bool]]:
    results, _ = compute(inputs_of(city), scheme)
    return {r.ref: (r.score.level.ordinal, r.score.score, r.registered) for r in results}


def never_lower(before: dict[str, tuple[int, float, bool]],
                after: dict[str, tuple[int, float, bool]], *,
                only_registered: bool = False, skip: set[str] | None = None) -> None:
    for ref, (level, r, registered) in before.items():
        if (only_registered and not registered) or ref in (skip or set()):
            continue
        assert ref in after, f"{ref} vanished"
        assert after[ref][0] >= level, (ref, before[ref], after[ref])
        assert after[ref][1] >= r - 1e-9, (ref, before[ref], after[ref])


def own_cells(geom: Any) -> set[str]:
    minx, miny, maxx, maxy = shapely.bounds(geom)
    return {f"c500:{i}:{j}" for i in range(int(minx // 500), int(maxx // 500) + 1)
            for j in range(int(miny // 500), int(maxy // 500) + 1)}


# -- adding evidence ----------------------------------------------------------------------------

@SETTINGS
@given(city=cities(), scheme=schemes(), new=st.one_of(pipes(), tunnels()))
def test_a_new_line_asset_never_lowers_a_cell(
        city: dict[str, Any], scheme: Composite, new: dict[str, Any]) -> None:
    key = "pipelines" if "category" in new else "tunnels"
    more = {**city, key: [*city[key], new]}
    never_lower(scored(city, scheme), scored(more, scheme))


@SETTINGS
@given(city=cities(), scheme=schemes(), new=shelters())
def test_a_new_shelter_never_lowers_its_own_cell_and_never_raises_another(
        city: dict[str, Any], scheme: Composite, new: dict[str, Any]) -> None:
    before = scored(city, scheme)
    after = scored({**city, "shelters": [*city["shelters"], new]}, scheme)
    own = own_cells(new["geom"])
    never_lower({k: v for k, v in before.items() if k in own}, after)
    for ref, (level, r, _) in before.items():  # elsewhere it is capacity only: never more risk
        if ref not in own:
            assert after[ref][0] <= level and after[ref][1] <= r + 1e-9, (ref, before, after)


@SETTINGS
@given(city=cities().filter(lambda c: len(c["pipelines"]) >= 2), scheme=schemes(),
       klass=st.integers(1, 5), kind=st.sampled_from(HAZARD_KEYS), data=st.data())
def test_a_shelter_standing_in_the_hazard_is_no_capacity_against_it(
        city: dict[str, Any], scheme: Composite, klass: int, kind: str,
        data: st.DataObject) -> None:
    """The shelter opens beside a pipe, in a cell the hazard covers (all of them here)."""
    covered = {**city, "zones": [*city["zones"], {
        "geom": shapely.box(0, 0, SIDE, SIDE), "kind": kind, "hazard_class": klass,
        "return_period_years": None, "name": "all"}], "shelters": []}
    pipe = data.draw(st.sampled_from(covered["pipelines"]))["geom"]
    at = shapely.line_interpolate_point(pipe, data.draw(st.floats(0, 1)), normalized=True)
    new = {"geom": shapely.box(at.x - 5, at.y - 5, at.x + 5, at.y + 5), "is_open": True,
           "shelter_class": "emergency", "division_code": "330106", "name": "s"}
    before = scored(covered, scheme)
    after = scored({**covered, "shelters": [new]}, scheme)
    never_lower({k: v for k, v in before.items() if k in own_cells(new["geom"])}, after)


@SETTINGS
@given(city=cities(), scheme=schemes(), new=flood_points())
def test_recording_a_flood_point_never_lowers_any_cell(
        city: dict[str, Any], scheme: Composite, new: dict[str, Any]) -> None:
    more = {**city, "flood_points": [*city["flood_points"], new]}
    never_lower(scored(city, scheme), scored(more, scheme), only_registered=False)


@SETTINGS
@given(city=cities().filter(lambda c: bool(c["flood_points"])), scheme=schemes(), event=events())
def test_a_recorded_waterlogging_event_never_lowers_any_cell(
        city: dict[str, Any], scheme: Composite, event: tuple[date, float]) -> None:
    points = copy.deepcopy(city["flood_points"])
    points[0]["events"] = [*points[0]["events"], event]
    never_lower(scored(city, scheme), scored({**city, "flood_points": points}, scheme),
                only_registered=False)


@SETTINGS
@given(city=cities(), scheme=schemes(), new=zones(), data=st.data())
def test_more_hazard_never_lowers_any_cell(city: dict[str, Any], scheme: Composite,
                                          new: dict[str, Any], data: st.DataObject) -> None:
    before = scored(city, scheme)
    never_lower(before, scored({**city, "zones": [*city["zones"], new]}, scheme),
                only_registered=False)
    raised = copy.deepcopy(city["zones"])
    k = data.draw(st.integers(0, len(raised) - 1))
    raised[k]["hazard_class"] = data.draw(st.integers(raised[k]["hazard_class"], 5))
    never_lower(before, scored({**city, "zones": raised}, scheme), only_registered=False)


@SETTINGS
@given(city=cities().filter(lambda c: bool(c["pipelines"])), scheme=schemes(), data=st.data())
def test_an_older_or_poorer_asset_never_lowers_a_cell(city: dict[str, Any], scheme: Composite,
                                                     data: st.DataObject) -> None:
    worse = copy.deepcopy(city["pipelines"])
    k = data.draw(st.integers(0, len(worse) - 1))
    grade = worse[k]["condition_grade"]
    if grade is not None:
        worse[k]["condition_grade"] = data.draw(st.integers(grade, 4))
    built = worse[k]["build_year"]
    if built is not None:
        worse[k]["build_year"] = data.draw(st.integers(1900, built))
    never_lower(scored(city, scheme), scored({**city, "pipelines": worse}, scheme))


@SETTINGS
@given(city=cities(), scheme=schemes(), data=st.data())
def test_more_people_never_lower_a_cell(city: dict[str, Any], scheme: Composite,
                                        data: st.DataObject) -> None:
    more = {**city, "per_km2": data.draw(st.floats(city["per_km2"], 50000))}
    never_lower(scored(city, scheme), scored(more, scheme))


@SETTINGS
@given(city=cities(), scheme=schemes())
def test_every_cell_in_a_hazard_zone_is_mapped_and_empty_ones_show_the_hazard(
        city: dict[str, Any], scheme: Composite) -> None:
    results, _ = compute(inputs_of(city), scheme)
    mapped = {r.ref: r for r in results}
    for zone in city["zones"]:
        for ref in own_cells(zone["geom"]):
            i, j = (int(x) for x in ref.split(":")[1:])
            box = shapely.box(i * 500, j * 500, (i + 1) * 500, (j + 1) * 500)
            if shapely.intersects(box, zone["geom"]):
                assert ref in mapped
    for r in results:
        if not r.registered:
            reference = Factors(r.factors.hazards, REFERENCE["E"], REFERENCE["V"], 0.0)
            assert r.score.level == score(scheme, reference).level


def test_registering_a_new_pipe_in_a_hazard_cell_never_lowers_it() -> None:
    """The reviewer's case: a class-3 waterlogging cell with nothing registered reads 中 (its
    hazard level); 50 m of new telecom pipe, or a new 300 m water main among 8,000 people per
    km², used to take it to 低 or 较低 (their own E · V is far below the reference cell's).
    The hazard level is now the floor, and the assets' own score is kept beside it."""
    zone = {"geom": shapely.box(0, 0, SIDE, SIDE), "kind": "waterlogging", "hazard_class": 3,
            "return_period_years": None, "name": "z"}
    bare = {"pipelines": [], "tunnels": [], "shelters": [], "flood_points": [], "zones": [zone],
            "in_tunnel": set(), "per_km2": 0.0}
    scheme = Composite("composite_default", 2)
    ref = "c500:0:0"
    empty = {r.ref: r for r in compute(inputs_of(bare), scheme)[0]}[ref]
    assert not empty.registered and empty.score.level.code == "medium"
    for pipe, people in (({"geom": shapely.LineString([(100, 100), (150, 100)]),
                           "category": "telecom", "condition_grade": 1, "build_year": 2025},
                          0.0),
                         ({"geom": shapely.LineString([(100, 100), (400, 100)]),
                           "category": "water_supply", "condition_grade": 1,
                           "build_year": 2024}, 8000.0)):
        row = {"pressure_class": None, "status": "in_service", "division_code": "330106",
               "name": "p", **pipe}
        cell = {r.ref: r for r in compute(inputs_of({**bare, "pipelines": [row],
                                                     "per_km2": people}), scheme)[0]}[ref]
        assert cell.registered and cell.score.level.ordinal >= empty.score.level.ordinal
        assert cell.floor is not None and cell.floor["rule"] == "hazard_level"
        assert cell.floor["registered"]["level"] in ("low", "fairly_low")


# -- the parts ------------------------------------------------------------------------------

@SETTINGS
@given(x=st.floats(0, 1e5), more=st.floats(0, 1e5), k=st.floats(0, 1), k2=st.floats(0, 1),
       d=st.floats(0, 1e5), d2=st.floats(0, 1e5))
def test_exposure_never_falls_as_any_part_grows(x: float, more: float, k: float, k2: float,
                                                d: float, d2: float) -> None:
    expo = DEFAULT_COMPOSITE["exposure"]
    base = cells.exposure(x, k, None, d, expo)
    grown = cells.exposure(x + more, max(k, k2), None, max(d, d2), expo)
    assert 0.0 <= base.value <= grown.value <= 1.0
    assert base.value >= max(base.assets, base.critical, base.people) - 1e-12


areas = st.dictionaries(st.sampled_from([lv.code for lv in FIVE_COLOUR]),
                        st.floats(0.25, 100.0), min_size=1)


@SETTINGS
@given(area=areas, data=st.data())
def test_raising_any_cell_never_lowers_a_division(area: dict[str, float],
                                                  data: st.DataObject) -> None:
    frm = data.draw(st.sampled_from(sorted(area)))
    higher = [lv.code for lv in FIVE_COLOUR if lv.ordinal > ORDINAL[frm]]
    if not higher:
        return
    to = data.draw(st.sampled_from(higher))
    moved = data.draw(st.floats(0.0, area[frm]))
    after = {**area, frm: area[frm] - moved, to: area.get(to, 0.0) + moved}
    assert area_level(after, 0.5)[0].ordinal >= area_level(area, 0.5)[0].ordinal


@SETTINGS
@given(area=areas, data=st.data())
def test_mapping_one_more_cell_never_lowers_a_division(area: dict[str, float],
                                                      data: st.DataObject) -> None:
    """The basis is fixed (built-up or land area): a new cell of any level, 低 included (an
    asset laid outside every hazard zone), adds to its level's share and takes none away."""
    basis = sum(area.values()) + data.draw(st.floats(0.0, 100.0))
    new = data.draw(st.sampled_from([lv.code for lv in FIVE_COLOUR]))
    cell = data.draw(st.floats(0.01, 0.25))
    after = {**area, new: area.get(new, 0.0) + cell}
    assert area_level(after, 0.5, basis)[0].ordinal >= area_level(area, 0.5, basis)[0].ordinal


def test_over_the_mapped_area_a_new_low_cell_lowered_a_division() -> None:
    """Why the basis is fixed: 高 on half of two mapped km² is 高; a third km², 低, made it
    a third — 低 over the mapped area, still 高 over a fixed basis of 2 km² (capped at 100 %)."""
    before, after = {"high": 1.0, "low": 1.0}, {"high": 1.0, "low": 2.0}
    assert area_level(before, 0.5)[0].code == "high" and area_level(after, 0.5)[0].code == "low"
    assert area_level(before, 0.5, 2.0)[0].code == area_level(after, 0.5, 2.0)[0].code == "high"


def test_the_largest_share_would_not_be_monotone_and_the_rule_used_is() -> None:
    """Why not "the level covering the largest share": 较高 40 %, 低 38 %, 中 22 % publishes
    较高; raising 3 % of it to 高 leaves 低 the largest share. The rule used gives 中 (the
    median) both times."""
    before = {"fairly_high": 40.0, "low": 38.0, "medium": 22.0}
    after = {"fairly_high": 37.0, "high": 3.0, "low": 38.0, "medium": 22.0}
    assert max(before, key=before.__getitem__) == "fairly_high"
    assert max(after, key=after.__getitem__) == "low"
    assert area_level(before, 0.5)[0].code == area_level(after, 0.5)[0].code == "medium"


def test_the_reference_breaks_give_each_hazard_class_its_level() -> None:
    scheme = Composite("composite_default", 2)
    assert scheme.breaks == reference_breaks(scheme.params["weights"], REFERENCE)
    for klass in range(1, 6):
        f = Factors({"flood": klass / 5}, REFERENCE["E"], REFERENCE["V"], 0.0)
        assert score(scheme, f).level.ordinal == klass


def test_the_expert_case_reads_high_from_the_factors() -> None:
    """One 60 m gas main of 1975 in condition 4, no people, a class-5 waterlogging zone."""
    expo = DEFAULT_COMPOSITE["exposure"]
    e = cells.exposure(2.0 * 60, expo["critical"]["gas"], "gas", 0.0, expo)
    v = 0.6 * 0.95 + 0.4 * 1.0
    s = score(Composite("composite_default", 2), Factors({"waterlogging": 1.0}, e.value, v, 0.0))
    assert s.level.code == "high" and math.isclose(e.critical, 0.6)


def test_schemes_that_would_let_evidence_lower_a_colour_are_refused() -> None:
    problems = {(p.field, p.code) for p in check_params({
        "vulnerability": {"condition": {"1": 0.9, "2": 0.4, "3": 0.7, "4": 0.95},
                          "in_tunnel_factor": 1.5},
        "exposure": {"critical": {"gas": 2}, "length_ref_m": 0},
        "division_rule": {"share": 0}})}
    assert problems == {("params.vulnerability.condition", "condition_order"),
                        ("params.vulnerability.in_tunnel_factor", "out_of_range"),
                        ("params.exposure.critical.gas", "out_of_range"),
                        ("params.exposure.length_ref_m", "must_be_positive"),
                        ("params.division_rule.share", "out_of_range")}
