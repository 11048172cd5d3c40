"""With the database down the app still starts, answers 503 problem+json and says so in /health/ready."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

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
