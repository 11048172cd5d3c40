"""One read-only unit of work's route (``hearth_platform.replicas`` explains the routing): the replica the
poller last saw, the session whose statements go where its route says, and the route itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from .metrics import app_metrics
from .replica_writes import WriteMarks

if TYPE_CHECKING:
    from .replicas import ReadRouter


@dataclass
class Replica:
    """One replica as the poller last saw it."""

    name: str
    engine: Engine
    state: str = "starting"  # starting | ok | lagging | down
    replay_lsn: int = -1
    caught_up_at: float | None = None  # monotonic time of the newest primary position it had replayed
    lag_seconds: float | None = None
    checked_at: float = 0.0  # monotonic time its state was last judged

    @property
    def usable(self) -> bool:
        return self.state == "ok"


class RoutedSession(Session):
    """A read-only unit of work's session: each statement's connection is its :class:`ReadRoute`'s choice."""

    route: ReadRoute | None = None

    def get_bind(self, mapper: Any = None, *, clause: Any = None, bind: Any = None, **kw: Any) -> Engine | Connection:
        if bind is not None:
            return bind  # type: ignore[no-any-return]
        route = self.route
        if route is None:
            return super().get_bind(mapper, clause=clause, **kw)
        return route.engine()


class ReadRoute:
    """Where one read-only unit of work reads: decided at its first statement, checked again once its caller
    is known (see the module)."""

    __slots__ = ("_chosen_lsn", "_connection", "_engine", "_expect_caller", "_replica", "_router", "reason")

    def __init__(self, router: ReadRouter) -> None:
        self._router = router
        self._engine: Engine | None = None
        self._connection: Connection | None = None  # the replica's, checked out here (see ``engine``)
        self._replica: Replica | None = None
        self._chosen_lsn = -1
        self._expect_caller = False
        self.reason: str | None = None  # why the primary serves it, when it does

    def expect_caller(self) -> None:
        """A bearer-token check comes first and :meth:`confirm_caller` after it: the first statement (the
        check) may run on any usable replica, the floor being checked once, with the caller's mark."""
        self._expect_caller = True

    @property
    def on_replica(self) -> bool:
        replica = self._replica
        return replica is not None and self._connection is not None and self._engine is replica.engine

    def engine(self) -> Engine | Connection:
        """The bind of the session's next statement: the replica's connection, or the primary's pool."""
        engine = self._engine
        if engine is not None:
            if self.on_replica:
                return self._connection  # type: ignore[return-value]
            return engine
        router = self._router
        required = -1
        if not self._expect_caller:
            try:
                required = router.marks.get(None)[0]
            except Exception as exc:  # noqa: BLE001 - without the floor, only the primary is safe
                return self._primary("marks_unavailable", exc)
        replica = router.pick(required)
        if replica is None:
            return self._primary(router.no_replica_reason(required))
        # checked out here rather than by the session, so that a replica gone since the poller's last look
        # costs this read nothing: it is reported down and the primary answers (the same one checkout)
        try:
            self._connection = replica.engine.connect()
        except Exception as exc:  # noqa: BLE001
            router.went_down(replica, exc)
            return self._primary("down")
        self._replica, self._chosen_lsn = replica, replica.replay_lsn
        self._engine = replica.engine
        return self._connection

    def mark_keys(self, user_id: int) -> list[str]:
        """The Redis keys :meth:`confirm_caller` needs for ``user_id``, for a round trip that reads them anyway."""
        return self._router.marks.keys(user_id)

    def confirm_caller(self, user_id: int | None, marks: list[Any] | None = None) -> bool:
        """The caller is known (``None``: the token was not accepted); ``marks``: the values of
        :meth:`mark_keys` when already read. Whether the token check must be run again, on the primary (the
        replica that answered it had not replayed the floor)."""
        self._expect_caller = False
        if not self.on_replica:
            return False  # on the primary already (or nothing read yet: the next statement decides)
        try:
            floor, mark = self._router.marks.get(user_id) if marks is None else WriteMarks.parse(marks)
        except Exception as exc:  # noqa: BLE001
            self._primary("marks_unavailable", exc)
            return True
        replica = self._replica
        assert replica is not None  # on_replica
        if self._chosen_lsn < floor:  # the token check itself may be stale (the caller's own writes leave it be)
            self._primary("not_replayed")
            return True
        if not self._router.trusted(replica) or replica.replay_lsn < max(floor, mark):
            self._primary("not_replayed")
        return False

    def saw_floor(self) -> bool:
        """Whether the replica had replayed the floor as it is now when this read began (the marks' floor is
        raised before a narrowing write's cache invalidation: see ``ReadRouter._committed``)."""
        try:
            floor, _ = self._router.marks.get(None)
        except Exception as exc:  # noqa: BLE001
            self._router.marks_failed(exc)
            return False
        return self._chosen_lsn >= floor

    def _primary(self, reason: str, exc: Exception | None = None) -> Engine:
        if exc is not None:
            self._router.marks_failed(exc)
        self.reason = reason
        self._engine = self._router.primary
        app_metrics().replica_fallbacks.labels(reason=reason).inc()
        return self._engine

    def finish(self) -> None:
        """Count this read by where it ended up (nothing when it read nothing); give the replica's connection
        back (the session leaves a connection it was handed to its owner)."""
        if self._engine is not None:
            self._router.count(self.on_replica)
        if self._connection is not None:
            connection, self._connection = self._connection, None
            connection.close()
