"""Domain events: how a lower layer causes work above it, in the same transaction.

A package publishes a typed event on its unit of work (``uow.publish(ConnectionAccepted(...))``); the
handlers that higher packages registered on the app's :class:`EventBus` run at once, on the same session,
so their writes commit or roll back with the publisher's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from .uow import UnitOfWorkContext


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every event: a frozen record of something that happened."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[["UnitOfWorkContext", Any], None]


class EventPublisher(Protocol):
    """What a service publishes on: its unit of work."""

    def publish(self, event: DomainEvent) -> None: ...

    def after_commit(self, callback: Callable[[], None]) -> None: ...


class EventBus:
    """The app's table of handlers, filled at start-up by the composition root."""

    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[Handler]] = {}

    def subscribe(self, kind: type[E], handler: Callable[[UnitOfWorkContext, E], None]) -> None:
        self._handlers.setdefault(kind, []).append(handler)

    def handlers(self, kind: type[DomainEvent]) -> list[Handler]:
        return self._handlers.get(kind, [])
