"""Read replicas: read-only units of work read from a streaming replica when that cannot show a stale answer
that matters, and from the primary otherwise.

How a read is routed (``ReadRouter.route``, one :class:`ReadRoute` per read-only unit of work):

- Background pollers (per process: a thread for the primary, one per replica, so a replica that does not
  answer delays no other look) read the primary's ``pg_current_wal_lsn()`` and each replica's
  ``pg_last_wal_replay_lsn()`` a few times a second. A replica's *lag* is how long ago the
  primary's WAL position was last seen replayed there (not ``now() - pg_last_xact_replay_timestamp()``,
  which grows on an idle primary). A replica that does not answer is ``down``; one whose lag exceeds
  ``HEARTH_REPLICA_MAX_LAG_SECONDS`` is ``lagging``; neither is used until it recovers, nor is one whose
  last look is older than ``stale_after``. The request path makes no round trip for this.
- Every committed write of a request records the WAL position after its commit (``pg_current_wal_lsn()``,
  read once the commit returned: a position read inside the transaction precedes its commit record, which a
  replica could not have replayed yet) as that user's *write mark*, in Redis when configured (shared by
  every process and instance) or in process, for ``ttl`` (the lag bound plus the poller's staleness bound):
  a mark older than that is replayed by any replica the router still uses. The write position (not the
  insert position, which can point past a page header no replica ever reports replayed) covers every
  acknowledged commit because commits flush their WAL: Hearth leaves ``synchronous_commit`` on (with it off,
  a commit is acknowledged before its WAL is written, and a mark could fall short of it).
- A write that may take access away (an ``UPDATE`` or ``DELETE`` of the tables that decide who sees what,
  a block: ``_NARROWING``), or one with no user (login, sign-up), also raises the *floor*, one mark for
  everyone: nobody reads from a replica that has not replayed it, so a revoked token, a block, an untag
  or a deleted post is never served stale.
- The read's first statement (the bearer-token check) runs on a usable replica; once the caller is known
  (:meth:`ReadRoute.confirm_caller`: the floor and their mark, read in the same Redis round trip as their
  rate-limit count, or one ``MGET`` when limits are off) the rest stays there only if that replica has
  replayed both; otherwise on the primary, and a token check a replica answered before the floor is redone
  on the primary. A read with no caller reads the floor first. A replica that cannot be reached at checkout
  is reported down and the primary answers.

The marks are set by an ``after_commit`` hook of the writing sessions, before anything else that follows
the commit: a shared cache's invalidation, the unit of work's callbacks (live events). A read that began on
a replica before the floor was raised may read what a narrowing write has just removed; it never stores
that in the shared cache (:func:`may_fill_shared_cache`, asked at a cache miss).

Anything that writes, locks (``FOR UPDATE``, advisory locks) or ``LISTEN``s runs on the primary: writing
units of work, jobs and the live stream never get a replica. A replica connection that is handed such a
statement anyway raises :class:`ReplicaMisuse` (a bug: an advisory lock would "succeed" on a standby and
lock nothing). The guard, the narrowing writes and the marks' store are in ``hearth_platform.replica_writes``;
one read's route in ``hearth_platform.replica_route``.
"""

from __future__ import annotations

import bisect
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .database import ConnectionLiveness, PoolGauges, _count_statement, normalize_url
from .metrics import app_metrics
from .replica_route import ReadRoute, Replica, RoutedSession
from .replica_writes import WriteMarks, guard_replica, narrowed_pending, take_narrowed, watch_narrowing
from .uow import WRITER

if TYPE_CHECKING:
    from .database import Database

log = logging.getLogger("hearth.replicas")

_LSN_PRIMARY = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint"
_LSN_REPLICA = "SELECT (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, pg_is_in_recovery()"


