"""The request's unit of work and the dependencies that hand services their session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(slots=True)
class UnitOfWorkContext:
    """What one request's handlers share: the session of its single transaction."""

    session: Session


def _unit_of_work(request: Request) -> Iterator[UnitOfWorkContext]:
    database = request.app.state.database
    with database.transaction() as session:
        yield UnitOfWorkContext(session)


# scope="function": the commit happens before the response is sent, so a failed commit is a 5xx the
# client sees, never a 201 for something that was not stored.
UnitOfWork = Annotated[UnitOfWorkContext, Depends(_unit_of_work, scope="function")]


def provide(service_type: type[T] | Any) -> Callable[..., T]:
    """A dependency that resolves ``service_type`` from the app's container with this request's session."""

    # async: building the service is pure CPU, so it runs on the event loop without a thread hop
    async def _dependency(request: Request, uow: UnitOfWork) -> T:
        return request.app.state.container.resolve(service_type, session=uow.session)  # type: ignore[no-any-return]

    _dependency.__name__ = f"provide_{getattr(service_type, '__name__', 'service')}"
    return _dependency
