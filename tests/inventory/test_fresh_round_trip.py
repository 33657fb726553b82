"""Every export goes into a fresh install that has run only `resilience init`, count for count.

One install per database is made by the real command, then copied for each form (SQLite:
the file; PostgreSQL: CREATE DATABASE … TEMPLATE), so each import meets an empty registry.
Links travel by number: a pipeline's points and a cabin's pipelines are found again by
their external ids, whatever ids the new install gives them.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from inventory import COLLECTIONS, exporting, importing, service
from inventory.formats import open_source
from inventory.service import WriteContext
from resilience import accounts, user_admin
from resilience.db import make_engine, make_sessions, unit_of_work
from tests import factories as f
from tests.conftest import POSTGIS_ADMIN_URL, _pg_url, fresh_database
from tests.test_cli import run

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
EXTENT = (118.3, 29.1, 120.8, 30.6)
MARK = "全新安装往返"
ADMIN = accounts.CONSOLE
ORDER = ["network-points", "pipelines", "tunnels", "shelters", "flood-points"]  # points first
FORMS = [("csv", "zh"), ("csv", "en"), ("csv", "machine"), ("xlsx", "zh"), ("xlsx", "en"),
         ("xlsx", "machine"), ("geojson", None), ("gpkg", None), ("shp", None)]
AT = (120.085, 30.283)  # 西湖区


@pytest.fixture(scope="module")
def installed(request: pytest.FixtureRequest, engine: Engine,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, Path]:
    """A database after `resilience init` alone: the schema and the city's divisions."""
    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    tmp = tmp_path_factory.mktemp("installed")
    url = fresh_database(request.config, dialect, f"resilience_fresh_{WORKER}", tmp)
    done = run(["init"], url, tmp)
    assert done.returncode == 0, done.stderr
    return dialect, url, tmp


