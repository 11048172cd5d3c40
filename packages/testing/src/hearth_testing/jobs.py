"""Jobs in tests: a real worker of the app's job engine (procrastinate on the test database), run in the
test's thread until no job of the app's queues is due."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text


def run_jobs(app: FastAPI, *, queues: Iterable[str] | None = None) -> None:
    """Run every due job of ``queues`` (default: the queues of the app's own jobs, so jobs another app of
    the run declared are left alone), failures and their immediate retries included, until none is due.
    The periodic schedules are not run: a test enqueues what it wants run. The app must be started."""
    engine = app.state.job_engine
    names = sorted(queues or {job.queue for job in engine.jobs.values()})
    if names:
        asyncio.run(engine.run_worker(wait=False, periodic=False, queues=names, concurrency=1))


def jobs_in_queue(app: FastAPI, task: str, **args: Any) -> list[dict[str, Any]]:
    """The jobs of ``task`` (with these arguments, when given) the queue holds: id, status, args, attempts."""
    with app.state.database.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT id, status::text AS status, args, attempts FROM procrastinate_jobs "
                "WHERE task_name = :task AND args @> CAST(:args AS jsonb) ORDER BY id"
            ),
            {"task": task, "args": json.dumps(args)},
        ).mappings()
        return [dict(r) for r in rows]
