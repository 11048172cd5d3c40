"""Operations: liveness, and readiness with one check per configured dependency."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_live_answers_200(client: TestClient) -> None:
    r = client.get("/health/live")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_ready_checks_the_database(client: TestClient) -> None:
    r = client.get("/health/ready")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["status"] == "ok"
    assert isinstance(database["latency_ms"], int | float) and 0 <= database["latency_ms"] < 5000
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_operations_routes_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not any(p.startswith("/health") or p == "/metrics" for p in paths)


@pytest.mark.redis
def test_ready_checks_redis_when_configured(make_app: Callable[..., FastAPI], redis_url: str) -> None:
    with TestClient(make_app(redis_url=redis_url)) as client:
        r = client.get("/health/ready")
    assert r.status_code == 200, r.text
    assert r.json()["checks"]["cache"]["status"] == "ok"


def test_ready_is_503_when_redis_is_down(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(redis_url="redis://:hunter2pw@127.0.0.1:1/0")) as client:
        r = client.get("/health/ready")
        assert client.get("/health/live").status_code == 200
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
    cache = body["checks"]["cache"]
    assert cache["status"] == "error"
    assert cache["reason"] and len(cache["reason"]) <= 200
    assert "hunter2pw" not in r.text
