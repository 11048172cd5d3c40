"""CORS (API.md, Conventions): cross-origin calls work for the configured origins only, preflights included."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from hearth_platform.settings import Settings

APP = "https://app.example.com"
PREFLIGHT = {"Origin": APP, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}


@pytest.fixture(scope="module")
def cors_client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    with TestClient(make_app(cors_origins=[APP, "https://other.example.org"])) as c:
        yield c


def test_a_preflight_from_a_configured_origin_is_answered(cors_client: TestClient) -> None:
    r = cors_client.options("/api/v1/feed", headers=PREFLIGHT)
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == APP
    assert "GET" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"] == "authorization"
    assert "access-control-allow-credentials" not in r.headers
    assert r.headers["x-request-id"]  # the platform's headers too


def test_a_call_from_a_configured_origin_may_be_read(cors_client: TestClient) -> None:
    r = cors_client.get("/api/v1/feed", headers={"Origin": "https://other.example.org"})
    assert r.status_code == 401  # no token: the answer is still readable cross-origin
    assert r.headers["access-control-allow-origin"] == "https://other.example.org"
    assert "X-Request-ID" in r.headers["access-control-expose-headers"]


def test_another_origin_gets_no_cors_headers(cors_client: TestClient) -> None:
    r = cors_client.options("/api/v1/feed", headers={**PREFLIGHT, "Origin": "https://evil.example.net"})
    assert r.status_code != 204 and "access-control-allow-origin" not in r.headers
    r = cors_client.get("/api/v1/feed", headers={"Origin": "https://evil.example.net"})
    assert "access-control-allow-origin" not in r.headers


def test_no_origin_is_allowed_by_default(client: TestClient) -> None:
    r = client.options("/api/v1/feed", headers=PREFLIGHT)
    assert "access-control-allow-origin" not in r.headers


def test_an_origin_must_be_an_origin() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, cors_origins="*")


def test_origins_are_read_from_a_comma_list() -> None:
    s = Settings(_env_file=None, cors_origins=f"{APP}, https://other.example.org/")
    assert s.cors_origins == [APP, "https://other.example.org"]
