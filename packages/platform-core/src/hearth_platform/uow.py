"""The unit of work: one transaction per request (or job), the services built on it, and its events."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from .events import DomainEvent, EventBus

log = logging.getLogger("hearth.uow")

WRITER = "hearth.writer"
"""In a request's writing session's ``info``: who the caller is (read at commit: ``None`` for nobody signed in)."""

if TYPE_CHECKING:
    from .container import Container
    from .database import Database
    from .replica_route import ReadRoute

T = TypeVar("T")


class UnitOfWorkContext:
    """One transaction's session, the services resolved on it, and the events published in it.

    Services never commit; the unit of work commits once when its request or job succeeds, so every
    write, and every write of the event handlers it triggered, lands together or not at all.
    """

    __slots__ = ("_after_commit", "_bus", "_container", "read_only", "route", "session")

    def __init__(self, session: Session, bus: EventBus, container: Container, *, read_only: bool = False) -> None:
        self.session = session
        self._bus = bus
        self._container = container
        self.read_only = read_only
        self._after_commit: list[Callable[[], None]] | None = None
        self.route: ReadRoute | None = None  # a read-only unit of work's choice of replica or primary

    def resolve(self, kind: type[T]) -> T:
        """``kind`` built by the app's container on this unit of work (its session, its publisher)."""
        return self._container.resolve(kind, session=self.session, events=self)

    def publish(self, event: DomainEvent) -> None:
        """Run every handler of ``event`` now, in this transaction."""
        for handler in self._bus.handlers(type(event)):
            handler(self, event)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (never when it rolls back): what must not be
        told before the writes it is about are stored, e.g. live events. A failing callback is logged."""
        if self._after_commit is None:
            self._after_commit = []
        self._after_commit.append(callback)

    def committed(self) -> None:
        """The transaction committed: run the ``after_commit`` callbacks (each once)."""
        callbacks, self._after_commit = self._after_commit, None
        for callback in callbacks or ():
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed")

    def rolled_back(self) -> None:
        self._after_commit = None


@contextmanager
def reading_unit_of_work(database: Database, bus: EventBus, container: Container) -> Iterator[UnitOfWorkContext]:
    """A unit of work outside a request that only reads (a live stream's steps), on the primary's read pool:
    autocommit and read-only at the server, so nothing to commit and nothing it could half-write."""
    session = database.read_sessionmaker()
    try:
        yield UnitOfWorkContext(session, bus, container, read_only=True)
    finally:
        session.close()


@contextmanager
def unit_of_work(database: Database, bus: EventBus, container: Container) -> Iterator[UnitOfWorkContext]:
    """A unit of work outside a request (jobs, the CLI, tests): commits on success, rolls back on error."""
    with database.transaction() as session:
        uow = UnitOfWorkContext(session, bus, container)
        try:
            yield uow
        except BaseException:
            uow.rolled_back()
            raise
    uow.committed()


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

OPEN_UNITS_OF_WORK = "hearth.units_of_work"
"""The request's open units of work, in its ASGI scope, until :func:`finish_request` ends them."""


def _open(request: Request, *, writes: bool) -> UnitOfWorkContext:
    state = request.app.state
    database = state.database
    router = database.router
    if router is None:
        session = database.sessionmaker() if writes else database.read_sessionmaker()
        uow = UnitOfWorkContext(session, state.event_bus, state.container, read_only=not writes)
    elif writes:
        session = database.sessionmaker()
        # whose write it is, for the write mark the router sets at its commit (hearth_platform.replicas)
        session.info[WRITER] = lambda: getattr(request.state, "user_id", None)
        uow = UnitOfWorkContext(session, state.event_bus, state.container)
    else:
        route = router.route()
        session = router.sessionmaker()
        session.route = route
        uow = UnitOfWorkContext(session, state.event_bus, state.container, read_only=True)
        uow.route = route
    request.scope.setdefault(OPEN_UNITS_OF_WORK, []).append(uow)
    return uow


def _end(uow: UnitOfWorkContext, commit: bool) -> None:
    session = uow.session
    committed = False
    try:
        if (
            commit
            and not uow.read_only
            and (session.in_transaction() or session.new or session.dirty or session.deleted)
        ):
            session.commit()
            committed = True
        elif session.in_transaction() and not uow.read_only:
            session.rollback()
        # a read's session is only closed: that gives its connection back, and the pool's reset on return
        # rolls back whatever needs it (nothing on the autocommit read pool); the session's own rollback
        # bookkeeping cost 3 % of a feed request's CPU (profiled)
    finally:
        session.close()
        if uow.route is not None:
            uow.route.finish()
        if committed:
            uow.committed()
        else:
            uow.rolled_back()


def finish_request(scope: MutableMapping[str, Any], *, succeeded: bool) -> None:
    """End the request's units of work, in the handler's thread right after the handler: commit (when it
    succeeded) or roll back, and close. A failed commit rolls back the rest and is raised: the client sees
    a 5xx, never a 201 for something that was not stored."""
    opened: list[UnitOfWorkContext] | None = scope.pop(OPEN_UNITS_OF_WORK, None)
    if not opened:
        return
    failure: BaseException | None = None
    for uow in opened:
        try:
            _end(uow, succeeded and failure is None)
        except BaseException as error:  # noqa: BLE001 - the others still end; the first failure is raised
            failure = failure or error
    if failure is not None:
        raise failure


def needs_io(scope: MutableMapping[str, Any]) -> bool:
    """Whether ending the request's units of work talks to the database (a session holds a connection)."""
    return any(uow.session.in_transaction() for uow in scope.get(OPEN_UNITS_OF_WORK, ()))


async def _unit_of_work(request: Request) -> UnitOfWorkContext:
    """The request's unit of work, opened on the event loop: a session touches the database only at its
    first statement, in the handler's thread. A read (safe method) runs on the autocommit, read-only pool;
    a write in a transaction. The route ends it (``hearth_platform.routing``) in the handler's own thread
    hop, before the response is sent: an async-generator dependency would cost a cancel scope, an exit
    stack and, for a write, a second hop to commit (about 10 % of a feed request's CPU, profiled)."""
    return _open(request, writes=request.method not in SAFE_METHODS)


UnitOfWork = Annotated[UnitOfWorkContext, Depends(_unit_of_work)]


async def _writing_unit_of_work(request: Request, uow: UnitOfWork) -> UnitOfWorkContext:
    """The request's unit of work when it may write; for a read that may write (a safe method whose answer
    can record something, e.g. an upload found complete), a transaction of its own."""
    return uow if not uow.read_only else _open(request, writes=True)


WritingUnitOfWork = Annotated[UnitOfWorkContext, Depends(_writing_unit_of_work)]


def provide(service_type: type[T], *, writes: bool = False) -> Callable[..., Any]:
    """A dependency that resolves ``service_type`` on this request's unit of work (``writes=True``: on one
    that may write, even when the method is safe)."""

    # async: building the service is pure CPU, so it runs on the event loop without a thread hop
    if writes:

        async def _dependency(uow: WritingUnitOfWork) -> T:
            return uow.resolve(service_type)

    else:

        async def _dependency(uow: UnitOfWork) -> T:
            return uow.resolve(service_type)

    _dependency.__name__ = f"provide_{service_type.__name__}"
    return _dependency
