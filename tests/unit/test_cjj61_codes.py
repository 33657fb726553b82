"""CJJ 61-2017 pipeline types in every spelling, checked against the standard's own table (no database)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from inventory.mapping import build
from inventory.pipelines import NETWORK_POINTS, PIPELINES, check_mapped_types
from inventory.validation import parse_properties, parse_rows
from resilience import codes
from resilience.errors import InvalidInput

# Appendix B as DOMAIN.md §6 transcribes it, kept here as text so the test does not read the
# code lists it checks: 大类 name, letter code, digit | 小类 name letters two-digit number, …
TABLE = """
给水 JS 1 | 原水 JY 01, 输水 SS 02, 中水 ZS 03, 配水 JP 04, 直饮水 JZ 05, 消防水 XS 06, 绿化水 LS 07, 循环水 JH 08
排水 PS 2 | 雨水 YS 01, 污水 WS 02, 雨污合流 HS 03
燃气 RQ 3 | 煤气 MQ 01, 液化气 YH 02, 天然气 TR 03
热力 RL 4 | 热水 RS 01, 蒸汽 ZQ 02
电力 DL 5 | 供电 GD 01, 路灯 LD 02, 交通信号 XH 03, 电车 DC 04, 广告 GG 05
通信 TX 6 | 电话 DH 01, 有线电视 DS 02, 信息网络 XX 03, 广播 GB 04
工业 GY 7 | 氢气 QQ 01, 氧气 YQ 02, 乙炔 GQ 03, 乙烯 YX 04, 苯 BQ 05, 氯气 LQ 06, 氮气 DQ 07, \
二氧化碳 EY 08, 氨气 AQ 09, 甲苯 JB 10
其他 QT 8 | 综合管沟 ZH 01, 不明管线 BM 02
"""


def _rows() -> list[tuple[tuple[str, str, str], list[tuple[str, str, str]]]]:
    out = []
    for line in TABLE.strip().splitlines():
        head, subs = line.split(" | ")
        main = tuple(head.split())
        out.append((main, [tuple(s.split()) for s in subs.split(", ")]))
    return out  # type: ignore[return-value]


MAINS = [main for main, _ in _rows()]
SUBS = [(main, sub) for main, subs in _rows() for sub in subs]


def _category(zh: str) -> str:
    found = codes.PIPELINE_CATEGORIES.normalise(zh)
    assert found is not None, zh
    return found


def test_the_table_is_the_registry_s_table() -> None:
    assert [(c.zh, c.cjj, c.number) for c in codes.PIPELINE_CATEGORIES] == MAINS
    assert [(c.zh, c.cjj, c.number) for c in codes.PIPELINE_SUBCATEGORIES] == [
        (zh, letters, digit + number) for (_, _, digit), (zh, letters, number) in SUBS]
    for (main_zh, _, _), (zh, _, _) in SUBS:
        assert codes.PIPELINE_SUBCATEGORIES.get(
            codes.PIPELINE_SUBCATEGORIES.normalise(zh) or "").parent == _category(main_zh)


@pytest.mark.parametrize(("zh", "letters", "digit"), MAINS)
def test_every_category_is_read_by_name_letters_and_number(zh: str, letters: str, digit: str) -> None:
    expected = (_category(zh), None)
    for spelling in (zh, letters, letters.lower(), digit, int(digit), f"{zh}管线"):
        assert codes.pipeline_type(spelling) == expected, spelling
        props: dict[str, Any] = {"category": spelling}
        values, problems = parse_properties(PIPELINES, props, partial=True)
        assert (values["category"], values.get("subcategory"), problems) == (expected[0], None, [])
        assert props == {"category": spelling}  # the caller's body is left as sent


@pytest.mark.parametrize(("main", "sub"), SUBS, ids=[s[0] for _, s in SUBS])
def test_every_subcategory_is_read_in_either_column_by_name_letters_and_number(
        main: tuple[str, str, str], sub: tuple[str, str, str]) -> None:
    main_zh, main_letters, digit = main
    zh, letters, number = sub
    category = _category(main_zh)
    value = codes.PIPELINE_SUBCATEGORIES.normalise(letters)
    assert value is not None
    full = digit + number
    spellings = [zh, letters, letters.lower(), full, int(full), float(full), f"{digit}-{number}",
                 f"{digit} {number}", f"{digit}.{number}", f"{zh}管"]
    for spelling in spellings:
        assert codes.pipeline_type(spelling) == (category, value), spelling
        # 管线类型 holding the 小类 sets both levels …
        values, problems = parse_properties(PIPELINES, {"category": spelling}, partial=True)
        assert (values["category"], values["subcategory"], problems) == (category, value, []), spelling
        # … and so does the 小类 column alone, or under its own 大类 in any spelling.
        for given in ({}, {"category": main_zh}, {"category": main_letters}, {"category": digit}):
            values, problems = parse_properties(PIPELINES, {**given, "subcategory": spelling},
                                                partial=True)
            assert (values["category"], values["subcategory"], problems) == (category, value, []), (
                given, spelling)
        # A network point keeps the 大类.
        values, problems = parse_properties(NETWORK_POINTS, {"category": spelling}, partial=True)
        assert (values["category"], problems) == (category, [])
    # Under a named 大类 the 小类's own two digits are enough ("01", and 1 from a spreadsheet).
    for bare in (number, int(number)):
        values, problems = parse_properties(PIPELINES, {"category": main_zh, "subcategory": bare},
                                            partial=True)
        assert (values["category"], values["subcategory"], problems) == (category, value, [])


@pytest.mark.parametrize("spelling", ["201", "2-01", "2 01", "2.01", "2_01", "2/01", "2-1", "2－01",
                                      201, 201.0, 2.01])
def test_the_numeric_forms_of_a_subcategory(spelling: Any) -> None:
    assert codes.pipeline_type(spelling) == ("drainage", "stormwater")


@pytest.mark.parametrize("spelling", ["21", "01", 1.5, 7.1, "9", "901", "2-04", True, None, ["YS"], "暖气"])
def test_ambiguous_or_unknown_spellings_are_not_guessed(spelling: Any) -> None:
    assert codes.pipeline_type(spelling) is None


@pytest.mark.parametrize(("props", "problem"), [
    ({"category": "给水", "subcategory": "WS"}, ("subcategory_mismatch", "WS", "给水")),
    ({"category": "JS", "subcategory": "202"}, ("subcategory_mismatch", "202", "JS")),
    ({"category": "water_supply", "subcategory": "sewage"}, ("subcategory_mismatch", "sewage", "water_supply")),
    ({"category": "YS", "subcategory": "污水"}, ("subcategory_conflict", "污水", "YS")),
    ({"category": "GD", "subcategory": "YS"}, ("subcategory_mismatch", "YS", "GD")),
])
def test_a_subcategory_of_another_category_is_the_subcategory_s_problem(
        props: dict[str, Any], problem: tuple[str, str, str]) -> None:
    for _, problems in [parse_properties(PIPELINES, props, partial=False),
                        parse_rows(PIPELINES, [dict(props)], date.today(), {})[0]]:
        found = [(p.field, p.code, p.params.get("value"), p.params.get("category")) for p in problems
                 if p.field in ("category", "subcategory")]
        assert found == [("subcategory", *problem)]


def test_a_subcategory_column_holding_a_category_is_refused_by_the_field() -> None:
    _, problems = parse_properties(PIPELINES, {"category": "排水", "subcategory": "给水"}, partial=True)
    assert [(p.field, p.code) for p in problems] == [("subcategory", "unknown_code")]


def test_a_batch_row_names_the_subcategory_it_implies_for_the_writer() -> None:
    rows = [{"category": "YS"}, {"subcategory": "GD"}, {"category": "RQ"}]
    parsed = parse_rows(PIPELINES, rows, date.today(), {})
    assert [(v["category"], v["subcategory"], p) for v, p in parsed] == [
        ("drainage", "stormwater", []), ("power", "power_supply", []), ("gas", None, [])]
    assert rows[0] == {"category": "drainage", "subcategory": "stormwater"}  # rewritten in place


@pytest.mark.parametrize(("values", "where", "word", "code"), [
    ({"subcategory": {"雨水": "GD"}}, "mapping.values.subcategory", "雨水", "GD"),
    ({"subcategory": {"WSG": "YS", "煤气": "TR", "污水管": "供电"}}, "mapping.values.subcategory", "污水管", "供电"),
    ({"category": {"给水": "WS"}}, "mapping.values.category", "给水", "WS"),
    ({"category": {"RAIN": "排水", "PIPE": "给水"}, "subcategory": {"PIPE": "YS"}},
     "mapping.values.subcategory", "PIPE", "YS"),
])
def test_a_mapping_with_a_subcategory_under_the_wrong_category_is_refused(
        values: dict[str, dict[str, str]], where: str, word: str, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        build(PIPELINES, ["管线类型", "管线小类"], {"values": values})
    [problem] = error.value.problems
    assert (problem.field, problem.code, problem.params["value"], problem.params["code"]) == (
        where, "mapping_wrong_category", word, code)
    from resilience.messages import describe

    assert word in describe(problem, "zh") and code in describe(problem, "en")


def test_a_mapping_to_an_unknown_type_is_refused_and_a_good_one_passes() -> None:
    problems = check_mapped_types({"subcategory": {"R": "排水"}, "category": {"X": "暖气"}})
    assert sorted((p.field, p.code, p.params["value"]) for p in problems) == [
        ("mapping.values.category", "unknown_code", "暖气"),
        ("mapping.values.subcategory", "unknown_code", "排水")]
    good = {"category": {"1": "YS", "排水管": "PS", "R": "雨水"}, "subcategory": {"1": "YS", "2": "202"}}
    assert check_mapped_types(good) == []  # the file's own numbers are its own numbering
    assert build(PIPELINES, ["管线类型"], {"values": good}).values == good
    with pytest.raises(InvalidInput):
        build(NETWORK_POINTS, ["管线类型"], {"values": {"category": {"给水": "WS"}}})

