"""Issue 14 §7 on both databases: the five-colour defects an expert found, each as it was seen.

Every scenario failed before scheme v2 (the old figures are in each docstring) and now holds:
a flood point recorded, two new gas mains laid, the expert's old gas main, a hazard zone with
nothing registered, a county with one bad cell, breaks fitted to the demo. Cells are the
500 m cells of EPSG:4549 the test city of ``test_runs`` uses; mains run east-west through a
cell's centre, clear of its edges.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
import shapely
from sqlalchemy.orm import Session, sessionmaker

from inventory import service
from inventory.service import WriteContext
from resilience import accounts
from risk import runs
from risk.grid import to_plane
from risk.results import FiveColourResult
from risk.schemes import DEFAULT_COMPOSITE, latest
from tests import factories as f
from tests.risk.test_runs import SIZE, _lonlat, five, in_cell, ref, square

YEAR = date.today().year
CHUN_AN = (118.8934, 29.6089)  # 淳安县 330127: 330,000 people on ~4,400 km²
SHANGCHENG = f.SHANGCHENG


def cell_of(at: tuple[float, float]) -> tuple[int, int]:
    p = to_plane(np.array([shapely.Point(at)], dtype=object))[0]
    return int(p.x // SIZE), int(p.y // SIZE)


def line(cell: tuple[int, int], length: float, dy: float = 0.0) -> dict[str, Any]:
    (x0, y), (x1, _) = in_cell(cell, -length / 2, dy), in_cell(cell, length / 2, dy)
    return _lonlat(shapely.LineString([(x0, y), (x1, y)]))


def spot(cell: tuple[int, int], dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    return _lonlat(shapely.Point(in_cell(cell, dx, dy)))


class City:
    """Adds records through the service, as people do, and runs the maps."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, collection: str, geometry: dict[str, Any], **props: Any) -> int:
        with self.sessions() as s:
            by = accounts.principal_of(accounts.get_user(s, "admin"))
            ctx = WriteContext(by=by, extent=(117.0, 28.0, 122.0, 31.0))
            record_id = int(service.create(s, collection, f.feature(geometry, **props), ctx).id)
            s.commit()
        return record_id

    def main(self, cell: tuple[int, int], length: float, dy: float = 0.0, **props: Any) -> int:
        return self.add("pipelines", line(cell, length, dy),
                        **{**f.pipeline()["properties"], "name": "测试管", **props})

    def gas(self, cell: tuple[int, int], length: float, dy: float = 0.0, **props: Any) -> int:
        return self.main(cell, length, dy, category="gas", subcategory="natural_gas",
                         material="pe", pressure_class="medium_a", pressure_mpa=0.3, **props)

    def zone(self, cell: tuple[int, int], half: float, hazard_class: int,
             kind: str = "waterlogging") -> int:
        return self.add("hazard-zones", square(cell, half), name="测试风险区", kind=kind,
                        hazard_class=hazard_class)

    def run(self) -> dict[tuple[str, str], FiveColourResult]:
        run = runs.run_now(self.sessions, by="test")
        assert run.status == "succeeded", run.error
        with self.sessions() as s:
            return five(s)


def level(rows: dict[tuple[str, str], FiveColourResult], cell: tuple[int, int]) -> str:
    return rows[("cell", ref(cell))].level


ORDER = {"low": 1, "fairly_low": 2, "medium": 3, "fairly_high": 4, "high": 5}


def dense_cell(city: City, cell: tuple[int, int], **props: Any) -> None:
    """Nine 300 m water mains across one cell: 2,700 m (weighted 3,240 m, past the old cap)."""
    for k in range(9):
        city.main(cell, 300, dy=-200 + 50 * k, **props)


