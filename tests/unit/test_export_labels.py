"""Headings and code labels of the spreadsheets for people: each one reads back as it was meant."""

from __future__ import annotations

import pytest

import risk  # noqa: F401  (registers the risk collections)
from inventory import COLLECTIONS, CollectionSpec
from inventory.formats import labels
from inventory.formats.pages import typed_columns
from inventory.mapping import build
from inventory.references import number_label, numbers
from resilience.errors import InvalidInput
from resilience.messages import MESSAGES

IMPORTABLE = [s for s in COLLECTIONS.values() if s.importable and not s.readonly_collection]


def headings(spec: CollectionSpec, lang: str) -> dict[str, str]:
    cols = typed_columns(spec)
    return {c.name: labels.heading(spec, c.name, lang, cols[0].name) for c in cols}


@pytest.mark.parametrize("raw, lang", [
    (None, "zh"), ("", "zh"), ("zh", "zh"), ("zh-CN", "zh"), ("zh_CN", "zh"), ("ZH", "zh"),
    ("en", "en"), ("en-US", "en"), ("machine", "machine"), ("MACHINE", "machine")])
def test_a_language_from_a_request(raw: str | None, lang: str) -> None:
    assert labels.language(raw) == lang


def test_an_unknown_language_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(InvalidInput) as err:
        labels.language("fr")
    problem = err.value.problems[0]
    assert (problem.field, problem.code, problem.params["allowed"]) == (
        "lang", "unknown_code", ["zh", "en", "machine"])
    assert "unknown_code" in MESSAGES


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("spec", IMPORTABLE, ids=lambda s: s.name)
def test_every_heading_imports_back_to_its_field(spec: CollectionSpec, lang: str) -> None:
    named = headings(spec, lang)
    assert len(set(named.values())) == len(named), named  # no two columns share a heading
    mapping = build(spec, list(named.values()))
    for name, heading in named.items():
        field = spec.field(name)
        writable = (field is None and name != "id") or (field is not None and not field.readonly)
        assert mapping.columns.get(heading) == (name if writable else None), (name, heading)


def test_headings_carry_units_and_references_their_numbers() -> None:
    pipes = headings(COLLECTIONS["pipelines"], "zh")
    assert [pipes[n] for n in ("id", "name", "external_id", "category", "material",
                               "diameter_mm", "start_point_id", "start_point_no")] == [
        "系统编号", "名称", "外部编号", "管线大类", "材质", "管径(mm)", "起点", "起点点号"]
    assert headings(COLLECTIONS["pipelines"], "en")["end_point_no"] == "End point number"
    assert headings(COLLECTIONS["tunnels"], "zh")["design_life_years"] == "设计使用年限(年)"
    assert headings(COLLECTIONS["tunnels"], "en")["design_life_years"] == "Design life (years)"
    assert headings(COLLECTIONS["shelters"], "zh")["effective_area_m2"] == "有效避难面积(m²)"
    assert headings(COLLECTIONS["tunnels"], "zh")["cabins"] == "舱室"
    assert headings(COLLECTIONS["pipelines"], "machine")["diameter_mm"] == "diameter_mm"
    assert numbers(COLLECTIONS["pipelines"]) == {"start_point_no": "start_point_id",
                                                 "end_point_no": "end_point_id"}
    assert number_label(COLLECTIONS["risk-points"], "tunnel_no", "zh") == "所在管廊编号"
    assert labels.sheet_name(COLLECTIONS["pipelines"], "zh") == "管线段"
    assert labels.sheet_name(COLLECTIONS["pipelines"], "machine") == "pipelines"
    assert all(len(labels.sheet_name(s, lang)) <= 31 for s in COLLECTIONS.values()
               for lang in labels.LANGUAGES)


def test_survey_words_for_a_lines_ends_are_point_numbers() -> None:
    mapping = build(COLLECTIONS["pipelines"], ["起点号", "终点点号", "起点"])
    assert mapping.columns == {"起点号": "start_point_no", "终点点号": "end_point_no",
                               "起点": "start_point_id"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_code_label_reads_back_as_its_code(lang: str) -> None:
    wrong = []
    for spec in COLLECTIONS.values():
        for field in [*spec.fields, *(f for c in spec.children for f in c.fields)]:
            for code in field.codes or ():
                if field.codes.normalise(code.label(lang)) != code.value:  # type: ignore[union-attr]
                    wrong.append((spec.name, field.name, code.value, code.label(lang)))
    assert not wrong


def test_values_speak_the_language_by_one_lookup() -> None:
    from zoneinfo import ZoneInfo

    spec = COLLECTIONS["shelters"]
    cols = [(c.name, c.kind) for c in typed_columns(spec)]
    names = [n for n, _ in cols]
    zone = ZoneInfo("Asia/Shanghai")
    row = [None] * len(cols)
    row[names.index("kind")] = "emergency_shelter"
    row[names.index("is_open")] = False
    row[names.index("facilities")] = ["应急供水", "应急厕所"]
    row[names.index("created_at")] = "2025-01-10T02:00:05Z"
    zh = labels.speech(spec, cols, "zh", zone, {"created_at"}).say(list(row))
    assert [zh[names.index(n)] for n in ("kind", "is_open", "facilities", "created_at")] == [
        "应急避难场所", "否", "应急供水、应急厕所", "2025-01-10 10:00:05"]
    en = labels.speech(spec, cols, "en", zone, {"created_at"}).say(list(row))
    assert [en[names.index(n)] for n in ("kind", "is_open", "facilities")] == [
        "Emergency shelter", "No", "应急供水; 应急厕所"]
    machine = labels.speech(spec, cols, "machine", zone, {"created_at"}).say(list(row))
    assert machine[names.index("kind")] == "emergency_shelter"
    assert machine[names.index("created_at")] == "2025-01-10T10:00:05+08:00"
    row[names.index("facilities")] = ["水、电", "厕所"]  # a separator inside: JSON, as ever
    assert labels.speech(spec, cols, "zh", zone, set()).say(list(row))[
        names.index("facilities")] == ["水、电", "厕所"]


@pytest.mark.parametrize("lang", labels.LANGUAGES)
def test_no_two_columns_of_any_collection_share_a_heading(lang: str) -> None:
    for spec in COLLECTIONS.values():
        named = list(headings(spec, lang).values())
        assert len(set(named)) == len(named), (spec.name, named)
