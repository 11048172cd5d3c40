"""The job engine on real PostgreSQL with a real procrastinate worker: a job exists exactly when the unit of
work that enqueued it commits, a failing job is retried, and the queue shows in ``/health/ready`` and
``/metrics``."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_platform.app import Package, build_app
from hearth_platform.jobs import Job, JobQueue
from hearth_platform.settings import Settings
from hearth_platform.uow import UnitOfWorkContext, unit_of_work
from hearth_testing import jobs_in_queue, run_jobs, wait_until

QUEUE = f"test-{uuid.uuid4().hex[:8]}"  # this module's own queue: no other test's jobs are run here


def _note(path: str, line: str) -> None:
    with Path(path).open("a") as out:
        out.write(line + "\n")


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def record(uow: UnitOfWorkContext, path: str, value: str) -> None:
    """The job's effect is a line in a file: what a test reads, whatever transaction ran it."""
    _note(path, value)


def flaky(uow: UnitOfWorkContext, path: str, failures: int) -> None:
    """Fails its first ``failures`` runs, then succeeds; every run leaves a line."""
    tries = len(_lines(Path(path)))
    _note(path, f"try {tries + 1}")
    if tries < failures:
        raise RuntimeError(f"failure {tries + 1} of {failures}")


RECORD = Job(name=f"{QUEUE}.record", run=record, queue=QUEUE)
FLAKY = Job(name=f"{QUEUE}.flaky", run=flaky, queue=QUEUE, attempts=3)
TEST_PACKAGE = Package(name="jobs-test", jobs=(RECORD, FLAKY))


@dataclass
class Jobs:
    app: FastAPI
    client: TestClient

    def enqueue(self, job: Job, **args: Any) -> bool:
        state = self.app.state
        with unit_of_work(state.database, state.event_bus, state.container) as uow:
            return uow.resolve(JobQueue).enqueue(job, **args)


@pytest.fixture(scope="module")
def jobs(base_settings: Settings) -> Iterator[Jobs]:
    app = build_app(base_settings, [TEST_PACKAGE], configure_logs=False)
    with TestClient(app) as client:
        yield Jobs(app, client)


