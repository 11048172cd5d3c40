"""Every error a client can meet is RFC 9457 problem+json with a request id and without internals."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from sqlalchemy import text

from hearth_platform.errors import Conflict, Forbidden, HearthError, NotFound, Unauthorized, Unprocessable
from hearth_platform.uow import UnitOfWork

SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


class SelfBlock(Unprocessable):
    code = "self_block"


class Gone(HearthError):
    status, code = 410, "gone"


ERRORS: dict[str, HearthError] = {
    "not-found": NotFound("Post 42 was not found."),
    "forbidden": Forbidden("Only the author may change this post."),
    "conflict": Conflict("A tag with that name exists.", code="tag_exists"),
    "unauthorized": Unauthorized("A bearer token is required."),
    "self-request": Unprocessable("You cannot request yourself.", code="self_request"),
    "self-block": SelfBlock("You cannot block yourself."),
    "gone": Gone("It went away."),
}


class SignUp(BaseModel):
    username: str = Field(min_length=3, max_length=30)
    password: str = Field(min_length=10)
    age: int


@pytest.fixture(scope="module")
def client(make_app: Callable[..., FastAPI]) -> Iterator[TestClient]:
    app = make_app()

    @app.get("/raise/{name}")
    def raise_error(name: str) -> None:
        raise ERRORS[name]

    @app.get("/crash")
    def crash() -> None:
        raise RuntimeError("boom: SELECT password_hash FROM users WHERE id = 42")

    @app.get("/bad-sql")
    def bad_sql(uow: UnitOfWork) -> None:
        uow.session.execute(text("SELECT secret_column FROM no_such_table_xyz"))

    @app.post("/signup")
    def signup(body: SignUp) -> dict[str, str]:
        return {"username": body.username}

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/api/v1/thing")
    def api_thing() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_unknown_route_is_404_problem(client: TestClient, assert_problem: Any) -> None:
    body = assert_problem(client.get("/no/such/route"), 404, "not_found")
    assert body["instance"] == "/no/such/route"
    assert body["title"] == "Not Found"


def test_unknown_api_route_is_404_problem(client: TestClient, assert_problem: Any) -> None:
    assert_problem(client.delete("/api/v1/nothing-here/7"), 404, "not_found")


def test_wrong_method_is_405_problem(client: TestClient, assert_problem: Any) -> None:
    r = client.delete("/ok")
    assert_problem(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "GET"


def test_validation_error_is_422_with_errors(client: TestClient, assert_problem: Any) -> None:
    r = client.post("/signup", json={"username": "ab", "password": "hunter2-is-secret", "age": "old"})
    body = assert_problem(r, 422, "validation_error")
    assert sorted(e["loc"] for e in body["errors"]) == [["body", "age"], ["body", "username"]]
    for e in body["errors"]:
        assert set(e) == {"loc", "msg", "type"}
        assert e["msg"] and e["type"]
    # the submitted values are not echoed back (a password in a 422 would end up in client logs)
    assert "hunter2" not in r.text


def test_malformed_json_is_422_problem(client: TestClient, assert_problem: Any) -> None:
    r = client.post("/signup", content=b'{"username": ', headers={"content-type": "application/json"})
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"]


def test_missing_body_is_422_problem(client: TestClient, assert_problem: Any) -> None:
    body = assert_problem(client.post("/signup"), 422, "validation_error")
    assert body["errors"][0]["loc"] == ["body"]


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_domain_error_keeps_its_status_code_and_detail(client: TestClient, assert_problem: Any, name: str) -> None:
    err = ERRORS[name]
    r = client.get(f"/raise/{name}")
    body = assert_problem(r, err.status, err.code)
    assert body["detail"] == err.detail
    if err.status == 422:
        assert body["errors"] == []
    if err.status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_unhandled_exception_is_500_without_internals(client: TestClient, assert_problem: Any) -> None:
    r = client.get("/crash", headers={"X-Request-ID": "crash-1"})
    body = assert_problem(r, 500, "internal_error")
    assert body["request_id"] == "crash-1"
    for leak in ("Traceback", "RuntimeError", "SELECT", "password_hash", "boom", ".py"):
        assert leak not in r.text


def test_sql_error_is_500_without_sql(client: TestClient, assert_problem: Any) -> None:
    r = client.get("/bad-sql")
    assert_problem(r, 500, "internal_error")
    for leak in ("no_such_table_xyz", "secret_column", "SELECT", "psycopg", "ProgrammingError", "sqlalche"):
        assert leak not in r.text


# ---- X-Request-ID --------------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["abc", "7f1c-42_A.b", "x" * 128, "0"])
def test_sane_request_id_is_echoed(client: TestClient, sent: str) -> None:
    assert client.get("/ok", headers={"X-Request-ID": sent}).headers["x-request-id"] == sent


@pytest.mark.parametrize("sent", ["x" * 129, "has space", "semi;colon", "<script>", "a/b", "", "quote'"])
def test_insane_request_id_is_replaced(client: TestClient, sent: str) -> None:
    got = client.get("/ok", headers={"X-Request-ID": sent}).headers["x-request-id"]
    assert got != sent
    assert SANE_ID.match(got)


def test_every_response_gets_a_fresh_request_id(client: TestClient) -> None:
    ids = {client.get("/ok").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5
    assert all(SANE_ID.match(i) for i in ids)


def test_request_id_on_errors_matches_the_body(client: TestClient) -> None:
    for path in ("/nope", "/raise/conflict", "/crash"):
        r = client.get(path, headers={"X-Request-ID": f"err{len(path)}"})
        assert r.headers["x-request-id"] == r.json()["request_id"] == f"err{len(path)}"


# ---- security headers ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ok", "/nope", "/raise/forbidden", "/api/v1/thing"])
def test_responses_are_not_content_sniffed(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]


@pytest.mark.parametrize("path", ["/api/v1/thing", "/api/v1/nope"])
def test_api_responses_are_not_stored_by_caches(client: TestClient, path: str) -> None:
    assert client.get(path).headers["cache-control"] == "no-store"


def test_authenticated_responses_are_not_stored_by_caches(client: TestClient) -> None:
    r = client.get("/ok", headers={"Authorization": "Bearer some-token"})
    assert r.headers["cache-control"] == "no-store"
