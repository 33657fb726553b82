"""Each registry-computed indicator's formula on a hand-built city, on both databases."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from inventory import ageing, service
from resilience import profiles
from resilience.divisions import Division
from risk.healthcheck import indicators
from risk.healthcheck.catalogue import note_text
from risk.healthcheck.indicators import Scope
from risk.healthcheck.scope import table_columns
from tests import factories as f
from tests.healthcheck.conftest import YEAR, ctx


def scope(session: Session, code: str = "330106", *, year: int = YEAR, example: bool = False,
          **figures: float) -> Scope:
    """The division's scope, with city-profile figures for the year entered first when given."""
    if figures:
        profiles.save(session, code, year, figures, by="admin", example=example,
                      source="演示" if example else "统计年鉴")
    division = session.get(Division, code)
    assert division is not None
    return Scope(session, division, YEAR, {}, today=date(YEAR, 12, 2))


def km(*pipes: Any) -> float:
    return sum(p.length_m for p in pipes) / 1000


def test_waterlogging_points_count_density_and_elimination(session: Session,
                                                          city: dict[str, Any]) -> None:
    out = indicators.waterlogging(scope(session, built_up_area_km2=50))
    assert out["waterlogging_points"].value == 1  # the active one in 西湖区
    assert out["waterlogging_density"].value == pytest.approx(1 / 50, abs=1e-3)
    assert out["waterlogging_density"].note is None
    # open on 1 January: flood_open and flood_fixed; eliminated in the year: flood_fixed
    assert out["waterlogging_elimination"].value == 50.0
    assert out["waterlogging_elimination"].detail == {"start_open": 2, "eliminated": 1,
                                                      "still_open": 1}
    city_wide = indicators.waterlogging(scope(session, "330100"))
    assert city_wide["waterlogging_points"].value == 2


def test_drainage_density_divides_by_the_profile_s_built_up_area_or_is_no_data(
        session: Session, city: dict[str, Any]) -> None:
    drains = km(city["drain_old"], city["drain_unknown"])  # not the abandoned one
    missing = indicators.drainage_density(scope(session))  # never the administrative area
    assert missing["drainage_density"].value is None
    assert missing["drainage_density"].note == "no_built_up_area"
    only_people = indicators.drainage_density(scope(session, population=1_000_000))
    assert only_people["drainage_density"].value is None
    entered = indicators.drainage_density(scope(session, built_up_area_km2=0.5))
    assert entered["drainage_density"].value == pytest.approx(drains / 0.5, rel=1e-3)
    assert entered["drainage_density"].note is None
    base = indicators.base_figures(scope(session))
    assert (base["built_up_area"].value, base["population"].value) == (0.5, 1_000_000)


def test_figures_of_an_earlier_year_or_example_figures_are_noted(
        session: Session, city: dict[str, Any]) -> None:
    earlier = scope(session, year=YEAR - 2, built_up_area_km2=2.0, population=500_000)
    out = indicators.drainage_density(earlier)["drainage_density"]
    assert out.value is not None and out.note == "earlier_figures"
    assert out.detail["profile_year"] == YEAR - 2 and "example" not in out.detail
    example = scope(session, year=YEAR - 1, example=True, built_up_area_km2=4.0)
    out = indicators.drainage_density(example)["drainage_density"]
    drains = km(city["drain_old"], city["drain_unknown"])
    assert out.value == pytest.approx(drains / 4.0, rel=1e-3)
    assert out.note == "example_figures" and out.detail["example"] is True
    text = note_text(out.note, out.detail, "zh")
    assert "示例" in text and str(YEAR - 1) in text
    people = indicators.shelters(example)["shelter_area_per_capita"]  # that year's row has none
    assert (people.value, people.note) == (None, "no_population")


def test_ageing_pipelines_per_category_by_the_one_rule(session: Session,
                                                      city: dict[str, Any]) -> None:
    out = indicators.pipeline_age(scope(session))
    assert out["pipeline_over_age.water_supply"].value == 0.0
    assert out["pipeline_over_age.gas"].value == 100.0
    drains = km(city["drain_old"], city["drain_unknown"])
    assert out["pipeline_over_age.drainage"].value == pytest.approx(
        100 * km(city["drain_old"]) / drains, abs=0.01)
    everything = km(city["water"], city["gas"], city["drain_old"], city["drain_unknown"])
    assert out["pipeline_over_age.all"].value == pytest.approx(
        100 * km(city["gas"], city["drain_old"]) / everything, abs=0.01)
    assert out["pipeline_over_age.all"].detail["segments"] == 2
    assert out["pipeline_over_age.heat"].value is None
    assert out["pipeline_over_age.heat"].note == "no_lines"
    assert out["pipeline_over_age.all"].detail["rule"] == ageing.VERSION
    # 国办发〔2022〕22号 has no rule for power or telecom lines: not computed, never "0 %"
    assert (out["pipeline_over_age.power"].value, out["pipeline_over_age.power"].note) == (
        None, "no_ageing_rule")


