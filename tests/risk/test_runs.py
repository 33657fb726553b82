"""Risk runs over a small hand-built city: exact levels, reasons, diffs, incremental = full.

The city (every asset 200 m long or 100 m wide, centred in its own 500 m cell of EPSG:4549,
cells 2 km apart, so no shelter reach or cell edge is close; everything built in 1960, so
the age term is 1 whatever the year; 1960 is past every design life):

- W (西湖区): water main, condition 1, inside a waterlogging zone of class 4 (H = 0.8).
- G (西湖区): high-pressure gas main, condition 1, no hazard; a hand-entered LEC point
  (10 × 6 × 7 = 420, 重大) beside it.
- F (西湖区): a flood point whose deepest event is 60 cm (H = 1.0) and a drainage pipe,
  condition 2.
- S (上城区): a water main in condition 4 and an open shelter; a low hand-entered point.

Five colour, default scheme v2 (``R = H · E^0.5 · V^0.5 · (1 − C)``, reference breaks
.1/.2/.3/.4; ``E = 1 − (1 − A)(1 − K)(1 − P)`` with ``A = 1 − e^(−weighted m / 3000)``, K the
most critical asset, P = 0.5 · density / 8,000; V the most vulnerable asset's): 西湖区 has
1,145,000 people on 308.73 km² (3,708.7 /km², P = 0.231795), 上城区 11,035 /km² (P = 0.5).
V of a main = 0.6 · condition score + 0.4 · 1.

- W: A = 1 − e^(−1.2 · 200 / 3000) = 0.076884, E = 1 − 0.923116 · 0.768205 = 0.290857;
  V = 0.6 · 0.15 + 0.4 = 0.49; C = 0; R = 0.8 · √(0.290857 · 0.49) = 0.30202 → fairly_high.
  After condition 1 → 4: V = 0.97, R = 0.42493 → high.
- G: no hazard → R = 0 → low.
- F: the flood point is hazard evidence only (its pumps are no capacity): A = 1 − e^(−200 /
  3000) = 0.064493, E = 0.281337, V = 0.64, C = 0; R = 1.0 · √(0.281337 · 0.64) = 0.42433
  → high.
- S: no hazard → low; E = 1 − (1 − 0.136418)(1 − 0.5)(1 − 0.5) = 0.784105 (the main and
  the shelter, a critical asset: K = 0.5), V = 0.97, C = 0.2 (the shelter).
- 西湖区 is a third each 高, 较高, 低: 高 and above cover 1/3, 较高 and above 2/3 ≥ 1/2 →
  较高; 上城区 低; 杭州市 (a quarter each 高, 较高, and half 低) 较高.

Four colour: the gas main gives gas_high_pressure (3 × 6 × 15 = 270, 较大); S's main is
old in a busy district (≥ 5000 /km²) and in condition 4 → ageing_busy worse (270, 较大);
西湖区 is not busy, so W's and F's old mains give nothing. Cell G takes the 重大 hand point,
S the 较大 generated one over its low hand point.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import shapely
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from inventory import service
from inventory.service import WriteContext
from resilience import accounts
from resilience.errors import Conflict
from risk import runs
from risk.grid import to_lonlat, to_plane
from risk.points import RiskPoint
from risk.publishing import four_colour
from risk.results import FiveColourResult, FourColourResult, RiskChange
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)
SIZE = 500.0


def _cell_of(at: tuple[float, float]) -> tuple[int, int]:
    p = to_plane(np.array([shapely.Point(at)], dtype=object))[0]
    return int(p.x // SIZE), int(p.y // SIZE)


W = _cell_of(f.XIHU)
G = (W[0] + 4, W[1])
F = (W[0], W[1] - 4)
S = _cell_of(f.SHANGCHENG)


def ref(cell: tuple[int, int]) -> str:
    return f"c500:{cell[0]}:{cell[1]}"


def _lonlat(geom: Any) -> dict[str, Any]:
    out = to_lonlat(np.array([geom], dtype=object))[0]
    return shapely.geometry.mapping(shapely.set_precision(out, 1e-7))  # type: ignore[no-any-return]


def in_cell(cell: tuple[int, int], dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
    return (cell[0] + 0.5) * SIZE + dx, (cell[1] + 0.5) * SIZE + dy


def main(cell: tuple[int, int], dy: float = 0.0) -> dict[str, Any]:
    """A 200 m east-west line through the cell's centre (clear of every edge by 150 m)."""
    (x0, y), (x1, _) = in_cell(cell, -100, dy), in_cell(cell, 100, dy)
    return _lonlat(shapely.LineString([(x0, y), (x1, y)]))