def test_recording_a_flood_point_never_lowers_its_cell(sessions: sessionmaker[Session]) -> None:
    """Before: a dense cell (E at its cap) in a class-5 waterlogging zone, mains 15 years old
    in condition 2 (V = 0.36): R = 1.0 · 0.8911 · 0.36 = 0.3208 → 高; recording a flood point
    with 4 pumps credited C = 0.1: R = 0.2887 → 较高."""
    city = City(sessions)
    cell = cell_of(f.XIHU)
    city.zone(cell, 240, 5)
    dense_cell(city, cell, condition_grade=2, build_year=YEAR - 15)
    before = city.run()
    city.add("flood-points", spot(cell, dx=120, dy=230),
             **{**f.flood_point()["properties"], "pumps": 4})
    after = city.run()
    assert ORDER[level(after, cell)] >= ORDER[level(before, cell)] == ORDER["high"]
    assert after[("cell", ref(cell))].score >= before[("cell", ref(cell))].score
    assert after[("cell", ref(cell))].capacity == 0.0  # the point's pumps are not capacity


def test_two_new_gas_mains_never_lower_a_cell(sessions: sessionmaker[Session]) -> None:
    """Before: the dense cell of old poor mains (V = 0.97) in a class-2 zone, R = 0.3457 → 高;
    two new gas mains (V = 0.09) averaged V down to 0.81 with E capped: R = 0.2887 → 较高."""
    city = City(sessions)
    cell = cell_of(f.XIHU)
    city.zone(cell, 240, 2, kind="seismic")
    dense_cell(city, cell, condition_grade=4, build_year=1960)
    before = city.run()
    for dy in (-215, 215):
        city.gas(cell, 300, dy=dy, condition_grade=1, build_year=YEAR)
    after = city.run()
    was, now_ = before[("cell", ref(cell))], after[("cell", ref(cell))]
    assert ORDER[now_.level] >= ORDER[was.level]
    assert now_.score >= was.score and now_.vulnerability == was.vulnerability  # not diluted
    assert now_.exposure > was.exposure  # more assets, more exposure: never capped


def test_an_old_poor_gas_main_in_a_very_high_waterlogging_zone_is_not_low(
        sessions: sessionmaker[Session]) -> None:
    """The expert's case. Before: a 60 m main of 1975 in condition 4 in rural 淳安县 under a
    class-5 (极高) waterlogging zone: E = 0.75 · 120 / 3000 + 0.25 · 0.0094 = 0.0323,
    R = 1.0 · 0.0323^0.8 · 0.97 = 0.0623 → 低."""
    city = City(sessions)
    cell = cell_of(CHUN_AN)
    city.zone(cell, 200, 5)
    main = city.gas(cell, 60, condition_grade=4, build_year=1975)
    rows = city.run()
    got = rows[("cell", ref(cell))]
    assert got.level not in ("low", "fairly_low"), got.explanation
    assert got.level == "high"
    assert rows[("asset", f"pipelines/{main}")].level == "high"
    parts = got.explanation["exposure_parts"]
    assert parts["critical_kind"] == "gas" and parts["most_vulnerable"] == f"pipelines/{main}"
    assert got.name == "淳安县"


def test_cells_with_nothing_registered_inside_a_hazard_zone_show_its_hazard_level(
        sessions: sessionmaker[Session]) -> None:
    """Before: a class-4 zone over four empty cells left them blank (no row)."""
    city = City(sessions)
    corner = cell_of(f.XIHU)
    x, y = in_cell(corner, SIZE / 2, SIZE / 2)  # the corner shared by four cells
    city.add("hazard-zones", _lonlat(shapely.box(x - 300, y - 300, x + 300, y + 300)),
             name="空地内涝区", kind="waterlogging", hazard_class=4)
    rows = city.run()
    cells = [r for (unit, _), r in rows.items() if unit == "cell"]
    assert len(cells) == 4  # a 600 m square over a corner: the four cells that meet there
    assert {r.level for r in cells} == {"fairly_high"}  # class 4 → 较高
    for r in cells:
        assert r.exposure is None and r.vulnerability is None  # nothing registered: no E, V
        assert r.explanation["unregistered"] is True and r.name == "西湖区"
        assert r.explanation["reference"] == {"E": 0.5, "V": 0.5}


