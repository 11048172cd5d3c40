"""With the database down the app still starts, answers 503 problem+json and says so in /health/ready; a
connection the server ended is replaced by the pool without an error."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from hearth_platform import database as database_module
from hearth_platform.database import Database
from hearth_platform.uow import UnitOfWork

# nothing listens on port 1; the credentials must never show up in an answer
DOWN_URL = "postgresql://hearth_ops:s3cr3t-pw-xyz@127.0.0.1:1/hearthdb"


@pytest.fixture(scope="module")
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    app = make_app(database_url=DOWN_URL)

    @app.get("/count")
    def count(uow: UnitOfWork) -> dict[str, int]:
        return {"n": int(uow.session.execute(text("SELECT 1")).scalar_one())}

    @app.get("/no-query")
    def no_query(uow: UnitOfWork) -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app, raise_server_exceptions=False) as c:  # the engine connects lazily: startup works
        yield c


def test_a_query_gets_503_service_unavailable(client: TestClient, assert_problem: Any) -> None:
    r = client.get("/count")
    assert_problem(r, 503, "service_unavailable")
    assert int(r.headers["retry-after"]) >= 1
    for leak in ("s3cr3t", "hearth_ops", "hearthdb", "postgresql", "OperationalError"):
        assert leak not in r.text


def test_a_request_that_never_queries_still_works(client: TestClient) -> None:
    assert client.get("/no-query").json() == {"ok": True}


def test_liveness_is_unaffected(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200


def test_readiness_reports_the_database_down(client: TestClient) -> None:
    r = client.get("/health/ready")
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "error"
    check = body["checks"]["database"]
    assert check["status"] == "error"
    reason = check["reason"]
    assert reason and len(reason) <= 200 and "\n" not in reason
    for leak in ("s3cr3t", "hearth_ops", "hearthdb", "postgresql://"):
        assert leak not in reason


# ---- the pool's liveness check (instead of a pre-ping round trip on every checkout) ----------------------


@pytest.fixture
def pinged(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every ping the pool's liveness check sends (one round trip each)."""
    calls: list[int] = []
    real = database_module._ping

    def counting(dbapi_connection: Any) -> bool:
        calls.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(database_module, "_ping", counting)
    return calls


def _backend_pid(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _admin(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_connection_reused_at_once_is_not_pinged(database_url: str, pinged: list[int]) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0)
    try:
        pids = {_backend_pid(db) for _ in range(5)}
        assert len(pids) == 1  # one pooled connection, reused
        assert pinged == []  # no round trip but the queries themselves
    finally:
        db.dispose()


def test_a_connection_idle_for_long_is_pinged_before_reuse(database_url: str, pinged: list[int]) -> None:
    db = Database(database_url, pool_size=1, max_overflow=0, idle_ping_after=0.0)
    try:
        first = _backend_pid(db)
        assert _backend_pid(db) == first
        assert len(pinged) == 1  # pinged on reuse, answered: the same connection is handed out
    finally:
        db.dispose()


def test_a_connection_the_server_ended_is_replaced_without_an_error(database_url: str, pinged: list[int]) -> None:
    """A backend terminated while its connection sat in the pool (as a restart or a crash of PostgreSQL
    would): the next checkout notices, without a round trip for the healthy ones, and hands out a new one."""
    db = Database(database_url, pool_size=2, max_overflow=0)
    try:
        with db.engine.connect() as a, db.engine.connect() as b:
            doomed = int(a.execute(text("SELECT pg_backend_pid()")).scalar_one())
            b.execute(text("SELECT 1"))
        with psycopg.connect(_admin(database_url), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (doomed,)).fetchone() == (True,)
            deadline = time.monotonic() + 10
            while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (doomed,)).fetchone():
                assert time.monotonic() < deadline, "the backend did not end"
                time.sleep(0.02)
        seen = {_backend_pid(db) for _ in range(4)}
        assert doomed not in seen
        assert 1 <= len(pinged) <= 2  # only the connection in doubt was pinged (and the pool refreshed)
    finally:
        db.dispose()
