"""``kill -9`` of an import, a risk run or the scheduler (issue 15 item 5), on both databases.

Real ``resilience`` processes on a committed database (the demo city, 1,500 segments, and a
full risk run published), killed with SIGKILL at points they report (rows read, a job claimed,
a run's progress) or a seeded moment after them. After each kill the registry is as it was:
every table's rows (so counts, audit rows and the published maps), SQLite's file intact and
its WAL recovered. The job left ``running`` is then settled by the next scheduler, once its
worker is overdue (:data:`resilience.jobs.STALE_AFTER`, set back here rather than waited for):
queued again and finished, or failed with ``worker_stopped`` after its third stopped worker.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from resilience import jobs
from resilience.intent import writing
from tests.conftest import DIALECTS, fresh_database
from tests.kernel.crashes import Process, differences, snapshot, sqlite_recovered

pytestmark = pytest.mark.slow

SEED = 15  # the number: the kill moments are the same on every run
SEGMENTS = 1500
# Rows of the imported file: not a multiple of the import's batch (2,000), so once the last
# row is read a batch of 500 is still to check and write before the commit: a kill point.
ROWS = 6500
CELL_M = 1000.0  # the city's cells: a full risk run in a few seconds, published in several


@dataclass
class City:
    """The demo city in a committed database of its own, and how to run commands on it."""

    dialect: str
    engine: Engine
    instance: Path
    env: dict[str, str]
    csv: Path
    publish_seconds: float

    @property
    def sessions(self) -> sessionmaker[Session]:
        from resilience.db import make_sessions

        return make_sessions(self.engine)

    def start(self, *args: str) -> Process:
        return Process(list(args), self.env)

    def job(self, job_id: int) -> jobs.Job:
        with self.sessions() as s:
            job = s.get(jobs.Job, job_id)
            assert job is not None
            s.expunge(job)
            return job

    def overdue(self, job_id: int) -> None:
        """Let the bound pass for a dead worker's job: its last beat set back beyond it."""
        with writing(), self.sessions() as s:
            job = s.get(jobs.Job, job_id)
            assert job is not None and job.status == jobs.RUNNING
            seen = job.heartbeat_at or job.started_at
            assert seen is not None
            job.heartbeat_at = seen - (jobs.STALE_AFTER + timedelta(seconds=1))
            s.commit()

    def unchanged(self, before: dict[str, tuple[int, str]], what: str) -> None:
        """Every registry table as before; on SQLite the file checked and its WAL recovered."""
        if self.dialect == "spatialite":
            sqlite_recovered(self.engine)
        assert differences(before, snapshot(self.engine)) == {}, f"after the kill {what}"

    def settle_periodic(self) -> None:
        """The scheduler's start-up work done beforehand (it is idempotent: then a no-op)."""
        from console.scheduler import generate_inspection_tasks

        generate_inspection_tasks(self.env["RESILIENCE_DATABASE_URL"])


