"""Connections' test app and fixtures; the shared ones (``client``, ``make_user``, ...) come from hearth_testing."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from hearth_connections import ConnectionGraph
from hearth_connections.service import RequestsService
from hearth_platform.app import build_app
from hearth_platform.settings import Settings
from hearth_platform.uow import unit_of_work
from hearth_testing import free_port

API = "/api/v1"
TESTED_LAYER = "hearth_connections"  # the layer guard: these tests import nothing above connections


def build_test_app(settings: Settings) -> FastAPI:
    """An app of connections and the layers below it."""
    import hearth_connections
    import hearth_identity
    import hearth_storage

    return build_app(
        settings, [hearth_storage.package, hearth_identity.package, hearth_connections.package], configure_logs=False
    )


@pytest.fixture(scope="session")
def app_factory() -> Callable[[Settings], FastAPI]:
    return build_test_app


@pytest.fixture
def send_request(client: TestClient) -> Callable[[Any, Any], httpx.Response]:
    """``send_request(a, b)``: ``a`` asks ``b`` to connect; returns the response."""

    def _send(a: Any, b: Any) -> httpx.Response:
        return client.post(f"{API}/connections/requests", json={"user_id": b.id}, headers=a.headers)

    return _send


class GraphAndRequests:
    """The graph face (as the layers above get it) and the requests use case, on one unit of work: the
    graph tests read, accept, and read again in one transaction."""

    def __init__(self, graph: ConnectionGraph, requests: RequestsService, session: Session) -> None:
        self._parts = (graph, requests)
        self._session = session  # for tests that run the graph's SQL building blocks themselves

    def __getattr__(self, name: str) -> Any:
        for part in self._parts:
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(name)


@contextmanager
def _graph(app: FastAPI) -> Iterator[GraphAndRequests]:
    state = app.state
    with unit_of_work(state.database, state.event_bus, state.container) as uow:
        yield GraphAndRequests(uow.resolve(ConnectionGraph), uow.resolve(RequestsService), uow.session)


@pytest.fixture
def graph(app: FastAPI, client: TestClient) -> Callable[[], AbstractContextManager[GraphAndRequests]]:
    """``with graph() as g:`` the graph face and the requests use case, in a unit of work of their own."""
    return functools.partial(_graph, app)


@pytest.fixture
def sql(app: FastAPI, client: TestClient) -> Callable[..., list[Any]]:
    """Read the database directly (to check what the API cannot show, e.g. rows of other users)."""

    def _sql(statement: str, **params: Any) -> list[Any]:
        with app.state.database.transaction() as session:
            return list(session.execute(text(statement), params).all())

    return _sql


@pytest.fixture(scope="module")
def live_server(make_app: Callable[..., FastAPI]) -> Iterator[str]:
    """A real uvicorn server (its own app, same database) for truly parallel HTTP requests."""
    app = make_app(db_pool_size=20, db_max_overflow=10)
    port = free_port()
    # no log_level or log_config: uvicorn would set its loggers' levels for the rest of the test process
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}{API}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
