"""Fixtures of the connections tests (on top of the root conftest's ``client``, ``make_user``, ...)."""

from __future__ import annotations

import socket
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

from hearth_connections import ConnectionsService

API = "/api/v1"


@pytest.fixture
def send_request(client: TestClient) -> Callable[[Any, Any], httpx.Response]:
    """``send_request(a, b)``: ``a`` asks ``b`` to connect; returns the response."""

    def _send(a: Any, b: Any) -> httpx.Response:
        return client.post(f"{API}/connections/requests", json={"user_id": b.id}, headers=a.headers)

    return _send


@pytest.fixture
def graph(app: FastAPI, client: TestClient) -> Callable[[], AbstractContextManager[ConnectionsService]]:
    """``with graph() as g:`` the service as neighbours get it, in its own unit of work."""

    @contextmanager
    def _graph() -> Iterator[ConnectionsService]:
        with app.state.database.transaction() as session:
            yield app.state.container.resolve(ConnectionsService, session=session)

    return _graph


@pytest.fixture
def sql(app: FastAPI, client: TestClient) -> Callable[..., list[Any]]:
    """Read the database directly (to check what the API cannot show, e.g. rows of other users)."""

    def _sql(statement: str, **params: Any) -> list[Any]:
        with app.state.database.transaction() as session:
            return list(session.execute(text(statement), params).all())

    return _sql


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(make_app: Callable[..., FastAPI]) -> Iterator[str]:
    """A real uvicorn server (its own app, same database) for truly parallel HTTP requests."""
    app = make_app(db_pool_size=20, db_max_overflow=10)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
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
