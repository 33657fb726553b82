"""The demo city: complete, valid, inside its districts, idempotent and deterministic."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import shapely
from shapely import wkb
from shapely.geometry import mapping
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from demo import city as demo
from demo import space as demo_space
from demo.districts import hangzhou_divisions
from demo.users import DEMO_USERS
from inventory import (
    COLLECTIONS,
    CabinLine,
    FloodPoint,
    NetworkPoint,
    Pipeline,
    Shelter,
    Tunnel,
    TunnelCabin,
    TunnelNode,
    WaterloggingEvent,
)
from inventory.validation import parse_feature
from resilience import codes
from resilience.accounts import User, authenticate_password
from resilience.divisions import Division
from resilience.spatial import as_wkb

SEGMENTS = 2000
SEED = 2026
TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def city() -> demo.DemoCity:
    return demo.generate(SEGMENTS, SEED)


@pytest.fixture(scope="module")
def districts() -> dict[str, Any]:
    found = {d.code: shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()
             if d.level == "county"}
    for polygon in found.values():
        shapely.prepare(polygon)
    return found


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --------------------------------------------------------------------------- pure generation


def test_demo_users_are_the_documented_logins() -> None:
    assert [(u.username, u.role, u.divisions, u.password) for u in DEMO_USERS] == [
        ("admin", "admin", ("330000",), "admin-demo-2026"),
        ("engineer", "engineer", ("330106",), "engineer-demo-2026"),
        ("engineer_sc", "engineer", ("330102",), "engineer-demo-2026"),
        ("manager", "emergency_manager", ("330100",), "manager-demo-2026"),
        ("inspector", "inspector", ("330106",), "inspector-demo-2026"),
        ("viewer", "viewer", ("330100",), "viewer-demo-2026"),
    ]


def test_same_seed_same_city_other_seed_other_city(city: demo.DemoCity) -> None:
    again = demo.generate(SEGMENTS, SEED)
    assert again.pipelines == city.pipelines
    assert again.points == city.points
    assert again.shelters == city.shelters
    assert again.flood_points == city.flood_points
    other = demo.generate(SEGMENTS, SEED + 1)
    assert other.pipelines["geom"][:20] != city.pipelines["geom"][:20]


@pytest.mark.parametrize("segments", [300, 2000, 20_000])
def test_segment_count_is_what_was_asked(segments: int) -> None:
    generated = demo.generate(segments, SEED)
    assert abs(len(generated.pipelines["geom"]) - segments) <= segments * 0.01


def test_every_geometry_lies_inside_its_district(city: demo.DemoCity,
                                                  districts: dict[str, Any]) -> None:
    tables = [city.points, city.pipelines, city.shelters,
              {"geom": [f["geom"].wkt for f in city.flood_points],
               "division_code": [f["division_code"] for f in city.flood_points]},
              {"geom": [t.row["geom"].wkt for t in city.tunnels],
               "division_code": [t.row["division_code"] for t in city.tunnels]}]
    for table in tables:
        geoms = shapely.from_wkt(table["geom"])
        for code in set(table["division_code"]):
            mine = [i for i, d in enumerate(table["division_code"]) if d == code]
            assert shapely.contains(districts[code], geoms[mine]).all(), code
    for tunnel in city.tunnels:
        area = districts[tunnel.row["division_code"]]
        assert all(area.contains(shapely.Point(n["lon"], n["lat"])) for n in tunnel.nodes)


def test_most_pipelines_are_in_the_central_districts(city: demo.DemoCity) -> None:
    central = {"330102", "330105", "330106", "330108"}
    share = sum(d in central for d in city.pipelines["division_code"]) / SEGMENTS
    assert share > 0.6


def test_segments_are_30_to_120_m_and_join_their_points(city: demo.DemoCity) -> None:
    p = city.pipelines
    assert all(28 <= length <= 122 for length in p["length_m"])
    points = shapely.from_wkt(city.points["geom"])
    lines = shapely.from_wkt(p["geom"])
    starts = points[p["start_point"]]
    ends = points[p["end_point"]]
    assert (shapely.distance(shapely.get_point(lines, 0), starts) < 1e-6).all()
    assert (shapely.distance(shapely.get_point(lines, -1), ends) < 1e-6).all()
    assert all(s != e for s, e in zip(p["start_point"], p["end_point"], strict=True))
    assert len(set(p["external_id"])) == len(p["external_id"])
    assert len(set(city.points["external_id"])) == len(city.points["external_id"])


def _feature(row: dict[str, Any], geometry: Any, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    props = {}
    for key, value in row.items():
        if key in ("geom", "version", "created_by", "updated_by", *drop) or value is None:
            continue
        props[key] = value.isoformat() if isinstance(value, date) else value
    shape = shapely.from_wkt(geometry) if isinstance(geometry, str) else geometry
    return {"type": "Feature", "geometry": mapping(shape), "properties": props}


def _rows(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(),
                                                                      strict=True)]


def test_every_record_passes_the_registry_validation(city: demo.DemoCity) -> None:
    """The demo is data a user could have entered: the collection specs accept it."""
    checks = [
        ("pipelines", _rows(city.pipelines), ("start_point", "end_point", "length_m")),
        ("network-points", _rows(city.points), ()),
        ("shelters", _rows(city.shelters), ()),
    ]
    for name, rows, drop in checks:
        spec = COLLECTIONS[name]
        for row in rows:
            parsed = parse_feature(spec, _feature(row, row["geom"], drop), today=TODAY)
            assert parsed.problems == [], (name, row["external_id"], parsed.problems)
    for f in city.flood_points:
        body = _feature({k: v for k, v in f.items() if k != "events"}, f["geom"])
        body["properties"]["events"] = [
            {k: v.isoformat() if isinstance(v, date) else v for k, v in e.items()}
            for e in f["events"]]
        parsed = parse_feature(COLLECTIONS["flood-points"], body, today=TODAY)
        assert parsed.problems == [], (f["external_id"], parsed.problems)
    for t in city.tunnels:
        body = _feature(t.row, t.row["geom"], ("length_m",))
        body["properties"]["cabins"] = [
            {"name": c["name"], "use": c["use"], "fire_compartment_m": c["fire_compartment_m"]}
            for c in t.cabins]
        body["properties"]["nodes"] = [
            {"kind": n["kind"], "name": n["name"], "position": [n["lon"], n["lat"]]}
            for n in t.nodes]
        parsed = parse_feature(COLLECTIONS["tunnels"], body, today=TODAY)
        assert parsed.problems == [], (t.row["name"], parsed.problems)


def test_pipelines_look_like_a_city(city: demo.DemoCity) -> None:
    p = _rows(city.pipelines)
    categories = {r["category"] for r in p}
    assert {"water_supply", "drainage", "gas", "power", "telecom"} <= categories
    assert {r["subcategory"] for r in p if r["category"] == "drainage"} == {"stormwater",
                                                                             "sewage"}
    assert all(1975 <= r["build_year"] <= 2025 for r in p)
    assert all(r["data_source"] == "demo" and r["division_code"].startswith("3301") for r in p)
    assert all(r["pressure_class"] is None for r in p if r["category"] != "gas")
    assert all(r["voltage_kv"] in (10, 110) for r in p if r["category"] == "power")
    drains = [r for r in p if r["category"] == "drainage"]
    assert all(1.5 <= r["start_depth_m"] <= 5 for r in drains)
    old = [r["condition_grade"] for r in p if r["build_year"] < 1990]
    new = [r["condition_grade"] for r in p if r["build_year"] > 2015]
    assert sum(old) / len(old) > sum(new) / len(new)
    kinds = set(city.points["kind"])
    assert {"manhole", "valve", "junction", "hydrant", "cable_joint"} <= kinds
    manholes = {i for i, k in enumerate(city.points["kind"]) if k == "manhole"}
    for r in drains:
        assert r["start_point"] in manholes and r["end_point"] in manholes


def test_tunnels_carry_lines_in_cabins(city: demo.DemoCity) -> None:
    types = {t.row["tunnel_type"] for t in city.tunnels}
    assert types == {"trunk", "branch"}
    carried = [i for t in city.tunnels for c in t.cabins for i in c["lines"]]
    assert carried and len(carried) == len(set(carried))  # at most one cabin per line
    for t in city.tunnels:
        assert any(c["use"] == "integrated" for c in t.cabins)
        for cabin in t.cabins:
            for i in cabin["lines"]:
                assert city.pipelines["burial_method"][i] == "utility_tunnel"
                if cabin["use"] == "gas":
                    assert city.pipelines["category"][i] == "gas"
                else:
                    assert city.pipelines["category"][i] != "gas"
        assert {"access", "ventilation", "material_entry", "monitoring"} <= {
            n["kind"] for n in t.nodes}
    trunk = next(t for t in city.tunnels if t.row["tunnel_type"] == "trunk")
    assert 3000 <= trunk.row["length_m"] <= 5000


def test_shelters_have_consistent_capacity(city: demo.DemoCity) -> None:
    rows = _rows(city.shelters)
    assert 30 <= len(rows) <= 80
    assert {"Polygon", "Point"} == {shapely.from_wkt(r["geom"]).geom_type for r in rows}
    assert any(r["kind"] == "civil_defence" for r in rows)
    assert len({r["name"] for r in rows}) == len(rows)
    for r in rows:
        per_person = codes.SHELTER_AREA_PER_PERSON[r["shelter_class"]]
        assert r["capacity_persons"] == int(r["effective_area_m2"] // per_person)
        assert "<" not in r["name"] and ">" not in r["name"]
        if r["site_type"] == "outdoor":
            metres = demo_space.space().metres(shapely.from_wkt(r["geom"])).area
            assert 0.5 * metres - 1 <= r["effective_area_m2"] <= 0.8 * metres + 1
        if r["shelter_class"] == "emergency":
            assert r["capacity_persons"] <= 2000


def test_flood_points_have_rainy_season_histories(city: demo.DemoCity) -> None:
    assert 20 <= len(city.flood_points) <= 60
    assert any(f["status"] == "eliminated" for f in city.flood_points)
    for f in city.flood_points:
        assert f["cause"] in codes.FLOOD_CAUSES
        assert 2 <= len(f["events"]) <= 8
        for e in f["events"]:
            assert 2019 <= e["occurred_on"].year <= 2025 and 6 <= e["occurred_on"].month <= 9
            assert 10 <= e["max_depth_cm"] <= 60 and 0.5 <= e["duration_h"] <= 6
            assert 40 <= e["rainfall_mm"] <= 250
        if f["status"] == "eliminated":
            assert f["eliminated_on"] > f["events"][-1]["occurred_on"]
        else:
            assert f["eliminated_on"] is None


# --------------------------------------------------------------------------- on both databases


def test_load_creates_the_demo(session: Session) -> None:
    steps: list[float] = []
    summary = demo.load(session, segments=SEGMENTS, seed=SEED,
                        progress=lambda f, _m: steps.append(f))
    assert summary.created
    assert steps[0] == 0.0 and steps[-1] == 1.0 and steps == sorted(steps)
    assert abs(summary.pipelines - SEGMENTS) <= SEGMENTS * 0.01
    assert summary.pipelines == _count(session, Pipeline)
    assert summary.network_points == _count(session, NetworkPoint)
    assert summary.divisions == _count(session, Division) == 15
    assert summary.users == 6  # the demo logins (the database may hold others too)
    assert summary.tunnels == _count(session, Tunnel) == 2
    assert summary.tunnel_cabins == _count(session, TunnelCabin) >= 5
    assert summary.tunnel_cabin_lines == _count(session, CabinLine) > 0
    assert summary.tunnel_nodes == _count(session, TunnelNode) > 0
    assert summary.shelters == _count(session, Shelter) > 0
    assert summary.flood_points == _count(session, FloodPoint) > 0
    assert summary.waterlogging_events == _count(session, WaterloggingEvent) >= 2 * \
        summary.flood_points
    assert summary.pipeline_km > 50


def test_loaded_records_belong_to_hangzhou_counties(session: Session) -> None:
    demo.load(session, segments=SEGMENTS, seed=SEED)
    counties = set(session.scalars(select(Division.code).where(Division.level == "county")))
    assert len(counties) == 13 and all(c.startswith("3301") for c in counties)
    for model in (Pipeline, NetworkPoint, Shelter, FloodPoint, Tunnel):
        found = set(session.scalars(select(model.division_code).distinct()))
        assert found and found <= counties, model.__name__
    users = {u.username: u for u in session.scalars(select(User))}
    for expected in DEMO_USERS:
        user = users[expected.username]
        assert user.role == expected.role
        assert tuple(d.division_code for d in user.divisions) == expected.divisions
    assert authenticate_password(session, "engineer", "engineer-demo-2026") is not None
    from resilience import profiles

    figures = profiles.all_figures(session, 2025)
    assert set(figures) == {"330100"} | counties  # the city and each county, for 2023 and 2025
    assert all(f.example and f.year == 2025 and f.built_up_area_km2 for f in figures.values())
    assert profiles.figures(session, "330106", 2024).year == 2023  # type: ignore[union-attr]


def test_every_pipeline_joins_existing_points(session: Session) -> None:
    demo.load(session, segments=SEGMENTS, seed=SEED)
    start, end = aliased(NetworkPoint), aliased(NetworkPoint)
    orphans = session.scalar(
        select(func.count()).select_from(Pipeline)
        .outerjoin(start, start.id == Pipeline.start_point_id)
        .outerjoin(end, end.id == Pipeline.end_point_id)
        .where((start.id.is_(None)) | (end.id.is_(None)) | (start.id == end.id)))
    assert orphans == 0
    in_cabins = session.scalar(
        select(func.count()).select_from(CabinLine)
        .join(Pipeline, Pipeline.id == CabinLine.pipeline_id)
        .where(Pipeline.burial_method == "utility_tunnel"))
    assert in_cabins == _count(session, CabinLine)


def test_second_load_changes_nothing(session: Session) -> None:
    first = demo.load(session, segments=SEGMENTS, seed=SEED)
    from risk.hazard_zones import HazardZone
    from risk.points import RiskPoint

    tables = (Division, User, NetworkPoint, Pipeline, Tunnel, CabinLine, Shelter, FloodPoint,
              WaterloggingEvent, HazardZone, RiskPoint)
    before = [_count(session, model) for model in tables]
    second = demo.load(session, segments=SEGMENTS, seed=SEED)
    assert not second.created
    assert [_count(session, model) for model in tables] == before
    assert (second.pipelines, second.network_points, second.shelters, second.users) == (
        first.pipelines, first.network_points, first.shelters, first.users)


def test_database_holds_the_generated_city(session: Session, city: demo.DemoCity) -> None:
    demo.load(session, segments=SEGMENTS, seed=SEED)
    geom = as_wkb(Pipeline.geom)
    rows = session.execute(
        select(Pipeline.external_id, geom).order_by(Pipeline.id).limit(20)).all()
    assert [r[0] for r in rows] == city.pipelines["external_id"][:20]
    for (_, raw), expected in zip(rows, city.pipelines["geom"][:20], strict=True):
        assert wkb.loads(bytes(raw)).equals_exact(shapely.from_wkt(expected), 1e-9)


# --------------------------------------------------------------------------- hazards


def _zones(city: demo.DemoCity) -> list[Any]:
    from demo import hazard_zones as demo_hazards
    from demo.zone_parts import flood_site

    counties = {c: d.ll for c, d in demo_space.space().districts.items()}
    sites = [flood_site(r["geom"], r["division_code"], r["name"], r["events"])
             for r in city.flood_points]
    city = next(shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()
                if d.level == "city")
    return demo_hazards.zones(counties, city, demo_space.river(counties), sites, SEED)


def test_hazard_zones_are_plausible_valid_and_inside_their_divisions(
        city: demo.DemoCity) -> None:
    from risk.codes import HAZARD_KINDS

    zones = _zones(city)
    counties = {c: d.ll for c, d in demo_space.space().districts.items()}
    whole = next(shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()
                 if d.level == "city")
    by_kind: dict[str, set[int]] = {}
    for z in zones:
        by_kind.setdefault(z.kind, set()).add(z.hazard_class)
        assert z.geom.is_valid and not z.geom.is_empty, z.name
        assert z.geom.geom_type in ("Polygon", "MultiPolygon"), z.name
        for inside in (counties.get(z.division_code, whole), whole):
            assert inside.buffer(1e-6).contains(z.geom), z.name
        body = {"type": "Feature", "geometry": mapping(z.geom), "properties": {
            "name": z.name, "kind": z.kind, "hazard_class": z.hazard_class,
            "return_period_years": z.return_period_years, "intensity": z.intensity,
            "intensity_unit": z.intensity_unit, "issuing_unit": z.issuing_unit,
            "remarks": z.remarks}}
        parsed = parse_feature(COLLECTIONS["hazard-zones"], body, today=TODAY)
        assert parsed.problems == [], (z.name, parsed.problems)
    assert set(by_kind) == {c.value for c in HAZARD_KINDS} - {"other"}
    assert by_kind["waterlogging"] == {3, 4, 5} and by_kind["flood"] == {2, 3, 4}
    assert by_kind["geological_susceptibility"] | by_kind["geological_prevention"] \
        == {2, 3, 4, 5}
    assert by_kind["seismic"] == {2} and by_kind["typhoon_surge"] == {3, 4}
    seismic = next(z for z in zones if z.kind == "seismic")
    assert seismic.division_code == "330100" and seismic.intensity == 6
    assert seismic.geom.area > 0.99 * whole.area
    geological = {z.division_code for z in zones if z.kind.startswith("geological")}
    assert {"330106", "330111", "330112", "330122", "330127", "330182"} <= geological
    assert {z.division_code for z in zones if z.kind == "typhoon_surge"} == {"330109", "330114"}
    # Waterlogging zones hold the flood points they were drawn around.
    deep = shapely.union_all([z.geom for z in zones
                              if z.kind == "waterlogging" and z.return_period_years == 100])
    assert all(deep.contains(f["geom"]) for f in city.flood_points)
    again = _zones(city)
    assert [(z.name, z.geom.wkb) for z in again] == [(z.name, z.geom.wkb) for z in zones]


def test_load_adds_hazard_zones_and_risk_points(session: Session) -> None:
    from risk import points
    from risk.hazard_zones import HazardZone
    from risk.points import RiskPoint

    summary = demo.load(session, segments=SEGMENTS, seed=SEED)
    assert summary.hazard_zones == _count(session, HazardZone) > 40
    assert summary.risk_points == _count(session, RiskPoint) >= 8
    raw = session.execute(select(HazardZone.name, as_wkb(HazardZone.geom),
                                 HazardZone.division_code)).all()
    assert all(wkb.loads(bytes(g)).is_valid for _, g, _ in raw)
    boundaries = {d.code: shapely.from_wkt(d.boundary_wkt) for d in hangzhou_divisions()}
    for name, g, code in raw:
        assert boundaries[code].buffer(1e-6).contains(wkb.loads(bytes(g))), name
    found = list(session.scalars(select(RiskPoint).order_by(RiskPoint.id)))
    assert {p.method for p in found} == {"lec", "ls"}
    assert {p.level for p in found} >= {"major", "considerable", "general"}
    tunnels = set(session.scalars(select(Tunnel.id)))
    assert any(p.tunnel_id in tunnels and p.category == "construction" for p in found)
    for p in found:
        values = {c: getattr(p, c) for c in ("method", "preset", "factor_l", "factor_e",
                                             "factor_c", "factor_s")}
        assert points.derive(values)["level"] == p.level, p.name
        assert p.source == "manual" and p.responsible_unit and p.control_measures
        assert boundaries[p.division_code].contains(wkb.loads(bytes(session.scalar(
            select(as_wkb(RiskPoint.geom)).where(RiskPoint.id == p.id)))))


def test_an_older_demo_gets_its_hazards_on_the_next_load(session: Session) -> None:
    from sqlalchemy import delete

    from risk.hazard_zones import HazardZone
    from risk.points import RiskPoint

    first = demo.load(session, segments=SEGMENTS, seed=SEED)
    session.execute(delete(RiskPoint))
    session.execute(delete(HazardZone))
    again = demo.load(session, segments=SEGMENTS, seed=SEED)
    assert not again.created
    assert (again.hazard_zones, again.risk_points) == (first.hazard_zones, first.risk_points)
