"""``hearth worker`` runs the jobs the app enqueues, and stops cleanly on Ctrl-C; ``hearth serve`` runs a
worker in process unless told ``--no-worker``."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from hearth_identity.jobs import PURGE_TOKENS
from hearth_platform.jobs import JobQueue
from hearth_testing import SECRET_KEY, hearth_command, resolved, scratch_dir, serve, stop_group, wait_until

pytestmark = pytest.mark.slow


def _waiting(app: FastAPI, key: str) -> int:
    with app.state.database.engine.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT count(*) FROM procrastinate_jobs WHERE queueing_lock = :key AND status = 'todo'"),
                {"key": key},
            )
            or 0
        )


def _enqueue(app: FastAPI, key: str) -> None:
    with resolved(app, JobQueue) as jobs:
        assert jobs.enqueue(PURGE_TOKENS, unique=key)
    assert _waiting(app, key) == 1


def test_hearth_worker_runs_the_queued_jobs_and_stops_on_ctrl_c(app: FastAPI, database_url: str) -> None:
    key = f"worker-test-{os.getpid()}"
    _enqueue(app, key)
    work = scratch_dir("hearth-worker-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env.update(
        HEARTH_DATABASE_URL=database_url,
        HEARTH_DATA_DIR=str(work / "data"),
        HEARTH_SECRET_KEY=SECRET_KEY,
        HEARTH_LOG_FORMAT="json",
        HEARTH_JOBS_QUEUES=PURGE_TOKENS.queue,
    )
    log = Path(work) / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*hearth_command(), "worker"], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        wait_until(lambda: _waiting(app, key) == 0, 60, "hearth worker ran the job")
        assert stop_group(process, signal.SIGINT, timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            stop_group(process, signal.SIGKILL)
    assert "job done" in log.read_text()


@pytest.mark.parametrize(("args", "runs_jobs"), [((), True), (("--no-worker",), False)])
def test_hearth_serve_runs_a_worker_unless_told_not_to(
    app: FastAPI, database_url: str, args: tuple[str, ...], runs_jobs: bool
) -> None:
    server = serve(database_url, args=args)
    try:
        started = [r for r in server.log_records() if r.get("message") == "hearth started"]
        assert started, server.output()
        assert started[0]["jobs_worker"] is runs_jobs
        if runs_jobs:
            key = f"serve-test-{os.getpid()}"
            _enqueue(app, key)
            wait_until(lambda: _waiting(app, key) == 0, 60, "the server's worker ran the job")
    finally:
        server.close()
