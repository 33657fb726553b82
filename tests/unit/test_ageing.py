"""The one ageing rule (国办发〔2022〕22号), row by row, without a database."""

from __future__ import annotations

import pytest

from inventory import ageing
from inventory.ageing import CONDITIONS, RULES, Rule, age_term, assess, is_old
from resilience import codes

YEAR = 2026


def meeting(rule: Rule) -> dict[str, object]:
    """A pipe that meets the row exactly: its material, its years to the day, its condition."""
    material = rule.materials[0] if rule.materials else "steel"
    years = rule.min_years if rule.min_years is not None else 1
    grade = CONDITIONS[rule.condition].min_grade if rule.condition else None
    return {"category": rule.category, "material": material, "build_year": YEAR - years,
            "condition_grade": grade}


def verdict(pipe: dict[str, object]) -> ageing.Verdict:
    return assess(pipe["category"], pipe["material"], pipe["build_year"],  # type: ignore[arg-type]
                  pipe["condition_grade"], YEAR)


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_every_row_holds_where_it_should_and_nowhere_else(rule: Rule) -> None:
    pipe = meeting(rule)
    got = verdict(pipe)
    assert (got.status, got.rule) == (rule.verdict, rule.code)
    assert got.reason_zh and got.reason_en and got.basis
    assert is_old(**pipe, year=YEAR) == (rule.verdict == "old", got.reason_zh)  # type: ignore[arg-type]
    if rule.min_years is not None:  # a year short of the age: not this row
        assert verdict({**pipe, "build_year": YEAR - rule.min_years + 1}).rule != rule.code
        unknown = verdict({**pipe, "build_year": None})  # no build year: the age is unknown
        assert unknown.rule != rule.code or unknown.status != "old"
    if rule.materials:  # another material: not this row
        other = next(m for m in codes.MATERIALS.values() if m not in rule.materials)
        assert verdict({**pipe, "material": other}).rule != rule.code
    if rule.condition is not None:
        better = verdict({**pipe, "condition_grade": CONDITIONS[rule.condition].min_grade - 1})
        assert better.rule != rule.code
        unassessed = verdict({**pipe, "condition_grade": None})  # never old on a guess
        if rule.unassessed == "check":
            assert (unassessed.status, unassessed.rule) == ("check", rule.code)
            assert unassessed.reason_zh.startswith("待评估")
        else:
            assert unassessed.rule != rule.code
    other_category = next(c for c in ("power", "telecom", "industrial") if c != rule.category)
    assert verdict({**pipe, "category": other_category}).status == "ok"


def test_the_rows_say_what_the_document_says() -> None:
    """国办发〔2022〕22号: gas grey iron all, ductile iron failing, steel/PE ≥ 20 a assessed unsafe;
    water asbestos, cement and unlined grey iron, others ≥ 30 a with a hazard; drainage plain
    concrete and ≥ 50 a (age alone); heat ≥ 20 a (age alone) and others with leaks."""
    by = {r.code: r for r in RULES}
    assert (by["gas.grey_cast_iron"].min_years, by["gas.grey_cast_iron"].condition) == (None, None)
    assert (by["gas.steel"].min_years, by["gas.pe"].min_years) == (20, 20)
    assert by["gas.steel"].condition == by["gas.pe"].condition == "unsafe"
    assert by["gas.ductile_iron"].condition == "fails_assessment"
    assert (by["water_supply.aged"].min_years, by["water_supply.aged"].condition) == (30, "unsafe")
    assert (by["drainage.aged"].min_years, by["drainage.aged"].condition) == (50, None)
    assert (by["heat.aged"].min_years, by["heat.aged"].condition) == (20, None)
    assert by["heat.defective"].condition == "defects" and by["heat.defective"].min_years is None
    assert by["water_supply.asbestos"].verdict == "old"
    assert set(ageing.CATEGORIES) == {"gas", "water_supply", "drainage", "heat"}
    assert ageing.VERSION and "22号" in ageing.SOURCE_ZH


def test_the_three_old_definitions_give_way_to_the_one_rule() -> None:
    """Pipes the old definitions (health check gas 30 / water 50 / heat 30 a; four-colour 50 a
    for everything) judged wrongly, each judged by the document now."""
    assert is_old("gas", "pe", YEAR - 25, 3, YEAR)[0]  # was "not old" (gas 30 a)
    assert not is_old("gas", "pe", YEAR - 35, 1, YEAR)[0]  # was "old": 35 a but sound
    assert is_old("gas", "cast_iron", YEAR - 5, None, YEAR)[0]  # grey iron whatever its age
    assert is_old("heat", "steel", YEAR - 22, None, YEAR)[0]  # was "not old" (heat 30 a)
    assert not is_old("water_supply", "ductile_iron", YEAR - 55, 1, YEAR)[0]  # was old (50 a)
    assert is_old("water_supply", "ductile_iron", YEAR - 31, 3, YEAR)[0]  # was not (50 a)
    assert is_old("drainage", "pvc", YEAR - 50, 1, YEAR)[0]  # 50 a: age alone
    assert not is_old("power", "copper", YEAR - 70, 4, YEAR)[0]  # was old (50 a): no rule
    assert assess("heat", "steel", YEAR - 5, None, YEAR).status == "ok"  # young, unassessed
    assert assess("gas", "pe", YEAR - 5, 4, YEAR).status == "check"  # young, unsafe: to verify