def test_tunnel_length_and_share_of_lines_in_tunnels(session: Session,
                                                     city: dict[str, Any]) -> None:
    out = indicators.tunnels(scope(session))
    assert out["tunnel_length"].value == pytest.approx(city["tunnel"].length_m / 1000, abs=1e-3)
    assert out["tunnel_share.gas"].value == 100.0
    assert out["tunnel_share.water_supply"].value == 0.0
    everything = km(city["water"], city["gas"], city["drain_old"], city["drain_unknown"])
    assert out["tunnel_share.all"].value == pytest.approx(
        100 * km(city["gas"]) / everything, abs=0.01)


def test_shelter_area_per_person_capacity_and_radius_coverage(
        session: Session, city: dict[str, Any]) -> None:
    missing = indicators.shelters(scope(session))  # never the division table's population
    assert missing["shelter_area_per_capita"].value is None
    assert missing["shelter_area_per_capita"].note == "no_population"
    out = indicators.shelters(scope(session, population=1_000_000))
    assert out["shelter_area_per_capita"].value == pytest.approx(21000 / 1e6, abs=1e-3)
    assert out["shelter_capacity"].value == 20000 // 2 + 1000 // 0.5  # the closed one not
    # Coverage is over the built-up stand-in (the 250 m cells holding registered pipe), never
    # the whole county: every pipe of the city lies within the fixed shelter's 2 km.
    cov = out["shelter_coverage"]
    assert (cov.value, cov.note) == (100.0, "asset_footprint")
    assert cov.detail["cells"] >= 3 and cov.detail["uncovered_km2"] == 0.0
    text = note_text(cov.note, cov.detail, "zh")
    assert "250 m 网格" in text and "建成区近似" in text


def test_coverage_is_over_the_registered_built_up_area_not_the_county(
        session: Session, city: dict[str, Any]) -> None:
    """A pipe laid far out in 西湖区's hills adds one cell out of every shelter's reach; the
    hills with nothing registered add nothing (today's county-wide figure was ~5 %)."""
    far = service.create(session, "pipelines", f.pipeline((120.05, 30.22)), ctx(session))
    assert far.division_code == "330106"
    cov = indicators.shelters(scope(session))["shelter_coverage"]
    n = cov.detail["cells"]
    assert cov.detail["covered"] == n - 1 and cov.detail["uncovered_km2"] == 0.1  # 0.0625 km²
    assert cov.value == pytest.approx(100 * (n - 1) / n, abs=1e-3)
    nothing = indicators.shelters(scope(session, "330105"))["shelter_coverage"]  # no pipe at all
    assert (nothing.value, nothing.note) == (None, "no_footprint")


def test_coverage_counts_a_neighbours_shelter(session: Session, city: dict[str, Any]) -> None:
    """上城区 has no shelter of its own; 西湖区's reach may not touch it, but the city's does."""
    assert indicators.shelters(scope(session, "330102"))["shelter_area_per_capita"].value is None
    own = indicators.shelters(scope(session, "330102", population=1_330_000))
    assert own["shelter_area_per_capita"].value == 0.0
    assert 0.0 <= own["shelter_coverage"].value < 5.0
    assert shapely.is_valid(scope(session, "330102").plane_area)


def _hand_tables(session: Session) -> dict[str, str]:
    """Stand-ins for the hazards and task tables (rolled back with the test)."""
    session.execute(text("CREATE TABLE hc_hazards (id INTEGER PRIMARY KEY, state VARCHAR(16), "
                         "found_at DATE, closed_at DATE, deadline DATE, "
                         "division_code VARCHAR(12), category VARCHAR(24))"))
    session.execute(text("CREATE TABLE hc_tasks (id INTEGER PRIMARY KEY, due_on DATE, "
                         "closes_on DATE, status VARCHAR(16), done_at DATE, "
                         "division_code VARCHAR(12))"))
    return {"hazards": "hc_hazards", "inspection_tasks": "hc_tasks"}


