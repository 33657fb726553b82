"""The five-colour exposure takes its population density from the city profile (issue 13 §3).

On the hand-built city of ``test_runs`` (W: a 200 m water main in 西湖区 under a class-4
waterlogging zone, scheme v2: E = 1 − (1 − A)(1 − P), A = 1 − e^(−0.08) for the main, P = 0.5 ·
population term): without profile figures the term is the division table's (1,145,000 over
308.73 km², 0.463589, said so in the explanation); with them it is the profile's residents
over its built-up area (÷ 8,000 /km², capped at 1), of the latest year up to the run's, and
an incremental run redoes every cell when the profile changed.
"""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from resilience import profiles
from risk import runs
from tests.risk.test_runs import W, build_city, five, ref

ASSETS = 1 - math.exp(-1.2 * 200 / 3000)  # A: the water main's part of E


def with_people(term: float) -> float:
    """E for the main and a population term (density ÷ 8,000, at most 1)."""
    return 1 - (1 - ASSETS) * (1 - 0.5 * term)
YEAR = date.today().year


def exposure(sessions: sessionmaker[Session], mode: str = "full") -> tuple[float, dict]:
    run = runs.run_now(sessions, by="test", mode=mode)
    assert run.status == "succeeded", run.error
    with sessions() as s:
        cell = five(s)[("cell", ref(W))]
        return cell.exposure, cell.explanation["population"]


def save(sessions: sessionmaker[Session], year: int, **figures: int | float | bool) -> None:
    example = bool(figures.pop("example", False))
    with sessions() as s:
        profiles.save(s, "330106", year, figures, by="admin", example=example, source="年鉴")
        s.commit()


def test_exposure_follows_the_profile_population(sessions: sessionmaker[Session]) -> None:
    build_city(sessions)
    e, said = exposure(sessions)
    assert e == pytest.approx(with_people(0.463589), abs=1e-6)  # the table's, and it says so
    assert said["from"] == "division" and said["division"] == "330106"
    assert said["per_km2"] == pytest.approx(3708.7, abs=0.5)

    save(sessions, YEAR + 1, population=8_000_000, built_up_area_km2=100)  # not yet in force
    save(sessions, YEAR - 1, population=400_000, built_up_area_km2=100)  # 4,000 /km²
    e, said = exposure(sessions, mode="incremental")  # the profile changed: every cell redone
    assert e == pytest.approx(with_people(0.5), abs=1e-6)
    assert said == {"per_km2": 4000.0, "from": "profile", "people": "population",
                    "year": YEAR - 1, "example": False, "division": "330106"}

    save(sessions, YEAR - 1, population=200_000)  # 2,000 /km²
    e, _ = exposure(sessions)
    assert e == pytest.approx(with_people(0.25), abs=1e-6)

    save(sessions, YEAR, population=200_000, built_up_population=120_000,
         built_up_area_km2=100, example=True)  # the built-up area's residents, 1,200 /km²
    e, said = exposure(sessions)
    assert e == pytest.approx(with_people(0.15), abs=1e-6)
    assert (said["people"], said["year"], said["example"]) == ("built_up_population", YEAR, True)


def test_a_division_without_figures_takes_the_one_above_that_has(
        sessions: sessionmaker[Session]) -> None:
    build_city(sessions)
    with sessions() as s:  # the city's figures only: a district without its own takes them
        profiles.save(s, "330100", YEAR, {"population": 9_600_000, "built_up_area_km2": 1200},
                      by="admin")
        s.commit()
    e, said = exposure(sessions)
    assert e == pytest.approx(with_people(1.0), abs=1e-6)  # 8,000 /km²: capped at 1
    assert (said["from"], said["division"]) == ("profile", "330100")
    with sessions() as s:
        assert five(s)[("cell", ref(W))].division_code == "330106"  # still the district's cell