def test_a_county_is_not_the_colour_of_its_single_worst_cell(
        sessions: sessionmaker[Session]) -> None:
    """Before: 上城区 took 高 from one cell of six, the rest 低 (就高)."""
    city = City(sessions)
    home = cell_of(SHANGCHENG)
    cells = [(home[0] + 2 * a, home[1] + 2 * b) for b in (0, -1) for a in (-1, 0, 1)]
    for cell in cells:
        city.main(cell, 200)
    city.zone(cells[0], 200, 5)
    city.main(cells[0], 200, dy=60, condition_grade=4, build_year=1960)
    rows = city.run()
    assert level(rows, cells[0]) == "high"
    assert {level(rows, c) for c in cells[1:]} == {"low"}
    assert {rows[("cell", ref(c))].division_code for c in cells} == {"330102"}
    county = rows[("division", "330102")]
    assert county.level == "low"
    why = county.explanation
    assert why["rule"] == "area_share" and why["share"] == 0.5
    assert why["basis"] == "land" and why["basis_km2"] == pytest.approx(119.9, abs=0.1)
    assert why["share_by_level"] == pytest.approx({"high": 0.25 / why["basis_km2"],
                                                   "low": 1.25 / why["basis_km2"]}, abs=1e-4)
    assert why["mapped_km2"] == pytest.approx(1.5)
    assert why["highest"]["cell"] == ref(cells[0]) and why["highest"]["place"] == "上城区"


def test_mapping_a_low_cell_never_lowers_a_division(sessions: sessionmaker[Session]) -> None:
    """Before: shares were of the mapped area. 上城区 with one 高 cell mapped published 高
    (100 %); three water mains laid outside every hazard zone added three 低 cells and took
    it to 低 (25 %). Now shares are of its land area, a fixed basis: 高 on 0.25 of 119.9 km²
    is 低 before and after, and each new cell only adds to its own level's share."""
    city = City(sessions)
    home = cell_of(SHANGCHENG)
    city.zone(home, 240, 5)
    city.main(home, 200, condition_grade=4, build_year=1960)
    before = city.run()
    county = before[("division", "330102")].explanation
    assert level(before, home) == "high"
    assert county["basis"] == "land" and county["basis_km2"] == pytest.approx(119.9, abs=0.1)
    assert county["share_by_level"] == pytest.approx({"high": 0.25 / county["basis_km2"]},
                                                     abs=1e-6)
    assert county["unmapped"] == pytest.approx(1 - 0.25 / county["basis_km2"], abs=1e-4)
    new = [(home[0] - 2, home[1] - 2 * k) for k in range(3)]
    for cell in new:
        city.main(cell, 200)
    after = city.run()
    assert {level(after, c) for c in new} == {"low"}
    assert {after[("cell", ref(c))].division_code for c in new} == {"330102"}
    assert ORDER[after[("division", "330102")].level] >= ORDER[before[("division",
                                                                        "330102")].level]
    shares = after[("division", "330102")].explanation["share_by_level"]
    assert shares["high"] == pytest.approx(county["share_by_level"]["high"])  # not diluted
    assert shares["low"] == pytest.approx(0.75 / county["basis_km2"], abs=1e-4)


def test_the_breaks_follow_a_documented_rule_not_the_demo(session: Session) -> None:
    """Before: breaks .08/.14/.22/.30, "calibrated on the demo city: a pyramid"."""
    scheme = latest(session)
    assert (scheme.name, scheme.version) == ("composite_default", 2)
    reason = scheme.params["breaks_reason"]
    assert reason["rule"] == "hazard_class_at_reference" and reason["convention"] is True
    assert "参考" in reason["zh"] and "convention" in reason["en"]
    assert scheme.breaks == [0.212132, 0.353553, 0.494975, 0.636396] == DEFAULT_COMPOSITE["breaks"]