class ReadRouter:
    """The replicas of one process: their engines, the poller, the write marks, and the choice per read."""

    def __init__(
        self,
        database: Database,
        replica_urls: list[str],
        *,
        max_lag_seconds: float = 5.0,
        poll_interval: float = 0.2,
        redis_url: str | None = None,
        redis_key_prefix: str = "hearth:",
        pool_size: int = 10,
        max_overflow: int = 10,
    ) -> None:
        self.database = database
        self.primary = database.read_engine
        self.max_lag = max_lag_seconds
        self.interval = poll_interval
        # how old a replica's last look may be before it is not trusted (a stuck poller, a slow primary); with
        # room for a busy host's scheduling, since the marks outlive it (and the lag bound) by a second
        self.stale_after = 3 * poll_interval + 1.5
        self.marks = WriteMarks(max_lag_seconds + self.stale_after + 1.0, redis_url=redis_url, prefix=redis_key_prefix)
        self.replicas: list[Replica] = []
        liveness = ConnectionLiveness()
        for url in replica_urls:
            u = normalize_url(url)
            engine = create_engine(
                u,
                isolation_level="AUTOCOMMIT",
                connect_args={"connect_timeout": 2, "options": "-c default_transaction_read_only=on"},
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=False,
                pool_timeout=10,
                pool_recycle=1800,
            )
            liveness.install(engine)
            event.listen(engine, "before_cursor_execute", _count_statement)
            guard_replica(engine)
            PoolGauges("replica").install(engine)
            name = f"{u.host or 'localhost'}:{u.port or 5432}/{u.database or ''}"
            self.replicas.append(Replica(name=name, engine=engine))
        self.sessionmaker = sessionmaker(class_=RoutedSession, expire_on_commit=False, autoflush=False)
        # which writes may narrow access: sniffed on the primary's writing pool, told at commit
        write = database.engine
        watch_narrowing(write)
        # the mark is set as the commit returns, before the session's other after-commit work (a shared cache's
        # invalidation, hearth_connections.caching) and before the unit of work's callbacks (live events)
        event.listen(database.sessionmaker, "after_commit", self._committed)
        self._history: deque[tuple[float, int]] = deque(maxlen=int(self.marks.ttl / poll_interval) + 50)
        self._marks_down_until = 0.0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        metrics = app_metrics()
        self._reads = (metrics.db_reads.labels(target="primary"), metrics.db_reads.labels(target="replica"))
        self.reads = {"primary": 0, "replica": 0}  # this process's counts (tests read them)

    # -- the poller -----------------------------------------------------------------------------------
    # One thread samples the primary's WAL position, one per replica reads its replay position: a replica
    # that does not answer (a connect timeout) delays nobody else's look.

    def start(self) -> None:
        self.sample_primary()
        for replica in self.replicas:  # the first requests may use a replica already
            self.poll_replica(replica)
        targets: list[tuple[str, Callable[[], None]]] = [("primary", self.sample_primary)]
        targets += [(r.name, functools.partial(self.poll_replica, r)) for r in self.replicas]
        for name, poll in targets:
            thread = threading.Thread(target=self._every, args=(poll,), name=f"hearth-poll-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def _every(self, poll: Callable[[], None]) -> None:
        while not self._stop.wait(self.interval):
            try:
                poll()
            except Exception:
                log.exception("the replica poller failed")

    def sample_primary(self) -> None:
        started = time.monotonic()
        try:
            with self.primary.connect() as conn:
                primary_lsn = int(conn.exec_driver_sql(_LSN_PRIMARY).scalar_one())
        except Exception as exc:  # noqa: BLE001 - the primary's own check reports it; lags grow meanwhile
            log.warning("replica poller: the primary did not answer: %s", type(exc).__name__)
            return
        # read after ``started``: every commit acknowledged before then is at or below it
        self._history.append((started, primary_lsn))

    def poll_replica(self, replica: Replica) -> None:
        try:
            with replica.engine.connect() as conn:
                replay, in_recovery = conn.exec_driver_sql(_LSN_REPLICA).one()
        except Exception as exc:  # noqa: BLE001 - reported as down, retried at the next tick
            self._set_state(replica, "down", type(exc).__name__)
            return
        if not in_recovery or replay is None:
            self._set_state(replica, "down", "not a standby")
            return
        replica.replay_lsn = int(replay)
        history = list(self._history)
        # the newest primary position (by the time it was read) this replica has replayed
        i = bisect.bisect_right([lsn for _, lsn in history], replica.replay_lsn)
        if i:
            replica.caught_up_at = max(replica.caught_up_at or 0.0, history[i - 1][0])
        now = time.monotonic()
        replica.lag_seconds = None if replica.caught_up_at is None else max(0.0, now - replica.caught_up_at)
        app_metrics().replica_lag.labels(replica=replica.name).set(
            replica.lag_seconds if replica.lag_seconds is not None else -1
        )
        if replica.lag_seconds is None:
            self._set_state(replica, "starting")
        elif replica.lag_seconds > self.max_lag:
            self._set_state(replica, "lagging", f"{replica.lag_seconds:.1f} s behind")
        else:
            self._set_state(replica, "ok")
        # the lag just judged holds from ``now`` on: trusted for ``stale_after`` (the marks outlive that)
        replica.checked_at = now

    def went_down(self, replica: Replica, exc: Exception) -> None:
        """A request could not reach ``replica``: not used until the poller reaches it again."""
        self._set_state(replica, "down", type(exc).__name__)

    def _set_state(self, replica: Replica, state: str, why: str = "") -> None:
        if replica.state != state:
            log.info("replica %s: %s", replica.name, state, extra={"replica": replica.name, "why": why})
            replica.state = state

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
        for replica in self.replicas:
            replica.engine.dispose()
        self.marks.close()

    # -- routing --------------------------------------------------------------------------------------

    def route(self) -> ReadRoute:
        return ReadRoute(self)

    def marks_reachable(self) -> bool:
        return time.monotonic() >= self._marks_down_until

    def trusted(self, replica: Replica) -> bool:
        """Usable now: ``ok`` at a look recent enough to trust (a stuck poller trusts nothing)."""
        return replica.usable and time.monotonic() - replica.checked_at <= self.stale_after

    def pick(self, required: int) -> Replica | None:
        """A usable replica that has replayed ``required``, the furthest ahead (``None``: the primary)."""
        if not self.marks_reachable():
            return None
        best: Replica | None = None
        for replica in self.replicas:
            if (
                replica.replay_lsn >= required
                and self.trusted(replica)
                and (best is None or replica.replay_lsn > best.replay_lsn)
            ):
                best = replica
        return best

    def no_replica_reason(self, required: int) -> str:
        if not self.marks_reachable():
            return "marks_unavailable"
        if any(self.trusted(r) for r in self.replicas):
            return "not_replayed"
        if any(r.usable for r in self.replicas):
            return "stale"
        if any(r.state == "lagging" for r in self.replicas):
            return "lagging"
        return "down"

    def marks_failed(self, exc: Exception) -> None:
        """The write marks could not be read or written: this process reads from the primary for a while."""
        if time.monotonic() >= self._marks_down_until:
            log.warning("write marks unavailable: reads go to the primary", extra={"error": type(exc).__name__})
        self._marks_down_until = time.monotonic() + self.marks.ttl

    def count(self, on_replica: bool) -> None:
        target = "replica" if on_replica else "primary"
        self._reads[on_replica].inc()
        with self._lock:
            self.reads[target] += 1

    # -- writes ---------------------------------------------------------------------------------------

    def _committed(self, session: Session) -> None:
        writer = session.info.get(WRITER)
        if writer is not None:  # a request's: the caller's mark (the floor too when it narrowed access)
            self.note_write(writer())
        elif narrowed_pending():  # a job's, the CLI's: only a write that may take access away needs a mark
            self.note_write(None)

    def note_write(self, user_id: int | None) -> None:
        """A unit of work (of ``user_id``; ``None``: nobody signed in) committed: mark its WAL position."""
        narrowed = take_narrowed()
        try:
            with self.primary.connect() as conn:
                lsn = int(conn.exec_driver_sql(_LSN_PRIMARY).scalar_one())
            self.marks.note(lsn, user_id, floor=narrowed)
        except Exception as exc:  # noqa: BLE001 - committed: the answer stands; reads go to the primary
            self.marks_failed(exc)

    # -- readiness ------------------------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """Each replica's state and lag. A replica down or lagging degrades the check, never fails it: the
        primary serves every read meanwhile."""
        replicas = [
            {
                "name": r.name,
                "status": r.state,
                "lag_seconds": None if r.lag_seconds is None else round(r.lag_seconds, 3),
            }
            for r in self.replicas
        ]
        degraded = not self.marks_reachable() or not all(self.trusted(r) for r in self.replicas)
        return {"status": "degraded" if degraded else "ok", "replicas": replicas}


def may_fill_shared_cache(session: Session) -> bool:
    """Whether what ``session`` just read may be stored in a shared cache. Always, except on a replica that had
    not replayed the floor when this read began: a write that took access away may have committed (and
    invalidated the entry) since, and the replica's answer may predate it. Costs a Redis read on a replica
    only, at a cache miss only."""
    route = getattr(session, "route", None)
    if route is None or not route.on_replica:
        return True
    return bool(route.saw_floor())


def build_router(database: Database, settings: Any) -> ReadRouter | None:
    """The app's read router, when replicas are configured."""
    if not settings.database_replica_urls:
        return None
    return ReadRouter(
        database,
        list(settings.database_replica_urls),
        max_lag_seconds=settings.replica_max_lag_seconds,
        poll_interval=settings.replica_poll_interval_seconds,
        redis_url=settings.redis_url,
        redis_key_prefix=settings.redis_key_prefix,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
