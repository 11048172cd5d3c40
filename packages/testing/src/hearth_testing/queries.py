"""What an app does with its database, seen from a test: the statements it issues, services on a unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hearth_platform.uow import unit_of_work

T = TypeVar("T")


@dataclass
class QueryCounter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def statements_on(*engines: Engine) -> Iterator[QueryCounter]:
    """Every statement issued on ``engines`` while the block runs (from any thread or connection)."""
    counter = QueryCounter()

    def _on(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counter.count += 1
        counter.statements.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", _on)
    try:
        yield counter
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", _on)


@contextmanager
def resolved(app: FastAPI, service_type: type[T]) -> Iterator[T]:
    """``with resolved(app, Service) as s:`` the service as the app's container builds it for a neighbour,
    on a unit of work of its own (committed at the end of the block). The app must be started."""
    state = app.state
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        yield uow.resolve(service_type)