def square(cell: tuple[int, int], half: float, dx: float = 0.0, dy: float = 0.0
           ) -> dict[str, Any]:
    x, y = in_cell(cell, dx, dy)
    return _lonlat(shapely.box(x - half, y - half, x + half, y + half))


def spot(cell: tuple[int, int], dx: float = 0.0, dy: float = 0.0) -> dict[str, Any]:
    return _lonlat(shapely.Point(in_cell(cell, dx, dy)))


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")),
                        extent=EXTENT)


def build_city(sessions: sessionmaker[Session]) -> dict[str, int]:
    """The city of the module docstring, committed; returns the ids by role."""
    ids: dict[str, int] = {}
    with sessions() as s:
        c = ctx(s)

        def add(key: str, collection: str, geometry: dict[str, Any], **props: Any) -> None:
            ids[key] = service.create(s, collection, f.feature(geometry, **props), c).id

        base = f.pipeline()["properties"]
        add("water_w", "pipelines", main(W), **{**base, "name": "W给水管",
                                                 "condition_grade": 1, "build_year": 1960})
        add("gas_g", "pipelines", main(G), **{
            **base, "name": "G高压燃气管", "category": "gas", "subcategory": "natural_gas",
            "material": "steel", "pressure_class": "high_a", "pressure_mpa": 2.5,
            "condition_grade": 1, "build_year": 1960})
        add("drain_f", "pipelines", main(F, dy=60), **{
            **base, "name": "F雨水管", "category": "drainage", "subcategory": "stormwater",
            "material": "concrete", "condition_grade": 2, "build_year": 1960})
        add("water_s", "pipelines", main(S), **{**base, "name": "S给水管",
                                                 "condition_grade": 4, "build_year": 1960})
        add("zone_w", "hazard-zones", square(W, 200), name="W内涝风险区", kind="waterlogging",
            hazard_class=4)
        events = [{"occurred_on": "2015-06-20", "max_depth_cm": 60, "duration_h": 3,
                   "rainfall_mm": 140},
                  {"occurred_on": "2016-07-02", "max_depth_cm": 20, "duration_h": 1,
                   "rainfall_mm": 60}]
        add("flood_f", "flood-points", spot(F, dy=-60),
            **{**f.flood_point()["properties"], "events": events})
        add("shelter_s", "shelters", square(S, 50, dy=-120), **f.shelter()["properties"])
        add("major_g", "risk-points", spot(G, dy=80), name="G施工点", category="construction",
            method="lec", factor_l=10, factor_e=6, factor_c=7)
        add("low_s", "risk-points", spot(S, dy=80), name="S巡查点", category="other",
            method="lec", factor_l=1, factor_e=1, factor_c=1)
        s.commit()
    return ids


def five(session: Session) -> dict[tuple[str, str], FiveColourResult]:
    return {(r.unit, r.ref): r for r in session.scalars(select(FiveColourResult))}


def four(session: Session) -> dict[tuple[str, str], FourColourResult]:
    return {(r.unit, r.ref): r for r in session.scalars(select(FourColourResult))}


def snapshot(sessions: sessionmaker[Session]) -> dict[str, set[tuple[Any, ...]]]:
    with sessions() as s:
        return {name: {(r.unit, r.ref, r.level, round(r.score or 0.0, 6))
                       for r in rows.values()}
                for name, rows in (("five", five(s)), ("four", four(s)))}


def edit(sessions: sessionmaker[Session], record_id: int, **props: Any) -> None:
    with sessions() as s:
        service.patch(s, "pipelines", record_id, {"properties": props}, ctx(s),
                      expected_version=None)
        s.commit()


@pytest.fixture
def city(sessions: sessionmaker[Session]) -> dict[str, int]:
    ids = build_city(sessions)
    run = runs.run_now(sessions, by="test")
    assert run.status == "succeeded", run.error
    return ids