def _write_csv(path: Path, prefix: str, rows: int, seed: int) -> Path:
    """A CJJ 61-style delivery of water mains spread over the city centre."""
    rng = random.Random(seed)
    lines = ["管线编号,管线类型,材质,管径(mm),起点埋深,终点埋深,权属单位,WKT"]
    for n in range(rows):
        x, y = 120.10 + rng.random() * 0.15, 30.20 + rng.random() * 0.12
        lines.append(f'{prefix}-{n},给水,球墨铸铁,{rng.choice([100, 200, 300, 400])},1.2,1.3,'
                     f'杭州水务,"LINESTRING ({x:.6f} {y:.6f}, {x + 0.0008:.6f} {y + 0.0004:.6f})"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _first_run(sessions: sessionmaker[Session]) -> float:
    """Publish the city's first maps; how long publishing took (the kill during it is timed
    from it)."""
    from risk import runs

    marks: dict[str, float] = {}

    def timed(session: Session, job: jobs.Job, progress: jobs.Progress) -> Any:
        then = runs.JOB.run(session, job, progress)
        assert callable(then)
        marks["scored"] = time.monotonic()

        def publish(s: Session) -> dict[str, Any]:
            done = then(s)
            marks["published"] = time.monotonic()
            return done

        return publish

    with sessions.begin() as s:
        job_id = runs.request(s, by="test").job_id
    assert job_id is not None
    assert jobs.run_job(sessions, job_id, {"risk_run": jobs.JobKind(timed, runs.JOB.failed)})
    return marks["published"] - marks["scored"]


@pytest.fixture(scope="module", params=DIALECTS)
def city(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[City]:
    from demo import city as demo
    from resilience.db import make_engine, make_sessions, unit_of_work
    from resilience.migrate import upgrade
    from risk import schemes

    tmp = tmp_path_factory.mktemp("faults")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = fresh_database(request.config, request.param, f"resilience_faults_{worker}", tmp)
    engine = make_engine(url)
    upgrade(engine)
    with unit_of_work(make_sessions(engine)) as s:
        demo.load(s, segments=SEGMENTS)
        scheme = schemes.latest(s)
        schemes.save_version(s, scheme.name, {"cell_size_m": CELL_M}, by="test")
    publish_seconds = _first_run(make_sessions(engine))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESILIENCE_")}
    env.update(RESILIENCE_DATABASE_URL=url, RESILIENCE_INSTANCE_PATH=str(tmp / "instance"),
               RESILIENCE_JOB_POLL_SECONDS="0.3", RESILIENCE_RISK_INCREMENTAL_SECONDS="86400",
               RESILIENCE_RISK_NIGHTLY_AT=time.strftime("%H:%M", time.gmtime(time.time() + 43200)))
    city = City(request.param, engine, tmp / "instance", env,
                _write_csv(tmp / "管线.csv", "FAULT", ROWS, SEED), publish_seconds)
    city.settle_periodic()
    yield city
    engine.dispose()


def test_a_killed_import_stores_nothing_and_the_rerun_stores_every_row(city: City) -> None:
    rng = random.Random(SEED)
    points = [rng.choice([1000, 2000, 3000]), rng.choice([4000, 5000]), ROWS]
    before = snapshot(city.engine)
    with city.sessions() as s:
        job_count = s.scalar(select(func.count()).select_from(jobs.Job))
    command = ("import", str(city.csv), "--into", "pipelines", "--as", "admin")
    for rows in points:  # the last: every row read, the final batch and the commit under way
        process = city.start(*command)
        process.until(lambda p=process, n=rows: p.rows_read() >= n, f"{rows} rows read")
        process.kill()
        city.unchanged(before, f"{rows} rows read")
        with city.sessions() as s:  # the import's job row is in its transaction: gone too
            assert s.scalar(select(func.count()).select_from(jobs.Job)) == job_count

    out = city.start(*command).finish()
    assert f"{ROWS} row(s); {ROWS} were created" in out and "stored" in out, out
    changed = differences(before, snapshot(city.engine))
    assert changed["pipelines"] == (before["pipelines"][0], before["pipelines"][0] + ROWS)
    assert changed["audit_log"][1] - changed["audit_log"][0] == ROWS


def _submit_import(city: City, prefix: str) -> int:
    from inventory import import_jobs

    folder = import_jobs.new_folder(city.instance)
    source = _write_csv(folder / f"{prefix}.csv", prefix, ROWS, SEED + 1)
    with city.sessions.begin() as s:
        return import_jobs.submit(s, folder, source.name, "pipelines", by="admin", extent=None,
                                  options={}).id


def _progress(folder: Path) -> dict[str, Any]:
    """What a running import job wrote beside its upload (``inventory.import_jobs``)."""
    from inventory import import_jobs

    try:
        return dict(json.loads((folder / import_jobs.PROGRESS).read_text()))
    except (OSError, ValueError):
        return {}


def _claimed_anew(city: City, job_id: int, lease: Any) -> bool:
    job = city.job(job_id)
    return job.status == jobs.RUNNING and job.started_at is not None and job.started_at != lease


def test_a_killed_import_job_starts_over_then_fails_and_a_new_one_completes(city: City) -> None:
    from inventory import import_jobs

    rng = random.Random(SEED + 1)
    job_id = _submit_import(city, "JOB")
    city.settle_periodic()
    before = snapshot(city.engine)
    part = round(rng.uniform(0.2, 0.7), 2)
    folder = Path(city.job(job_id).params["folder"])
    # The progress file is removed before each start: once there, it is this run's.
    points = [("claimed", lambda lease: _claimed_anew(city, job_id, lease)),
              (f"{part:.0%} of the rows read",
               lambda _: _progress(folder).get("fraction", 0) >= part),
              ("every row read", lambda _: _progress(folder).get("rows") == ROWS)]
    lease = None
    for stops, (what, reached) in enumerate(points, 1):
        (folder / import_jobs.PROGRESS).unlink(missing_ok=True)
        scheduler = city.start("scheduler")
        scheduler.until(lambda lease=lease, reached=reached: reached(lease), what)
        scheduler.kill()
        city.unchanged(before, what)
        job = city.job(job_id)
        assert (job.status, job.result, job.finished_at) == (jobs.RUNNING, None, None)
        if stops > 1:  # the restart settled the stopped worker, and the job started over
            assert job.error is not None and (job.error["code"], job.error["restarts"]) == (
                jobs.WORKER_STOPPED, stops - 1)
        lease = job.started_at
        city.overdue(job_id)

    assert "ran 0 job(s)" in city.start("scheduler", "--once").finish()
    job = city.job(job_id)
    assert job.status == jobs.FAILED and job.result is None
    assert job.error is not None and job.error["code"] == jobs.WORKER_STOPPED
    assert job.error["restarts"] == jobs.RESUMES + 1 and "stopped" in job.error["message"]
    city.unchanged(before, "the third stop, once settled")

    again = _submit_import(city, "JOB")  # the same file once more: now it goes through
    assert "ran 1 job(s)" in city.start("scheduler", "--once").finish()
    done = city.job(again)
    assert done.status == jobs.DONE and done.error is None
    assert done.result is not None and done.result["stored"] and done.result["created"] == ROWS
    changed = differences(before, snapshot(city.engine))
    assert changed["pipelines"] == (before["pipelines"][0], before["pipelines"][0] + ROWS)


def test_a_killed_risk_run_keeps_the_published_maps_and_completes_on_resume(city: City) -> None:
    from risk import runs
    from risk.results import RiskRun

    rng = random.Random(SEED + 2)
    city.settle_periodic()
    before = snapshot(city.engine)
    with city.sessions() as s:
        published = runs.published(s)
        assert published is not None
        first = published.id

    def newest() -> RiskRun | None:
        with city.sessions() as s:
            return s.scalars(select(RiskRun).order_by(RiskRun.id.desc()).limit(1)).first()

    cli = city.start("risk", "run")  # killed while it reads the registry
    cli.until(lambda: (run := newest()) is not None and run.id != first and run.job_id is not None
              and city.job(run.job_id).progress >= 0.05, "reading the registry")
    cli.kill()
    city.unchanged(before, "while reading")
    run = newest()
    assert run is not None and (run.status, run.active, run.counts) == ("queued", 1, None)
    job_id = run.job_id
    assert job_id is not None and city.job(job_id).status == jobs.RUNNING
    lease = city.job(job_id).started_at
    city.overdue(job_id)

    scheduler = city.start("scheduler")  # takes the run up again, killed while it publishes
    scheduler.until(lambda: _claimed_anew(city, job_id, lease)
                    and city.job(job_id).progress >= 0.6, "publishing")
    time.sleep(rng.uniform(0.1, 0.5) * city.publish_seconds)
    scheduler.kill()
    assert city.job(job_id).status == jobs.RUNNING, "kill point missed: the run had finished"
    city.unchanged(before, "while publishing")
    with city.sessions() as s:
        assert runs.published(s).id == first
        assert runs.get(s, run.id).status == "queued"
    assert (city.job(job_id).error or {}).get("restarts") == 1
    city.overdue(job_id)

    assert "ran 1 job(s)" in city.start("scheduler", "--once").finish()  # resumed: completes
    job = city.job(job_id)
    assert (job.status, job.error) == (jobs.DONE, None)
    with city.sessions() as s:
        done = runs.get(s, run.id)
        assert (done.status, done.active) == ("succeeded", None)
        assert runs.published(s).id == run.id
    assert "risk_five_colour" in differences(before, snapshot(city.engine))

    out = city.start("risk", "run").finish()  # and the next run works
    assert f"risk run {run.id + 1} (full" in out, out


def test_a_live_job_keeps_its_claim_and_a_stopped_ones_worker_cannot_commit(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """In one process, with the bounds made short: beats keep a quiet job its own; a worker
    that stalled past the bound (a paused machine) finds its job settled and commits nothing."""
    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(seconds=0.2))
    monkeypatch.setattr(jobs, "STALE_AFTER", timedelta(seconds=1))
    sessions = city.sessions

    def quiet(session: Session, job: jobs.Job, progress: jobs.Progress) -> Any:
        time.sleep(3.5)  # reads for long and says nothing: only the heartbeat speaks for it
        return lambda s: {"slept": 3.5}

    def settle_while(worker: threading.Thread) -> list[int]:
        settled: list[int] = []
        while worker.is_alive():
            with writing(), sessions() as s:
                settled += jobs.recover(s, {})
                s.commit()
            time.sleep(0.1)
        return settled

    with sessions.begin() as s:
        live = jobs.submit(s, "noop", {}, by="test").id
        marker = jobs.submit(s, "noop", {}, by="test")
        marker.status, marker.message = jobs.DONE, "as it was"
        marker_id = marker.id
    worker = threading.Thread(target=jobs.run_one, args=(sessions, {"noop": jobs.JobKind(quiet)}))
    worker.start()
    assert settle_while(worker) == []
    assert (city.job(live).status, city.job(live).result) == (jobs.DONE, {"slept": 3.5})

    monkeypatch.setattr(jobs, "HEARTBEAT_EVERY", timedelta(seconds=60))  # it stalls: no beats

    def stalled(session: Session, job: jobs.Job, progress: jobs.Progress) -> Any:
        time.sleep(2.5)

        def then(s: Session) -> dict[str, Any]:
            s.execute(update(jobs.Job).where(jobs.Job.id == marker_id).values(message="late"))
            return {"late": True}

        return then

    with sessions.begin() as s:
        paused = jobs.submit(s, "noop", {}, by="test").id
    worker = threading.Thread(target=jobs.run_one, args=(sessions, {"noop": jobs.JobKind(stalled)}))
    worker.start()
    assert settle_while(worker) == [paused]
    job = city.job(paused)
    assert (job.status, job.result, job.started_at) == (jobs.QUEUED, None, None)
    assert job.error is not None and (job.error["code"], job.error["restarts"]) == (
        jobs.WORKER_STOPPED, 1)
    assert city.job(marker_id).message == "as it was"  # the stalled worker's write was dropped
    with sessions.begin() as s:  # out of the way of the scheduler runs of other tests
        s.execute(update(jobs.Job).where(jobs.Job.id == paused).values(status=jobs.FAILED))



def test_a_risk_run_whose_worker_keeps_stopping_fails_and_frees_the_way(city: City) -> None:
    """The third stopped worker fails the run with its reason (the kind's own record), and
    the key that lets one run at a time is released, so the next request is accepted."""
    from console.handlers import HANDLERS
    from resilience.model import now
    from risk import runs

    with city.sessions.begin() as s:
        run = runs.request(s, by="test")
        run_id, job_id = run.id, run.job_id
        job = s.get(jobs.Job, job_id)
        assert job is not None
        job.status, job.error = jobs.RUNNING, {"code": jobs.WORKER_STOPPED, "restarts": jobs.RESUMES}
        job.started_at = job.heartbeat_at = now() - jobs.STALE_AFTER * 2
    with writing(), city.sessions() as s:
        assert jobs.recover(s, HANDLERS) == [job_id]
        s.commit()
    with city.sessions() as s:
        failed = runs.get(s, run_id)
        assert (failed.status, failed.active) == ("failed", None)
        assert failed.error is not None and "stopped (killed or crashed) 3 times" in failed.error
        assert runs.as_dict(s, failed)["status"] == "failed"
    with city.sessions.begin() as s:  # the way is open: the next run is accepted
        assert runs.request(s, by="test").id == run_id + 1
        s.rollback()