def test_hazards_found_and_closed_on_time(session: Session) -> None:
    tables = _hand_tables(session)
    rows = [  # found, closed, deadline, division
        (date(YEAR, 2, 1), date(YEAR, 3, 1), date(YEAR, 3, 15), "330106"),  # on time
        (date(YEAR, 2, 1), date(YEAR, 4, 1), date(YEAR, 3, 15), "330106"),  # late
        (date(YEAR, 5, 1), None, date(YEAR, 6, 1), "330106001"),  # overdue, open (below 西湖)
        (date(YEAR, 11, 1), None, date(YEAR + 1, 1, 31), "330106"),  # not yet due
        (date(YEAR - 1, 6, 1), date(YEAR, 1, 5), date(YEAR, 1, 10), "330106"),  # on time
        (date(YEAR, 2, 1), None, date(YEAR, 3, 1), "330102"),  # another district
    ]
    for i, (found, closed, deadline, code) in enumerate(rows):
        category = "road_collapse" if i in (2, 4) else "x"  # one still open, one closed
        session.execute(text("INSERT INTO hc_hazards VALUES (:i, 'x', :f, :c, :d, :code, :k)"),
                        {"i": i, "f": found, "c": closed, "d": deadline, "code": code,
                         "k": category})
    s = scope(session)
    s.tables = tables
    out = indicators.hazards(s)
    assert out["hazards_found"].value == 4
    assert out["hazards_closed_on_time"].value == pytest.approx(100 * 2 / 4)
    assert out["hazards_closed_on_time"].detail == {"due": 4, "on_time": 2, "late": 2}
    assert out["road_collapse_hazards"].value == 1


def test_inspections_done_on_time(session: Session) -> None:
    tables = _hand_tables(session)
    rows = [  # due, closes, done, division
        (date(YEAR, 3, 1), date(YEAR, 3, 8), date(YEAR, 3, 7)),  # on time
        (date(YEAR, 3, 1), date(YEAR, 3, 8), date(YEAR, 3, 8)),  # on the last day
        (date(YEAR, 3, 1), date(YEAR, 3, 8), date(YEAR, 3, 9)),  # late
        (date(YEAR, 4, 1), None, None),  # never done
        (date(YEAR, 12, 1), date(YEAR, 12, 14), None),  # still open: not counted
        (date(YEAR, 5, 1), date(YEAR, 5, 8), None, "cancelled"),  # re-planned away: not owed
    ]
    for i, (due, closes, done, *status) in enumerate(rows):
        session.execute(text("INSERT INTO hc_tasks VALUES (:i, :d, :c, :s, :done, '330106')"),
                        {"i": i, "d": due, "c": closes, "done": done,
                         "s": status[0] if status else "due"})
    s = scope(session)
    s.tables = tables
    out = indicators.inspections(s)
    assert out["inspections_on_time"].value == 50.0
    assert out["inspections_on_time"].detail["late"] == 2


def test_without_the_tables_the_values_are_no_data(session: Session) -> None:
    s = scope(session)
    s.tables = {"hazards": "hc_absent_h", "inspection_tasks": "hc_absent_t"}
    out = {**indicators.hazards(s), **indicators.inspections(s)}
    assert all(v.value is None and v.note == "no_table" for v in out.values())


def test_the_registry_tables_have_the_columns_the_indicators_read(session: Session) -> None:
    """The hazards and inspection-task tables (built beside this package) keep the contract."""
    hazards = table_columns(session, "hazards")
    tasks = table_columns(session, "inspection_tasks")
    events = table_columns(session, "hazard_events")
    assert hazards is not None and {"found_at", "closed_at", "deadline", "division_code", "category",
                                    "retired_at", "supervision_deadline"} <= hazards
    assert events is not None and {"hazard_id", "at", "changes"} <= events
    assert tasks is not None and {"due_on", "closes_on", "status", "done_at",
                                  "division_code"} <= tasks
    out = {**indicators.hazards(scope(session)), **indicators.inspections(scope(session))}
    assert all(v.note != "no_table" for v in out.values())


def test_today_is_the_city_day_not_the_server_day(session: Session) -> None:
    """Before: the server's UTC date, a day behind China until 08:00."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    division = session.get(Division, "330106")
    assert division is not None
    for name in ("Pacific/Kiritimati", "Etc/GMT+12", "Asia/Shanghai"):  # UTC+14, UTC−12
        zone = ZoneInfo(name)
        assert Scope(session, division, YEAR, zone=zone).day == datetime.now(zone).date()
    assert Scope(session, division, YEAR, today=date(YEAR, 3, 1)).day == date(YEAR, 3, 1)
