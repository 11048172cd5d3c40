"""The unit of work: one transaction per request (or job), the services built on it, and its events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

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

    __slots__ = ("_bus", "_container", "session")

    def __init__(self, session: Session, bus: EventBus, container: Container) -> None:
        self.session = session
        self._bus = bus
        self._container = container

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


def _unit_of_work(request: Request) -> Iterator[UnitOfWorkContext]:
    state = request.app.state
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        yield uow


# scope="function": the commit happens before the response is sent, so a failed commit is a 5xx the
# client sees, never a 201 for something that was not stored.
UnitOfWork = Annotated[UnitOfWorkContext, Depends(_unit_of_work, scope="function")]


def provide(service_type: type[T]) -> Callable[..., Any]:
    """A dependency that resolves ``service_type`` on this request's unit of work."""

    # async: building the service is pure CPU, so it runs on the event loop without a thread hop
    async def _dependency(uow: UnitOfWork) -> T:
        return uow.resolve(service_type)

    _dependency.__name__ = f"provide_{service_type.__name__}"
    return _dependency
