"""Jobs: work done after a request (or on a schedule), each in a unit of work of its own.

The port every package uses; the engine behind it (procrastinate, on the same PostgreSQL) is
``job_engine``, which no package imports.

- A package declares its kinds of job as :class:`Job` values on its ``Package(jobs=...)``: a name, the
  function that does the work (``run(uow, **args)``, on a unit of work of its own), a queue, how many
  attempts, and a cron ``schedule`` for a periodic job (which takes no arguments).
- A service enqueues one with :class:`JobQueue` (``jobs: JobQueue`` in its constructor): the job is written
  in the unit of work's own transaction, so it exists exactly when that unit commits; a request that
  fails (or a job that fails) enqueues nothing.
- Workers (``hearth worker``, or the one ``hearth serve`` runs in process) run each job in a unit of work
  that commits when ``run`` returns and rolls back when it raises; a job that raised is tried again after a
  growing wait, up to its attempts. A job may run more than once: it must be idempotent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from .uow import UnitOfWorkContext

JSONValue = str | int | float | bool | None | Sequence[Any] | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Job:
    """A kind of job a package declares."""

    name: str
    """Unique across the app, ``<package>.<what>`` (it is what the queue stores)."""
    run: Callable[..., None]
    """``run(uow: UnitOfWorkContext, **args)``: the work, on a unit of work of its own."""
    queue: str = "default"
    attempts: int = 8
    """Tries in all before the job is left failed (with the default waits, about three hours)."""
    schedule: str | None = None
    """A cron expression (``"17 * * * *"``): the engine enqueues it on that schedule, without arguments."""


@dataclass(frozen=True, slots=True)
class QueueStats:
    """What ``/health/ready`` and ``/metrics`` show of the queue."""

    depth: int
    """Jobs due now and not started."""
    oldest_age_seconds: float
    """How long the oldest of those has been due (0 when none is)."""
    running: int
    scheduled: int
    """Jobs waiting for a later time (retries included)."""
    failed: int
    """Jobs that used up their attempts (kept for an operator to look at)."""


class JobEngine(Protocol):
    """The engine behind the port (``job_engine.ProcrastinateEngine``; registered on the app's container)."""

    def enqueue(
        self, session: Session, job: Job, args: Mapping[str, JSONValue], *, unique: str | None, delay_seconds: float
    ) -> bool: ...

    def stats(self) -> QueueStats: ...


class UnknownJob(LookupError):
    """A job no package of this app declared."""


class JobQueue:
    """Enqueue jobs on the unit of work's transaction. Built per unit of work, like a service."""

    def __init__(self, session: Session, engine: JobEngine) -> None:
        self._session = session
        self._engine = engine

    def enqueue(self, job: Job, *, unique: str | None = None, delay_seconds: float = 0, **args: JSONValue) -> bool:
        """Enqueue ``job`` with ``args`` (JSON values), to run once this unit of work commits (after
        ``delay_seconds``). With ``unique``, nothing is added while a job with that key waits to run; whether
        one was added."""
        return self._engine.enqueue(self._session, job, args, unique=unique, delay_seconds=delay_seconds)


JobRunner = Callable[[Job, Mapping[str, Any]], None]
"""How the engine runs a job: in a unit of work of the app (``build_app`` provides it)."""


def run_in_unit_of_work(open_unit: Callable[[], Any]) -> JobRunner:
    """A :data:`JobRunner` that runs each job in ``open_unit()`` (a context manager giving a unit of work)."""

    def run(job: Job, args: Mapping[str, Any]) -> None:
        uow: UnitOfWorkContext
        with open_unit() as uow:
            job.run(uow, **args)

    return run


def jobs_of(packages: Sequence[Any]) -> list[Job]:
    """Every job the packages declare; two with one name are a mistake caught at start."""
    found: dict[str, Job] = {}
    for package in packages:
        for job in getattr(package, "jobs", ()):
            if job.name in found:
                raise ValueError(f"two jobs are named {job.name!r}")
            found[job.name] = job
    return list(found.values())
