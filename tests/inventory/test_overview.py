"""The overview's numbers on both databases: sums, buckets, gaps, divisions, this week's changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from inventory import overview, service
from inventory.service import WriteContext
from resilience import accounts
from resilience.audit import AuditEntry
from resilience.errors import Forbidden, NotFound
from resilience.model import now
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)


def principal(session: Session, username: str) -> accounts.Principal:
    return accounts.principal_of(accounts.get_user(session, username))


def ctx(session: Session, username: str = "admin") -> WriteContext:
    return WriteContext(by=principal(session, username), extent=EXTENT)


def near(at: tuple[float, float], i: int) -> tuple[float, float]:
    return (at[0] + 0.003 * i, at[1] + 0.001 * i)


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """Four live segments (three in 西湖区, one in 上城区), one retired, and the other assets."""
    c = ctx(session)
    made = {
        "water": service.create(session, "pipelines", f.pipeline(near(f.XIHU, 0)), c),
        "gas": service.create(session, "pipelines", f.pipeline(
            near(f.XIHU, 1), category="gas", subcategory="natural_gas", material="pe",
            build_year=1975, condition_grade=4, start_depth_m=None, owner="杭州市燃气集团有限公司"), c),
        "drain": service.create(session, "pipelines", f.pipeline(
            near(f.XIHU, 2), category="drainage", subcategory="sewage", material=None,
            build_year=None, condition_grade=None, owner=None, diameter_mm=None), c),
        "power": service.create(session, "pipelines", f.pipeline(
            f.SHANGCHENG, category="power", subcategory="power_supply", material="copper",
            build_year=2021, condition_grade=1, owner="国网杭州供电公司"), c),
        "gone": service.create(session, "pipelines", f.pipeline(near(f.XIHU, 3)), c),
        "point": service.create(session, "network-points", f.network_point(depth_m=None), c),
        "tunnel": service.create(session, "tunnels", f.tunnel(near(f.XIHU, 4)), c),
        # capacity from area: 20000 m² ÷ 2.0 m² (短期固定) = 10000; the other one records 500.
        "park": service.create(session, "shelters", f.shelter(), c),
        "hall": service.create(session, "shelters", f.shelter(
            f.SHANGCHENG, shelter_class="emergency", effective_area_m2=300, capacity_persons=500,
            managing_unit=None), c),
        "flood": service.create(session, "flood-points", f.flood_point(), c),
        "dry": service.create(session, "flood-points", f.flood_point(
            f.SHANGCHENG, status="eliminated", eliminated_on="2025-05-01"), c),
    }
    service.retire(session, "pipelines", made["gone"].id, c, reason="test")
    session.flush()
    return made


def km(*objs: Any) -> float:
    return sum(o.length_m for o in objs)


def test_whole_city_sums_by_category_age_material_and_grade(session: Session,
                                                            city: dict[str, Any]) -> None:
    o = overview.overview(session, principal(session, "admin"))
    assert o.division is None
    assert o.pipelines.count == 4  # the retired segment is not counted
    assert o.pipelines.length_m == pytest.approx(km(city["water"], city["gas"], city["drain"], city["power"]))
    assert {k: t.count for k, t in o.by_category.items() if t.count} == {
        "water_supply": 1, "gas": 1, "drainage": 1, "power": 1}
    assert list(o.by_category)[:3] == ["water_supply", "drainage", "gas"]  # CJJ 61 order
    assert o.by_category["gas"].length_m == pytest.approx(city["gas"].length_m)
    ages = {bucket: {cat: t.count for cat, t in cats.items()} for bucket, cats in o.by_age.items()}
    assert ages == {"before_1980": {"gas": 1}, "1980s": {}, "1990s": {}, "2000s": {"water_supply": 1},
                    "2010s": {}, "2020s": {"power": 1}, "unknown": {"drainage": 1}}
    assert list(o.by_material) == ["pe", "ductile_iron", "copper", "unknown"]  # C.0.1 order, unknown last
    assert o.by_material["unknown"]["drainage"].length_m == pytest.approx(city["drain"].length_m)
    grades = {g: per.get("pipelines", overview.Tally()).count for g, per in o.condition.items()}
    assert grades == {"1": 1, "2": 1, "3": 0, "4": 1, "unknown": 1}
    assert o.condition["4"]["pipelines"].length_m == pytest.approx(city["gas"].length_m)
    assert o.condition["unknown"]["network-points"].count == 1
    assert o.condition["unknown"]["tunnels"].length_m == pytest.approx(city["tunnel"].length_m)
    assert o.network_points == 1
    assert (o.tunnels.count, o.tunnels.length_m) == (1, pytest.approx(city["tunnel"].length_m))
    assert {k: (s.count, s.capacity) for k, s in o.shelters.items()} == {
        "emergency": (1, 500), "fixed_short": (1, 10_000)}
    assert o.shelter_total.capacity == 10_500
    assert o.flood_points == {"active": 1, "eliminated": 1}
    owners = [(name, t.count) for name, t in o.owners]
    assert ("杭州市燃气集团有限公司", 1) in owners and ("杭州市水务集团有限公司", 1) in owners
    assert all(name for name, _ in owners)  # a blank owner is a gap, not an owner


def test_completeness_counts_missing_values_per_collection(session: Session,
                                                           city: dict[str, Any]) -> None:
    o = overview.overview(session, principal(session, "admin"))
    gaps = {(g.collection, g.key): (g.missing, g.total) for g in o.gaps}
    assert gaps[("pipelines", "start_depth_m")] == (1, 4)
    assert gaps[("pipelines", "end_depth_m")] == (0, 4)
    assert gaps[("pipelines", "material")] == (1, 4)
    assert gaps[("pipelines", "build_year")] == (1, 4)
    assert gaps[("pipelines", "owner")] == (1, 4)
    assert gaps[("pipelines", "condition_grade")] == (1, 4)
    assert gaps[("pipelines", "size")] == (1, 4)  # neither a diameter nor a section
    assert gaps[("network-points", "depth_m")] == (1, 1)
    assert gaps[("shelters", "managing_unit")] == (1, 2)
    assert gaps[("flood-points", "cause")] == (0, 2)
    gas_depth = next(g for g in o.gaps if g.key == "start_depth_m")
    assert gas_depth.missing_share == pytest.approx(0.25)
    assert gas_depth.label("zh_CN") == "起点埋深(m)" and gas_depth.label("en") == "Start depth (m)"


def test_a_division_and_the_users_grants_restrict_every_number(session: Session,
                                                               city: dict[str, Any]) -> None:
    admin = principal(session, "admin")
    engineer = principal(session, "engineer")  # 西湖区 330106
    mine = overview.overview(session, engineer)
    assert mine.pipelines.count == 3 and "power" not in {k for k, t in mine.by_category.items() if t.count}
    assert mine.shelter_total.capacity == 10_000 and mine.flood_points == {"active": 1, "eliminated": 0}
    assert overview.overview(session, engineer, "330106").pipelines.count == 3
    shangcheng = overview.overview(session, admin, "330102")
    assert shangcheng.division == "330102" and shangcheng.pipelines.count == 1
    assert shangcheng.by_category["power"].length_m == pytest.approx(city["power"].length_m)
    assert overview.overview(session, admin, "330100").pipelines.count == 4  # the city holds both
    assert overview.overview(session, principal(session, "engineer_sc")).pipelines.count == 1
    assert overview.overview(session, principal(session, "nobody")).pipelines.count == 0
    for code in ("330102", "330100", "33", "abc", "330106' OR 1=1"):
        with pytest.raises(Forbidden):
            overview.overview(session, engineer, code)
    with pytest.raises(NotFound):
        overview.overview(session, admin, "330199")
    with pytest.raises(NotFound):  # below 西湖区, so allowed, but no such township
        overview.overview(session, engineer, "330106999")
    assert [d.code for d in overview.readable_divisions(session, engineer)] == ["330106"]
    assert len(overview.readable_divisions(session, admin)) >= 15


def test_this_weeks_changes_by_collection_and_action(session: Session, city: dict[str, Any]) -> None:
    engineer = principal(session, "engineer")
    o = overview.overview(session, engineer)
    assert o.changes["pipelines"] == {"create": 4, "retire": 1}  # 西湖区's only
    assert o.changes["shelters"] == {"create": 1} and o.changes_total == 9
    assert [c.action for c in o.latest][0] == "retire" and len(o.latest) == 9
    assert all(c.division_code == "330106" for c in o.latest)
    session.execute(update(AuditEntry).where(AuditEntry.collection == "tunnels")
                    .values(at=now() - timedelta(days=8)))
    o = overview.overview(session, engineer)
    assert "tunnels" not in o.changes and o.changes_total == 8
    later = overview.overview(session, engineer, at=now() + timedelta(days=8))
    assert later.changes == {} and later.latest == []
    admin = overview.overview(session, principal(session, "admin"))
    assert admin.changes["pipelines"]["create"] == 5 and len(admin.latest) == 11


def test_the_database_does_the_counting(session: Session, engine: Any, city: dict[str, Any]) -> None:
    """The same few grouped statements whatever the number of rows: nothing is read row by row."""
    admin = principal(session, "admin")

    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            overview.overview(session, admin)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        assert all("GROUP BY" in s or "LIMIT" in s for s in seen)
        return len(seen)

    before = statements()
    c = ctx(session)
    for i in range(30):
        at = (f.GONGSHU[0] + 0.0015 * i, f.GONGSHU[1])
        service.create(session, "pipelines", f.pipeline(at, build_year=1990 + i), c)
    session.flush()
    assert statements() == before <= 11  # 9 for the assets, 2 for hazard zones and risk points
    assert overview.overview(session, admin).pipelines.count == 34
