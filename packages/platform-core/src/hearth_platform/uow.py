"""The unit of work: one transaction per request (or job), the services built on it, and its events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .events import DomainEvent, EventBus

if TYPE_CHECKING:
    from .container import Container
    from .database import Database

T = TypeVar("T")


class UnitOfWorkContext:
    """One transaction's session, the services resolved on it, and the events published in it.

    Services never commit; the unit of work commits once when its request or job succeeds, so every
    write, and every write of the event handlers it triggered, lands together or not at all.
    """

    __slots__ = ("_bus", "_container", "read_only", "session")

    def __init__(self, session: Session, bus: EventBus, container: Container, *, read_only: bool = False) -> None:
        self.session = session
        self._bus = bus
        self._container = container
        self.read_only = read_only

    def resolve(self, kind: type[T]) -> T:
        """``kind`` built by the app's container on this unit of work (its session, its publisher)."""
        return self._container.resolve(kind, session=self.session, events=self)

    def publish(self, event: DomainEvent) -> None:
        """Run every handler of ``event`` now, in this transaction."""
        for handler in self._bus.handlers(type(event)):
            handler(self, event)


@contextmanager
def unit_of_work(database: Database, bus: EventBus, container: Container) -> Iterator[UnitOfWorkContext]:
    """A unit of work outside a request (jobs, the CLI, tests): commits on success, rolls back on error."""
    with database.transaction() as session:
        yield UnitOfWorkContext(session, bus, container)


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _end(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@asynccontextmanager
async def _transaction(request: Request) -> AsyncIterator[UnitOfWorkContext]:
    state = request.app.state
    session = state.database.sessionmaker()
    try:
        yield UnitOfWorkContext(session, state.event_bus, state.container)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(_end, session, False)
        raise
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await run_in_threadpool(_end, session, True)


async def _unit_of_work(request: Request) -> AsyncIterator[UnitOfWorkContext]:
    """The request's unit of work, opened on the event loop: a session touches the database only at its
    first statement, in the handler's thread. A read (safe method) runs on the autocommit, read-only pool,
    so ending it is local too; a write commits (or rolls back) in one hop to the thread pool."""
    if request.method not in SAFE_METHODS:
        async with _transaction(request) as uow:
            yield uow
        return
    state = request.app.state
    session = state.database.read_sessionmaker()
    try:
        yield UnitOfWorkContext(session, state.event_bus, state.container, read_only=True)
    finally:
        session.close()  # autocommit: no transaction to end, the connection goes back to its pool


# scope="function": the commit happens before the response is sent, so a failed commit is a 5xx the
# client sees, never a 201 for something that was not stored.
UnitOfWork = Annotated[UnitOfWorkContext, Depends(_unit_of_work, scope="function")]


async def _writing_unit_of_work(request: Request, uow: UnitOfWork) -> AsyncIterator[UnitOfWorkContext]:
    """The request's unit of work when it may write; for a read that may write (a safe method whose answer
    can record something, e.g. an upload found complete), a transaction of its own."""
    if not uow.read_only:
        yield uow
        return
    async with _transaction(request) as writing:
        yield writing


WritingUnitOfWork = Annotated[UnitOfWorkContext, Depends(_writing_unit_of_work, scope="function")]


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
