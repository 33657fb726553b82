"""Tables' queries and the search box on both databases: sort, keyset pages, ranges, text, access."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from inventory import Query, repository, search, service
from inventory.service import WriteContext
from resilience import accounts
from resilience.accounts import SYSTEM, Principal
from resilience.codes import PIPELINE_CATEGORIES
from resilience.errors import InvalidInput
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)
CATEGORIES = ["water_supply", "drainage", "gas", "power"]
MATERIALS = {"water_supply": "ductile_iron", "drainage": "concrete", "gas": "pe", "power": None}


def _principal(session: Session, username: str) -> Principal:
    return accounts.principal_of(accounts.get_user(session, username))


def _create(session: Session, at: tuple[float, float], i: int, **props: Any) -> int:
    ctx = WriteContext(by=SYSTEM, extent=EXTENT)
    shifted = (at[0] + (i % 10) * 0.0015, at[1] + (i // 10) * 0.001)
    obj = service.create(session, "pipelines", f.pipeline(shifted, **props), ctx)
    return int(obj.id)


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """37 segments in 西湖区 with repeated and missing values, 4 in 上城区."""
    rng = random.Random(4)
    rows: dict[int, dict[str, Any]] = {}
    for i in range(37):
        category = CATEGORIES[i % 4]
        props = {
            "name": f"文{'三一二'[i % 3]}路{PIPELINE_CATEGORIES.get(category).zh}管 {i:02d}",
            "external_id": f"QA-330106-{i:04d}",
            "category": category, "subcategory": None, "material": MATERIALS[category],
            "diameter_mm": rng.choice([100, 200, 300, None]),
            "build_year": rng.choice([1995, 2005, 2015, None]),
            "condition_grade": rng.choice([1, 2, 3, None]),
            "address": f"西湖区文{'三一二'[i % 3]}路 {i} 号",
        }
        if category == "power":
            props["voltage_kv"] = 10
        key = _create(session, f.XIHU, i, **props)
        rows[key] = {**props, "id": key}
    hidden = [_create(session, f.SHANGCHENG, i, name=f"上城秘密管 {i}",
                      external_id=f"SC-330102-{i:04d}", address="上城区秘密路")
              for i in range(4)]
    session.flush()
    return {"rows": rows, "hidden": hidden}


def _order(rows: dict[int, dict[str, Any]], sort: str | None, descending: bool) -> list[int]:
    """The expected order: values (codes in list order) with empty ones last, ties by id."""
    def value(row: dict[str, Any]) -> Any:
        v = row.get(sort) if sort else row["id"]
        if sort in ("category", "material") and v is not None:
            from inventory import COLLECTIONS

            codes = COLLECTIONS["pipelines"].field(sort).codes
            v = codes.values().index(v)
        return v

    present = [r for r in rows.values() if value(r) is not None]
    empty = [r for r in rows.values() if value(r) is None]
    present.sort(key=lambda r: (value(r), r["id"]), reverse=descending)
    empty.sort(key=lambda r: r["id"], reverse=descending)
    return [r["id"] for r in present + empty]


def _walk(session: Session, q: Query, who: Principal) -> tuple[list[list[int]], list[list[int]]]:
    """Every page forwards by ``after``, then backwards again by ``before``."""
    spec = service.collection("pipelines")
    forwards: list[list[int]] = []
    window = repository.window(session, spec, who, q)
    while True:
        forwards.append([r.id for r in window.rows])
        if not window.has_next:
            break
        window = repository.window(session, spec, who, replace(q, after=forwards[-1][-1]))
    backwards = [forwards[-1]]
    while window.has_previous:
        window = repository.window(session, spec, who, replace(q, after=None,
                                                               before=backwards[-1][0]))
        backwards.append([r.id for r in window.rows])
    return forwards, backwards[::-1]


@pytest.mark.parametrize(("sort", "descending"), [
    (None, False), (None, True), ("diameter_mm", False), ("diameter_mm", True),
    ("build_year", True), ("category", False), ("material", True), ("name", False),
])
def test_keyset_pages_cover_every_row_once_in_order_both_ways(
        session: Session, city: dict[str, Any], sort: str | None, descending: bool) -> None:
    engineer = _principal(session, "engineer")
    q = Query(limit=8, sort=sort, descending=descending)
    forwards, backwards = _walk(session, q, engineer)
    if sort == "name":  # the database's collation decides text order: check it is total
        flat = [k for p in forwards for k in p]
        assert sorted(flat) == sorted(city["rows"]) and len(set(flat)) == len(flat)
    else:
        assert [k for p in forwards for k in p] == _order(city["rows"], sort, descending)
    assert [len(p) for p in forwards] == [8, 8, 8, 8, 5]
    assert backwards == forwards


def test_filters_ranges_and_text_combine(session: Session, city: dict[str, Any]) -> None:
    spec = service.collection("pipelines")
    engineer = _principal(session, "engineer")
    rows = city["rows"]
    q = Query(limit=100, filters={"category": "water_supply"}, ranges={"build_year": (2000, 2015)},
              sort="build_year")
    got = [r.id for r in repository.window(session, spec, engineer, q).rows]
    assert got == [k for k in _order(rows, "build_year", False)
                   if rows[k]["category"] == "water_supply"
                   and rows[k]["build_year"] is not None and 2000 <= rows[k]["build_year"] <= 2015]
    assert repository.count_matching(session, spec, engineer, q) == len(got)
    # Text: part of a name, an external id in lower case, an address; % and _ are literal.
    for needle, expect in [
        ("文三路", {k for k, r in rows.items() if "文三路" in r["name"]}),
        ("qa-330106-0007", {k for k, r in rows.items() if r["external_id"] == "QA-330106-0007"}),
        ("文一路 4 号", {k for k, r in rows.items() if r["address"].endswith("文一路 4 号")}),
        ("3301%6", set()), ("QA_330106", set()),
    ]:
        found = repository.window(session, spec, engineer, Query(limit=100, search=needle)).rows
        assert {r.id for r in found} == expect, needle
    some = next(iter(rows))  # an id matches exactly; the digits may also lie in some text
    by_id = {r.id for r in repository.window(session, spec, engineer,
                                             Query(search=str(some), limit=100)).rows}
    assert some in by_id
    assert all(str(some) in rows[k]["name"] + rows[k]["external_id"] + rows[k]["address"]
               for k in by_id - {some})


def test_capped_count_stops_counting(session: Session, city: dict[str, Any]) -> None:
    spec = service.collection("pipelines")
    engineer = _principal(session, "engineer")
    assert repository.count_matching(session, spec, engineer, Query()) == 37
    assert repository.count_matching(session, spec, engineer, Query(), cap=10) == 11


def test_other_divisions_stay_out_of_tables_and_search(session: Session,
                                                       city: dict[str, Any]) -> None:
    spec = service.collection("pipelines")
    engineer = _principal(session, "engineer")
    hidden = set(city["hidden"])
    seen = {r.id for r in repository.window(session, spec, engineer, Query(limit=100)).rows}
    assert seen == set(city["rows"])
    # A cursor taken from a record of another division positions the page, nothing more.
    after = repository.window(session, spec, engineer, Query(after=min(hidden), limit=100,
                                                             sort="name")).rows
    assert not {r.id for r in after} & hidden
    assert search.search(session, engineer, "上城秘密").total == 0
    by_key = search.search(session, engineer, str(min(hidden)), per_collection=100)
    assert not {h.key for h in by_key.groups.get("pipelines", [])} & hidden
    admin = _principal(session, "admin")
    assert {h.key for h in search.search(session, admin, "上城秘密").groups["pipelines"]} == hidden
    assert repository.visible_divisions(session, engineer)[0].code == "330106"
    assert {d.code for d in repository.visible_divisions(session, engineer)} == {"330106"}


def test_search_ranks_exact_keys_first_and_finds_one(session: Session, city: dict[str, Any]) -> None:
    engineer = _principal(session, "engineer")
    rows = city["rows"]
    key = next(k for k, r in rows.items() if r["external_id"] == "QA-330106-0012")
    found = search.search(session, engineer, "qa-330106-0012")
    assert found.only() is not None and found.only().key == key  # type: ignore[union-attr]
    assert found.only().type_code == rows[key]["category"]  # type: ignore[union-attr]
    many = search.search(session, engineer, "文三路", per_collection=5)
    assert many.only() is None and many.more == {"pipelines"}
    assert len(many.groups["pipelines"]) == 5
    exact = search.search(session, engineer, "QA-330106-0003")
    assert [h.exact for h in exact.groups["pipelines"]] == [True]
    assert search.search(session, engineer, "   ").groups == {}
    with pytest.raises(InvalidInput):
        search.search(session, engineer, "x" * 101)


def test_unknown_sort_and_vanished_cursor_are_refused(session: Session,
                                                      city: dict[str, Any]) -> None:
    spec = service.collection("pipelines")
    engineer = _principal(session, "engineer")
    with pytest.raises(InvalidInput) as err:
        repository.page(session, spec, engineer, Query(sort="geom"))
    assert err.value.problems[0].code == "not_sortable"
    with pytest.raises(InvalidInput) as err:
        repository.page(session, spec, engineer, Query(sort="name", after=2**31 - 1))
    assert err.value.problems[0].field == "after"


def test_selection_extent(session: Session, city: dict[str, Any]) -> None:
    spec = service.collection("pipelines")
    engineer = _principal(session, "engineer")
    box = repository.extent(session, spec, engineer, Query(filters={"category": "gas"}))
    assert box is not None and f.XIHU[0] - 0.01 < box[0] < box[2] < f.XIHU[0] + 0.03
    assert repository.extent(session, spec, engineer, Query(search="没有这样的管")) is None


def test_text_search_uses_the_trigram_index_on_postgis(session: Session, dialect: str,
                                                       city: dict[str, Any]) -> None:
    """The query's expression must be the index's, or PostgreSQL scans 100k rows per search."""
    spec = service.collection("pipelines")
    t = repository.table_of(spec)
    from sqlalchemy import select

    stmt = select(t.c.id).where(repository.text_match(spec, "文三路给水"))
    if dialect == "postgis":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        compiled = stmt.compile(session.get_bind())
        plan = "\n".join(r[0] for r in session.connection().exec_driver_sql(
            "EXPLAIN " + str(compiled), compiled.params))
        assert "ix_pipelines_search_trgm" in plan, plan
    else:  # SQLite scans: nothing was created, and LIKE still folds ASCII case
        names = {r[0] for r in session.execute(text("SELECT name FROM sqlite_master"))}
        assert not any("trgm" in n for n in names)
    assert len(session.execute(stmt).all()) == sum(
        1 for r in city["rows"].values() if "文三路给水" in r["name"])
