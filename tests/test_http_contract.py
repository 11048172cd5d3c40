"""Contract rules that hold for every route of the assembled app (API.md "Conventions" and "Errors").

The routes are read from the app itself, so each package's routes are checked as they land.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hearth_api import create_app
from hearth_platform.settings import Settings

PUBLIC = {
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    # a forgotten password and a mailed link need no token (API.md, "Account lifecycle")
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("POST", "/api/v1/auth/verify-email"),
}


def _routes() -> list[tuple[str, str]]:
    settings = Settings(_env_file=None, secret_key=SecretStr("x" * 40))  # type: ignore[call-arg]
    app = create_app(settings, configure_logs=False)  # no lifespan: nothing connects
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )


ROUTES = _routes()
PROTECTED = [r for r in ROUTES if r not in PUBLIC]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _assert_problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail", "instance", "code", "request_id"} <= body.keys()
    assert (body["status"], body["code"]) == (status, code)
    assert body["request_id"] == r.headers["x-request-id"]
    return body


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_every_route_but_register_and_login_needs_a_token(
    client: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    r = client.request(method, _concrete(path), headers=headers, json={})
    _assert_problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.headers["cache-control"] == "no-store"


def test_register_and_login_need_no_token(client: TestClient) -> None:
    missing = PUBLIC - set(ROUTES)
    if missing == PUBLIC:
        pytest.skip("identity's routes are not mounted yet")
    assert not missing, f"missing public routes: {missing}"
    # reached without a token: the payload is judged, not the (absent) credentials
    _assert_problem(client.post("/api/v1/auth/register", json={}), 422, "validation_error")
    r = client.post("/api/v1/auth/login", json={"username": "nobody_at_all_here", "password": "not the password"})
    _assert_problem(r, 401, "invalid_credentials")


def _list_operations(openapi: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path, item in openapi["paths"].items():
        op = item.get("get")
        if op and any(p["name"] == "limit" for p in op.get("parameters", [])):
            out.append((path, op))
    return out


def test_every_list_takes_limit_1_to_100_default_20_and_a_cursor(client: TestClient) -> None:
    lists = _list_operations(client.get("/openapi.json").json())
    if not lists:
        pytest.skip("no list route is mounted yet")
    for path, op in lists:
        params = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
        limit = params["limit"]["schema"]
        assert (limit.get("minimum"), limit.get("maximum"), limit.get("default")) == (1, 100, 20), path
        assert "cursor" in params, f"{path} takes a limit but no cursor"
        response = op["responses"]["200"]["content"]["application/json"]["schema"]
        assert "$ref" in response or "properties" in response, path


def test_unknown_api_path_and_wrong_method_are_problems(client: TestClient) -> None:
    _assert_problem(client.get("/api/v1/no-such-thing"), 404, "not_found")
    if ROUTES:
        method, path = ROUTES[0]
        wrong = "PUT" if method != "PUT" else "PATCH"
        if (wrong, path) not in ROUTES:
            _assert_problem(client.request(wrong, _concrete(path)), 405, "method_not_allowed")
