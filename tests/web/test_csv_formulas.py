"""CSV that cannot attack its reader, on both databases: text that Excel or WPS would run as a
formula leaves marked as text and comes back through the registry's own import as it was.

Every collection with free text is covered (read from the collection table, so a new one
must be added here), then the rejected rows of an import, the overview's CSV and the city
profile sheet. The published colour maps are left out: their only text is the registry's
own explanation, written by the same CSV writer.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiPolygon, box
from sqlalchemy import select
from sqlalchemy.orm import Session

import risk  # noqa: F401  (registers the hazard zones and risk points)
from inventory import COLLECTIONS, exporting, importing, service
from inventory.assets import CollectionSpec, FieldSpec
from inventory.formats import open_source
from inventory.formats.pages import columns
from inventory.service import WriteContext
from resilience import accounts, profile_sheets, profiles
from resilience.divisions import Division, DivisionProfile
from resilience.sheets import FORMULA_START, safe_text, unescape
from tests import factories as f

EXTENT = (118.3, 29.1, 120.8, 30.6)
ADMIN = accounts.CONSOLE
# One value per dangerous first character, then text that already holds the mark, text that
# merely begins with an apostrophe, and text that reads as a (negative) number.
RISKY = [f'{c}HYPERLINK("//e/{i}","x")' for i, c in enumerate(FORMULA_START)]
VALUES = [*RISKY, "'=SUM(A1)", "'单引号开头", "-3.5"]
# Free text the registry checks against a list of its own: the division is found from the
# geometry, a preset names a scoring preset, asset_collection a collection.
CHECKED = {"division_code", "preset", "asset_collection"}
# The fewest properties each writable collection needs; a new one must be added here.
BASE: dict[str, dict[str, Any]] = {
    "pipelines": {"category": "water_supply"},
    "network-points": {"kind": "manhole", "ground_elevation_m": -3.5},
    "tunnels": {"tunnel_type": "cable"},
    "shelters": {"kind": "civil_defence", "shelter_class": "emergency"},
    "flood-points": {},
    "hazard-zones": {"kind": "flood", "hazard_class": 2},
    "risk-points": {"category": "construction", "method": "ls", "factor_l": 2, "factor_s": 4},
}


def free_text(spec: CollectionSpec) -> list[FieldSpec]:
    """The fields a person types anything into."""
    return [fs for fs in spec.fields if fs.kind in ("str", "text", "str_list")
            and fs.codes is None and not fs.readonly and fs.name not in CHECKED]


ROUND_TRIP = [n for n, s in COLLECTIONS.items()
              if not s.readonly_collection and s.importable and free_text(s)]


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")),
                        extent=EXTENT)


def geometry(spec: CollectionSpec, i: int) -> dict[str, Any]:
    at = (120.07 + 0.0025 * i, 30.28)
    kind = spec.geometry_types[0]
    if "Polygon" in kind:
        return f.square(at, size=0.001)
    return f.line(at) if "Line" in kind else f.point(at)


def risky_record(spec: CollectionSpec, i: int, value: str) -> dict[str, Any]:
    props = dict(BASE[spec.name])
    for fs in free_text(spec):
        props[fs.name] = [value, "应急供水"] if fs.kind == "str_list" else value
    return f.feature(geometry(spec, i), **props)


def exported(session: Session, tmp_path: Path, collection: str, lang: str) -> list[list[str]]:
    path = tmp_path / f"{collection}-{lang}.csv"
    exporting.export(session, collection, "csv", path, by=ADMIN, lang=lang)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def assert_no_live_formula(rows: list[list[str]]) -> None:
    """A cell may begin with = + - @ tab or CR only if it is a plain number."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_START):
                float(cell.replace(",", ""))  # ValueError: a formula a spreadsheet would run


def writable(spec: CollectionSpec, obj: Any) -> dict[str, Any]:
    """What a round trip must give back: writable properties and the geometry."""
    feature = service.as_feature(spec, obj)
    for child in spec.children:
        feature["properties"][child.name] = [{k: v for k, v in item.items() if k != "id"}
                                             for item in feature["properties"].get(child.name) or []]
    return {"properties": feature["properties"], "geometry": feature["geometry"]}


def test_the_rule_round_trips_and_leaves_numbers_alone() -> None:
    edge = ["", "'", "''", "'=", "''=x", "=", "-", "+86 571", "@", "\t", "\r\n", "a'=b", " =x"]
    for value in [*VALUES, *edge]:
        marked = safe_text(value)
        assert unescape(marked) == value, value
        assert not marked.startswith(FORMULA_START) or value in ("-3.5",), value
    assert [safe_text(v) for v in (-3.5, 0, None, "-3.5", "-1,234.5", "+2e3")] == [
        -3.5, 0, None, "-3.5", "-1,234.5", "+2e3"]
    assert safe_text("-2+3") == "'-2+3" and unescape("'-3.5") == "-3.5"  # old marked files


def test_every_collection_with_text_has_a_base_record() -> None:
    assert sorted(ROUND_TRIP) == sorted(BASE)