def test_inferred_entries_are_marked() -> None:
    """Every "check" row is an inference of this registry, and says what it infers; every
    condition threshold is [I]; the rows as DOMAIN.md gives them are [S]."""
    for rule in RULES:
        assert rule.basis in ("S", "I") and rule.verdict in ("old", "check")
        if rule.verdict == "check":
            assert rule.basis == "I" and rule.inferred_zh and rule.inferred_en
    assert all(c.basis == "I" for c in CONDITIONS.values())
    inferred = {r.code for r in RULES if r.basis == "I"}
    assert inferred == {"gas.young_unsafe", "water_supply.cement", "water_supply.grey_cast_iron",
                        "drainage.plain_concrete"}
    # drainage and heat: the document's rows, checked against a secondary digest only, and
    # saying so on the row
    for code in ("drainage.aged", "heat.aged", "heat.defective"):
        rule = next(r for r in RULES if r.code == code)
        assert rule.basis == "S" and "fx361.cc" in rule.inferred_zh + rule.inferred_en
    rows = ageing.table_rows("zh")
    assert len(rows) == len(RULES)
    assert all(r["inferred"] for r in rows if r["condition"] or r["basis"] == "I")


def test_the_strongest_verdict_wins_and_categories_outside_the_rule_are_never_old() -> None:
    # a 55-year concrete drain: old (age rule) beats to-check (material rule)
    assert assess("drainage", "concrete", YEAR - 55, None, YEAR).rule == "drainage.aged"
    assert assess("drainage", "concrete", YEAR - 5, 1, YEAR).status == "check"
    assert assess("drainage", "pvc", YEAR - 5, 1, YEAR).status == "ok"
    for category in ("power", "telecom", "industrial", "other", None):
        assert assess(category, "cast_iron", 1900, 4, YEAR).status == "ok"
    assert is_old("gas", "cast_iron", None, None, YEAR)[0]  # grey iron: old whatever its age


def test_the_age_term_never_falls_for_an_older_or_worse_pipe() -> None:
    for category in ("gas", "water_supply", "drainage", "heat", "power"):
        for material in ("steel", "pe", "cast_iron", "concrete", "ductile_iron", None):
            for grade in (None, 1, 2, 3, 4):
                terms = [age_term(category, material, YEAR - age, grade, YEAR, 40.0)
                         for age in range(0, 80, 5)]
                assert terms == sorted(terms) and all(0.0 <= t <= 1.0 for t in terms)
            worse = [age_term(category, material, YEAR - 25, g, YEAR, 40.0) for g in (1, 2, 3, 4)]
            assert worse == sorted(worse)
    assert age_term("gas", "cast_iron", YEAR - 1, None, YEAR, 40.0) == 1.0  # old by material
    assert age_term("gas", "pe", YEAR - 10, 1, YEAR, 40.0) == pytest.approx(10 / 20)
    assert age_term("power", "copper", YEAR - 10, 1, YEAR, 40.0) == pytest.approx(10 / 40)
    assert age_term("gas", "pe", None, 1, YEAR, 40.0) == 0.5


def test_the_five_colour_age_term_follows_the_rule_and_tunnels_keep_their_design_life() -> None:
    from risk.factors import _age_ratio

    for pipe in (("gas", "cast_iron", 2), ("water_supply", "pe", 4), ("drainage", None, None)):
        for built in (None, 1960, 2000, 2020):
            assert _age_ratio(built, 40.0, YEAR, pipe) == age_term(pipe[0], pipe[1], built,
                                                                     pipe[2], YEAR, 40.0)
    assert _age_ratio(1976, 100.0, YEAR) == 0.5  # a tunnel: 50 of its 100 design years
    assert _age_ratio(None, 100.0, YEAR) == 0.5


def test_the_four_colour_ageing_rule_uses_the_one_rule() -> None:
    """In a busy district: a young grey-iron gas main is old (worse factors); a 55-year water
    main in fair condition is not (it was, under the old 50-years-for-everything rule)."""
    from datetime import date

    import numpy as np
    import shapely

    from risk import fourcolour
    from risk.inputs import Inputs, Layer, _empty

    rows = [  # category, material, build year, condition grade
        ("gas", "cast_iron", YEAR - 10, 2),
        ("water_supply", "ductile_iron", YEAR - 55, 2),
        ("water_supply", "ductile_iron", YEAR - 35, 4),
        ("power", "copper", YEAR - 70, 2),
    ]
    n = len(rows)

    def col(values: list[object]) -> np.ndarray:
        return np.array(values, dtype=object)

    pipes = Layer(np.arange(1, n + 1, dtype=np.int64),
                  np.array([shapely.LineString([(k * 100, 0), (k * 100 + 50, 0)]) for k in range(n)],
                           dtype=object),
                  {"category": col([r[0] for r in rows]), "material": col([r[1] for r in rows]),
                   "build_year": col([r[2] for r in rows]),
                   "condition_grade": col([r[3] for r in rows]),
                   "pressure_class": col(["low"] * n), "status": col(["in_service"] * n),
                   "division_code": col(["330106"] * n), "name": col([f"p{k}" for k in range(n)])})
    empty = _empty(["name", "division_code"])
    inputs = Inputs(pipes, empty, empty, empty, empty, empty, set(), {}, empty, date(YEAR, 6, 1))
    wanted = fourcolour.wanted_points(inputs, {"330106": 6000.0})
    rule = fourcolour.RULES["ageing_busy"]
    assert wanted[("ageing_busy", "pipelines", 1)]["factors"] == rule["worse"]  # grey iron: old
    assert ("ageing_busy", "pipelines", 2) not in wanted  # 55 years, fair: not old
    assert wanted[("ageing_busy", "pipelines", 3)]["factors"] == rule["worse"]  # ≥ 30 a, defects
    assert ("ageing_busy", "pipelines", 4) not in wanted  # no ageing rule for power lines
    assert rule["ageing_rule"] == ageing.VERSION