def test_five_colour_levels_by_hand(city: dict[str, int], session: Session) -> None:
    rows = five(session)
    cells = {k[1]: r for k, r in rows.items() if k[0] == "cell"}
    assert {r: cells[r].level for r in cells} == {
        ref(W): "fairly_high", ref(G): "low", ref(F): "high", ref(S): "low"}
    assert cells[ref(W)].score == pytest.approx(0.56569, abs=2e-4)  # its hazard level
    assert cells[ref(F)].score == pytest.approx(0.70711, abs=2e-4)  # its hazard level (0.65141 alone)
    w = cells[ref(W)]
    assert (w.hazard, w.exposure, w.vulnerability, w.capacity) == pytest.approx(
        (0.8, 0.290857, 0.49, 0.0), abs=1e-4)
    s_ = cells[ref(S)]
    assert (s_.exposure, s_.vulnerability, s_.capacity) == pytest.approx((0.784105, 0.97, 0.2),
                                                                         abs=1e-4)
    assert (cells[ref(F)].hazard, cells[ref(F)].capacity) == pytest.approx((1.0, 0.0), abs=1e-4)
    assert {cells[r].name for r in cells} == {"西湖区", "上城区"}  # the place, not a grid id
    assert {r: cells[r].division_code for r in cells} == {
        ref(W): "330106", ref(G): "330106", ref(F): "330106", ref(S): "330102"}
    assets = {k[1]: r.level for k, r in rows.items() if k[0] == "asset"}
    assert assets == {f"pipelines/{city['water_w']}": "fairly_high",
                      f"pipelines/{city['gas_g']}": "low",
                      f"pipelines/{city['drain_f']}": "high",
                      f"pipelines/{city['water_s']}": "low",
                      f"flood-points/{city['flood_f']}": "high",
                      f"shelters/{city['shelter_s']}": "low"}
    divisions = {k[1]: r for k, r in rows.items() if k[0] == "division"}
    # Three 500 m cells of 西湖区's 309 km² and one of 上城区's 120: low by area (DOMAIN §10)
    assert {k: r.level for k, r in divisions.items()} == {
        "330106": "low", "330102": "low", "330100": "low", "330000": "low"}
    xihu = divisions["330106"].explanation
    assert divisions["330106"].decided_by == "area_share"
    assert xihu["basis"] == "land" and xihu["basis_km2"] == pytest.approx(308.7, abs=0.1)
    each = 0.25 / xihu["basis_km2"]
    assert xihu["share_by_level"] == pytest.approx({"high": each, "fairly_high": each,
                                                    "low": each}, abs=1e-4)
    assert xihu["highest"] == {"cell": ref(F), "place": "西湖区", "level": "high"}


def test_explanations_carry_factors_terms_band_and_zone(city: dict[str, int],
                                                        session: Session) -> None:
    rows = five(session)
    w = rows[("cell", ref(W))]
    why = w.explanation
    zone = f"hazard-zones/{city['zone_w']}"
    assert w.decided_by == zone and why["sources"] == {"waterlogging": zone}
    assert why["hazards"] == {"waterlogging": 0.8} and why["decided_by"] == "waterlogging"
    # W's one main alone gives R = 0.8 · (0.290857 · 0.49)^¼ = 0.49154 (中), below the cell's
    # hazard level (class 4 at the reference cell: 0.8 · (0.5 · 0.5)^¼ = 0.56569, 较高), which
    # is its floor: registering the main did not lower the cell.
    assert why["floor"] == {"rule": "hazard_level", "registered": {
        "score": 0.49154, "level": "medium", "exposure": 0.2909, "vulnerability": 0.49,
        "capacity": 0.0}}
    assert why["exposure"] == 0.5 and why["vulnerability"] == 0.5 and why["capacity"] == 0.0
    assert why["terms"] == pytest.approx({"H": 0.8, "E": 0.8409, "V": 0.8409, "C": 1.0},
                                         abs=2e-4)
    assert why["band"] == [0.494975, 0.636396] and why["level"] == "fairly_high"
    assert why["weights"] == {"H": 1.0, "E": 0.25, "V": 0.25, "C": 1.0}
    assert why["place"] == "西湖区"
    assert why["exposure_parts"] == {"assets": 0.0769, "critical": 0.0, "critical_kind": None,
                                     "people": 0.2318,
                                     "most_vulnerable": f"pipelines/{city['water_w']}"}
    f_ = rows[("cell", ref(F))]
    assert f_.decided_by == f"flood-points/{city['flood_f']}"
    asset = rows[("asset", f"pipelines/{city['water_w']}")].explanation
    assert asset["cell"] == ref(W) and asset["source"] == zone
    assert asset["factors"] == pytest.approx({"H": 0.8, "E": 0.2909, "V": 0.49, "C": 0.0},
                                             abs=1e-4)
    assert asset["place"] == "西湖区"


