"""Handler threads: a few for every handler (``HEARTH_HANDLER_THREADS``), and threads of their own for
handlers that wait long on something else than the database (``@waits``: a password hash)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hearth_platform.routing import HANDLER_THREADS, configure_threads, waits


class Blocking:
    """Handlers that hold their thread until released, and note that they started."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started: dict[str, threading.Event] = {}

    def hold(self, name: str) -> None:
        self.started.setdefault(name, threading.Event()).set()
        assert self.release.wait(10), "never released"

    def has_started(self, name: str, timeout: float) -> bool:
        return self.started.setdefault(name, threading.Event()).wait(timeout)


@pytest.fixture
def one_thread(make_app: Callable[..., FastAPI]) -> Iterator[tuple[TestClient, Blocking]]:
    app = make_app(handler_threads=1)
    blocking = Blocking()

    @app.get("/quick/{name}")
    def quick(name: str) -> dict[str, str]:
        if name.startswith("hold"):
            blocking.hold(name)
        return {"name": name}

    @app.get("/waiting/{name}")
    @waits
    def waiting(name: str) -> dict[str, str]:
        blocking.hold(name)
        return {"name": name}

    try:
        with TestClient(app) as client:
            yield client, blocking
    finally:
        blocking.release.set()
        configure_threads(HANDLER_THREADS)  # the session's other apps run with the default


def test_handlers_run_on_as_many_threads_as_the_setting_says(one_thread: tuple[TestClient, Blocking]) -> None:
    client, blocking = one_thread
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.get, "/quick/hold-1")
        assert blocking.has_started("hold-1", 10)
        second = pool.submit(client.get, "/quick/hold-2")
        # one thread, and it is held: the second handler waits its turn
        assert not blocking.has_started("hold-2", 0.5)
        blocking.release.set()
        assert first.result(10).status_code == 200
        assert second.result(10).json() == {"name": "hold-2"}


def test_handlers_that_wait_long_leave_the_others_their_threads(one_thread: tuple[TestClient, Blocking]) -> None:
    client, blocking = one_thread
    with ThreadPoolExecutor(3) as pool:
        held = [pool.submit(client.get, f"/waiting/slow-{i}") for i in range(3)]
        for i in range(3):
            assert blocking.has_started(f"slow-{i}", 10), "the waiting handlers run side by side"
        # three handlers hold their threads, yet a quick request is answered at once
        assert client.get("/quick/now").json() == {"name": "now"}
        blocking.release.set()
        assert [f.result(10).status_code for f in held] == [200, 200, 200]
