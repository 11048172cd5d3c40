"""The job engine behind ``jobs``: procrastinate on the app's PostgreSQL (psycopg 3).

- **Enqueueing** writes the job with procrastinate's own SQL on the unit of work's connection, inside a
  savepoint: the job is committed or rolled back with everything else the unit did, and a ``unique`` key
  already waiting (procrastinate's queueing lock) leaves the transaction usable.
- **Workers** (:meth:`ProcrastinateEngine.run_worker`) take jobs as they are enqueued (``LISTEN/NOTIFY``,
  polling as a fallback), run each in a thread on a unit of work of its own, retry a failed one after
  ``base ** attempt`` seconds and delete the ones that succeeded (a failed one stays, for an operator). The
  workers also enqueue the periodic jobs on their schedule, once per slot however many workers run.
- The engine's tables arrive through the Alembic history (``0008_jobs``), never at start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from procrastinate import App, PsycopgConnector, RetryStrategy, SyncPsycopgConnector, exceptions, manager, tasks
from procrastinate.periodic import PeriodicRegistry
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from .jobs import Job, JobRunner, JSONValue, QueueStats
from .metrics import app_metrics

log = logging.getLogger("hearth.jobs")

_STATS = """
SELECT count(*) FILTER (WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now())) AS depth,
       coalesce(extract(epoch FROM now() - min(coalesce(scheduled_at, (
           SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id AND e.type = 'deferred'
       ))) FILTER (WHERE status = 'todo' AND (scheduled_at IS NULL OR scheduled_at <= now()))), 0) AS oldest,
       count(*) FILTER (WHERE status = 'doing') AS running,
       count(*) FILTER (WHERE status = 'todo' AND scheduled_at > now()) AS scheduled,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM procrastinate_jobs j
"""


def conninfo(database_url: str) -> str:
    """A libpq URL for psycopg (no SQLAlchemy driver name)."""
    return str(make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False))


class ProcrastinateEngine:
    """Implements ``jobs.JobEngine``; one per process, built by the app's lifespan."""

    def __init__(
        self,
        database_url: str,
        jobs: Sequence[Job],
        runner: JobRunner,
        *,
        reader: Engine,
        retry_base_seconds: int = 3,
        concurrency: int = 2,
    ) -> None:
        self.jobs = {job.name: job for job in jobs}
        self._reader = reader  # the app's read-only pool, for the queue's stats
        self.concurrency = concurrency
        self._conninfo = conninfo(database_url)
        self._runner = runner
        # workers: an async pool, opened only while a worker runs
        self._app = App(connector=PsycopgConnector(conninfo=self._conninfo, min_size=1, max_size=concurrency + 2))
        # enqueueing: always on the caller's connection, so this connector never opens a pool of its own
        self._enqueuer = manager.JobManager(SyncPsycopgConnector(conninfo=self._conninfo))
        for job in jobs:
            self._register(job, retry_base_seconds)

    def _register(self, job: Job, retry_base_seconds: int) -> None:
        def task(**kwargs: Any) -> None:
            kwargs.pop("timestamp", None)  # what procrastinate gives a periodic job
            started = time.perf_counter()
            try:
                self._runner(job, kwargs)
            except Exception:
                app_metrics().job_runs.labels(job=job.name, result="failed").inc()
                log.exception("job failed", extra={"job": job.name})
                raise
            app_metrics().job_runs.labels(job=job.name, result="succeeded").inc()
            log.info("job done", extra={"job": job.name, "ms": round((time.perf_counter() - started) * 1000)})

        task.__name__ = task.__qualname__ = job.name.replace(".", "_")
        # procrastinate counts retries (after the first try); none at all is ``False``, not 0 (0: forever)
        retries = job.attempts - 1
        retry = RetryStrategy(max_attempts=retries, exponential_wait=retry_base_seconds) if retries > 0 else False
        registered = self._app.task(name=job.name, queue=job.queue, retry=retry)(task)
        if job.schedule is not None:
            self._app.periodic(cron=job.schedule, periodic_id=job.name)(registered)  # type: ignore[arg-type]

    # -- the port ----------------------------------------------------------------------------------

    def enqueue(
        self, session: Session, job: Job, args: Mapping[str, JSONValue], *, unique: str | None, delay_seconds: float
    ) -> bool:
        if self.jobs.get(job.name) is not job:
            raise LookupError(f"job {job.name!r} is not declared by a package of this app")
        deferrer = tasks.configure_task(
            name=job.name,
            job_manager=self._enqueuer,
            queue=job.queue,
            queueing_lock=unique,
            task_kwargs=dict(args),  # type: ignore[arg-type]
            schedule_in={"seconds": int(delay_seconds)} if delay_seconds > 0 else None,
            connection=None,
        )
        with session.begin_nested() as savepoint:  # a clash on ``unique`` must not abort the unit of work
            deferrer.connection = savepoint.session.connection().connection.driver_connection
            try:
                deferrer.defer()
            except exceptions.AlreadyEnqueued:
                savepoint.rollback()
                return False
        return True

    def stats(self) -> QueueStats:
        with self._reader.connect() as conn:
            row = conn.execute(text(_STATS)).one()
        return QueueStats(
            depth=int(row[0]), oldest_age_seconds=float(row[1]), running=int(row[2]), scheduled=int(row[3]),
            failed=int(row[4]),
        )  # fmt: skip

    def summary(self) -> dict[str, object]:
        """The queue as ``/health/ready`` shows it (beside the database check: the queue lives there)."""
        stats = self.stats()
        return {
            "queue_depth": stats.depth,
            "oldest_job_age_seconds": round(stats.oldest_age_seconds, 1),
            "running": stats.running,
            "scheduled": stats.scheduled,
            "failed": stats.failed,
        }

    # -- workers -----------------------------------------------------------------------------------

    async def run_worker(
        self,
        *,
        wait: bool = True,
        queues: Sequence[str] | None = None,
        concurrency: int | None = None,
        periodic: bool = True,
        name: str = "hearth",
    ) -> None:
        """Run jobs until cancelled (``wait=False``: until none is due). ``periodic=False`` leaves the
        schedules to other workers (a test runs only what it enqueued)."""
        options: dict[str, Any] = {"queues": list(queues)} if queues else {}
        registry = self._app.periodic_registry
        if not periodic:  # an empty registry: this run's periodic deferrer has nothing to do
            self._app.periodic_registry = PeriodicRegistry()  # type: ignore[no-untyped-call]
        try:
            async with self._app.open_async():
                await self._app.run_worker_async(
                    **options,
                    wait=wait,
                    concurrency=concurrency or self.concurrency,
                    name=name,
                    delete_jobs="successful",  # a failed job stays, for an operator (and the failures count)
                    install_signal_handlers=False,
                    shutdown_graceful_timeout=10,
                    listen_notify=wait,
                )
        finally:
            self._app.periodic_registry = registry

    def schedules(self) -> dict[str, str]:
        """``job name -> cron`` of the periodic jobs."""
        return {job.name: job.schedule for job in self.jobs.values() if job.schedule is not None}
