"""Registry writes on both databases: validation, division, versions, retirement, audit."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory import Pipeline, Query, repository, service
from inventory.service import WriteContext
from resilience import accounts, audit
from resilience.accounts import SYSTEM
from resilience.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)


def ctx(session: Session, username: str = "admin") -> WriteContext:
    user = accounts.get_user(session, username)
    return WriteContext(by=accounts.principal_of(user), extent=EXTENT)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_create_locates_division_versions_and_audits(session: Session) -> None:
    obj = service.create(session, "pipelines", f.pipeline(), ctx(session))
    assert obj.id and obj.version == 1
    assert obj.division_code == "330106"
    assert 100 < obj.length_m < 130  # 0.001° lon × 0.0005° lat at 30°N ≈ 107 m
    assert obj.created_by == "admin"
    [entry] = audit.history(session, "pipelines", obj.id)
    assert entry.action == "create" and entry.before is None
    assert entry.after["category"] == "water_supply"
    assert entry.after["geometry"]["type"] == "LineString"


def test_every_problem_is_reported_and_nothing_written(session: Session) -> None:
    before = count(session, Pipeline)
    bad = f.pipeline(category="暖气", diameter_mm=-5, start_depth_m=80, build_year=2999,
                     colour="red")
    bad["geometry"] = {"type": "Point", "coordinates": [120.1, 30.2]}
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines", bad, ctx(session))
    fields = {p.field: p.code for p in err.value.problems}
    assert fields == {
        "category": "unknown_code", "diameter_mm": "must_be_positive",
        "start_depth_m": "too_large", "build_year": "in_future",
        "colour": "unknown_property", "geometry": "wrong_geometry_type",
    }
    assert count(session, Pipeline) == before


@pytest.mark.parametrize(("geometry", "code"), [
    ({"type": "LineString", "coordinates": [[121.9, 29.9], [121.95, 29.95]]}, "outside_city"),
    ({"type": "LineString", "coordinates": [[30.28, 120.08], [30.29, 120.09]]}, "outside_city"),
    ({"type": "LineString", "coordinates": [[120.08, 30.28], [120.08, 30.28]]}, "zero_length"),
    ({"type": "LineString", "coordinates": [[120.08]]}, "malformed_geometry"),
    ({"type": "Banana", "coordinates": []}, "malformed_geometry"),
])
def test_bad_geometries(session: Session, geometry: dict, code: str) -> None:
    feat = f.pipeline()
    feat["geometry"] = geometry
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines", feat, ctx(session))
    assert [p.code for p in err.value.problems if p.field == "geometry"] == [code]


def test_swapped_coordinates_get_a_hint(session: Session) -> None:
    feat = f.pipeline()
    feat["geometry"] = {"type": "LineString", "coordinates": [[30.28, 120.08], [30.29, 120.09]]}
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines", feat, ctx(session))
    assert err.value.problems[0].params["hint"] == "swapped"


def test_self_intersecting_polygon_is_refused(session: Session) -> None:
    feat = f.shelter()
    x, y = f.XIHU
    feat["geometry"] = {"type": "Polygon", "coordinates": [[[x, y], [x + .01, y + .01],
                                                            [x + .01, y], [x, y + .01], [x, y]]]}
    with pytest.raises(InvalidInput) as err:
        service.create(session, "shelters", feat, ctx(session))
    assert err.value.problems[0].code == "invalid_geometry"


def test_division_given_must_contain_the_geometry(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines", f.pipeline(division_code="330102"), ctx(session))
    assert err.value.problems[0].code == "division_mismatch"
    obj = service.create(session, "pipelines", f.pipeline(division_code="330100"), ctx(session))
    assert obj.division_code == "330106"  # the more detailed of the two


def test_engineer_writes_only_in_granted_divisions(session: Session) -> None:
    engineer = ctx(session, "engineer")  # 西湖区
    assert service.create(session, "pipelines", f.pipeline(), engineer).division_code == "330106"
    with pytest.raises(Forbidden):
        service.create(session, "pipelines", f.pipeline(at=f.SHANGCHENG), engineer)
    with pytest.raises(Forbidden):
        service.create(session, "pipelines", f.pipeline(), ctx(session, "viewer"))


def test_stale_version_is_refused_and_nothing_changes(session: Session) -> None:
    obj = service.create(session, "pipelines", f.pipeline(), ctx(session))
    service.patch(session, "pipelines", obj.id, {"properties": {"material": "PE"}},
                  ctx(session), expected_version=1)
    assert obj.version == 2 and obj.material == "pe"
    with pytest.raises(StaleVersion) as err:
        service.patch(session, "pipelines", obj.id, {"properties": {"material": "steel"}},
                      ctx(session), expected_version=1)
    assert err.value.current == 2
    assert obj.material == "pe"


def test_patch_validates_the_merged_record(session: Session) -> None:
    obj = service.create(session, "pipelines", f.pipeline(), ctx(session))
    with pytest.raises(InvalidInput) as err:
        service.patch(session, "pipelines", obj.id, {"properties": {"category": "gas"}},
                      ctx(session), expected_version=None)
    assert err.value.problems[0].code == "subcategory_mismatch"
    service.patch(session, "pipelines", obj.id,
                  {"properties": {"category": "gas", "subcategory": "natural_gas",
                                  "pressure_class": "中压A"}}, ctx(session),
                  expected_version=None)
    assert (obj.category, obj.pressure_class) == ("gas", "medium_a")


def test_retire_hides_and_restore_brings_back(session: Session) -> None:
    obj = service.create(session, "pipelines", f.pipeline(name="待注销"), ctx(session))
    service.retire(session, "pipelines", obj.id, ctx(session), reason="已拆除")
    spec = service.collection("pipelines")
    ids = [r.id for r in repository.page(session, spec, SYSTEM, Query(limit=10_000))]
    assert obj.id not in ids
    with pytest.raises(NotFound):
        service.patch(session, "pipelines", obj.id, {"properties": {}}, ctx(session),
                      expected_version=None)
    service.restore(session, "pipelines", obj.id, ctx(session))
    ids = [r.id for r in repository.page(session, spec, SYSTEM, Query(limit=10_000))]
    assert obj.id in ids
    actions = [e.action for e in audit.history(session, "pipelines", obj.id)]
    assert actions == ["create", "retire", "restore"]
    retire_entry = audit.history(session, "pipelines", obj.id)[1]
    assert retire_entry.reason == "已拆除"
    assert audit.changed(retire_entry.before, retire_entry.after)["retired_reason"] == [
        None, "已拆除"]


def test_references_must_exist(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines", f.pipeline(start_point_id=999_999), ctx(session))
    assert err.value.problems[0].code == "reference_not_found"
    a = service.create(session, "network-points", f.network_point(), ctx(session))
    with pytest.raises(InvalidInput) as err:
        service.create(session, "pipelines",
                       f.pipeline(start_point_id=a.id, end_point_id=a.id), ctx(session))
    assert err.value.problems[0].code == "same_start_end"
    b = service.create(session, "network-points", f.network_point(at=(120.081, 30.2805)),
                       ctx(session))
    seg = service.create(session, "pipelines",
                         f.pipeline(start_point_id=a.id, end_point_id=b.id), ctx(session))
    rows = repository.page(session, service.collection("network-points"), SYSTEM,
                           Query(ids=[a.id, b.id]))
    assert [json.loads(r.properties)["segment_ids"] for r in rows] == [[seg.id], [seg.id]]


def test_tunnel_cabins_carry_pipelines_once(session: Session) -> None:
    p1 = service.create(session, "pipelines", f.pipeline(burial_method="utility_tunnel"),
                        ctx(session))
    t = service.create(session, "tunnels", f.with_props(
        f.tunnel(), cabins=[{"name": "综合舱", "use": "integrated", "pipeline_ids": [p1.id]}]),
        ctx(session))
    assert [c.pipeline_ids for c in t.cabins] == [[p1.id]]
    assert [n.kind for n in t.nodes] == ["access"]
    with pytest.raises(InvalidInput) as err:
        service.create(session, "tunnels", f.with_props(
            f.tunnel(), cabins=[{"name": "综合舱", "use": "integrated",
                                 "pipeline_ids": [p1.id, 424242]}]), ctx(session))
    codes = sorted(p.code for p in err.value.problems)
    assert codes == ["already_in_cabin", "reference_not_found"]
    assert err.value.problems[0].field == "cabins[0].pipeline_ids"
    [row] = repository.page(session, service.collection("pipelines"), SYSTEM, Query(ids=[p1.id]))
    assert json.loads(row.properties)["cabin_id"] == t.cabins[0].id


def test_cabin_use_and_names_are_checked(session: Session) -> None:
    bad = f.with_props(f.tunnel(), cabins=[{"use": "kitchen"}],
                       nodes=[{"kind": "access", "position": [1]}])
    with pytest.raises(InvalidInput) as err:
        service.create(session, "tunnels", bad, ctx(session))
    assert {p.field for p in err.value.problems} == {
        "cabins[0].name", "cabins[0].use", "nodes[0].position"}


def test_flood_point_events_and_status_rules(session: Session) -> None:
    obj = service.create(session, "flood-points", f.flood_point(), ctx(session))
    assert [e.max_depth_cm for e in obj.events] == [35]
    with pytest.raises(InvalidInput) as err:
        service.patch(session, "flood-points", obj.id, {"properties": {"status": "eliminated"}},
                      ctx(session), expected_version=None)
    assert err.value.problems[0].field == "eliminated_on"
    service.patch(session, "flood-points", obj.id,
                  {"properties": {"status": "eliminated", "eliminated_on": "2025-05-01"}},
                  ctx(session), expected_version=None)
    assert str(obj.eliminated_on) == "2025-05-01" and len(obj.events) == 1


def test_shelter_capacity_follows_area_and_class(session: Session) -> None:
    obj = service.create(session, "shelters", f.shelter(), ctx(session))
    assert obj.capacity_persons == 10_000  # 20 000 m² ÷ 2.0 m² (fixed, short term)
    with pytest.raises(InvalidInput) as err:
        service.create(session, "shelters", f.shelter(capacity_persons=50_000), ctx(session))
    assert err.value.problems[0].code == "capacity_over_area"
    point = f.shelter()
    point["geometry"] = f.point()
    assert service.create(session, "shelters", point, ctx(session)).id


def test_bbox_page_and_keyset(session: Session) -> None:
    ids = [service.create(session, "pipelines", f.pipeline(at=(120.08 + i * 0.002, 30.28)),
                          ctx(session)).id for i in range(5)]
    spec = service.collection("pipelines")
    rows = repository.page(session, spec, SYSTEM,
                           Query(bbox=(120.079, 30.279, 120.0845, 30.2815), limit=100))
    assert [r.id for r in rows if r.id in ids] == ids[:3]
    first = repository.page(session, spec, SYSTEM, Query(ids=ids, limit=2))
    second = repository.page(session, spec, SYSTEM, Query(ids=ids, limit=2, after=first[-1].id))
    back = repository.page(session, spec, SYSTEM, Query(ids=ids, limit=2, before=second[0].id))
    assert [r.id for r in first + second] == ids[:4]
    assert [r.id for r in back] == ids[:2]


def test_users_see_their_divisions_only(session: Session) -> None:
    a = service.create(session, "pipelines", f.pipeline(), ctx(session))
    b = service.create(session, "pipelines", f.pipeline(at=f.SHANGCHENG), ctx(session))
    spec = service.collection("pipelines")

    def visible(username: str) -> set[int]:
        p = accounts.principal_of(accounts.get_user(session, username))
        return {r.id for r in repository.page(session, spec, p, Query(ids=[a.id, b.id]))}

    assert visible("admin") == {a.id, b.id}
    assert visible("manager") == {a.id, b.id}  # 杭州市 and below
    assert visible("engineer") == {a.id}  # 西湖区
    assert visible("engineer_sc") == {b.id}  # 上城区
    assert visible("nobody") == set()
