"""Inspection figures of issue 6: task generation over 100k assets, the inspector's task list.

    .venv/bin/python -m benchmarks.inspections --db postgis [--segments 100000]
    .venv/bin/python -m benchmarks.inspections --db spatialite

Works on its own copy of the risk benchmark's city (``bench_risk_<N>``, made by
``benchmarks.risk`` when missing): ``bench_insp_<N>`` — a PostgreSQL database created from it
as a template, or a copy of the SpatiaLite file — migrated to head, so the shared database is
left as it is. Then:

* **generation**: a weekly plan over every pipeline of the city (N assets), tasks for a
  14-day horizon (3 occurrences each: ~3N rows), timed for the first call (everything new),
  a rerun (nothing new: the idempotent path the hourly job takes) and a re-plan after half
  the assets changed risk level (risk-based plan); each in its own transaction, rolled back;
* **list**: 10,000 open tasks committed for the demo inspector (a daily plan over 西湖区's
  pipelines for as many days as it takes), served by gunicorn; ``GET /api/inspections/tasks
  ?assignee=me`` (a page of 50, soonest to close first) and the same ``near`` the district's
  centre (nearest first), 200 requests each on a kept-alive connection; p50 and p95. The
  table is vacuumed first: the rolled-back generation runs leave dead rows PostgreSQL's
  autovacuum would clear in a running registry.

Writes ``results/inspections_<db>_<N>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import math
import shutil
import time
from datetime import date, timedelta
from typing import Any

from sqlalchemy import create_engine, delete, func, select, text

from benchmarks.common import PG_ADMIN, RESULTS, Server, save, summary, timed, token

TARGETS = {"generate_s": 30.0, "list_p50_ms": 200.0}
OPEN_TASKS = 10_000
TODAY = date(2026, 12, 7)  # a Monday; fixed so reruns measure the same work


def _url(db: str, segments: int) -> str:
    """``bench_insp_<N>``: made once from ``bench_risk_<N>`` (template or file copy)."""
    from benchmarks.risk import _url as risk_url
    from benchmarks.risk import prepare

    source, new = risk_url(db, segments)
    if new:
        prepare(db, segments)
    name = f"bench_insp_{segments}"
    if db == "spatialite":
        path = RESULTS / f"{name}.db"
        if not path.exists():
            shutil.copyfile(source.removeprefix("sqlite:///"), path)
        return f"sqlite:///{path}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).scalar():
            for _ in range(30):  # the template must have no other session on it
                try:
                    conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "bench_risk_{segments}"'))
                    break
                except Exception:  # noqa: BLE001
                    time.sleep(2)
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def _plan(session: Any, **values: Any) -> Any:
    from inventory.inspections import plans, presets
    from resilience import accounts

    presets.ensure_presets(session)
    engineer = accounts.principal_of(accounts.get_user(session, "engineer"))
    base = {"template": "gas_pipeline_patrol", "starts_on": TODAY.isoformat(),
            "assignee": "inspector", "open_days": 3, "owner": "engineer"}
    return plans.create(session, {**base, **values}, engineer, today=TODAY)


def generation(url: str) -> dict[str, Any]:
    """Seconds to generate, regenerate and re-plan a plan over every pipeline (rolled back)."""
    from inventory.inspections import task_generation
    from resilience.db import make_engine, make_sessions

    engine = make_engine(url)
    out: dict[str, Any] = {}
    with make_sessions(engine)() as s:
        plan = _plan(s, name="bench: every pipeline weekly", recurrence="FREQ=WEEKLY",
                     selection={"collection": "pipelines"})
        s.flush()
        start = time.perf_counter()
        created = task_generation.generate(s, plan, TODAY, 14, {})
        out["generate_s"] = round(time.perf_counter() - start, 2)
        out["generate_tasks"] = created
        start = time.perf_counter()
        again = task_generation.generate(s, plan, TODAY, 14, {})
        out["regenerate_s"] = round(time.perf_counter() - start, 2)
        assert again == 0, again
        s.rollback()
    with make_sessions(engine)() as s:
        plan = _plan(s, name="bench: every pipeline by risk", risk_based=True,
                     selection={"collection": "pipelines"})
        s.flush()
        ids = list(s.scalars(text("SELECT id FROM pipelines ORDER BY id")))
        levels = {("pipelines", i): "major" for i in ids[::2]}
        start = time.perf_counter()
        out["risk_based_generate_tasks"] = task_generation.generate(s, plan, TODAY, 14, levels)
        out["risk_based_generate_s"] = round(time.perf_counter() - start, 2)
        swapped = {("pipelines", i): "major" for i in ids[1::2]}
        start = time.perf_counter()
        done = task_generation.replan(s, plan, TODAY, 14, swapped)
        out["replan_s"] = round(time.perf_counter() - start, 2)
        out["replan"] = done
        s.rollback()
    out["assets"] = len(ids)
    engine.dispose()
    return out


def seed_open_tasks(url: str) -> dict[str, Any]:
    """Commit ~10k open tasks for the demo inspector (once; reruns find them)."""
    from inventory import Pipeline
    from inventory.inspections import task_generation, tasks
    from inventory.inspections.plans import InspectionPlan
    from inventory.inspections.tasks import InspectionTask
    from resilience.db import make_engine, make_sessions, unit_of_work

    engine = make_engine(url)
    name = "bench: 西湖区 daily, 10k open"
    with unit_of_work(make_sessions(engine)) as s:
        plan = s.scalars(select(InspectionPlan).where(InspectionPlan.name == name)).first()
        if plan is None:
            n = s.scalar(select(func.count()).select_from(Pipeline)
                         .where(Pipeline.division_code.startswith("330106")))
            days = max(1, math.ceil(OPEN_TASKS / max(n, 1)))
            plan = _plan(s, name=name, recurrence="FREQ=DAILY", open_days=days,
                         selection={"collection": "pipelines", "division": "330106"})
            s.flush()
            task_generation.generate(s, plan, TODAY, days - 1, {})
            ids = list(s.scalars(select(InspectionTask.id)
                                 .where(InspectionTask.plan_id == plan.id)
                                 .order_by(InspectionTask.id.desc())))
            surplus = ids[: max(0, len(ids) - OPEN_TASKS)]  # keep exactly OPEN_TASKS
            for at in range(0, len(surplus), 1000):
                s.execute(delete(InspectionTask)
                          .where(InspectionTask.id.in_(surplus[at:at + 1000])))
        count = s.scalar(select(func.count()).select_from(InspectionTask)
                         .where(InspectionTask.status.in_(tasks.OPEN)))
    if engine.dialect.name == "postgresql":  # the generation runs left rolled-back rows behind
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE inspection_tasks")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return {"open_tasks": count}


def serve_list(url: str, port: int, repeat: int = 200) -> dict[str, Any]:
    """p50/p95 of the inspector's task list, plain and nearest first, served by gunicorn."""
    bearer = {"Authorization": f"Bearer {token(url, 'inspector')}"}
    server = Server("web.wsgi:app", url, port)
    out: dict[str, Any] = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        day = (TODAY + timedelta(days=3)).isoformat()
        for label, path in (
            ("list", f"/api/inspections/tasks?assignee=me&day={day}"),
            ("list_near", f"/api/inspections/tasks?assignee=me&day={day}&near=120.10,30.27"),
        ):
            ms, status, body = timed(conn, "GET", path, bearer)
            assert status == 200, body[:300]
            samples = []
            for _ in range(repeat):
                ms, status, body = timed(conn, "GET", path, bearer)
                assert status == 200
                samples.append(ms)
            out[label] = summary(samples)
            out[f"{label}_rows"] = body.count(b'"plan_id"')
    finally:
        server.stop()
    return out


def main() -> None:
    """Run both figures on one database and save them."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["postgis", "spatialite"], required=True)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=5611)
    parser.add_argument("--skip-generation", action="store_true")
    args = parser.parse_args()
    from resilience.db import make_engine
    from resilience.migrate import upgrade

    url = _url(args.db, args.segments)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    result: dict[str, Any] = {"db": args.db, "segments": args.segments, "targets": TARGETS}
    if not args.skip_generation:
        result["generation"] = generation(url)
    result["seed"] = seed_open_tasks(url)
    result["served"] = serve_list(url, args.port)
    save(f"inspections_{args.db}_{args.segments}", result)


if __name__ == "__main__":
    main()