def test_generated_points_and_four_colour_zones_take_the_highest(
        city: dict[str, int], session: Session) -> None:
    generated = {(p.rule, p.asset_id): p for p in session.scalars(
        select(RiskPoint).where(RiskPoint.source == "generated", RiskPoint.retired_at.is_(None)))}
    assert set(generated) == {("gas_high_pressure", city["gas_g"]),
                              ("ageing_busy", city["water_s"])}
    gas = generated[("gas_high_pressure", city["gas_g"])]
    assert (gas.level, gas.score, gas.band_name) == ("considerable", 270.0, "高度危险")
    assert generated[("ageing_busy", city["water_s"])].level == "considerable"
    rows = four(session)
    levels = {k: r.level for k, r in rows.items()}
    assert levels[("cell", ref(G))] == "major"
    assert rows[("cell", ref(G))].decided_by == f"risk-points/{city['major_g']}"
    assert levels[("cell", ref(S))] == "considerable"
    assert rows[("cell", ref(S))].explanation["counts"] == {"considerable": 1, "low": 1}
    assert levels[("asset", f"pipelines/{city['gas_g']}")] == "considerable"
    assert levels[("division", "330106")] == "major"
    assert levels[("division", "330102")] == "considerable"
    assert levels[("division", "330100")] == "major"
    assert ("cell", ref(W)) not in rows and ("cell", ref(F)) not in rows


def test_an_edit_is_recorded_in_the_next_runs_diff(city: dict[str, int],
                                                   sessions: sessionmaker[Session]) -> None:
    edit(sessions, city["water_w"], condition_grade=4)  # 0.58305: still 较高, no line
    with sessions() as s:  # W's zone found worse after a flood: class 4 → 5
        service.patch(s, "hazard-zones", city["zone_w"], {"properties": {"hazard_class": 5}},
                      ctx(s), expected_version=None)
        s.commit()
    run = runs.run_now(sessions, by="test")
    assert run.status == "succeeded", run.error
    with sessions() as s:
        lines = {(c.map, c.unit, c.ref): c for c in runs.changes(s, run.id)}
        cell = lines[("five", "cell", ref(W))]
        assert (cell.before_level, cell.after_level) == ("fairly_high", "high")
        # the main alone: 1.0 · (0.290857 · 0.97)^¼ = 0.72881, above the floor (0.70711)
        assert cell.after_score == pytest.approx(0.72881, abs=2e-4)
        assert cell.reason["changed"] == ["H", "V", "score"]
        assert cell.reason["before"]["H"] == 0.8 and cell.reason["after"]["H"] == 1.0
        assert cell.reason["before"]["V"] == 0.49 and cell.reason["after"]["V"] == 0.97
        asset = lines[("five", "asset", f"pipelines/{city['water_w']}")]
        assert (asset.before_level, asset.after_level) == ("fairly_high", "high")
        assert run.summary["raised"] >= 2 and run.summary["lowered"] == 0
        assert ("five", "cell", ref(F)) not in lines  # untouched cells say nothing


@pytest.mark.parametrize("change", ["point", "pressure"])
def test_an_incremental_run_redecides_only_the_zones_of_changed_points(
        city: dict[str, int], sessions: sessionmaker[Session], change: str) -> None:
    """A risk point edited and moved by hand, or a gas main's generated point re-assessed:
    the incremental run decides the zones it left and entered (cells, asset, divisions)
    exactly as a full run would, without deciding the others again."""
    with sessions() as s:
        if change == "point":  # G's major point drops to low and moves to W
            body = {"geometry": spot(W, dy=80), "properties": {"factor_l": 0.5,
                                                                "factor_c": 1}}
            service.patch(s, "risk-points", city["major_g"], body, ctx(s),
                          expected_version=None)
        else:  # the high-pressure main becomes medium pressure: its point 270 → 90
            service.patch(s, "pipelines", city["gas_g"],
                          {"properties": {"pressure_class": "medium_a", "pressure_mpa": 0.3}},
                          ctx(s), expected_version=None)
        s.commit()
    run = runs.run_now(sessions, mode="incremental", by="test")
    assert run.status == "succeeded" and run.mode == "incremental", run.error
    recomputed = run.summary["four_zones_recomputed"]
    after_incremental = snapshot(sessions)
    with sessions() as s:
        zones = s.scalar(select(func.count()).select_from(FourColourResult))
    assert 0 < recomputed < zones + 4  # its own zones, not a city-wide pass
    full = runs.run_now(sessions, mode="full", by="test")
    assert full.status == "succeeded", full.error
    assert snapshot(sessions) == after_incremental


