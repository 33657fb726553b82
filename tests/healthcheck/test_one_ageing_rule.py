"""One definition of old pipe (issue 14 §6), on both databases.

Before, the health check called gas 30 / water 50 / heat 30 years old, the four-colour map 50
years for everything, the five-colour map its own table; and the risk run read no material, so
even a rule by material could not have seen a grey-iron main. Here each pipe the old
definitions judged wrongly is stored, and the health check, the 管线焕新 list, the four-colour
ageing rule and the five-colour age term — each reading the registry its own way — name the
same pipes old, by 国办发〔2022〕22号.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from inventory import ageing, renewal, service
from risk import fourcolour, inputs
from risk.factors import _age_ratio, _material
from risk.healthcheck import checks
from tests import factories as f
from tests.healthcheck.conftest import YEAR, ctx

# name: (category, subcategory, material, years in service, condition grade, old by the rule)
PIPES: dict[str, tuple[str, str, str, int, int, bool]] = {
    "young_grey_iron_gas": ("gas", "natural_gas", "cast_iron", 10, 2, True),  # was not (30/50 a)
    "pe_gas_25_unsafe": ("gas", "natural_gas", "pe", 25, 3, True),  # was not (gas 30 a)
    "pe_gas_35_sound": ("gas", "natural_gas", "pe", 35, 1, False),  # was old (gas 30 a)
    "heat_22": ("heat", "hot_water", "steel", 22, 2, True),  # was not (heat 30 a)
    "water_55_sound": ("water_supply", "distribution", "ductile_iron", 55, 1, False),  # was old
    "water_31_unsafe": ("water_supply", "distribution", "ductile_iron", 31, 3, True),  # was not
    "drain_50": ("drainage", "sewage", "pvc", 50, 2, True),  # 50 a: age alone
    "power_70": ("power", "power_supply", "copper", 70, 2, False),  # was old (50 a): no rule
}


def stored(session: Session) -> dict[str, Any]:
    c = ctx(session)
    made = {}
    for i, (name, (cat, sub, material, years, grade, _)) in enumerate(PIPES.items()):
        props: dict[str, Any] = {"category": cat, "subcategory": sub, "material": material,
                                 "build_year": YEAR - years, "condition_grade": grade}
        if cat == "gas":
            props["pressure_class"] = "low"  # the gas pressure rules would take it otherwise
        made[name] = service.create(session, "pipelines", f.pipeline(
            (f.XIHU[0] + 0.003 * i, f.XIHU[1] + 0.001 * i), **props), c)
    session.flush()
    return made


def test_the_health_check_the_renewal_list_and_both_risk_maps_name_the_same_old_pipes(
        session: Session) -> None:
    made = stored(session)
    expected = {made[n].id for n, spec in PIPES.items() if spec[5]}
    assert {n for n, spec in PIPES.items() if spec[5]} == {
        "young_grey_iron_gas", "pe_gas_25_unsafe", "heat_22", "water_31_unsafe", "drain_50"}

    # 管线焕新: the old ones, nothing else called old
    found = renewal.candidates(session, "330106", YEAR)
    assert {c.id for c in found if c.verdict.status == "old"} == expected

    # the health check: per category, the old segments by the same rule
    check = checks.compute(session, "330106", YEAR, by="t")
    segments = {cat: check.value_of(f"pipeline_over_age.{cat}").detail["segments"]
                for cat in ageing.CATEGORIES}
    assert segments == {"gas": 2, "water_supply": 1, "drainage": 1, "heat": 1}
    assert check.value_of("pipeline_over_age.power") is None  # no rule: not in the set at all

    # the four-colour map, from the registry as a risk run reads it (material included)
    read = inputs.load(session, today=date(YEAR, 6, 1))
    wanted = fourcolour.wanted_points(read, {"330106": 6000.0})  # a busy district
    busy = {asset for rule, _, asset in wanted if rule == "ageing_busy"}
    mine = {p.id for p in made.values()}
    assert busy & mine == expected  # condition grades 1–2: only the rule makes them busy

    # the five-colour vulnerability's age term: full for every old pipe (a sound one reaches
    # it only by age, over its category's renewal age: the 10-year grey-iron main by material)
    pipes = read.pipelines
    term = {}
    for k in range(len(pipes)):
        pipe = (pipes.attrs["category"][k], _material(pipes, k), pipes.attrs["condition_grade"][k])
        term[int(pipes.ids[k])] = _age_ratio(pipes.attrs["build_year"][k], 40.0, YEAR, pipe)
    assert all(term[i] == 1.0 for i in expected)
    assert term[made["young_grey_iron_gas"].id] == 1.0  # was 10 / 30 (or 0.5 without material)