@pytest.mark.parametrize("lang", ["zh", "machine"])
@pytest.mark.parametrize("collection", sorted(BASE))
def test_formula_text_leaves_as_text_and_imports_back_as_it_was(
        session: Session, tmp_path: Path, collection: str, lang: str) -> None:
    spec = COLLECTIONS[collection]
    made = [service.create(session, collection, risky_record(spec, i, v), ctx(session))
            for i, v in enumerate(VALUES)]
    remarks = [o.remarks for o in made]
    assert remarks == VALUES  # long text keeps its tab and CR: the file must too
    before = [writable(spec, o) for o in made]
    rows = exported(session, tmp_path, collection, lang)
    assert_no_live_formula(rows)
    column = columns(spec).index("remarks")
    assert [r[column] for r in rows[1:]] == [safe_text(v) for v in VALUES]
    assert rows[1][column].startswith("'=HYPERLINK")
    for obj in made:
        session.delete(obj)
    session.flush()
    report = importing.import_source(session, open_source(tmp_path / f"{collection}-{lang}.csv"),
                                     collection, ctx(session))
    assert report.stored and not report.rejected, [(p.row, p.field, p.code) for p in report.rejected]
    model = spec.model
    after = [writable(spec, o) for o in session.scalars(
        select(model).where(model.retired_at.is_(None)).order_by(model.id))]
    assert [a["properties"] for a in after] == [b["properties"] for b in before]


def test_a_negative_number_stays_a_number(session: Session, tmp_path: Path) -> None:
    spec = COLLECTIONS["network-points"]
    service.create(session, "network-points", risky_record(spec, 0, "-3.5"), ctx(session))
    rows = exported(session, tmp_path, "network-points", "zh")
    row = dict(zip(columns(spec), rows[1], strict=False))
    assert (row["ground_elevation_m"], row["remarks"]) == ("-3.5", "-3.5")


def test_hidden_hazards_and_division_names_export_as_text(session: Session,
                                                          tmp_path: Path) -> None:
    """Collections that are exported but not imported: only the cells are checked."""
    spec = COLLECTIONS["hazards"]
    for i, value in enumerate(RISKY):
        props = {fs.name: value for fs in free_text(spec)}
        service.create(session, "hazards", f.feature(f.point((120.07 + 0.001 * i, 30.28)),
                                                     category="cover_damaged", **props),
                       ctx(session))
    rows = exported(session, tmp_path, "hazards", "zh")
    assert_no_live_formula(rows)
    assert sum(cell == safe_text(RISKY[0]) for row in rows for cell in row) >= 3
    session.add(Division(code="330106999", name=RISKY[0], name_en=RISKY[3], level="township",
                         parent_code="330106",
                         boundary=from_shape(MultiPolygon([box(120.07, 30.27, 120.071, 30.271)]), srid=4490)))
    session.flush()
    rows = exported(session, tmp_path, "divisions", "machine")
    assert_no_live_formula(rows)
    assert any(row[:3] == ["330106999", safe_text(RISKY[0]), safe_text(RISKY[3])] for row in rows)


def test_rejected_rows_come_back_as_text_and_import_once_corrected(
        client: Any, auth: Any, session: Session) -> None:
    header = "name,kind,ground_elevation_m,remarks,lon,lat\n"
    bad = '"=HYPERLINK(""//e"",""x"")",井盖?,-3.5,"@SUM(A1)",120.0803,30.2801\n'

    def upload(data: bytes, name: str) -> Any:
        return client.post("/api/imports", data={
            "collection": "network-points", "file": (io.BytesIO(data), name)},
            headers=auth.headers("engineer"), content_type="multipart/form-data")

    first = upload((header + bad).encode("utf-8"), "点.csv")
    assert first.status_code == 422, first.get_json()
    link = next(x["href"] for x in first.get_json()["links"]
                if x["rel"] == "rejected" and x["type"] == "text/csv")
    text = client.get(link, headers=auth.headers("engineer")).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert_no_live_formula(rows)
    assert rows[1][2:6] == ["'=HYPERLINK(\"//e\",\"x\")", "井盖?", "-3.5", "'@SUM(A1)"]
    rows[1][3] = "检查井"  # the engineer corrects the kind and loads the file again
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    again = upload(fixed.getvalue().encode("utf-8-sig"), "改正.csv")
    assert again.status_code == 201, again.get_json()
    model = COLLECTIONS["network-points"].model
    point = session.scalars(select(model).where(model.remarks == "@SUM(A1)")).one()
    assert (point.name, point.ground_elevation_m) == ('=HYPERLINK("//e","x")', -3.5)


def test_the_overview_csv_writes_owners_as_text(client: Any, auth: Any) -> None:
    for i, owner in enumerate([*RISKY, "'=SUM(A1)"]):
        resp = client.post("/api/collections/pipelines/items", data=json.dumps(
            f.pipeline((120.07 + 0.002 * i, 30.28), owner=owner)),
            headers=auth.headers("admin"), content_type="application/geo+json")
        assert resp.status_code == 201, resp.get_json()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": "admin", "password": "admin-demo-2026",
                                "csrf_token": token})
    text = client.get("/dashboard.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert_no_live_formula(rows)
    labels = {r[2].split(" · ")[0] for r in rows if r[0] == "owners"}  # owner · column
    assert {safe_text(v.strip()) for v in RISKY} | {"''=SUM(A1)"} <= labels


def test_the_city_profile_csv_goes_out_as_text_and_comes_back(session: Session,
                                                              tmp_path: Path) -> None:
    source = '=HYPERLINK("//e","统计年鉴")'
    profiles.save(session, "330102", 2025, {"population": 1_323_000}, by="admin", source=source)
    path = tmp_path / "profile.csv"
    assert profile_sheets.write(session, path, lang="zh") == 1
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert_no_live_formula(rows)
    assert rows[1][-1] == "'" + source
    session.execute(DivisionProfile.__table__.delete())
    assert profile_sheets.read(session, path, by="admin") == 1
    back = profiles.figures(session, "330102", 2025)
    assert back is not None and (back.population, back.source) == (1_323_000, source)