@pytest.mark.parametrize("change", ["condition", "move"])
def test_an_incremental_run_publishes_what_a_full_run_would(
        city: dict[str, int], sessions: sessionmaker[Session], change: str) -> None:
    if change == "condition":
        edit(sessions, city["water_w"], condition_grade=4)
    else:  # the drainage pipe of F moves into W's waterlogging zone
        with sessions() as s:
            body = {"geometry": main(W, dy=-60)}
            service.patch(s, "pipelines", city["drain_f"], body, ctx(s), expected_version=None)
            s.commit()
    run = runs.run_now(sessions, mode="incremental", by="test")
    assert run.status == "succeeded" and run.mode == "incremental", run.error
    assert run.summary["cells_recomputed"] < 4
    after_incremental = snapshot(sessions)
    full = runs.run_now(sessions, mode="full", by="test")
    assert full.status == "succeeded", full.error
    assert snapshot(sessions) == after_incremental
    scores = {(u, r): (lv, sc) for u, r, lv, sc in after_incremental["five"]}
    if change == "condition":
        assert scores[("cell", ref(W))] == ("fairly_high", pytest.approx(0.58305, abs=2e-4))
    else:
        # W: A = 1 − e^(−440 / 3000) = 0.136418, E = 0.336591, V = max(0.49, 0.64) = 0.64:
        # R = 0.8 · (0.336591 · 0.64)^¼ = 0.54502, below W's hazard level (0.56569, 较高),
        # which it keeps. F keeps only the flood point: nothing registered (无登记设施), its
        # hazard level at the reference cell: R = 1.0 · (0.5 · 0.5)^¼ = 0.70711 → high.
        assert scores[("cell", ref(W))] == ("fairly_high", pytest.approx(0.56569, abs=2e-4))
        assert scores[("cell", ref(F))] == ("high", pytest.approx(0.70711, abs=2e-4))
        asset = scores[("asset", f"pipelines/{city['drain_f']}")]
        assert asset == ("fairly_high", pytest.approx(0.56569, abs=2e-4))


def test_a_second_request_while_one_is_queued_conflicts(city: dict[str, int],
                                                        sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        queued = runs.request(s, by="test")
        s.commit()
    with sessions() as s, pytest.raises(Conflict):
        runs.request(s, by="test")
    assert queued.status == "queued"


def test_a_failed_run_keeps_the_maps_and_frees_the_key(
        city: dict[str, int], sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(sessions)
    edit(sessions, city["water_w"], condition_grade=4)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("four-colour publishing broke")

    monkeypatch.setattr(four_colour, "publish", broken)
    try:
        failed = runs.run_now(sessions, by="test")
    except RuntimeError:
        with sessions() as s:
            failed = runs.history(s, limit=1)[0]
    assert failed.status == "failed"
    assert "four-colour publishing broke" in (failed.error or "")
    assert failed.active is None
    assert snapshot(sessions) == before  # the five-colour rows written before it are gone too
    with sessions() as s:
        assert runs.published(s).id != failed.id  # type: ignore[union-attr]
    monkeypatch.undo()
    again = runs.run_now(sessions, by="test")
    assert again.status == "succeeded", again.error
    with sessions() as s:
        assert five(s)[("cell", ref(W))].level == "fairly_high"


def test_retired_assets_leave_the_maps_and_their_points_retire(
        city: dict[str, int], sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        service.retire(s, "pipelines", city["gas_g"], ctx(s), reason="abandoned")
        s.commit()
    run = runs.run_now(sessions, by="test")
    assert run.status == "succeeded", run.error
    with sessions() as s:
        rows = five(s)
        assert ("asset", f"pipelines/{city['gas_g']}") not in rows
        assert ("cell", ref(G)) not in rows  # nothing left at risk there
        point = s.scalars(select(RiskPoint).where(RiskPoint.rule == "gas_high_pressure",
                                                  RiskPoint.asset_id == city["gas_g"])).one()
        assert point.retired_at is not None and point.retired_by == "risk-run"
        levels = {k: r.level for k, r in four(s).items()}
        assert ("asset", f"pipelines/{city['gas_g']}") not in levels
        assert levels[("cell", ref(G))] == "major"  # the hand-entered point is still there
        gone = {(c.map, c.unit, c.ref) for c in s.scalars(
            select(RiskChange).where(RiskChange.run_id == run.id,
                                     RiskChange.after_level.is_(None)))}
        assert ("five", "asset", f"pipelines/{city['gas_g']}") in gone
        assert ("four", "asset", f"pipelines/{city['gas_g']}") in gone