def test_a_job_enqueued_in_a_unit_of_work_that_commits_runs(jobs: Jobs, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    assert jobs.enqueue(RECORD, path=str(out), value="committed")
    assert _lines(out) == []  # enqueued, not run: nothing runs inside the request
    run_jobs(jobs.app)
    assert _lines(out) == ["committed"]
    assert jobs_in_queue(jobs.app, RECORD.name, path=str(out)) == []  # a job that succeeded is deleted


def test_a_job_enqueued_in_a_unit_of_work_that_rolls_back_never_runs(jobs: Jobs, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    state = jobs.app.state
    with pytest.raises(RuntimeError), unit_of_work(state.database, state.event_bus, state.container) as uow:
        uow.resolve(JobQueue).enqueue(RECORD, path=str(out), value="rolled back")
        raise RuntimeError("the request failed after enqueueing")
    assert jobs_in_queue(jobs.app, RECORD.name, path=str(out)) == []
    run_jobs(jobs.app)
    assert _lines(out) == []


def test_a_failing_job_is_retried_until_it_succeeds(jobs: Jobs, tmp_path: Path) -> None:
    out = tmp_path / "tries"
    jobs.enqueue(FLAKY, path=str(out), failures=2)
    run_jobs(jobs.app)
    assert _lines(out) == ["try 1", "try 2", "try 3"]
    assert jobs_in_queue(jobs.app, FLAKY.name, path=str(out)) == []


def test_a_job_that_uses_up_its_attempts_is_left_failed_and_counted(jobs: Jobs, tmp_path: Path) -> None:
    out = tmp_path / "tries"
    jobs.enqueue(FLAKY, path=str(out), failures=10)
    run_jobs(jobs.app)
    assert _lines(out) == ["try 1", "try 2", "try 3"]  # FLAKY has 3 attempts
    [left] = jobs_in_queue(jobs.app, FLAKY.name, path=str(out))
    assert left["status"] == "failed"
    assert left["attempts"] == 3

    ready = jobs.client.get("/health/ready").json()["checks"]["database"]
    assert ready["status"] == "ok"
    assert ready["jobs"]["failed"] >= 1
    metrics = jobs.client.get("/metrics").text
    failed = next(line for line in metrics.splitlines() if line.startswith("hearth_jobs_failed "))
    assert float(failed.split()[1]) >= 1
    assert f'hearth_job_runs_total{{job="{FLAKY.name}",result="failed"}}' in metrics


def test_a_unique_job_is_enqueued_once_while_it_waits(jobs: Jobs, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    key = f"unique-{uuid.uuid4().hex}"
    assert jobs.enqueue(RECORD, unique=key, path=str(out), value="first")
    assert not jobs.enqueue(RECORD, unique=key, path=str(out), value="second")  # the unit of work still commits
    run_jobs(jobs.app)
    assert _lines(out) == ["first"]
    assert jobs.enqueue(RECORD, unique=key, path=str(out), value="third")  # the first has run: a new one goes in
    run_jobs(jobs.app)
    assert _lines(out) == ["first", "third"]


def test_the_queue_shows_in_readiness_and_metrics(jobs: Jobs, tmp_path: Path) -> None:
    before = jobs.client.get("/health/ready").json()["checks"]["database"]["jobs"]
    for i in range(3):
        jobs.enqueue(RECORD, path=str(tmp_path / "ran"), value=str(i))
    r = jobs.client.get("/health/ready")
    assert r.status_code == 200
    assert r.json()["checks"]["database"]["status"] == "ok"
    check = r.json()["checks"]["database"]["jobs"]
    assert set(check) >= {"queue_depth", "oldest_job_age_seconds", "running", "scheduled", "failed"}
    assert check["queue_depth"] >= before["queue_depth"] + 3
    metrics = {
        line.split()[0]: float(line.split()[1])
        for line in jobs.client.get("/metrics").text.splitlines()
        if line.startswith("hearth_jobs_")
    }
    assert metrics["hearth_jobs_queue_depth"] >= 3
    assert metrics["hearth_jobs_oldest_age_seconds"] >= 0
    run_jobs(jobs.app)
    assert jobs.client.get("/health/ready").json()["checks"]["database"]["jobs"]["queue_depth"] <= before["queue_depth"]


def test_an_app_runs_its_jobs_in_process_unless_told_not_to(base_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "ran"
    settings = base_settings.model_copy(update={"jobs_in_process": True, "jobs_queues": [QUEUE]})
    app = build_app(settings, [TEST_PACKAGE], configure_logs=False)
    with TestClient(app):
        Jobs(app, TestClient(app)).enqueue(RECORD, path=str(out), value="in process")
        wait_until(lambda: _lines(out) == ["in process"], 20, "the in-process worker ran the job")


def test_periodic_jobs_are_scheduled_by_the_engine(base_settings: Settings) -> None:
    job = Job(name=f"{QUEUE}.hourly", run=record, queue=QUEUE, schedule="17 * * * *")
    app = build_app(base_settings, [Package(name="periodic", jobs=(job,))], configure_logs=False)
    with TestClient(app):
        assert app.state.job_engine.schedules() == {job.name: "17 * * * *"}


def test_two_jobs_of_one_name_are_refused_at_start(base_settings: Settings) -> None:
    twice = [Package(name="a", jobs=(RECORD,)), Package(name="b", jobs=(Job(name=RECORD.name, run=record),))]
    with pytest.raises(ValueError, match="two jobs"), TestClient(build_app(base_settings, twice, configure_logs=False)):
        pass


def test_a_job_no_package_declared_cannot_be_enqueued(jobs: Jobs) -> None:
    stray = Job(name="nobody.declared", run=record)
    with pytest.raises(LookupError):
        jobs.enqueue(stray, path="/dev/null", value=json.dumps("x"))


def test_a_server_gone_without_a_lifespan_shutdown_still_stops_its_worker_quietly(
    base_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn skips the lifespan shutdown when a second Ctrl-C comes during its shutdown (``uv run`` forwards
    the terminal's), and the loop then cancels the lifespan: the in-process worker is stopped all the same, and
    nothing is raised for the server to log as a traceback."""
    settings = base_settings.model_copy(update={"jobs_in_process": True, "jobs_queues": [QUEUE]})
    app = build_app(settings, [TEST_PACKAGE], configure_logs=False)

    async def serve_then_vanish() -> list[str]:
        started = asyncio.Event()

        async def lifespan() -> None:
            async with app.router.lifespan_context(app):
                started.set()
                await asyncio.Event().wait()  # as starlette waits for uvicorn's shutdown message

        task = asyncio.create_task(lifespan())
        await started.wait()
        await asyncio.sleep(0.2)  # the worker is running
        assert [t for t in asyncio.all_tasks() if t.get_name() == "jobs"]
        task.cancel()
        await task  # returns: the cancellation ends the lifespan as a shutdown would
        return [t.get_name() for t in asyncio.all_tasks() if t.get_name() == "jobs"]

    with caplog.at_level(logging.ERROR):
        assert asyncio.run(serve_then_vanish()) == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
