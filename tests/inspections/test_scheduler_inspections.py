"""The scheduler's inspection jobs on a committed database: reruns, a week down, two schedulers,
a kill mid-run, re-planning after a risk run, escalation by e-mail — no task doubled or lost."""

from __future__ import annotations

import os
import socketserver
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from console import scheduler
from inventory.inspections import task_generation, task_submission
from inventory.inspections.notifications import Notification, NotificationContact
from inventory.inspections.tasks import InspectionTask
from resilience.db import make_engine, make_sessions, unit_of_work
from resilience.migrate import upgrade
from resilience.model import now
from risk.results import FourColourResult, RiskRun
from tests.conftest import fresh_database, seed_base
from tests.inspections import support

MONDAY = support.MONDAY


@pytest.fixture(scope="module")
def url(engine: Engine, request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the same dialect whose commits are real (the jobs open their own sessions)."""
    dialect = "spatialite" if engine.dialect.name == "sqlite" else "postgis"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    database = fresh_database(request.config, dialect, f"resilience_sched_{worker}",
                              tmp_path_factory.mktemp("sched"))
    eng = make_engine(database)
    upgrade(eng)
    seed_base(eng)
    eng.dispose()
    yield database
    scheduler._sessions.cache_clear()


@pytest.fixture
def sessions(url: str) -> sessionmaker[Session]:  # noqa: F811  (committing, not rolled back)
    return make_sessions(make_engine(url))


_rows = iter(range(100))


def _plan(sessions: sessionmaker[Session], n: int = 2, **values: Any) -> tuple[int, list[int]]:
    """A plan over ``n`` new pipelines of its own (a row of them no other plan's box holds)."""
    x, y = 120.06, 30.262 + 0.003 * next(_rows)
    box = [x - 0.0002, y - 0.0002, x + 0.002 * n, y + 0.0007]
    with unit_of_work(sessions) as s:
        assets = support.pipelines(s, n, at=(x, y))
        plan = support.plan(s, selection={"collection": "pipelines", "bbox": box}, **values)
        return plan.id, assets


def _dates(sessions: sessionmaker[Session], plan_id: int) -> list[tuple[int, date, str]]:
    with sessions() as s:
        return [tuple(r) for r in s.execute(
            select(InspectionTask.asset_id, InspectionTask.due_on, InspectionTask.status)
            .where(InspectionTask.plan_id == plan_id)
            .order_by(InspectionTask.asset_id, InspectionTask.due_on))]


def _stop_other_plans(sessions: sessionmaker[Session], keep: int) -> None:
    from inventory.inspections.plans import InspectionPlan

    with unit_of_work(sessions) as s:
        for plan in s.scalars(select(InspectionPlan).where(InspectionPlan.id != keep)):
            plan.active = False


def test_reruns_and_a_week_down_create_each_visit_once(url: str,
                                                       sessions: sessionmaker[Session]) -> None:
    plan_id, assets = _plan(sessions, recurrence="FREQ=DAILY", open_days=2)
    _stop_other_plans(sessions, plan_id)
    first = scheduler.generate_inspection_tasks(url, 2, today=MONDAY)
    assert first["created"] == 2 * 3 and first["failed"] == 0
    assert scheduler.generate_inspection_tasks(url, 2, today=MONDAY)["created"] == 0
    back = MONDAY + timedelta(days=9)  # the scheduler was down for over a week
    scheduler.generate_inspection_tasks(url, 2, today=back)
    scheduler.generate_inspection_tasks(url, 2, today=back)
    got = _dates(sessions, plan_id)
    days = sorted({d for _, d, _ in got})
    # before: Mon–Wed; missed and closed: only the latest (back − 2); still open: back − 1; ahead
    assert days == [MONDAY + timedelta(days=i) for i in range(3)] + [
        back + timedelta(days=i) for i in (-2, -1, 0, 1, 2)]
    assert len(got) == len(set((a, d) for a, d, _ in got)) == 2 * 8
    assert {s for _, d, s in got if d == back - timedelta(days=2)} == {"overdue"}


def test_two_schedulers_racing_leave_one_task_per_key(url: str,
                                                      sessions: sessionmaker[Session]) -> None:
    plan_id, _ = _plan(sessions, 20, recurrence="FREQ=DAILY")
    _stop_other_plans(sessions, plan_id)
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(scheduler.generate_inspection_tasks(url, 6, today=MONDAY))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    scheduler.generate_inspection_tasks(url, 6, today=MONDAY)  # whoever lost catches up
    got = _dates(sessions, plan_id)
    assert len(got) == 20 * 7 == len(set((a, d) for a, d, _ in got))
    assert sum(r["created"] for r in results) == 20 * 7  # created once between them


def test_a_kill_mid_run_leaves_each_plan_whole(url: str, sessions: sessionmaker[Session],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _plan(sessions, 3)
    second, _ = _plan(sessions, 3)
    with unit_of_work(sessions) as s:
        from inventory.inspections.plans import InspectionPlan

        for plan in s.scalars(select(InspectionPlan)):
            plan.active = plan.id in (first, second)
    real = task_generation.insert_rows_ignoring

    def dies_after_writing(bind: Any, table: Any, rows: list[dict[str, Any]], **kw: Any) -> int:
        count = real(bind, table, rows, **kw)
        if table.name == "inspection_tasks" and rows and rows[0]["plan_id"] == second:
            raise KeyboardInterrupt("killed")  # the process dies inside the plan's transaction
        return count

    monkeypatch.setattr(task_generation, "insert_rows_ignoring", dies_after_writing)
    with pytest.raises(KeyboardInterrupt):
        scheduler.generate_inspection_tasks(url, 7, today=MONDAY)
    assert len(_dates(sessions, first)) == 6 and _dates(sessions, second) == []
    monkeypatch.setattr(task_generation, "insert_rows_ignoring", real)
    again = scheduler.generate_inspection_tasks(url, 7, today=MONDAY)
    assert again["created"] == 6
    assert len(_dates(sessions, first)) == len(_dates(sessions, second)) == 6


def _publish(sessions: sessionmaker[Session], levels: dict[int, str]) -> int:
    with unit_of_work(sessions) as s:
        run = RiskRun(mode="full", status="succeeded", scheme_name="composite_default",
                      scheme_version=1, cell_size_m=500.0, finished_at=now())
        s.add(run)
        s.flush()
        s.query(FourColourResult).filter(FourColourResult.unit == "asset").delete()
        for asset_id, level in levels.items():
            s.add(FourColourResult(unit="asset", ref=f"pipelines/{asset_id}", level=level,
                                   ordinal=4, colour="#FF0000", run_id=run.id, scheme="lec_default",
                                   scheme_version=1, explanation={},
                                   geom=from_shape(Point(120.08, 30.28), srid=4490)))
        return run.id


def test_a_new_risk_run_replans_risk_based_plans(url: str,
                                                 sessions: sessionmaker[Session]) -> None:
    plan_id, (a, b) = _plan(sessions, 2, recurrence=None, risk_based=True)
    _stop_other_plans(sessions, plan_id)
    scheduler.generate_inspection_tasks(url, 28, today=MONDAY)
    assert [d for _, d, _ in _dates(sessions, plan_id)] == [MONDAY, MONDAY]  # blue: quarterly
    run_id = _publish(sessions, {a: "major"})
    done = scheduler.generate_inspection_tasks(url, 28, today=MONDAY)
    assert done["replanned"] == 1 and done["created"] == 4
    assert [d for x, d, _ in _dates(sessions, plan_id) if x == a] == [
        MONDAY + timedelta(days=7 * i) for i in range(5)]
    assert scheduler.generate_inspection_tasks(url, 28, today=MONDAY)["replanned"] == 0
    with sessions() as s:
        from inventory.inspections.plans import InspectionPlan

        assert s.get(InspectionPlan, plan_id).planned_run_id == run_id
    _publish(sessions, {})
    lowered = scheduler.generate_inspection_tasks(url, 28, today=MONDAY)
    assert lowered["cancelled"] == 4
    assert [s for x, _, s in _dates(sessions, plan_id) if x == a] == ["due"] + ["cancelled"] * 4


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP to take a message (HELO/EHLO, MAIL, RCPT, DATA, QUIT)."""

    received: list[str] = []

    def handle(self) -> None:
        self.wfile.write(b"220 stub\r\n")
        while line := self.rfile.readline():
            verb = line.decode().strip().upper()
            if verb.startswith("DATA"):
                self.wfile.write(b"354 go\r\n")
                body = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    body.append(data.decode("utf-8", "replace"))
                type(self).received.append("".join(body))
                self.wfile.write(b"250 ok\r\n")
            elif verb.startswith("QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            else:
                self.wfile.write(b"250 ok\r\n")


def test_overdue_tasks_are_escalated_once_in_the_app_and_by_mail(
        url: str, sessions: sessionmaker[Session], tmp_path: Path) -> None:
    plan_id, _ = _plan(sessions, 2)
    _stop_other_plans(sessions, plan_id)
    scheduler.generate_inspection_tasks(url, 0, today=MONDAY)
    with unit_of_work(sessions) as s:
        if s.get(NotificationContact, "engineer") is None:
            s.add(NotificationContact(username="engineer", email="engineer@example.org"))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Smtp.received = []
    try:
        later = MONDAY + timedelta(days=5)
        port = server.server_address[1]
        first = scheduler.check_overdue_inspections(url, "127.0.0.1", port,
                                                    public_url="https://gx.hz.gov.cn",
                                                    today=later)
        second = scheduler.check_overdue_inspections(url, "127.0.0.1", port, today=later)
    finally:
        server.shutdown()
        server.server_close()
    assert first["overdue"] >= 2 and first["escalated"] >= 2 and first["emailed"] >= 2
    assert second == {"overdue": 0, "escalated": 0, "hazards_escalated": 0, "emailed": 0}
    assert any("巡检任务逾期" in m or "=E5=B7=A1" in m or "Subject" in m for m in _Smtp.received)
    assert all("https://gx.hz.gov.cn/notifications" in m for m in _Smtp.received)
    with sessions() as s:
        ids = [t for t, in s.execute(select(InspectionTask.id)
                                     .where(InspectionTask.plan_id == plan_id))]
        notes = s.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.subject_id.in_(ids),
                                Notification.kind == "task_overdue"))
        assert notes == 2
        assert all(n.emailed_at is not None for n in s.scalars(
            select(Notification).where(Notification.subject_id.in_(ids))))


def test_without_smtp_the_owner_is_told_in_the_app_only(url: str,
                                                        sessions: sessionmaker[Session]) -> None:
    plan_id, _ = _plan(sessions, 1)
    _stop_other_plans(sessions, plan_id)
    scheduler.generate_inspection_tasks(url, 0, today=MONDAY + timedelta(days=21))
    done = scheduler.check_overdue_inspections(url, today=MONDAY + timedelta(days=30))
    assert done["escalated"] >= 1 and done["emailed"] == 0
    with sessions() as s:
        (task_id,) = [t for t, in s.execute(select(InspectionTask.id)
                                            .where(InspectionTask.plan_id == plan_id))]
        (note,) = s.scalars(select(Notification).where(Notification.subject_id == task_id))
        assert note.username == "engineer" and note.emailed_at is None
        assert note.params["closes_on"] == (MONDAY + timedelta(days=23)).isoformat()


def test_the_overdue_job_escalates_late_hidden_hazards_once(
        url: str, sessions: sessionmaker[Session]) -> None:
    from inventory.inspections import hazard_steps
    from inventory.service import WriteContext
    from resilience import accounts
    from tests import factories as f

    with unit_of_work(sessions) as s:
        def ctx(name: str) -> WriteContext:
            return WriteContext(by=accounts.principal_of(accounts.get_user(s, name)))

        late = hazard_steps.report(s, {"category": "leakage", "description": "阀井渗漏",
                                       "geometry": f.point()}, ctx("inspector"))
        hazard_steps.transition(s, late.id, "register", ctx("engineer"), deadline="2020-03-01")
        late_id = late.id
    first = scheduler.check_overdue_inspections(url, today=MONDAY + timedelta(days=40))
    again = scheduler.check_overdue_inspections(url, today=MONDAY + timedelta(days=40))
    assert first["hazards_escalated"] >= 1 and again["hazards_escalated"] == 0
    with sessions() as s:
        notes = s.scalars(select(Notification).where(Notification.kind == "hazard_overdue",
                                                     Notification.subject_id == late_id)).all()
        assert [n.username for n in notes] == ["manager"]


def test_the_scheduler_process_carries_the_inspection_jobs(tmp_path: Path) -> None:
    from resilience.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", instance_path=tmp_path,
                        secret_key="x", inspection_horizon_days=21,
                        smtp_host="mail.example.org").resolved()
    jobs = {j.id: j for j in scheduler.build_scheduler(settings).get_jobs()}
    assert {"inspection_tasks", "inspection_overdue", "risk_nightly"} <= set(jobs)
    assert jobs["inspection_tasks"].args == (settings.database_url, 21, "Asia/Shanghai")
    assert jobs["inspection_overdue"].args[1] == "mail.example.org"
    env = Settings.from_env({"RESILIENCE_SMTP_HOST": "smtp.hz.gov.cn", "RESILIENCE_SMTP_PORT": "587",
                             "RESILIENCE_INSPECTION_HORIZON_DAYS": "7",
                             "RESILIENCE_INSTANCE_PATH": str(tmp_path)})
    assert (env.smtp_host, env.smtp_port, env.inspection_horizon_days) == ("smtp.hz.gov.cn", 587, 7)


def test_a_submission_sent_twice_at_once_is_stored_once(url: str,
                                                        sessions: sessionmaker[Session]) -> None:
    import uuid

    from inventory.inspections.tasks import InspectionSubmission
    from resilience.errors import ResilienceError

    plan_id, _ = _plan(sessions, 1)
    _stop_other_plans(sessions, plan_id)
    scheduler.generate_inspection_tasks(url, 0, today=MONDAY)
    with sessions() as s:
        (task_id,) = s.scalars(select(InspectionTask.id).where(InspectionTask.plan_id == plan_id))
    client_id = str(uuid.uuid4())
    answers = {"markers": "good", "occupation": False, "third_party_works": False, "lel": 0,
               "gas_smell": False, "valve_well_water": False, "valve_corrosion": False,
               "regulator": "none", "ground_subsidence": False}
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        barrier.wait()
        try:
            with unit_of_work(sessions) as s:
                sub, created = task_submission.submit(s, task_id, answers, None,
                                                      support.ctx(s, "inspector"), client_id=client_id)
                outcomes.append((sub.id, created))
        except ResilienceError as error:  # SQLite: the loser may find the file locked (503)
            outcomes.append(error.code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = [o for o in outcomes if isinstance(o, tuple)]
    assert stored and [c for _, c in stored].count(True) == 1
    assert len({i for i, _ in stored}) == 1
    assert all(o == "service_unavailable" for o in outcomes if not isinstance(o, tuple))
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(InspectionSubmission)
                        .where(InspectionSubmission.client_id == client_id)) == 1
        assert s.get(InspectionTask, task_id).status == "done"
