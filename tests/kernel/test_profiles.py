"""The city profile on both databases: entered, checked, audited, read back by year, as sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from resilience import profile_sheets, profiles
from resilience.audit import AuditEntry
from resilience.divisions import DivisionProfile
from resilience.errors import InvalidInput


def test_figures_are_read_as_of_their_year(session: Session) -> None:
    profiles.save(session, "330106", 2020, {"built_up_area_km2": "100.5", "population": 1_100_000,
                                            "built_up_population": "1,000,000"}, by="admin",
                  source="杭州统计年鉴2020")
    profiles.save(session, "330106", 2024, {"built_up_area_km2": 110}, by="admin")
    assert profiles.figures(session, "330106", 2019) is None
    in_2022 = profiles.figures(session, "330106", 2022)
    assert in_2022 is not None and in_2022.year == 2020 and in_2022.built_up_area_km2 == 100.5
    assert in_2022.built_up_density == pytest.approx(1_000_000 / 100.5)
    in_2025 = profiles.all_figures(session, 2025)["330106"]
    assert (in_2025.year, in_2025.built_up_area_km2, in_2025.population) == (2024, 110, None)
    assert in_2025.built_up_density is None  # no population entered for 2024: not guessed
    profiles.save(session, "330106", 2024, {"population": 1_150_000}, by="admin")
    again = profiles.figures(session, "330106", 2024)
    assert again is not None and (again.built_up_area_km2, again.population) == (110, 1_150_000)
    trail = session.scalar(select(func.count()).select_from(AuditEntry)
                           .where(AuditEntry.collection == "division-profiles"))
    assert trail == 3


def test_bad_figures_name_their_field_and_write_nothing(session: Session) -> None:
    with pytest.raises(InvalidInput) as caught:
        profiles.save(session, "330106", 1800, {"built_up_area_km2": "-1", "population": "many",
                                                "built_up_population": 1.5}, by="admin")
    fields = {p.field: p.code for p in caught.value.problems}
    assert fields == {"built_up_area_km2": "too_small", "population": "not_a_number",
                      "built_up_population": "not_an_integer", "year": "out_of_range"}
    with pytest.raises(InvalidInput) as caught:
        profiles.save(session, "999999", 2024, {"population": 1}, by="admin")
    assert caught.value.problems[0].field == "division_code"
    profiles.save(session, "330102", 2024, {"population": 500}, by="admin")
    with pytest.raises(InvalidInput) as caught:  # checked against what is already stored
        profiles.save(session, "330102", 2024, {"built_up_population": 600}, by="admin")
    assert caught.value.problems[0].code == "exceeds"
    assert session.scalar(select(func.count()).select_from(DivisionProfile)) == 1


@pytest.mark.parametrize(("suffix", "lang"), [(".xlsx", "zh"), (".csv", "en"),
                                              (".xlsx", "machine")])
def test_a_sheet_goes_out_and_comes_back(session: Session, tmp_path: Path, suffix: str,
                                         lang: str) -> None:
    profiles.save(session, "330102", 2025, {"built_up_area_km2": 26.3, "population": 1_323_000,
                                            "built_up_population": 1_300_000}, by="admin",
                  source="年鉴")
    path = tmp_path / f"profile{suffix}"
    assert profile_sheets.write(session, path, lang=lang) == 1
    session.execute(DivisionProfile.__table__.delete())
    assert profile_sheets.read(session, path, by="admin") == 1
    back = profiles.figures(session, "330102", 2025)
    assert back is not None and (back.built_up_area_km2, back.population, back.source) == (
        26.3, 1_323_000, "年鉴")


def test_a_sheet_with_errors_stores_nothing_and_names_rows(session: Session,
                                                           tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("区划代码,年份,建成区面积(km²),常住人口\n330105,2025,40,100\n"
                    "339999,2025,1,2\n330106,2025,abc,\n", encoding="gb18030")
    with pytest.raises(InvalidInput) as caught:
        profile_sheets.read(session, path, by="admin")
    assert [(p.row, p.field) for p in caught.value.problems] == [
        (3, "division_code"), (4, "built_up_area_km2")]
    # The caller's transaction rolls back: the good row 2 goes with it.
    session.rollback()
    assert session.scalar(select(func.count()).select_from(DivisionProfile)) == 0
    no_code = tmp_path / "nocode.csv"
    no_code.write_text("年份,常住人口\n2025,3\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        profile_sheets.read(session, no_code, by="admin")
    assert [p.field for p in caught.value.problems] == ["区划代码"]