def clone(installed: tuple[str, str, Path], name: str) -> str:
    """A copy of the fresh install, under a name of its own."""
    dialect, url, tmp = installed
    if dialect == "spatialite":
        source = Path(url.removeprefix("sqlite:///"))
        target = tmp / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
            if Path(str(source) + suffix).exists():
                shutil.copyfile(str(source) + suffix, str(target) + suffix)
        return f"sqlite:///{target}"
    admin = create_engine(POSTGIS_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"'))
    admin.dispose()
    return _pg_url(name)


@pytest.fixture
def opened() -> Iterator[list[Engine]]:
    """Engines the test opens on its copies, disposed at the end."""
    engines: list[Engine] = []
    yield engines
    for eng in engines:
        eng.dispose()


def ctx(session: Session) -> WriteContext:
    return WriteContext(by=accounts.principal_of(accounts.get_user(session, "admin")),
                        extent=EXTENT)


def survey(session: Session) -> dict[str, int]:
    """A small delivery: numbered points, segments between them, a tunnel carrying two of
    them, shelters and flood points; one segment with no number at all."""
    def add(collection: str, feature: dict[str, Any]) -> Any:
        return service.create(session, collection, feature, ctx(session))

    n1, n2, n3 = (add("network-points", f.network_point(
        (AT[0] + 0.001 * i, AT[1]), external_id=f"FR-N{i + 1}", kind="manhole",
        category="drainage", status="in_service", data_source=MARK)) for i in range(3))
    p1 = add("pipelines", f.pipeline(AT, external_id="FR-P1", category="drainage",
                                     subcategory="sewage", material="concrete",
                                     burial_method="direct", start_point_id=n1.id,
                                     end_point_id=n2.id, data_source=MARK))
    p2 = add("pipelines", f.pipeline((AT[0], AT[1] + 0.001), external_id="FR-P2",
                                     start_point_id=n2.id, end_point_id=n3.id, data_source=MARK))
    add("pipelines", f.pipeline((AT[0], AT[1] + 0.002), data_source=MARK))  # no number
    add("tunnels", f.tunnel(AT, external_id="FR-T1", data_source=MARK, cabins=[
        {"name": "综合舱", "use": "integrated", "pipeline_ids": [p1.id]},
        {"name": "污水舱", "use": "drainage", "pipeline_ids": [p2.id]}]))
    add("tunnels", f.tunnel((AT[0], AT[1] + 0.003), external_id="FR-T2", data_source=MARK,
                            cabins=[]))
    add("shelters", f.shelter(AT, external_id="FR-S1", is_open=False, tier="county",
                              data_source=MARK))
    add("shelters", f.feature(f.point((AT[0], AT[1] + 0.004)), name="人防工程",
                              kind="civil_defence", shelter_class="emergency",
                              external_id="FR-S2", data_source=MARK))
    add("flood-points", f.flood_point(AT, external_id="FR-F1", data_source=MARK))
    add("flood-points", f.flood_point((AT[0], AT[1] + 0.005), data_source=MARK, events=[]))
    return {"network-points": 3, "pipelines": 3, "tunnels": 2, "shelters": 2, "flood-points": 2}


def live(session: Session, collection: str) -> int:
    model = COLLECTIONS[collection].model
    return int(session.scalar(select(func.count()).select_from(model)
                              .where(model.retired_at.is_(None))) or 0)


def links(session: Session) -> dict[str, Any]:
    """What the records point at, by number: segments' ends, cabins' segments."""
    Pipeline, Point, Tunnel = (COLLECTIONS[n].model for n in ("pipelines", "network-points",
                                                             "tunnels"))
    number = {p.id: p.external_id for p in session.scalars(select(Point))}
    ends = {p.external_id: (number.get(p.start_point_id), number.get(p.end_point_id))
            for p in session.scalars(select(Pipeline)) if p.external_id}
    segment = {p.id: p.external_id for p in session.scalars(select(Pipeline))}
    cabins = {t.external_id: [(c.name, c.use, [segment[i] for i in c.pipeline_ids])
                              for c in t.cabins] for t in session.scalars(select(Tunnel))}
    return {"ends": ends, "cabins": cabins}


@pytest.mark.parametrize(("fmt", "lang"), FORMS)
def test_every_form_imports_into_a_fresh_install_count_for_count(
        session: Session, tmp_path: Path, installed: tuple[str, str, Path], opened: list[Engine],
        fmt: str, lang: str | None) -> None:
    counts = survey(session)
    before = links(session)
    files = {}
    for collection in ORDER:
        path = tmp_path / (collection + exporting.FORMATS[fmt].extension)
        report = exporting.export(session, collection, fmt, path, by=ADMIN, lang=lang,
                                  filters={"data_source": MARK})
        assert report.records == counts[collection]
        files[collection] = path
    url = clone(installed, f"resilience_fresh_{WORKER}_{fmt}_{lang or 'gis'}")
    opened.append(eng := make_engine(url))
    with unit_of_work(make_sessions(eng)) as s:
        assert all(live(s, c) == 0 for c in ORDER)  # nothing but divisions
        for collection in ORDER:
            report = importing.import_source(s, open_source(files[collection]), collection,
                                             WriteContext(by=ADMIN, extent=EXTENT))
            assert report.stored and not report.rejected, (collection, [
                (p.row, p.field, p.code, p.params) for p in report.rejected])
            assert (report.created, report.updated) == (counts[collection], 0), collection
    with unit_of_work(make_sessions(eng)) as s:
        assert {c: live(s, c) for c in ORDER} == counts
        after = links(s)
        assert after["ends"] == {"FR-P1": ("FR-N1", "FR-N2"), "FR-P2": ("FR-N2", "FR-N3")}
        assert after == {"ends": before["ends"], "cabins": before["cabins"]}
        shelter = s.scalars(select(COLLECTIONS["shelters"].model)
                            .where(COLLECTIONS["shelters"].model.external_id == "FR-S1")).one()
        assert (shelter.is_open, shelter.tier, shelter.facilities) == (
            False, "county", ["应急供水", "应急厕所"])


def test_a_number_that_names_no_record_rejects_its_row(
        session: Session, tmp_path: Path, installed: tuple[str, str, Path],
        opened: list[Engine]) -> None:
    survey(session)
    path = tmp_path / "pipelines.xlsx"
    exporting.export(session, "pipelines", "xlsx", path, by=ADMIN, lang="zh",
                     filters={"data_source": MARK})
    url = clone(installed, f"resilience_fresh_{WORKER}_nopoints")
    opened.append(eng := make_engine(url))
    with unit_of_work(make_sessions(eng)) as s:  # the points were never imported here
        report = importing.import_source(s, open_source(path), "pipelines",
                                         WriteContext(by=ADMIN, extent=EXTENT))
        assert not report.stored and report.rows == 3 and report.rejected_rows == 2
        assert {(p.field, p.code, p.params["value"]) for p in report.rejected} == {
            ("start_point_no", "reference_not_found", "FR-N1"),
            ("end_point_no", "reference_not_found", "FR-N2"),
            ("start_point_no", "reference_not_found", "FR-N2"),
            ("end_point_no", "reference_not_found", "FR-N3")}
        assert live(s, "pipelines") == 0


def test_from_init_to_a_chinese_export_and_into_a_second_install(
        tmp_path: Path, installed: tuple[str, str, Path], opened: list[Engine]) -> None:
    """The command line alone: a delivery exported in Chinese by default, loaded elsewhere."""
    first = clone(installed, f"resilience_fresh_{WORKER}_first")
    opened.append(eng := make_engine(first))
    with unit_of_work(make_sessions(eng)) as s:
        accounts.add_user(s, "admin", role="admin", password="admin-long-enough-1",
                          divisions=user_admin.root_divisions(s))  # as `users add` grants
        counts = survey(s)
    eng.dispose()
    outputs = {"network-points": tmp_path / "点.csv", "pipelines": tmp_path / "管线.xlsx"}
    for collection, path in outputs.items():
        lang = ["--lang", "en"] if path.suffix == ".csv" else []
        done = run(["export", collection, "-o", str(path), *lang], first, tmp_path)
        assert done.returncode == 0, done.stderr
        assert re.search(rf"exported {counts[collection]} {collection}", done.stdout)
        assert ("English headings" if lang else "Chinese headings") in done.stdout
    assert "管线大类" in str(run_header(outputs["pipelines"]))
    assert "External id" in outputs["network-points"].read_text(encoding="utf-8-sig")
    second = clone(installed, f"resilience_fresh_{WORKER}_second")
    for collection, path in outputs.items():
        done = run(["import", str(path), "--into", collection], second, tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"{counts[collection]} were created" in done.stdout and "stored" in done.stdout
    opened.append(eng := make_engine(second))
    with unit_of_work(make_sessions(eng)) as s:
        assert live(s, "pipelines") == 3 and live(s, "network-points") == 3
        assert links(s)["ends"] == {"FR-P1": ("FR-N1", "FR-N2"), "FR-P2": ("FR-N2", "FR-N3")}


def run_header(path: Path) -> list[Any]:
    from openpyxl import load_workbook

    return [c.value for c in next(load_workbook(path, read_only=True).active.iter_rows())]
